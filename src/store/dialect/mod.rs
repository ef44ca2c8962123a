//! The SQL that differs between backends, one file per backend.

pub mod postgres;
pub mod sqlite;

/// The columns of a subscriber row, with the lists they are on joined by
/// `;` through `$agg` (each backend names that aggregate differently).
macro_rules! select_subscriber {
    ($agg:literal) => {
        concat!(
            "SELECT s.id, s.email, s.name, s.status, s.language, s.attributes, \
               s.created_at, s.updated_at, \
               (SELECT ",
            $agg,
            "(l.name, ';') FROM list_members m JOIN lists l ON l.id = m.list_id \
                 WHERE m.subscriber_id = s.id) AS lists \
             FROM subscribers s"
        )
    };
}
pub(super) use select_subscriber;

/// The WHERE clause of `list_subscribers`.
macro_rules! subscriber_filter {
    () => {
        " WHERE ($1 IS NULL OR s.status = $1) \
           AND ($2 IS NULL OR EXISTS (SELECT 1 FROM list_members m JOIN lists l \
                 ON l.id = m.list_id WHERE m.subscriber_id = s.id AND l.name = $2)) \
         ORDER BY s.id"
    };
}
pub(super) use subscriber_filter;
