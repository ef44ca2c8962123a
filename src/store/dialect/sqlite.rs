//! SQLite's SQL where it differs from PostgreSQL's.

use super::{select_subscriber, subscriber_filter};
use crate::store::backend::Dialect;

pub const DIALECT: Dialect = Dialect {
    begin_write: "BEGIN IMMEDIATE",
    for_update: "",
    find_subscriber: concat!(select_subscriber!("group_concat"), " WHERE s.email = $1"),
    list_subscribers: concat!(select_subscriber!("group_concat"), subscriber_filter!()),
    attribute_keys: "SELECT DISTINCT j.key FROM subscribers s, json_each(s.attributes) j ORDER BY 1",
    // Old page images in the write-ahead log still hold the person.
    after_erasure: "PRAGMA wal_checkpoint(TRUNCATE)",
    clock_us: "",
    // A deferred transaction in WAL mode reads one snapshot.
    begin_snapshot: "BEGIN",
    // INTEGER PRIMARY KEY continues after the highest id by itself.
    after_copy: &[],
    // AUTOINCREMENT keeps the highest id ever given in sqlite_sequence.
    subscriber_ids_given: "SELECT max(coalesce((SELECT max(id) FROM subscribers), 0), \
                           coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'subscribers'), 0))",
    // Copying rows in with their ids has set it to the highest copied;
    // the source may have given higher ones since erased.
    subscriber_ids_after: &[
        "UPDATE sqlite_sequence SET seq = max(seq, $1) WHERE name = 'subscribers'",
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'subscribers', $1 \
         WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'subscribers')",
    ],
};
