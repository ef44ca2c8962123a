//! `postbode quickstart`: the whole job on embedded defaults. Creates the
//! database, imports the example subscribers, queues the first sample
//! issue, sends it into the outbox folder, and says where to look. In the
//! source folder it uses that folder's `emails/` and examples; anywhere
//! else `init` writes the starter ones (embedded in the binary) first.

use std::path::{Path, PathBuf};

use indicatif::ProgressBar;

use crate::config::{Settings, SmtpUrl};
use crate::dispatch::send::Dispatcher;
use crate::error::{Error, Result};
use crate::import::{self, ImportOptions};
use crate::store::Store;

pub async fn run(explicit: Option<&Path>) -> Result<()> {
    let examples = Path::new("examples/subscribers.csv");
    let issues = Path::new("emails/issues");
    super::init::run(explicit).await?;
    write_examples(examples)?;
    let path = explicit.map_or_else(
        || PathBuf::from(crate::config::DEFAULT_FILE),
        Path::to_path_buf,
    );
    let mut settings = super::load(Some(&path))?.settings;
    // Embedded defaults: never mail the example addresses for real.
    settings.smtp.url = SmtpUrl::default();

    let store = super::open_store(&settings).await?;
    import_examples(&settings, &store, examples).await?;
    queue_first_issue(&settings, &store, issues).await?;

    let dispatcher = std::sync::Arc::new(Dispatcher::new(&settings, store.clone())?);
    let shutdown = super::send::shutdown_signal();
    let report = dispatcher
        .run_until_idle(None, &shutdown, &ProgressBar::hidden())
        .await?;
    store.close().await;
    let outbox = settings
        .smtp
        .outbox
        .canonicalize()
        .unwrap_or(settings.smtp.outbox.clone());
    println!("sent {} messages into {}", report.sent, outbox.display());
    say_where_to_look(&outbox);
    Ok(())
}

/// Imports the example subscribers as active, so that the sample issue
/// goes to them, and says how many were new.
async fn import_examples(settings: &Settings, store: &Store, examples: &Path) -> Result<()> {
    let options = ImportOptions {
        list: None,
        activate: true,
        default_list: settings.newsletter.default_list.clone(),
        batch_size: 1000,
        basis: None,
    };
    let summary = import::import_csv(store, examples, &options, &ProgressBar::hidden(), |r| {
        eprintln!("{}: line {}: {}", examples.display(), r.line, r.reason);
    })
    .await?;
    println!(
        "imported {}: {} added, {} already there",
        examples.display(),
        summary.counts.added,
        summary.counts.unchanged + summary.counts.updated
    );
    Ok(())
}

/// Queues the first issue folder (by name) under `issues`, unless a
/// quickstart before queued it already.
async fn queue_first_issue(settings: &Settings, store: &Store, issues: &Path) -> Result<()> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(issues)
        .map_err(|e| Error::io(issues, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("issue.toml").is_file())
        .collect();
    dirs.sort();
    let first = dirs
        .first()
        .ok_or_else(|| Error::Input(format!("{} has no issue folders", issues.display())))?;
    let slug = first
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if store.issue(&slug).await?.is_none() {
        let now = jiff::Timestamp::now().to_string();
        super::issue::queue(settings, store, first, Some(&now), None, false).await?;
        println!("queued {slug}");
    } else {
        println!("{slug} was queued before");
    }
    Ok(())
}

/// How to open a message from the outbox, and the next steps.
fn say_where_to_look(outbox: &Path) {
    let example = std::fs::read_dir(outbox).ok().and_then(|d| {
        d.flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "eml"))
    });
    if let Some(file) = example {
        println!();
        println!("Open one in your mail program, e.g.:");
        println!(
            "  thunderbird {}        (or double-click it)",
            file.display()
        );
        println!("or read its source with:");
        println!("  less {}", file.display());
    }
    println!();
    println!("Next: set smtp.url in postbode.toml to send for real, and add a cron line:");
    println!(
        "  */5 * * * *  cd {} && postbode send",
        std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default()
    );
}

/// The embedded example subscribers at `path`, unless a file is there.
fn write_examples(path: &Path) -> Result<()> {
    if path.symlink_metadata().is_ok() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    std::io::Write::write_all(&mut file, crate::starter::EXAMPLE_SUBSCRIBERS)
        .map_err(|e| Error::io(path, e))?;
    println!("wrote {} (the example subscribers)", path.display());
    Ok(())
}
