-- The subscriber store. Times are Unix milliseconds (UTC) in INTEGER
-- columns, the same representation PostgreSQL uses (BIGINT), so store code
-- is shared between backends.

CREATE TABLE lists (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE subscribers (
    id          INTEGER PRIMARY KEY,
    -- Normalised by EmailAddress::parse; unique regardless of case, because
    -- mailbox providers treat local parts case-insensitively in practice.
    email       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name        TEXT,
    status      TEXT    NOT NULL
                CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced', 'complained')),
    language    TEXT,
    -- Free-form per-subscriber values for personalisation: a JSON object.
    attributes  TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE INDEX subscribers_by_status ON subscribers (status);

CREATE TABLE list_members (
    list_id       INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    added_at      INTEGER NOT NULL,
    -- list_id first: a send selects one list's members.
    PRIMARY KEY (list_id, subscriber_id)
) WITHOUT ROWID;

CREATE INDEX list_members_by_subscriber ON list_members (subscriber_id);

-- Every status change, with when, from, to and where it came from. When a
-- person is erased the row stays for anonymous counts: subscriber_id goes
-- NULL and detail (which may quote the address) is cleared.
CREATE TABLE status_changes (
    id            INTEGER PRIMARY KEY,
    subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE SET NULL,
    at            INTEGER NOT NULL,
    from_status   TEXT,
    to_status     TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    detail        TEXT
);

CREATE INDEX status_changes_by_subscriber ON status_changes (subscriber_id);

-- What is left of an erased person: when, and their status then.
CREATE TABLE erasures (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    status  TEXT    NOT NULL
);
