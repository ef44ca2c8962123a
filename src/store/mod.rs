//! The subscriber store: subscribers, lists and memberships, the log of
//! status changes, issues and their deliveries. SQLite (WAL) by default,
//! PostgreSQL for lists and senders that outgrow one machine, both
//! through sqlx; each backend's schema is in `migrations/<backend>/`,
//! embedded in the binary and applied on open.
//!
//! Layout: [`backend`] (the pool, and running one query on either
//! backend), `dialect/` (the SQL that differs), [`subscribers`] (one
//! person at a time), [`import_batch`] (many at once, for CSV imports),
//! [`lists`], [`issues`] (queued and sent issues), [`deliveries`] (claims
//! with leases, outcomes), [`pace`] (the send rate shared by every
//! sender), [`archive`] (the public archive and metrics queries),
//! [`copy`] (`migrate-store`), [`status_batch`] (the public pages' group
//! commit), [`status_change`] (every status change: the table, then
//! one check-and-set), [`status_effects`] (what a batch of them writes
//! besides the status, once per batch), [`suppressions`] (the suppression list),
//! [`system_mails`] (confirmations and unsubscribe links mailed to
//! one person, and the pending expiry), [`consent`] (proof of consent),
//! [`address_mails`] (the public pages' mails per mailbox),
//! [`open_sqlite`] (a SQLite database's files and pools), [`durable`] (the
//! connections status changes commit on, synced before they return),
//! [`status_log`] (one person's status history), [`backup`] (`postbode
//! backup`: a consistent copy of a SQLite database in use), [`timestamp`].

mod address_mails;
mod archive;
mod backend;
mod backup;
mod bounce_reports;
mod consent;
mod copy;
mod deliveries;
mod dialect;
mod durable;
mod import_batch;
mod issue_control;
mod issue_failures;
mod issue_feedback;
mod issue_schedule;
mod issues;
mod lists;
mod media;
mod open_sqlite;
mod pace;
mod status_batch;
mod status_change;
mod status_effects;
mod status_log;
mod subscriber_status;
mod subscribers;
mod suppressions;
mod system_mails;
mod timestamp;

use std::str::FromStr;

use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub use archive::{ArchivedIssue, MetricsSnapshot};
pub(crate) use backend::Db;
pub use bounce_reports::{BounceRecord, DeliveryRecipient};
pub use consent::{Consent, ConsentWay};
pub use copy::{CopyReport, TABLES};
pub use deliveries::{Claimed, Outcome};
pub use durable::CommitDurability;
pub use import_batch::{BatchCounts, ImportPolicy, ImportRow, Importer, SuppressedCounts};
pub use issue_control::PausedBy;
pub use issue_failures::{FailedReports, FailurePause};
pub use issue_feedback::FeedbackCounts;
pub use issues::{DeliveryCounts, Issue, IssueStatus, NewIssue};
pub use pace::{CapWindow, Reservation, local_now_us};
pub use status_batch::StatusRequest;
pub use status_log::{ChangeReport, LoggedChange, RecordedReport};
pub use subscribers::{Added, Erased, NewSubscriber, Subscriber, SubscriberFilter};
pub use suppressions::Unsuppressed;
pub use system_mails::{ERASED_BY_ADMIN, ERASED_PENDING_EXPIRED, Recipient, SystemMailKind};
pub use timestamp::{format_ms, format_ms_in, now_ms};

use crate::config::{DatabaseSettings, DatabaseUrl, redact_secrets};
use crate::error::{Error, Result};
use crate::private_file::FileAccess;

static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// A handle on the database; cheap to clone (it is a pool).
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// Where status changes commit: on disk before they return
    /// ([`durable`]).
    durable: durable::Durable,
    /// Serialises the public pages' writes in-process (see
    /// `set_status_by_id`).
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// `secrets.suppression_key`, for the suppression list's hashes (see
    /// [`Store::with_suppression_key`]).
    suppression: Option<crate::domain::SuppressionKey>,
}

/// Which kind of database a store is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Store {
    /// Opens (creating if needed) and migrates the configured database;
    /// a SQLite database's files are for their owner only.
    pub async fn open(settings: &DatabaseSettings) -> Result<Store> {
        Self::open_with_access(settings, &FileAccess::owner_only()).await
    }

    /// [`Store::open`], with a SQLite database's files made with `access`
    /// (`files.group`).
    pub async fn open_with_access(
        settings: &DatabaseSettings,
        access: &FileAccess,
    ) -> Result<Store> {
        let (db, durable) = match &settings.url {
            DatabaseUrl::Sqlite(path) => open_sqlite::open_sqlite(path, settings, access).await?,
            DatabaseUrl::Postgres(url) => {
                let options = PgConnectOptions::from_str(url.expose_secret())
                    .map_err(|e| {
                        Error::Config(format!(
                            "setting database.url: {}",
                            redact_secrets(&e.to_string())
                        ))
                    })?
                    // A statement stuck behind a lock fails instead of
                    // hanging a cron run forever.
                    .options([(
                        "lock_timeout",
                        format!("{}ms", settings.busy_timeout_ms.max(1)),
                    )]);
                // One connection first, so a server that is down or refuses
                // us is named at once, not after the pool's 30 s of retries.
                let probe = tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    <sqlx::PgConnection as sqlx::Connection>::connect_with(&options),
                )
                .await;
                // The URL's Debug hides its passwords; the reason goes
                // through the same redaction, in case it quotes the URL.
                let cannot = |why: String| {
                    Error::Failed(format!(
                        "cannot connect to PostgreSQL at {:?} (database.url): {}",
                        settings.url,
                        redact_secrets(&why)
                    ))
                };
                match probe {
                    Ok(Ok(conn)) => {
                        let _ = sqlx::Connection::close(conn).await;
                    }
                    Ok(Err(e)) => return Err(cannot(e.to_string())),
                    Err(_) => return Err(cannot("no answer within 10 s".into())),
                }
                let pool = PgPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(std::time::Duration::from_secs(30))
                    .connect_with(options)
                    .await?;
                POSTGRES_MIGRATIONS.run(&pool).await?;
                // synchronous_commit stays on (the default): commits are
                // on disk before they return.
                let durable = durable::Durable {
                    db: Db::Postgres(pool.clone()),
                };
                (Db::Postgres(pool), durable)
            }
        };
        Ok(Store {
            db,
            durable,
            writer: std::sync::Arc::default(),
            suppression: None,
        })
    }

    /// The kind of database this store is on.
    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes the pool, waiting for connections to finish (and the WAL to
    /// be checkpointed).
    pub async fn close(&self) {
        on_db!(self.durable, pool, _sql => pool.close().await);
        on_db!(self, pool, _sql => pool.close().await)
    }

    /// True when the database answers a trivial query.
    pub async fn is_healthy(&self) -> bool {
        on_db!(self, pool, _sql => sqlx::query("SELECT 1").execute(pool).await.is_ok())
    }

    /// Runs one statement of SQL with no parameters; for tests and tools
    /// that inspect or prepare a database directly.
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        Ok(on_db!(self, pool, _sql => sqlx::raw_sql(sql).execute(pool).await?.rows_affected()))
    }
}

use backend::on_db;

#[cfg(test)]
impl Store {
    /// The SQLite pool of a store the test opened on SQLite.
    pub(crate) fn sqlite_pool(&self) -> &sqlx::SqlitePool {
        match &self.db {
            Db::Sqlite(pool) => pool,
            Db::Postgres(_) => panic!("this test opens a SQLite store"),
        }
    }
}
