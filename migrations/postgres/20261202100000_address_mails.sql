-- As migrations/sqlite/20261202100000_address_mails.sql.
CREATE TABLE address_mails (
    hash BYTEA  NOT NULL,
    at   BIGINT NOT NULL
);

CREATE INDEX address_mails_by_hash ON address_mails (hash, at);
CREATE INDEX address_mails_by_at ON address_mails (at);
