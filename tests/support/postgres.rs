//! A fresh PostgreSQL database per test, on the server named by
//! `POSTBODE_TEST_POSTGRES_URL` (e.g. `postgres://postbode:postbode@127.0.0.1/postbode`;
//! `.ci/run` starts the machine's cluster and sets it). The user needs
//! CREATEDB. Databases are named `postbode_test_<pid>_<n>` and left behind
//! for inspection; `scripts/` and CI machines are thrown away.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

use super::browser::required;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The server's URL, or `None` (with the skip or failure that
/// [`required`] prints) when the variable is not set.
pub fn server_url() -> Option<String> {
    required(
        std::env::var("POSTBODE_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty()),
        "PostgreSQL (set POSTBODE_TEST_POSTGRES_URL; .ci/run starts the machine's cluster)",
    )
}

/// Creates an empty database and returns its URL.
pub async fn fresh_database(server: &str) -> String {
    let name = format!(
        "postbode_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let mut admin = sqlx::PgConnection::connect(server)
        .await
        .expect("connect to POSTBODE_TEST_POSTGRES_URL");
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("drop old test database");
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    admin.close().await.ok();
    with_database(server, &name)
}

/// Blocking [`fresh_database`], for tests without a runtime (on a thread
/// of its own, so it works inside one too).
pub fn fresh_database_blocking(server: &str) -> String {
    let server = server.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(fresh_database(&server))
    })
    .join()
    .expect("create a test database")
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
