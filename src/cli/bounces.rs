//! `postbode bounces ingest [PATH...|-]`: reports from files, maildirs,
//! mbox files or standard input. Parses the arguments, calls
//! [`crate::bounces`], prints the summary and the unmatched reports.
//! `bounces fetch` (the same from IMAP) is in `bounces_fetch.rs` and
//! prints with [`print_summary`].

use clap::Subcommand;

use crate::bounces::{self, FailureAlert, Input, Kind, Options, Summary};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::mail::{BounceTag, TokenKey};
use crate::store::{FailurePause, Store};

#[derive(Debug, Subcommand)]
pub enum BouncesCommand {
    /// Read bounce reports (DSN) and complaints (ARF) and apply what they prove
    Ingest {
        /// Message files, maildir folders, mbox files, or - for one message on standard input
        #[arg(value_name = "PATH", default_value = "-", value_parser = parse_input)]
        paths: Vec<Input>,
        /// Read, classify and match, but change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Read bounce reports and complaints from the IMAP folder of bounces.imap_url, apply them, and move them to bounces.imap_done_folder
    Fetch {
        /// Read, classify and match, but change nothing and move nothing
        #[arg(long)]
        dry_run: bool,
    },
}

fn parse_input(arg: &str) -> std::result::Result<Input, String> {
    Ok(Input::parse(arg))
}

pub async fn run(cmd: BouncesCommand, settings: &Settings, store: &Store) -> Result<()> {
    let (paths, dry_run) = match cmd {
        BouncesCommand::Ingest { paths, dry_run } => (paths, dry_run),
        BouncesCommand::Fetch { dry_run } => {
            return super::bounces_fetch::run(settings, store, dry_run).await;
        }
    };
    // Hard bounces and complaints go on the suppression list: refuse to
    // start without its key rather than fail each one.
    if !dry_run {
        store.suppression_key()?;
    }
    // Every path is read before anything is applied: an unreadable one
    // fails the whole run (exit code 2) and changes nothing.
    let mut messages = Vec::new();
    for input in &paths {
        messages.extend(bounces::source::read(input).map_err(|e| Error::Input(e.to_string()))?);
    }
    let tags = bounce_tags(settings)?;
    let verp = move |tag: &str| tags.verify(tag);
    let options = Options::from_settings(&settings.bounces, dry_run);
    let summary = bounces::ingest(store, &messages, &verp, options).await?;
    print_summary(&summary, dry_run);
    Ok(())
}

/// The VERP tag checker under `secrets.token_key`.
pub(super) fn bounce_tags(settings: &Settings) -> Result<BounceTag> {
    let key = TokenKey::from_settings(&settings.secrets)
        .map_err(|e| Error::Config(format!("secrets.token_key: {e}")))?;
    Ok(BounceTag::new(key))
}

/// What an ingest (or a fetch) did: the counts by kind, the status
/// changes, the brakes, and every report that proved nothing.
pub(super) fn print_summary(summary: &Summary, dry_run: bool) {
    let would = if dry_run {
        "would be applied (--dry-run: nothing changed)"
    } else {
        "applied"
    };
    let read = summary.read();
    let messages = if read == 1 { "message" } else { "messages" };
    println!(
        "read {read} {messages}: {} {would}, {} applied before (nothing changed), {} unmatched",
        summary.applied,
        summary.repeats,
        summary.unmatched.len()
    );
    for kind in Kind::ALL {
        if let Some(n) = summary.by_kind.get(&kind) {
            println!("  {:<16} {n}", kind.as_str());
        }
    }
    if !dry_run {
        println!(
            "subscribers bounced: {}, complained: {}",
            summary.bounced, summary.complained
        );
    }
    for alert in &summary.complaint_alerts {
        match (alert.braked, alert.paused.is_empty()) {
            (false, _) => println!("warning: {}", alert.reason),
            (true, false) => println!("paused {}: {}", alert.paused.join(", "), alert.reason),
            (true, true) => println!(
                "warning: {} (no issue was left to pause: {} is not being sent, and the next issue is paused already or none is scheduled)",
                alert.reason, alert.slug
            ),
        }
    }
    for alert in &summary.failure_alerts {
        print_failure_alert(alert);
    }
    if !summary.unmatched.is_empty() {
        println!("unmatched (no valid VERP tag and no Message-ID of postbode's: not applied):");
        for u in &summary.unmatched {
            println!(
                "  {}: {} {}{}",
                u.origin,
                u.kind.as_str(),
                u.code,
                u.recipient
                    .as_deref()
                    .map(|r| format!(", about {r}"))
                    .unwrap_or_default()
            );
        }
    }
}

/// What the failure brake did, in words.
fn print_failure_alert(alert: &FailureAlert) {
    let reason = &alert.reason;
    let slug = &alert.slug;
    match alert.pause {
        FailurePause::Paused => println!("paused {slug}: {reason}"),
        FailurePause::NotRunning(status) => println!(
            "warning: {reason} (not paused now: {slug} is {})",
            status.map_or("gone", |s| s.as_str())
        ),
        FailurePause::ResumedAfter { at, again } => println!(
            "warning: {reason} (not paused again: it was resumed after the brake acted at \
             {at} failed deliveries; it acts again from {again})"
        ),
    }
}
