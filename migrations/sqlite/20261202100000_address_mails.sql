-- The public pages' mails per mailbox (src/store/address_mails.rs): one
-- row per confirmation or unsubscribe-link mail the forms sent, so the
-- limit per mailbox holds across restarts. `hash` is HMAC-SHA256 under
-- secrets.suppression_key of the normalised mailbox (case, +tag and
-- gmail's dots folded): no readable address. Rows older than the window
-- are swept.
CREATE TABLE address_mails (
    hash BLOB    NOT NULL,
    at   INTEGER NOT NULL
);

CREATE INDEX address_mails_by_hash ON address_mails (hash, at);
CREATE INDEX address_mails_by_at ON address_mails (at);
