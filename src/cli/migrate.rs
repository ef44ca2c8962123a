//! `migrate-store --to URL`: copy the configured database into another
//! (SQLite to PostgreSQL, usually) and check the counts.

use crate::config::{DatabaseSettings, DatabaseUrl, Settings};
use crate::error::{Error, Result};
use crate::store::Store;

pub async fn run(settings: &Settings, source: &Store, to: &str) -> Result<()> {
    // The URL may hold a password: name the argument, not its value.
    let url = DatabaseUrl::parse(to).map_err(|e| Error::Input(format!("--to: {e}")))?;
    if format!("{url:?}") == format!("{:?}", settings.database.url) {
        return Err(Error::Input(
            "--to names the database postbode is configured with; give another one".into(),
        ));
    }
    let target_settings = DatabaseSettings {
        url,
        ..DatabaseSettings::default()
    };
    let target = Store::open_with_access(&target_settings, &settings.files.group).await?;
    let copied = source.copy_into(&target).await;
    target.close().await;
    let report = copied?;
    println!("{:<16} {:>12} {:>12}", "table", "from", "to");
    for (table, from, to) in &report.tables {
        let mark = if from == to { "" } else { "  MISMATCH" };
        println!("{table:<16} {from:>12} {to:>12}{mark}");
    }
    if !report.verified() {
        return Err(Error::Failed(
            "the copy does not have every row; the source is unchanged".into(),
        ));
    }
    println!(
        "copied to {:?}; set database.url to it (or POSTBODE_DATABASE__URL) and carry on",
        target_settings.url
    );
    Ok(())
}
