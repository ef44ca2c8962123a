//! `migrate-store`: copy everything from one database to another (SQLite
//! to PostgreSQL, or back), keeping ids, link salts and the suppression
//! list, then count both sides. The highest subscriber id ever given goes
//! along too (SQLite's `sqlite_sequence`, PostgreSQL's identity sequence),
//! so an id erased before the copy is not handed out after it.
//!
//! The source is read in one snapshot, so a copy taken while `serve` runs
//! is consistent; the target is written in one transaction, so a copy that
//! fails leaves it empty. Rows go over in batches of [`BATCH`] by key
//! order, so memory stays flat however big the list.

use super::Store;
use super::backend::on_db;
use crate::error::{Error, Result};

/// Rows per round trip. With at most 17 columns, well under SQLite's
/// 32,766 and PostgreSQL's 65,535 parameters per statement.
const BATCH: usize = 1000;

/// The tables, in an order that satisfies their foreign keys.
pub const TABLES: [&str; 14] = [
    "lists",
    "subscribers",
    "list_members",
    "status_changes",
    "erasures",
    "issues",
    "deliveries",
    "send_pace",
    "send_starts",
    "system_mails",
    "consents",
    "suppressions",
    "bounce_reports",
    "media",
];

/// Rows per table, in the source and in the target after the copy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// (table, rows in the source, rows in the target).
    pub tables: Vec<(&'static str, i64, i64)>,
}

impl CopyReport {
    /// True when every table has as many rows in the target as in the source.
    pub fn verified(&self) -> bool {
        self.tables.iter().all(|(_, from, to)| from == to)
    }
}

/// Copies one table in key order: `$table`, its column list, its key
/// column (an integer), the row type, and the row's fields (tuple indexes
/// or names) in column order, the key's first.
macro_rules! copy_table {
    ($src:ident, $dst:ident, $table:literal, $cols:literal, $key:literal,
     $row:ty, ($k:tt $(, $i:tt)*)) => {{
        let mut after = i64::MIN;
        loop {
            let rows: Vec<$row> = sqlx::query_as(concat!(
                "SELECT ", $cols, " FROM ", $table, " WHERE ", $key, " > $1 ORDER BY ", $key,
                " LIMIT 1000"
            ))
            .bind(after)
            .fetch_all(&mut *$src)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.$k;
            let mut insert =
                sqlx::QueryBuilder::new(concat!("INSERT INTO ", $table, " (", $cols, ") "));
            insert.push_values(&rows, |mut b, row| {
                b.push_bind(row.$k);
                $( b.push_bind(row.$i.clone()); )*
            });
            insert.build().execute(&mut *$dst).await?;
            if rows.len() < BATCH {
                break;
            }
        }
    }};
}

/// `list_members`, whose key has two columns: keyset pagination on both.
macro_rules! copy_members {
    ($src:ident, $dst:ident) => {{
        let mut after = (i64::MIN, i64::MIN);
        loop {
            let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
                "SELECT subscriber_id, list_id, added_at FROM list_members \
                 WHERE (subscriber_id, list_id) > ($1, $2) \
                 ORDER BY subscriber_id, list_id LIMIT 1000",
            )
            .bind(after.0)
            .bind(after.1)
            .fetch_all(&mut *$src)
            .await?;
            let Some(last) = rows.last() else { break };
            after = (last.0, last.1);
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO list_members (subscriber_id, list_id, added_at) ",
            );
            insert.push_values(&rows, |mut b, row| {
                b.push_bind(row.0).push_bind(row.1).push_bind(row.2);
            });
            insert.build().execute(&mut *$dst).await?;
            if rows.len() < BATCH {
                break;
            }
        }
    }};
}

/// `suppressions`, whose key is a hash: keyset pagination on it (both
/// backends order bytes the same way).
macro_rules! copy_suppressions {
    ($src:ident, $dst:ident) => {{
        let mut after: Vec<u8> = Vec::new();
        loop {
            let rows: Vec<(Vec<u8>, String, i64)> = sqlx::query_as(
                "SELECT hash, reason, at FROM suppressions WHERE hash > $1 ORDER BY hash LIMIT 1000",
            )
            .bind(&after)
            .fetch_all(&mut *$src)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.0.clone();
            let mut insert = sqlx::QueryBuilder::new("INSERT INTO suppressions (hash, reason, at) ");
            insert.push_values(&rows, |mut b, row| {
                b.push_bind(row.0.clone()).push_bind(row.1.clone()).push_bind(row.2);
            });
            insert.build().execute(&mut *$dst).await?;
            if rows.len() < BATCH {
                break;
            }
        }
    }};
}

/// A `subscribers` row, with the link salt (NULL for people stored before
/// salts existed: their links stay as they were).
#[derive(sqlx::FromRow)]
struct SubscriberCopy {
    id: i64,
    email: String,
    name: Option<String>,
    status: String,
    language: Option<String>,
    attributes: String,
    created_at: i64,
    updated_at: i64,
    link_salt: Option<Vec<u8>>,
}

/// An `issues` row: more columns than sqlx decodes into a tuple.
#[derive(sqlx::FromRow)]
struct IssueCopy {
    id: i64,
    slug: String,
    subject: String,
    preheader: String,
    issue_date: String,
    list_id: i64,
    html_template: String,
    text_template: String,
    web_html: String,
    status: String,
    send_at: i64,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    recipients: i64,
    paused_reason: Option<String>,
    paused_by: Option<String>,
    failed_brake_count: Option<i64>,
}

/// Copies the people: lists, subscribers, the suppression list, list
/// members, the status log and erasures, in that order; evaluates to the
/// highest subscriber id the source ever gave (`$sql` is the source's
/// dialect), read in the same snapshot.
macro_rules! copy_people {
    ($src:ident, $dst:ident, $sql:ident) => {{
        copy_table!(
            $src,
            $dst,
            "lists",
            "id, name, created_at",
            "id",
            (i64, String, i64),
            (0, 1, 2)
        );
        copy_table!(
            $src,
            $dst,
            "subscribers",
            "id, email, name, status, language, attributes, created_at, updated_at, link_salt",
            "id",
            SubscriberCopy,
            (
                id, email, name, status, language, attributes, created_at, updated_at, link_salt
            )
        );
        let ids_given: i64 = sqlx::query_scalar($sql.subscriber_ids_given)
            .fetch_one(&mut *$src)
            .await?;
        copy_suppressions!($src, $dst);
        copy_members!($src, $dst);
        copy_table!(
            $src,
            $dst,
            "status_changes",
            "id, subscriber_id, at, from_status, to_status, source, detail, report_key",
            "id",
            (
                i64,
                Option<i64>,
                i64,
                Option<String>,
                String,
                String,
                Option<String>,
                Option<String>
            ),
            (0, 1, 2, 3, 4, 5, 6, 7)
        );
        copy_table!(
            $src,
            $dst,
            "erasures",
            "id, at, status, reason",
            "id",
            (i64, i64, String, String),
            (0, 1, 2, 3)
        );
        ids_given
    }};
}

/// Copies the sending: issues, their deliveries and the shared send pace
/// (`send_pace`, `send_starts`), in that order.
macro_rules! copy_sending {
    ($src:ident, $dst:ident) => {{
        copy_table!(
            $src,
            $dst,
            "issues",
            "id, slug, subject, preheader, issue_date, list_id, html_template, \
             text_template, web_html, status, send_at, created_at, started_at, \
             finished_at, recipients, paused_reason, paused_by, failed_brake_count",
            "id",
            IssueCopy,
            (
                id,
                slug,
                subject,
                preheader,
                issue_date,
                list_id,
                html_template,
                text_template,
                web_html,
                status,
                send_at,
                created_at,
                started_at,
                finished_at,
                recipients,
                paused_reason,
                paused_by,
                failed_brake_count
            )
        );
        copy_table!(
            $src,
            $dst,
            "deliveries",
            "id, issue_id, subscriber_id, status, attempts, next_attempt_at, lease_owner, \
             last_reply, message_id, sent_at",
            "id",
            (
                i64,
                i64,
                Option<i64>,
                String,
                i64,
                i64,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<i64>
            ),
            (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
        );
        copy_table!(
            $src,
            $dst,
            "send_pace",
            "id, next_start",
            "id",
            (i64, i64),
            (0, 1)
        );
        copy_table!(
            $src,
            $dst,
            "send_starts",
            "minute, started",
            "minute",
            (i64, i64),
            (0, 1)
        );
    }};
}

/// Copies the records kept about people and issues: system mails sent,
/// consents, bounce reports, and the issues' images, in that order.
macro_rules! copy_records {
    ($src:ident, $dst:ident) => {{
        copy_table!(
            $src,
            $dst,
            "system_mails",
            "id, subscriber_id, kind, source, at",
            "id",
            (i64, i64, String, String, i64),
            (0, 1, 2, 3, 4)
        );
        copy_table!(
            $src,
            $dst,
            "consents",
            "id, subscriber_id, method, at, list_name, language, client, basis, confirmed_at",
            "id",
            (
                i64,
                i64,
                String,
                i64,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<i64>
            ),
            (0, 1, 2, 3, 4, 5, 6, 7, 8)
        );
        copy_table!(
            $src,
            $dst,
            "bounce_reports",
            "id, report_key, kind, delivery_id, subscriber_id, reason, at",
            "id",
            (i64, String, String, Option<i64>, Option<i64>, String, i64),
            (0, 1, 2, 3, 4, 5, 6)
        );
        copy_table!(
            $src,
            $dst,
            "media",
            "id, name, content_type, bytes, created_at",
            "id",
            (i64, String, String, Vec<u8>, i64),
            (0, 1, 2, 3, 4)
        );
    }};
}

impl Store {
    /// Copies every row of this store into `target`, which must be empty,
    /// then counts both.
    pub async fn copy_into(&self, target: &Store) -> Result<CopyReport> {
        target.refuse_unless_empty().await?;
        on_db!(target, dpool, dsql => {
            let mut dst = dpool.begin_with(dsql.begin_write).await?;
            // Migrations put the pace's one row in; the source's replaces it.
            sqlx::query("DELETE FROM send_pace").execute(&mut *dst).await?;
            let ids_given: i64 = on_db!(self, spool, ssql => {
                let mut src = spool.begin_with(ssql.begin_snapshot).await?;
                let ids_given = copy_people!(src, dst, ssql);
                copy_sending!(src, dst);
                copy_records!(src, dst);
                src.commit().await?;
                ids_given
            });
            for statement in dsql.after_copy {
                sqlx::query(statement).execute(&mut *dst).await?;
            }
            for statement in dsql.subscriber_ids_after {
                sqlx::query(statement).bind(ids_given).execute(&mut *dst).await?;
            }
            dst.commit().await?;
        });
        self.count_against(target).await
    }

    /// Refuses a target that holds lists, subscribers or issues: a copy
    /// goes into an empty database only, so nothing is mixed or overwritten.
    async fn refuse_unless_empty(&self) -> Result<()> {
        let already = self.row_count("subscribers").await?
            + self.row_count("issues").await?
            + self.row_count("lists").await?;
        if already > 0 {
            return Err(Error::Input(
                "the target database is not empty (it has lists, subscribers or issues); \
                 migrate-store copies into an empty database only"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Rows per table here and in `target`, after a copy.
    async fn count_against(&self, target: &Store) -> Result<CopyReport> {
        let mut report = CopyReport::default();
        for table in TABLES {
            report.tables.push((
                table,
                self.row_count(table).await?,
                target.row_count(table).await?,
            ));
        }
        Ok(report)
    }

    /// Rows in one of [`TABLES`].
    pub async fn row_count(&self, table: &'static str) -> Result<i64> {
        if !TABLES.contains(&table) {
            return Err(Error::Input(format!("no table named {table}")));
        }
        let sql = format!("SELECT count(*) FROM {table}");
        on_db!(self, pool, _sql => Ok(sqlx::query_scalar(&sql).fetch_one(pool).await?))
    }
}
