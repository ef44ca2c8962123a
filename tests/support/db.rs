//! Plain SQL on a test app's database (its SQLite file, or its PostgreSQL
//! database in CI's second pass), for what no command shows in full: one
//! person's deliveries with their replies, and their status log with its
//! details. Read only.

use postbode::config::DatabaseUrl;
use secrecy::ExposeSecret;
use sqlx::Connection;

use super::TestApp;

/// One delivery of one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The issue's slug.
    pub issue: String,
    pub status: String,
    pub attempts: i64,
    /// The last SMTP reply, or why it was skipped.
    pub last_reply: Option<String>,
}

/// One row of the status log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub from: Option<String>,
    pub to: String,
    pub source: String,
    pub detail: Option<String>,
}

type DeliveryRow = (String, String, i64, Option<String>);
type ChangeRow = (Option<String>, String, String, Option<String>);

const DELIVERIES: &str = "SELECT i.slug, d.status, d.attempts, d.last_reply FROM deliveries d \
     JOIN issues i ON i.id = d.issue_id JOIN subscribers s ON s.id = d.subscriber_id \
     WHERE s.email = $1 ORDER BY d.issue_id";

const CHANGES: &str = "SELECT c.from_status, c.to_status, c.source, c.detail FROM status_changes c \
     JOIN subscribers s ON s.id = c.subscriber_id WHERE s.email = $1 ORDER BY c.id";

/// Every delivery to `email`, in the order the issues were queued.
pub fn deliveries_of(app: &TestApp, email: &str) -> Vec<Delivery> {
    let rows: Vec<DeliveryRow> = fetch(app, DELIVERIES, email);
    rows.into_iter()
        .map(|(issue, status, attempts, last_reply)| Delivery {
            issue,
            status,
            attempts,
            last_reply,
        })
        .collect()
}

/// The status log of `email`, oldest first.
pub fn status_log(app: &TestApp, email: &str) -> Vec<Change> {
    let rows: Vec<ChangeRow> = fetch(app, CHANGES, email);
    rows.into_iter()
        .map(|(from, to, source, detail)| Change {
            from,
            to,
            source,
            detail,
        })
        .collect()
}

/// Runs `sql` with `$1` bound to `arg` on the app's database.
fn fetch<T>(app: &TestApp, sql: &str, arg: &str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let settings = postbode::config::load_from(
        Some(&app.path("postbode.toml")),
        &std::collections::BTreeMap::new(),
    )
    .expect("config");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        match &settings.database.url {
            DatabaseUrl::Sqlite(path) => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .read_only(true);
                let mut conn = sqlx::SqliteConnection::connect_with(&options)
                    .await
                    .expect("open the SQLite file");
                let rows = sqlx::query_as(sql)
                    .bind(arg)
                    .fetch_all(&mut conn)
                    .await
                    .expect("query");
                conn.close().await.ok();
                rows
            }
            DatabaseUrl::Postgres(url) => {
                let mut conn = sqlx::PgConnection::connect(url.expose_secret())
                    .await
                    .expect("connect to PostgreSQL");
                let rows = sqlx::query_as(sql)
                    .bind(arg)
                    .fetch_all(&mut conn)
                    .await
                    .expect("query");
                conn.close().await.ok();
                rows
            }
        }
    })
}
