-- Who paused an issue: 'person' (issue pause, or a stop that needs one:
-- bad credentials, too many failures in a row) or 'breaker' (the mail
-- server was unreachable; sending resumes by itself when it is back).
ALTER TABLE issues ADD COLUMN paused_by TEXT;
