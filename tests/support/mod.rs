//! Test helpers: a fresh folder with its own config and SQLite file, and
//! the real `postbode` binary run inside it.

#![allow(dead_code)]

pub mod browser;
pub mod db;
pub mod dns;
pub mod dovecot;
pub mod encoded_words;
pub mod faults;
pub mod html_links;
pub mod http;
pub mod listing;
pub mod mail_links;
pub mod mjml_corpus;
pub mod node_browser;
pub mod outside;
pub mod pace;
pub mod parity;
pub mod placeholder_images;
pub mod postfix;
pub mod postgres;
pub mod prometheus;
pub mod received;
pub mod sending;
pub mod smtp;
pub mod smtp_auth;
pub mod sns;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The test config's `secrets.token_key`.
pub const TOKEN_KEY: &str = "test-key-0123456789abcdef0123456789abcdef";
/// The test config's `secrets.suppression_key`.
pub const SUPPRESSION_KEY: &str = "test-suppression-key-0123456789abcdef";

pub struct TestApp {
    pub dir: tempfile::TempDir,
    /// The app's PostgreSQL database when [`on_postgres`], dropped with
    /// the app; a test that points the app at another one keeps that here.
    pub database: Option<postgres::TestDatabase>,
}

/// What one run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl TestApp {
    /// A folder with a `postbode.toml` pointing at `postbode.db` inside it.
    pub fn new() -> TestApp {
        Self::with_config("")
    }

    /// Like [`TestApp::new`], with extra TOML appended to the config, and
    /// `newsletter.allow_insecure_links = true`: tests send real SMTP to
    /// servers on loopback, with loopback base URLs.
    pub fn with_config(extra: &str) -> TestApp {
        Self::strict(&allowing_insecure_links(extra))
    }

    /// Like [`TestApp::with_config`], with the check before real mail in
    /// force (`allow_insecure_links` as `extra` says, else false).
    pub fn strict(extra: &str) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = on_postgres().then(|| {
            let server = std::env::var("POSTBODE_TEST_POSTGRES_URL")
                .expect("POSTBODE_TEST_BACKEND=postgres needs POSTBODE_TEST_POSTGRES_URL");
            postgres::fresh_database_blocking(&server)
        });
        let url = database.as_deref().unwrap_or("sqlite://postbode.db");
        let config = format!(
            "[database]\nurl = \"{url}\"\n\n[secrets]\ntoken_key = \"{TOKEN_KEY}\"\n\
             suppression_key = \"{SUPPRESSION_KEY}\"\n{extra}"
        );
        std::fs::write(dir.path().join("postbode.toml"), config).expect("write config");
        TestApp { dir, database }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write file");
        path
    }

    /// Runs `postbode ARGS` in the folder, with no POSTBODE_* variables
    /// from the outside.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_postbode"));
        cmd.args(args).current_dir(self.dir.path());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("POSTBODE_") || key == "RUST_LOG" {
                cmd.env_remove(key);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let Output {
            status,
            stdout,
            stderr,
        } = cmd.output().expect("run postbode");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Starts `postbode ARGS` in the folder without waiting for it.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.spawn_with_env(args, &[])
    }

    /// Like [`TestApp::spawn`], with `env` set (after the outside
    /// POSTBODE_* variables are removed).
    pub fn spawn_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Child {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_postbode"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("POSTBODE_") || key == "RUST_LOG" {
                cmd.env_remove(key);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.spawn().expect("start postbode")
    }

    /// `subscribers export -` as text.
    pub fn export(&self) -> String {
        self.run(&["subscribers", "export", "-"]).ok().stdout
    }

    /// Whether `needle` (e.g. an erased address) is anywhere in the app's
    /// database: on SQLite in any byte of its files (the WAL too, where
    /// old pages linger); on PostgreSQL in any row of any table, as text.
    pub fn database_holds(&self, needle: &str) -> bool {
        match &self.database {
            Some(db) => db.rows_containing(needle) > 0,
            None => {
                let mut bytes = Vec::new();
                for suffix in ["", "-wal", "-shm"] {
                    if let Ok(b) = std::fs::read(self.path(&format!("postbode.db{suffix}"))) {
                        bytes.extend(b);
                    }
                }
                assert!(
                    !bytes.is_empty(),
                    "no postbode.db in {}",
                    self.dir.path().display()
                );
                contains(&bytes, needle)
            }
        }
    }
}

/// `extra` with `allow_insecure_links = true` at the end of its
/// `[newsletter]` table (so the lines of a test's own keys stay put), or
/// with such a table added.
fn allowing_insecure_links(extra: &str) -> String {
    const TABLE: &str = "[newsletter]\n";
    const KEY: &str = "allow_insecure_links = true\n";
    match extra.find(TABLE) {
        Some(at) => {
            let body = at + TABLE.len();
            let end = extra[body..]
                .find("\n[")
                .map_or(extra.len(), |i| body + i + 1);
            let sep = if extra[..end].ends_with('\n') {
                ""
            } else {
                "\n"
            };
            format!("{}{sep}{KEY}{}", &extra[..end], &extra[end..])
        }
        None => format!("{extra}\n{TABLE}{KEY}"),
    }
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// True when the CLI tests run on PostgreSQL: `POSTBODE_TEST_BACKEND=postgres`
/// (with `POSTBODE_TEST_POSTGRES_URL`), as CI's second pass does.
pub fn on_postgres() -> bool {
    std::env::var("POSTBODE_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

pub fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Runs `f` with the test app's store (same config as the binary uses).
pub fn with_store<T>(app: &TestApp, f: impl AsyncFnOnce(&postbode::store::Store) -> T) -> T {
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
        let mut store = postbode::store::Store::open(&settings.database)
            .await
            .expect("open store");
        if let Some(key) = settings.secrets.suppression_key().expect("suppression key") {
            store = store.with_suppression_key(key);
        }
        let out = f(&store).await;
        store.close().await;
        out
    })
}

pub fn email(s: &str) -> postbode::domain::EmailAddress {
    postbode::domain::EmailAddress::parse(s).expect("address")
}

/// The `/u/TOKEN` token a mail to subscriber `id` carries: made with the
/// test config's key and their link salt (none for an id nobody has).
pub fn unsubscribe_token(app: &TestApp, id: i64) -> String {
    unsubscribe_token_with(app, TOKEN_KEY, id)
}

/// Like [`unsubscribe_token`], under another token key.
pub fn unsubscribe_token_with(app: &TestApp, key: &str, id: i64) -> String {
    let salt = with_store(app, async |store| {
        store.link_salt(id).await.expect("link salt")
    });
    postbode::mail::TokenKey::new(key)
        .expect("token key")
        .unsubscribe_token(id, salt.salt())
}

/// The `/confirm/TOKEN` token a confirmation mail to subscriber `id`
/// issued at `issued_at` (Unix seconds) would carry, made now (after their
/// last status change so far).
pub fn confirm_token(app: &TestApp, id: i64, issued_at: i64) -> String {
    let (salt, last) = with_store(app, async |store| {
        let salt = store.link_salt(id).await.expect("link salt");
        let last = store.last_status_change(id).await.expect("last change");
        (salt, last)
    });
    postbode::mail::TokenKey::new(TOKEN_KEY)
        .expect("token key")
        .confirm_token(id, salt.salt(), issued_at, last)
}
