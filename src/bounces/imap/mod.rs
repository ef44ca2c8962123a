//! `bounces fetch`: the reports in an IMAP folder (`bounces.imap_url`),
//! applied exactly as `bounces ingest` applies files (the same
//! [`ingest_reports`]: proof rule, repeat check, brake), then moved to
//! `bounces.imap_done_folder`.
//!
//! **The order.** Read, apply, then move. A crash between applying and
//! moving leaves the messages in the folder; the next fetch reads them
//! again, and the repeat check makes them change nothing. Moving first
//! could lose a report for good. A message that is not a report is moved
//! too: it was read (and counted as other).
//!
//! - [`connect`]: TLS (implicit or STARTTLS, never cleartext) and login;
//! - [`folder`]: the IMAP commands on the folder.

pub mod connect;
pub mod folder;

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use super::apply::{Incoming, Options, Summary, VerpCheck, ingest_reports};
use super::report;
use crate::config::ImapUrl;
use crate::error::{Error, Result};
use crate::store::Store;

/// At most this many messages a run, so a folder that collected reports
/// for years is read in bounded memory; the rest come next run.
pub const MAX_PER_RUN: usize = 500;

/// How long one IMAP command after the login may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Where to read and where handled mail goes.
#[derive(Clone, Copy, Debug)]
pub struct Mailbox<'a> {
    pub url: &'a ImapUrl,
    /// `bounces.imap_done_folder`.
    pub done_folder: &'a str,
    /// `bounces.imap_ca_file`, when set.
    pub ca_file: Option<&'a Path>,
}

/// What a fetch did.
#[derive(Clone, Debug, Default)]
pub struct Fetched {
    /// As `bounces ingest` reports it.
    pub summary: Summary,
    /// Messages moved to the done folder (0 with `dry_run`).
    pub moved: usize,
    /// Messages left in the folder for the next run (over
    /// [`MAX_PER_RUN`]).
    pub left: usize,
}

/// Reads up to [`MAX_PER_RUN`] messages of the folder, applies them, and
/// (unless `options.dry_run`) moves them to the done folder.
///
/// A server that cannot be reached, refuses the login or a command is
/// [`Error::Failed`], with the password never in the message; an
/// unusable `bounces.imap_ca_file` is [`Error::Config`].
pub async fn fetch(
    store: &Store,
    mailbox: Mailbox<'_>,
    verp: VerpCheck<'_>,
    options: Options,
) -> Result<Fetched> {
    let url = mailbox.url;
    let tls = connect::tls_config(mailbox.ca_file)
        .map_err(|e| Error::Config(format!("setting bounces.imap_ca_file: {e}")))?;
    let failed = |e: String| {
        let message = format!("bounces fetch from {url:?}: {e}");
        Error::Failed(message.replace(url.password(), "***"))
    };
    let mut session = connect::login(url, tls).await.map_err(failed)?;
    let result = read_apply_move(&mut session, store, mailbox, verp, options).await;
    // The work is done (or failed) either way: a LOGOUT that fails
    // changes nothing.
    let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
    result.map_err(|e| match e {
        Step::Imap(e) => failed(e),
        Step::Store(e) => e,
    })
}

/// What went wrong in a step: the server, or applying.
enum Step {
    Imap(String),
    Store(Error),
}

async fn read_apply_move(
    session: &mut connect::Session,
    store: &Store,
    mailbox: Mailbox<'_>,
    verp: VerpCheck<'_>,
    options: Options,
) -> std::result::Result<Fetched, Step> {
    let name = &mailbox.url.folder;
    // EXAMINE opens the folder read-only: a dry run cannot change it.
    let opened = if options.dry_run {
        timed(&format!("EXAMINE {name}"), session.examine(name)).await
    } else {
        timed(&format!("SELECT {name}"), session.select(name)).await
    };
    opened.map_err(Step::Imap)?;
    if !options.dry_run {
        // Before anything is applied: a done folder that cannot be made
        // stops the run with nothing changed.
        folder::ensure_exists(session, mailbox.done_folder)
            .await
            .map_err(Step::Imap)?;
    }
    let mut uids = folder::uids(session).await.map_err(Step::Imap)?;
    let left = uids.len().saturating_sub(MAX_PER_RUN);
    uids.truncate(MAX_PER_RUN);
    let messages = timed("reading the messages", folder::read(session, &uids))
        .await
        .map_err(Step::Imap)?;
    let incoming: Vec<Incoming> = messages
        .iter()
        .map(|(uid, bytes)| Incoming {
            origin: format!("imap:{name}/UID {uid}"),
            report: report::parse(bytes),
        })
        .collect();
    let summary = ingest_reports(store, &incoming, verp, options)
        .await
        .map_err(Step::Store)?;
    let read: Vec<u32> = messages.iter().map(|(uid, _)| *uid).collect();
    let moved = if options.dry_run {
        0
    } else {
        timed(
            "moving to the done folder",
            folder::move_to(session, &read, mailbox.done_folder),
        )
        .await
        .map_err(|e| {
            Step::Imap(format!(
                "{e} (the reports were applied; the next fetch reads them again and \
                 changes nothing)"
            ))
        })?;
        read.len()
    };
    Ok(Fetched {
        summary,
        moved,
        left,
    })
}

/// `step` within [`COMMAND_TIMEOUT`].
async fn timed<T, E: std::fmt::Display>(
    what: &str,
    step: impl Future<Output = std::result::Result<T, E>>,
) -> std::result::Result<T, String> {
    match tokio::time::timeout(COMMAND_TIMEOUT, step).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!(
            "{what}: no answer within {} s",
            COMMAND_TIMEOUT.as_secs()
        )),
    }
}
