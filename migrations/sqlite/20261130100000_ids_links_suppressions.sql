-- Issue 12: subscriber ids are never handed out twice, every subscriber
-- gets a random link salt (mixed into the MAC of their link tokens), and
-- the suppression list.
--
-- `INTEGER PRIMARY KEY` alone lets SQLite give an erased person's id (the
-- highest) to the next new one; AUTOINCREMENT keeps the highest id ever
-- given in sqlite_sequence and never goes below it. A column's
-- AUTOINCREMENT cannot be added in place, so the table is rebuilt (SQLite's
-- documented twelve steps, https://sqlite.org/lang_altertable.html#otheralter).
-- Foreign keys must be off meanwhile: with them on, DROP TABLE would
-- delete every list membership (ON DELETE CASCADE) and unlink every
-- delivery and status change (ON DELETE SET NULL). The pragma has no effect
-- inside a transaction, and sqlx runs each migration in one, so Store::open
-- runs the migrations on a connection of its own with foreign keys off.
-- Should they be on anyway, this stops here, before anything is dropped.
CREATE TEMP TABLE rebuild_needs_foreign_keys_off (foreign_keys INTEGER CHECK (foreign_keys = 0));
INSERT INTO rebuild_needs_foreign_keys_off SELECT foreign_keys FROM pragma_foreign_keys;
DROP TABLE rebuild_needs_foreign_keys_off;

CREATE TABLE subscribers_rebuilt (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
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
    updated_at  INTEGER NOT NULL,
    -- 16 random bytes in the MAC of this person's link tokens
    -- (src/mail/token.rs), so an old link can never match someone else.
    -- The default gives one on every insert path. NULL: stored before this
    -- column existed; their tokens keep the old, salt-less form, so links
    -- in mail already sent keep working.
    link_salt   BLOB    DEFAULT (randomblob(16))
                CHECK (link_salt IS NULL OR length(link_salt) = 16)
);

-- Everyone keeps their id; NULL salts, as their links are already out.
INSERT INTO subscribers_rebuilt
    (id, email, name, status, language, attributes, created_at, updated_at, link_salt)
SELECT id, email, name, status, language, attributes, created_at, updated_at, NULL
FROM subscribers;

DROP TABLE subscribers;
ALTER TABLE subscribers_rebuilt RENAME TO subscribers;
CREATE INDEX subscribers_by_status ON subscribers (status);

-- Addresses that left (erased, unsubscribed, bounced, complained), as
-- HMAC-SHA256(secrets.suppression_key, address) only: no readable address.
-- `subscribers add` and `import` skip them; see src/store/suppressions.rs.
CREATE TABLE suppressions (
    hash    BLOB    PRIMARY KEY CHECK (length(hash) = 32),
    reason  TEXT    NOT NULL
            CHECK (reason IN ('erased', 'unsubscribed', 'bounced', 'complained')),
    at      INTEGER NOT NULL
) WITHOUT ROWID;

-- Step 10: the rebuild must have left every reference intact; a violation
-- fails the CHECK, and with it the migration (nothing is committed).
CREATE TEMP TABLE rebuild_check (violations INTEGER CHECK (violations = 0));
INSERT INTO rebuild_check SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE rebuild_check;
