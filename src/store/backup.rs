//! `postbode backup FILE`: a consistent copy of a SQLite database while
//! postbode runs.
//!
//! SQLite's `VACUUM INTO` writes the database as one read transaction sees
//! it, so writers (a `serve` taking unsubscribes, a send) carry on and the
//! copy holds every commit before it started and none after. The copy is
//! a plain database (no -wal file beside it) that postbode opens as it is.
//!
//! The file is made here first, empty, with the access of every other file
//! postbode writes ([`FileAccess`]: 0600, or 0640 with `files.group`; no
//! link followed), and `VACUUM INTO` fills it: SQLite takes an empty file.
//! A file that is there already is never overwritten, and a copy that
//! fails is removed, so FILE is either a whole copy or absent.
//!
//! PostgreSQL has its own tool for this, `pg_dump`; the error names the
//! command ([`pg_dump_advice`]).

use std::path::Path;

use super::Store;
use super::backend::Db;
use crate::error::{Error, Result};
use crate::private_file::FileAccess;

impl Store {
    /// Writes a consistent copy of this SQLite database to `file`, which
    /// must not exist; returns its size in bytes. On PostgreSQL nothing is
    /// written and the error says how to use `pg_dump` ([`Error::Input`]).
    pub async fn backup_to(&self, file: &Path, access: &FileAccess) -> Result<u64> {
        let Db::Sqlite(pool) = &self.db else {
            return Err(Error::Input(pg_dump_advice(file)));
        };
        let name = file.to_str().ok_or_else(|| {
            Error::Input(format!(
                "{}: give the backup a file name in UTF-8 (SQLite takes the name as text)",
                file.display()
            ))
        })?;
        access.create_new(file).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Error::Input(format!(
                "{}: a file is there already; a backup never overwrites one (remove it, or give another name)",
                file.display()
            )),
            _ => Error::io(file, e),
        })?;
        let copied = async {
            sqlx::query("VACUUM INTO $1")
                .bind(name)
                .execute(pool)
                .await?;
            // VACUUM INTO does not sync what it wrote: a backup the cron
            // job reported made must survive a power cut too.
            let written = std::fs::File::open(file).and_then(|f| {
                f.sync_all()?;
                f.metadata()
            });
            written.map(|m| m.len()).map_err(|e| Error::io(file, e))
        }
        .await;
        if copied.is_err() {
            // Half a copy is worse than none: it looks like a backup.
            let _ = std::fs::remove_file(file);
        }
        copied
    }
}

/// What to run instead on PostgreSQL, for the database's own name (the
/// connection details come from the environment or ~/.pgpass, so no
/// password is printed).
pub fn pg_dump_advice(file: &Path) -> String {
    format!(
        "the database is PostgreSQL: back it up with its own tool, e.g.\n  \
         pg_dump --format=custom --file={} \"$DATABASE_URL\"\n\
         with DATABASE_URL the value of database.url (pg_dump takes the password \
         from ~/.pgpass or PGPASSWORD); restore with pg_restore --dbname=URL {}",
        shell_word(file),
        shell_word(file)
    )
}

/// `path` as one shell word.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    if text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@".contains(&b))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pg_dump_advice_names_the_file_as_one_shell_word() {
        assert!(
            pg_dump_advice(Path::new("/var/backups/pb.dump"))
                .contains("pg_dump --format=custom --file=/var/backups/pb.dump ")
        );
        assert!(pg_dump_advice(Path::new("my backup's.dump")).contains("'my backup'\\''s.dump'"));
    }
}
