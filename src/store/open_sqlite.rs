//! Opening a SQLite database: its files made for their owner (and
//! `files.group`) only, migrations on a connection of their own, the main
//! pool, and the durable pool for acknowledged writes ([`super::durable`]).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::backend::Db;
use super::durable::Durable;
use crate::config::DatabaseSettings;
use crate::error::{Error, Result};
use crate::private_file::FileAccess;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// Connections of the durable pool: its writers take the store's writer
/// lock, so one is busy at a time; a second keeps a slow one from
/// blocking the next.
const DURABLE_CONNECTIONS: u32 = 2;

/// Opens (creating if needed) and migrates the database at `path`.
pub(super) async fn open_sqlite(
    path: &Path,
    settings: &DatabaseSettings,
    access: &FileAccess,
) -> Result<(Db, Durable)> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        access.create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    // SQLite gives the -wal and -shm files the database file's mode, so
    // making that file first (0600) keeps all three private whatever the
    // umask.
    access
        .create_if_missing(path)
        .map_err(|e| Error::io(path, e))?;
    let options = SqliteConnectOptions::from_str("sqlite://")?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // WAL + NORMAL is durable against process crashes, which is what
        // the send guarantees need; writes someone is told about go
        // through the durable pool below, which syncs each commit.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        // Erased people must not linger in free pages.
        .pragma("secure_delete", "ON")
        // 16 MiB of page cache (negative: KiB): a million-row import
        // touches the whole email index.
        .pragma("cache_size", "-16384")
        // …but at most 24 MiB of SQLite's memory in all: that cache is per
        // connection, and over a long send to a million people every
        // connection of the pool filled its own (peak RSS 77 MB against
        // the 64 MB goal, BENCHMARKS.md). The limit is for the whole
        // process; SQLite frees cached pages to stay under it.
        .pragma("soft_heap_limit", "25165824")
        .busy_timeout(settings.busy_timeout());
    // Migrations run on a connection of their own with foreign keys off:
    // rebuilding a table (SQLite's only way to change a column, as
    // migrations/sqlite/20261130100000_* does) drops it, and with them on
    // the drop would cascade to every row that refers to it. Each rebuild
    // checks the foreign keys itself before it commits.
    let mut migrating = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(
        &options.clone().foreign_keys(false),
    )
    .await?;
    SQLITE_MIGRATIONS.run(&mut migrating).await?;
    sqlx::Connection::close(migrating).await?;
    // No ping before each use: a SQLite connection is a file, not a
    // socket that can die, and the ping is one more round trip to the
    // connection's thread on every query (BENCHMARKS.md, one-click).
    let pool = SqlitePoolOptions::new()
        .max_connections(settings.max_connections)
        .test_before_acquire(false)
        .connect_with(options.clone())
        .await?;
    let durable = SqlitePoolOptions::new()
        .max_connections(DURABLE_CONNECTIONS)
        .test_before_acquire(false)
        .connect_with(options.synchronous(SqliteSynchronous::Full))
        .await?;
    restrict_files(path, access)?;
    Ok((
        Db::Sqlite(pool),
        Durable {
            db: Db::Sqlite(durable),
        },
    ))
}

/// Gives the database and the -wal and -shm files SQLite made the access
/// asked for: their group (SQLite does not set it unless run as root), and
/// a mode for databases made before postbode restricted them.
fn restrict_files(path: &Path, access: &FileAccess) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        access.restrict(&file).map_err(|e| Error::io(&file, e))?;
    }
    Ok(())
}
