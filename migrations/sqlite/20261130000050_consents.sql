-- Proof of consent (GDPR art. 7: the sender must be able to show it): how
-- and when each subscriber agreed to get mail. One row each time consent
-- was given; src/store/consent.rs writes and reads them. A person's rows go
-- with them when they are erased (ON DELETE CASCADE): the basis an admin
-- typed and the client network are personal data.
CREATE TABLE consents (
    id            INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    -- form: the public subscribe form (double opt-in); add / import: an
    -- admin's `subscribers add` / `subscribers import`; before-records:
    -- stored before this table existed, so how is unknown.
    method        TEXT    NOT NULL
                  CHECK (method IN ('form', 'add', 'import', 'before-records')),
    -- When it was given (form: the request; add, import: the command;
    -- before-records: when the subscriber was stored).
    at            INTEGER NOT NULL,
    -- form: the form's list; add: --list. NULL for an import (its lists
    -- come per row, from the file).
    list_name     TEXT,
    -- form: the language of the page.
    language      TEXT,
    -- form: the client's network (192.0.2.0/24, 2001:db8:1::/48), never
    -- its address.
    client        TEXT,
    -- add, import: --basis as the admin stated it; NULL: not stated.
    basis         TEXT,
    -- When the person confirmed by the link in a confirmation mail; NULL:
    -- not (yet).
    confirmed_at  INTEGER
);

CREATE INDEX consents_by_subscriber ON consents (subscriber_id, id);

INSERT INTO consents (subscriber_id, method, at)
SELECT id, 'before-records', created_at FROM subscribers ORDER BY id;
