//! The subscriber store: subscribers, lists and memberships, and the log of
//! status changes. SQLite (WAL) through sqlx; the schema is in
//! `migrations/sqlite/`, embedded in the binary and applied on open.
//!
//! Layout: [`subscribers`] (one person at a time), [`import_batch`] (many at
//! once, for CSV imports), [`lists`], [`issues`] (queued and sent issues),
//! [`deliveries`] (claims with leases, outcomes), [`archive`] (the public
//! archive and metrics queries), [`timestamp`].

mod archive;
mod deliveries;
mod import_batch;
mod issue_control;
mod issues;
mod lists;
pub mod status_batch;
mod subscriber_status;
mod subscribers;
mod timestamp;

use std::str::FromStr;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use archive::{ArchivedIssue, MetricsSnapshot};
pub use deliveries::{Claimed, Outcome};
pub use import_batch::{BatchCounts, ImportPolicy, ImportRow, Importer};
pub use issue_control::PausedBy;
pub use issues::{DeliveryCounts, Issue, IssueStatus, NewIssue};
pub use subscribers::{Erased, NewSubscriber, StatusChange, Subscriber, SubscriberFilter};
pub use timestamp::{format_ms, now_ms};

use crate::config::{DatabaseSettings, DatabaseUrl};
use crate::error::{Error, Result};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// A handle on the database; cheap to clone (it is a pool).
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// Serialises the public pages' writes in-process (see
    /// `set_status_by_id`).
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Store {
    /// Opens (creating if needed) and migrates the configured database.
    pub async fn open(settings: &DatabaseSettings) -> Result<Store> {
        match &settings.url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                }
                let options = SqliteConnectOptions::from_str("sqlite://")?
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // WAL + NORMAL is durable against process crashes, which
                    // is what the send guarantees need; fsync per commit
                    // would only add protection against power loss.
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    // Erased people must not linger in free pages.
                    .pragma("secure_delete", "ON")
                    // 16 MiB of page cache (negative: KiB): a million-row
                    // import touches the whole email index.
                    .pragma("cache_size", "-16384")
                    .busy_timeout(settings.busy_timeout());
                let pool = SqlitePoolOptions::new()
                    .max_connections(settings.max_connections)
                    .connect_with(options)
                    .await?;
                SQLITE_MIGRATIONS.run(&pool).await?;
                Ok(Store {
                    pool,
                    writer: std::sync::Arc::default(),
                })
            }
            DatabaseUrl::Postgres(_) => Err(Error::Config(
                "setting database.url: PostgreSQL is not supported yet; use sqlite://FILE".into(),
            )),
        }
    }

    /// Closes the pool, waiting for connections to finish (and the WAL to
    /// be checkpointed).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// True when the database answers a trivial query.
    pub async fn is_healthy(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}
