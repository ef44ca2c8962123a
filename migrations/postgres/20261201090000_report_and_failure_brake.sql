-- What `subscribers show` and the failure brake need (docs/bounces.md).
--
-- status_changes.report_key: the key of the bounce or complaint report
-- (bounce_reports.report_key) that made this change; NULL for every other
-- change. Not a foreign key: the change is written before its report is
-- recorded, so a crash in between leaves a key whose report comes with the
-- repeat.
ALTER TABLE status_changes ADD COLUMN report_key TEXT;

-- issues.failed_brake_count: the failed-delivery reports the issue had when
-- the failure brake last paused it; after `issue resume` the brake pauses
-- it again only once bounces.failed_min_count more have come in, not for
-- each late report about mail sent before the pause.
ALTER TABLE issues ADD COLUMN failed_brake_count BIGINT;
