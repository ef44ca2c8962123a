//! `postbode init`: write a config file with a fresh token key and
//! suppression key if there is none, create and migrate the database, and
//! write the starter `emails/` (layout, partials, system mails, a sample
//! issue) into the working folder, adding only the files it lacks.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::Rng;

use crate::config::{self, DEFAULT_FILE};
use crate::error::{Error, Result};
use crate::private_file::FileAccess;
use crate::store::Store;

pub async fn run(explicit: Option<&Path>) -> Result<()> {
    let path = explicit.map(Path::to_path_buf).unwrap_or_else(|| {
        std::env::var_os("POSTBODE_CONFIG")
            .filter(|p| !p.is_empty())
            .map_or_else(|| PathBuf::from(DEFAULT_FILE), PathBuf::from)
    });
    if path.exists() {
        println!("{} exists; leaving it as it is", path.display());
    } else {
        write_config(&path)?;
        println!(
            "wrote {} (edit it: newsletter.name, from, base_url, smtp.url)",
            path.display()
        );
    }
    let loaded = super::load(Some(&path))?;
    let store =
        Store::open_with_access(&loaded.settings.database, &loaded.settings.files.group).await?;
    store
        .ensure_list(&loaded.settings.newsletter.default_list)
        .await?;
    store.close().await;
    if let config::DatabaseUrl::Sqlite(db) = &loaded.settings.database.url {
        println!("database ready: {}", db.display());
    } else {
        println!("database ready");
    }
    write_emails()
}

/// The starter `emails/` in the working folder, where `issue preview`,
/// `quickstart` and the system mails look for it; says what it wrote.
fn write_emails() -> Result<()> {
    let emails = Path::new("emails");
    let written = crate::starter::write_emails(emails)?;
    if written.is_empty() {
        println!(
            "{}/ has every starter file; leaving it as it is",
            emails.display()
        );
        return Ok(());
    }
    println!(
        "wrote {} starter files (yours to edit; init never replaces a file):",
        written.len()
    );
    // One line per folder: the list stays short enough to read.
    let mut by_folder = std::collections::BTreeMap::<&Path, Vec<String>>::new();
    for path in &written {
        let (folder, name) = (path.parent().unwrap_or(emails), path.file_name());
        let name = name.map(|n| n.to_string_lossy().into_owned());
        by_folder.entry(folder).or_default().extend(name);
    }
    for (folder, names) in by_folder {
        println!("  {}/: {}", folder.display(), names.join(", "));
    }
    Ok(())
}

/// The example file with a random token key and suppression key filled
/// in (two keys: the token key may be rotated, the suppression key never).
fn write_config(path: &Path) -> Result<()> {
    let text = config::EXAMPLE
        .replacen(
            "\ntoken_key = \"\"",
            &format!("\ntoken_key = \"{}\"", random_hex()),
            1,
        )
        .replacen(
            "\nsuppression_key = \"\"",
            &format!("\nsuppression_key = \"{}\"", random_hex()),
            1,
        );
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    // The file holds secrets (the keys, later an SMTP password): for the
    // owner only, since no files.group is set before it exists.
    let mut file = FileAccess::owner_only()
        .create_new(path)
        .map_err(|e| Error::io(path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(path, e))
}

/// 32 random bytes as 64 hex digits.
fn random_hex() -> String {
    let key: [u8; 32] = rand::rng().random();
    key.iter().map(|b| format!("{b:02x}")).collect()
}
