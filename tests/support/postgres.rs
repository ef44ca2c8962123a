//! A fresh PostgreSQL database per test, on the server named by
//! `POSTBODE_TEST_POSTGRES_URL` (e.g. `postgres://postbode:postbode@127.0.0.1/postbode`;
//! `.ci/run` starts the machine's cluster and sets it). The user needs
//! CREATEDB. Databases are named `postbode_test_<pid>_<n>` and dropped when
//! the test ends (when its [`TestDatabase`] is dropped), unless
//! `POSTBODE_KEEP_TEST_DATABASES=1` keeps them for inspection.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The server's URL, or `None` (with the skip or failure that
/// [`super::outside::missing`] gives) when the variable is not set.
pub fn server_url() -> Option<String> {
    super::outside::postgres_url()
}

/// A database made for one test, dropped with this value. It reads as its
/// URL (`&db`, `db.as_str()`, `{db}`).
#[derive(Debug)]
pub struct TestDatabase {
    server: String,
    name: String,
    url: String,
}

impl TestDatabase {
    pub fn as_str(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Rows of every table in the `public` schema whose text (the whole
    /// row, as PostgreSQL writes it) holds `needle`, ignoring case.
    pub fn rows_containing(&self, needle: &str) -> i64 {
        let (url, needle) = (self.url.clone(), needle.to_owned());
        blocking(move || async move {
            let mut db = sqlx::PgConnection::connect(&url)
                .await
                .expect("connect to the test database");
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            )
            .fetch_all(&mut db)
            .await
            .expect("list tables");
            assert!(!tables.is_empty(), "no tables in {url}");
            let mut rows = 0;
            for table in tables {
                let sql = format!(
                    "SELECT count(*) FROM public.\"{table}\" AS t \
                     WHERE strpos(lower(t::text), lower($1)) > 0"
                );
                let n: i64 = sqlx::query_scalar(&sql)
                    .bind(&needle)
                    .fetch_one(&mut db)
                    .await
                    .unwrap_or_else(|e| panic!("search {table}: {e}"));
                rows += n;
            }
            db.close().await.ok();
            rows
        })
    }
}

impl std::ops::Deref for TestDatabase {
    type Target = str;
    fn deref(&self) -> &str {
        &self.url
    }
}

impl std::fmt::Display for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if std::env::var_os("POSTBODE_KEEP_TEST_DATABASES").is_some_and(|v| v == "1") {
            return;
        }
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = on_own_runtime(move || async move { drop_database(&server, &name).await });
        // A failing test is already unwinding; one more panic would abort.
        if !std::thread::panicking() {
            match dropped {
                Ok(Ok(())) => {}
                Ok(Err(e)) => panic!("drop test database {}: {e}", self.name),
                Err(_) => panic!("drop test database {}", self.name),
            }
        }
    }
}

/// Creates an empty database.
pub async fn fresh_database(server: &str) -> TestDatabase {
    let name = format!(
        "postbode_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    // A database of an earlier run with the same process id.
    drop_database(server, &name)
        .await
        .expect("drop old test database");
    let mut admin = sqlx::PgConnection::connect(server)
        .await
        .expect("connect to POSTBODE_TEST_POSTGRES_URL");
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    admin.close().await.ok();
    TestDatabase {
        server: server.to_owned(),
        url: with_database(server, &name),
        name,
    }
}

/// Blocking [`fresh_database`], for tests without a runtime.
pub fn fresh_database_blocking(server: &str) -> TestDatabase {
    let server = server.to_owned();
    blocking(move || async move { fresh_database(&server).await })
}

/// Drops the database `name`, first ending our own connections to it
/// (a killed test's postbode may have left some). Not `WITH (FORCE)`: for
/// a user who is not a superuser that fails while autovacuum is connected
/// ("must be a member of the role whose process is being terminated"),
/// and a plain DROP stops autovacuum by itself.
async fn drop_database(server: &str, name: &str) -> Result<(), sqlx::Error> {
    let mut admin = sqlx::PgConnection::connect(server).await?;
    let mut attempt = 0;
    let dropped = loop {
        attempt += 1;
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid() AND usename = current_user",
        )
        .bind(name)
        .execute(&mut admin)
        .await?;
        // Waits up to 5 s for the ended connections to go.
        match sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut admin)
            .await
        {
            // 55006 object_in_use: a connection came or stayed; again.
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("55006") && attempt < 5 =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            other => break other.map(|_| ()),
        }
    };
    admin.close().await.ok();
    dropped
}

/// Runs the future `work()` to its end on a runtime of its own, on a
/// thread of its own (so it works inside a test's runtime too).
fn blocking<T: Send + 'static, F: Future<Output = T>>(
    work: impl FnOnce() -> F + Send + 'static,
) -> T {
    on_own_runtime(work).unwrap_or_else(|e| std::panic::resume_unwind(e))
}

fn on_own_runtime<T: Send + 'static, F: Future<Output = T>>(
    work: impl FnOnce() -> F + Send + 'static,
) -> std::thread::Result<T> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(work())
    })
    .join()
}

/// `server` with its database name replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server, String::new()),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..authority_end])
}
