-- As migrations/sqlite/20261130100000_ids_links_suppressions.sql. Identity
-- columns never hand out an id twice already (migrate-store carries the
-- sequence's high-water mark), so only the link salt and the suppression
-- list are new here.

-- Added without a default first, so people stored before keep NULL (their
-- links are already out); then every new row gets 16 bytes (a version 4
-- UUID: 122 of its bits random), on whatever path it is inserted.
ALTER TABLE subscribers ADD COLUMN link_salt BYTEA
    CHECK (link_salt IS NULL OR octet_length(link_salt) = 16);
ALTER TABLE subscribers ALTER COLUMN link_salt SET DEFAULT uuid_send(gen_random_uuid());

CREATE TABLE suppressions (
    hash    BYTEA  PRIMARY KEY CHECK (octet_length(hash) = 32),
    reason  TEXT   NOT NULL
            CHECK (reason IN ('erased', 'unsubscribed', 'bounced', 'complained')),
    at      BIGINT NOT NULL
);
