//! Programs from outside Rust that some tests need (Chromium, Node with
//! mjml or playwright-core, postfix's smtp-sink, python3 with dkimpy,
//! openssl, dnsmasq, a PostgreSQL server), found in one way with one
//! answer when one is missing:
//!
//! - with `POSTBODE_REQUIRE_ALL_TESTS=1` (CI) the test fails, naming it;
//! - otherwise the test is skipped and says so on standard error, as
//!   `skipped: TEST — WHAT is missing (HOW TO INSTALL)`. It writes to the
//!   process's standard error itself: libtest captures only the `print!`
//!   and `eprint!` macros, so this line shows in plain `cargo test` and
//!   `cargo test -q`, while a passing test's captured output never does.
//!
//! Self-contained (std only): `src/dispatch/transport.rs`'s unit tests
//! include this file too.

#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The program `name` on PATH, or `None` after [`missing`].
pub fn program(name: &str, install: &str) -> Option<PathBuf> {
    which(name).or_else(|| missing(name, install))
}

/// python3, able to import every module in `modules`, or `None` after
/// [`missing`].
pub fn python_with(modules: &[&str], install: &str) -> Option<PathBuf> {
    let python = which("python3");
    let imports = python.as_ref().is_some_and(|python| {
        let script = modules
            .iter()
            .map(|m| format!("import {m}\n"))
            .collect::<String>();
        Command::new(python)
            .args(["-c", &script])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if imports {
        return python;
    }
    let what = if modules.is_empty() {
        "python3".to_owned()
    } else {
        format!("python3 with {}", modules.join(", "))
    };
    missing(&what, install)
}

/// node, with `tests/node/node_modules/PACKAGE` installed, or `None`
/// after [`missing`].
pub fn node_with(package: &str) -> Option<PathBuf> {
    let installed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/node/node_modules")
        .join(package)
        .is_dir();
    match which("node") {
        Some(node) if installed => Some(node),
        _ => missing(
            &format!("node with {package}"),
            "Debian package nodejs, then `cd tests/node && npm ci`",
        ),
    }
}

/// The PostgreSQL server the tests make their databases on
/// (`POSTBODE_TEST_POSTGRES_URL`), or `None` after [`missing`].
pub fn postgres_url() -> Option<String> {
    std::env::var("POSTBODE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| {
            missing(
                "PostgreSQL",
                "set POSTBODE_TEST_POSTGRES_URL to a server where the user may create \
                 databases; .ci/run starts the machine's cluster",
            )
        })
}

/// Finds a program on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

/// What a missing `what` means for the running test: a failure under
/// `POSTBODE_REQUIRE_ALL_TESTS=1`, otherwise a visible skip line (see the
/// module docs). Always `None`, for `let Some(..) = .. else { return }`.
#[track_caller]
pub fn missing<T>(what: &str, install: &str) -> Option<T> {
    match std::env::var("POSTBODE_REQUIRE_ALL_TESTS").as_deref() {
        Ok("1") => panic!("{what} is missing and POSTBODE_REQUIRE_ALL_TESTS=1 ({install})"),
        Ok("" | "0") | Err(_) => {}
        Ok(other) => panic!(
            "{what} is missing, and POSTBODE_REQUIRE_ALL_TESTS={other:?} is neither 1 \
             (require every test) nor 0"
        ),
    }
    // libtest runs each test on a thread named after it.
    let thread = std::thread::current();
    let test = thread.name().filter(|n| *n != "main").unwrap_or("a test");
    let line = format!("skipped: {test} — {what} is missing ({install})\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    None
}
