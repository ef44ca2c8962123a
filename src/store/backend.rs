//! Which database the store talks to, and how store code runs the same
//! query on either.
//!
//! Store methods are written once, against a pool whose type the
//! [`on_db!`] macro fills in: the body is compiled twice, once for SQLite
//! and once for PostgreSQL, so sqlx checks every bind and decode for both.
//! SQL text is shared where the two agree (`$1` placeholders, which sqlx
//! also accepts for SQLite); what differs lives in one [`Dialect`] per
//! backend (`dialect/sqlite.rs`, `dialect/postgres.rs`), and the few
//! operations that differ in shape, not just in text (batch imports,
//! claims, the shared send pace), match on [`Db`] themselves.

use sqlx::{PgPool, SqlitePool};

/// The pool of the configured backend.
#[derive(Clone, Debug)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// SQL whose text differs between the backends.
#[derive(Debug)]
pub(crate) struct Dialect {
    /// Starts a transaction that will write. SQLite takes the write lock
    /// up front (`IMMEDIATE`), so a reader never fails to upgrade;
    /// PostgreSQL locks rows as they are read with [`Dialect::for_update`].
    pub begin_write: &'static str,
    /// Appended to a SELECT of rows the transaction will then change.
    pub for_update: &'static str,
    /// One subscriber by address (`$1`), with their lists joined by `;`.
    pub find_subscriber: &'static str,
    /// Subscribers by optional status (`$1`) and list (`$2`), oldest first.
    pub list_subscribers: &'static str,
    /// Every attribute name in use, sorted.
    pub attribute_keys: &'static str,
    /// Run after erasing a person, so no copy of their row lingers in
    /// the database files (WAL pages, dead tuples).
    pub after_erasure: &'static str,
    /// The database's clock in Unix microseconds, for the shared send
    /// pace; empty where the database runs in this process (SQLite), whose
    /// clock is ours.
    pub clock_us: &'static str,
    /// Starts a read-only transaction that sees one snapshot throughout,
    /// for `migrate-store` to copy a database that is in use.
    pub begin_snapshot: &'static str,
    /// Run after rows were copied in with their ids, so new rows get
    /// ids after them (PostgreSQL's identity sequences).
    pub after_copy: &'static [&'static str],
    /// The highest subscriber id ever given: the highest stored, or the
    /// sequence's high-water mark when erasures took the highest away.
    /// `migrate-store` carries it over, so an erased person's id is not
    /// handed out after the copy either.
    pub subscriber_ids_given: &'static str,
    /// Make new subscriber ids start after `$1` (at least); run in order,
    /// each with `$1` bound.
    pub subscriber_ids_after: &'static [&'static str],
}

/// Runs `$body` with `$pool` bound to the store's pool (SQLite or
/// PostgreSQL) and `$sql` to that backend's [`Dialect`].
macro_rules! on_db {
    ($store:expr, $pool:ident, $sql:ident => $body:expr) => {
        match &$store.db {
            $crate::store::backend::Db::Sqlite($pool) => {
                #[allow(unused_variables)]
                let $sql = &$crate::store::dialect::sqlite::DIALECT;
                $body
            }
            $crate::store::backend::Db::Postgres($pool) => {
                #[allow(unused_variables)]
                let $sql = &$crate::store::dialect::postgres::DIALECT;
                $body
            }
        }
    };
}
pub(crate) use on_db;
