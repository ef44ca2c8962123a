//! PostgreSQL's SQL where it differs from SQLite's.

use super::{select_subscriber, subscriber_filter};
use crate::store::backend::Dialect;

pub const DIALECT: Dialect = Dialect {
    begin_write: "BEGIN",
    for_update: " FOR UPDATE",
    find_subscriber: concat!(select_subscriber!("string_agg"), " WHERE s.email = $1"),
    list_subscribers: concat!(select_subscriber!("string_agg"), subscriber_filter!()),
    // In byte order, as SQLite sorts, whatever the database's collation.
    attribute_keys: "SELECT DISTINCT k COLLATE \"C\" FROM subscribers s, \
                     jsonb_object_keys(s.attributes::jsonb) k ORDER BY 1",
    // Deleted rows stay in the table's pages as dead tuples until vacuumed.
    after_erasure: "VACUUM subscribers, status_changes, deliveries, consents",
    clock_us: "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint",
    begin_snapshot: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    after_copy: &[
        "SELECT setval(pg_get_serial_sequence('lists', 'id'), coalesce((SELECT max(id) FROM lists), 0) + 1, false)",
        "SELECT setval(pg_get_serial_sequence('subscribers', 'id'), coalesce((SELECT max(id) FROM subscribers), 0) + 1, false)",
        "SELECT setval(pg_get_serial_sequence('status_changes', 'id'), coalesce((SELECT max(id) FROM status_changes), 0) + 1, false)",
        "SELECT setval(pg_get_serial_sequence('erasures', 'id'), coalesce((SELECT max(id) FROM erasures), 0) + 1, false)",
        "SELECT setval(pg_get_serial_sequence('issues', 'id'), coalesce((SELECT max(id) FROM issues), 0) + 1, false)",
        "SELECT setval(pg_get_serial_sequence('deliveries', 'id'), coalesce((SELECT max(id) FROM deliveries), 0) + 1, false)",
        "SELECT setval(pg_get_serial_sequence('system_mails', 'id'), coalesce((SELECT max(id) FROM system_mails), 0) + 1, false)",
        "SELECT setval(pg_get_serial_sequence('consents', 'id'), coalesce((SELECT max(id) FROM consents), 0) + 1, false)",
        "SELECT setval(pg_get_serial_sequence('media', 'id'), coalesce((SELECT max(id) FROM media), 0) + 1, false)",
        "SELECT setval(pg_get_serial_sequence('bounce_reports', 'id'), coalesce((SELECT max(id) FROM bounce_reports), 0) + 1, false)",
    ],
    // The identity sequence's last value (NULL before its first use).
    subscriber_ids_given: "SELECT greatest(coalesce((SELECT max(id) FROM subscribers), 0), \
                           coalesce(pg_sequence_last_value(pg_get_serial_sequence('subscribers', 'id')::regclass), 0))",
    subscriber_ids_after: &[
        "SELECT setval(pg_get_serial_sequence('subscribers', 'id'), \
                             greatest($1, coalesce((SELECT max(id) FROM subscribers), 0)) + 1, false)",
    ],
};
