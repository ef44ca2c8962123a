//! Logging set-up: a `RUST_LOG`-style filter, readable text by default and
//! JSON lines when `log.format = "json"`. Logs go to standard error so that
//! standard output stays for data (`subscribers list`, `issue queue`'s slug).

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber. `RUST_LOG` wins over `log.filter`.
/// Calling it twice is harmless (the second call does nothing).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.filter).map(quiet_notices))
        .unwrap_or_else(|_| quiet_notices(EnvFilter::new("info")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match settings.format {
        LogFormat::Text => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// PostgreSQL's NOTICEs ("relation already exists, skipping" on every
/// start, from the migrations) are not news to the person running a
/// command; warnings and errors still show.
fn quiet_notices(filter: EnvFilter) -> EnvFilter {
    match "sqlx::postgres::notice=warn".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    }
}
