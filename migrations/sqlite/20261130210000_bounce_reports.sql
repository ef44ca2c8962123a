-- Reports that came back (`postbode bounces ingest`, docs/bounces.md).
--
-- bounce_reports: one row per report that was applied, keyed by the
-- report's own Message-ID (or a hash of its bytes when it has none), so the
-- same report read twice changes nothing the second time.
CREATE TABLE bounce_reports (
    id            INTEGER PRIMARY KEY,
    report_key    TEXT    NOT NULL UNIQUE,
    -- hard, failed, soft or complaint.
    kind          TEXT    NOT NULL,
    -- NULL once the issue is deleted; the row stays so a repeat stays one.
    delivery_id   INTEGER REFERENCES deliveries (id) ON DELETE SET NULL,
    subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE SET NULL,
    -- The status code (5.1.1) or the feedback type (abuse): never the
    -- diagnostic text, which may name the address an erasure must forget.
    reason        TEXT    NOT NULL,
    at            INTEGER NOT NULL
);

-- Soft bounces per subscriber, counted within bounces.soft_window_days.
CREATE INDEX bounce_reports_soft ON bounce_reports (subscriber_id, kind, at);
