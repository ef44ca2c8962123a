//! `postbode bounces fetch [--dry-run]`: the reports in the IMAP folder of
//! `bounces.imap_url`, applied as `bounces ingest` applies them (same
//! summary), then moved to `bounces.imap_done_folder`; and the loop that
//! does it every `bounces.fetch_interval_secs` in `serve --dispatch`.

use std::time::Duration;

use super::bounces::{bounce_tags, print_summary};
use crate::bounces::Options;
use crate::bounces::imap::{self, Fetched, Mailbox};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::store::Store;

pub async fn run(settings: &Settings, store: &Store, dry_run: bool) -> Result<()> {
    // Hard bounces and complaints go on the suppression list: refuse to
    // start without its key rather than fail each one.
    if !dry_run {
        store.suppression_key()?;
    }
    let Some(fetched) = fetch_once(settings, store, dry_run).await? else {
        return Err(Error::Config(
            "setting bounces.imap_url is empty: set it to the IMAP folder the reports \
             arrive in, like imaps://USER:PASSWORD@HOST/INBOX (docs/bounces.md)"
                .into(),
        ));
    };
    print_summary(&fetched.summary, dry_run);
    let folder = &settings.bounces.imap_done_folder;
    if dry_run {
        println!("moved nothing (--dry-run)");
    } else {
        let messages = if fetched.moved == 1 {
            "message"
        } else {
            "messages"
        };
        println!("moved {} {messages} to {folder}", fetched.moved);
    }
    if fetched.left > 0 {
        println!(
            "{} more messages wait (at most {} a run): run bounces fetch again",
            fetched.left,
            imap::MAX_PER_RUN
        );
    }
    Ok(())
}

/// One fetch with the settings; `None` when `bounces.imap_url` is empty.
async fn fetch_once(settings: &Settings, store: &Store, dry_run: bool) -> Result<Option<Fetched>> {
    let bounces = &settings.bounces;
    // The loader checked the URL; an error here is still named, never shown.
    let Some(url) = bounces
        .imap()
        .map_err(|e| Error::Config(format!("setting bounces.imap_url: {e}")))?
    else {
        return Ok(None);
    };
    let tags = bounce_tags(settings)?;
    let verp = move |tag: &str| tags.verify(tag);
    let mailbox = Mailbox {
        url: &url,
        done_folder: &bounces.imap_done_folder,
        ca_file: bounces.imap_ca_file(),
    };
    let options = Options::from_settings(bounces, dry_run);
    imap::fetch(store, mailbox, &verp, options).await.map(Some)
}

/// `serve --dispatch`'s loop: with `bounces.imap_url` set, fetches now and
/// then every `bounces.fetch_interval_secs` until SIGINT or SIGTERM. A
/// failure (the server away, a wrong password) is logged and tried again
/// next time; it never stops `serve`.
pub async fn every_interval(settings: &Settings, store: &Store) -> Result<()> {
    if !matches!(settings.bounces.imap(), Ok(Some(_))) {
        return Ok(());
    }
    let every = Duration::from_secs(settings.bounces.fetch_interval_secs);
    let mut stop = super::send::shutdown_signal();
    loop {
        // Stopping mid-fetch is safe: what was applied but not moved is
        // read again next time and changes nothing.
        tokio::select! {
            fetched = fetch_once(settings, store, false) => log(fetched, every),
            _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
        }
    }
}

fn log(fetched: Result<Option<Fetched>>, every: Duration) {
    let secs = every.as_secs();
    match fetched {
        Ok(Some(f)) if f.summary.read() > 0 => tracing::info!(
            read = f.summary.read(),
            applied = f.summary.applied,
            repeats = f.summary.repeats,
            unmatched = f.summary.unmatched.len(),
            bounced = f.summary.bounced,
            complained = f.summary.complained,
            moved = f.moved,
            left = f.left,
            "bounces fetch: read {} messages, applied {}",
            f.summary.read(),
            f.summary.applied
        ),
        Ok(_) => tracing::debug!("bounces fetch: no messages"),
        Err(error) => {
            tracing::error!(%error, "bounces fetch failed; trying again in {secs} s");
        }
    }
}
