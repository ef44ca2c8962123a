-- Mails to one person outside an issue (src/dispatch/system_mailer.rs):
-- the double opt-in confirmation and a fresh unsubscribe link. One row per
-- mail the transport took; gone with the person when they are erased. The
-- pending expiry counts from a person's last confirmation mail.
CREATE TABLE system_mails (
    id            INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL CHECK (kind IN ('confirmation', 'unsubscribe-link')),
    -- Who asked: page (the public pages), cli or import.
    source        TEXT    NOT NULL,
    at            INTEGER NOT NULL
);

CREATE INDEX system_mails_by_subscriber ON system_mails (subscriber_id, kind, at);

-- Why a person was erased: 'admin' (`subscribers remove`) or
-- 'pending-expired' (never confirmed, subscribers.pending_expiry_days).
ALTER TABLE erasures ADD COLUMN reason TEXT NOT NULL DEFAULT 'admin';
