//! The pool for writes someone is told about: a status change that a page
//! confirms (a one-click unsubscribe, a confirmation), that the CLI
//! reports, that a bounce webhook answers 200 for. Such a commit must be on
//! disk before the answer goes out, or a power cut after "you are
//! unsubscribed" can bring the person back.
//!
//! SQLite in WAL mode with `synchronous=NORMAL` (the main pool's setting,
//! right for sending and imports) does not sync a commit; `FULL` syncs the
//! WAL at every commit. The setting is per connection, so these writes get
//! connections of their own. Syncing the WAL also makes every commit
//! before it durable. PostgreSQL syncs every commit while
//! `synchronous_commit` is on, its default, which postbode never changes;
//! there the durable pool is the main pool.

use super::Store;
use super::backend::Db;
use crate::error::Result;

/// The connections acknowledged writes commit on (see the module doc).
#[derive(Clone, Debug)]
pub(crate) struct Durable {
    pub db: Db,
}

/// How a commit on the durable pool reaches the disk, as the database
/// itself reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommitDurability {
    /// SQLite's `PRAGMA synchronous`: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
    SqliteSynchronous(i64),
    /// PostgreSQL's `synchronous_commit`: on, remote_apply, remote_write,
    /// local or off.
    PostgresSynchronousCommit(String),
}

impl CommitDurability {
    /// True when a commit returns only once it is on this machine's disk.
    pub fn waits_for_disk(&self) -> bool {
        match self {
            CommitDurability::SqliteSynchronous(level) => *level >= 2,
            CommitDurability::PostgresSynchronousCommit(setting) => setting != "off",
        }
    }
}

impl Store {
    /// The durability of the connections status changes commit on, read
    /// from one of them.
    pub async fn status_change_durability(&self) -> Result<CommitDurability> {
        Ok(match &self.durable.db {
            Db::Sqlite(pool) => CommitDurability::SqliteSynchronous(
                sqlx::query_scalar("PRAGMA synchronous")
                    .fetch_one(pool)
                    .await?,
            ),
            Db::Postgres(pool) => CommitDurability::PostgresSynchronousCommit(
                sqlx::query_scalar("SHOW synchronous_commit")
                    .fetch_one(pool)
                    .await?,
            ),
        })
    }
}
