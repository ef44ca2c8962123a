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
};
