-- Issues and their deliveries. An issue is rendered once when queued; its
-- templates (per-recipient values still open) are stored with it.

CREATE TABLE issues (
    id             INTEGER PRIMARY KEY,
    slug           TEXT    NOT NULL UNIQUE,
    subject        TEXT    NOT NULL,
    preheader      TEXT    NOT NULL DEFAULT '',
    -- The date printed on the issue (YYYY-MM-DD), for the archive.
    issue_date     TEXT    NOT NULL,
    list_id        INTEGER NOT NULL REFERENCES lists (id),
    html_template  TEXT    NOT NULL,
    text_template  TEXT    NOT NULL,
    -- The web version for the archive: no per-recipient parts.
    web_html       TEXT    NOT NULL,
    status         TEXT    NOT NULL
                   CHECK (status IN ('scheduled', 'sending', 'paused', 'sent', 'cancelled')),
    send_at        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    started_at     INTEGER,
    finished_at    INTEGER,
    -- Fixed when sending starts: one delivery per active list member.
    recipients     INTEGER NOT NULL DEFAULT 0,
    -- Why a paused issue is paused (a person, or the circuit breaker).
    paused_reason  TEXT
);

CREATE INDEX issues_by_status ON issues (status, send_at);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    issue_id        INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    -- NULL once the subscriber is erased; the row stays for the counts.
    subscriber_id   INTEGER REFERENCES subscribers (id) ON DELETE SET NULL,
    status          TEXT    NOT NULL
                    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- queued: when it may be tried. sending: when the lease expires and
    -- another worker may take it over (a crashed worker's claims return).
    -- One column for both keeps claiming to one index range scan.
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT,
    -- The last SMTP reply, or why it was skipped.
    last_reply      TEXT,
    message_id      TEXT,
    sent_at         INTEGER,
    UNIQUE (issue_id, subscriber_id)
);

CREATE INDEX deliveries_claim ON deliveries (issue_id, status, next_attempt_at);
CREATE INDEX deliveries_by_subscriber ON deliveries (subscriber_id);
