//! `postbode send` (for cron) and `postbode serve --dispatch` (the loop).
//! `send` also does the housekeeping (see [`crate::housekeeping`]) once
//! per run.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;

use crate::config::Settings;
use crate::dispatch::send::{Dispatcher, SendReport};
use crate::error::{Error, Result};
use crate::store::{Store, now_ms};

/// Longest sleep of the loop between looks at the database, so an issue
/// queued by another process (`issue queue`) is noticed within a second
/// without any signal between them. The look is one indexed query.
const MAX_IDLE: Duration = Duration::from_secs(1);

/// A receiver that turns true on SIGINT or SIGTERM.
pub fn shutdown_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => {
                        let _ = ctrl_c.await;
                        let _ = tx.send(true);
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("stopping: finishing the messages in flight");
        let _ = tx.send(true);
    });
    rx
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {per_sec} ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// One summary line; an error (exit 1) when deliveries failed for good.
fn summarise(report: &SendReport) -> Result<()> {
    let mut line = format!(
        "sent {}, failed {}, skipped {}, to retry later {}",
        report.sent, report.failed, report.skipped, report.retried
    );
    if !report.finished.is_empty() {
        line.push_str(&format!("; finished: {}", report.finished.join(", ")));
    }
    if !report.waiting_for_server.is_empty() {
        return Err(Error::Failed(format!(
            "{line}; the mail server stayed unreachable, so {} waits, paused by the circuit \
             breaker: the next run resumes it",
            report.waiting_for_server.join(", ")
        )));
    }
    if report.failed > 0 {
        return Err(Error::Failed(format!(
            "{line} (see `postbode issue status` for the replies)"
        )));
    }
    println!("{line}");
    Ok(())
}

/// `send` also waits for work due within this long (retries of a brief
/// outage, a throttling pause) rather than leaving it for the next cron run.
const SEND_WAITS_FOR: Duration = Duration::from_secs(60);

/// `send [--issue SLUG]`: everything due now (or within a minute), then exit;
/// with `--issue`, only what is due of that issue.
pub async fn send(settings: &Settings, store: &Store, issue: Option<&str>) -> Result<()> {
    settings.check_ready_for_real_mail()?;
    if let Some(slug) = issue
        && store.issue(slug).await?.is_none()
    {
        return Err(Error::Input(format!("no issue with slug {slug}")));
    }
    let dispatcher = std::sync::Arc::new(Dispatcher::new(settings, store.clone())?);
    // Housekeeping first: nobody past the pending expiry is kept for a
    // send (pending people get no issue anyway); a failure only delays it.
    if let Err(error) =
        crate::housekeeping::erase_expired_pending(store, &settings.subscribers).await
    {
        tracing::error!(%error, "housekeeping failed; the next run tries again");
    }
    let mut shutdown = shutdown_signal();
    let bar = progress_bar();
    let mut total = SendReport::default();
    loop {
        let report = dispatcher.run_until_idle(issue, &shutdown, &bar).await;
        let report = match report {
            Ok(r) => r,
            Err(e) => {
                bar.finish_and_clear();
                return Err(e);
            }
        };
        total.sent += report.sent;
        total.failed += report.failed;
        total.skipped += report.skipped;
        total.finished.extend(report.finished);
        total.waiting_for_server = report.waiting_for_server;
        total.retried = report.retried;
        // Only what this run sends: with --issue, another issue's due
        // deliveries are not waited for (they would be due at once, over
        // and over, and the run would never end).
        let Some(next) = store.next_due(issue).await? else {
            break;
        };
        let wait = Duration::from_millis(u64::try_from((next - now_ms()).max(0)).unwrap_or(0));
        if *shutdown.borrow() || wait > SEND_WAITS_FOR {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait.max(Duration::from_millis(20))) => {}
            _ = shutdown.changed() => break,
        }
    }
    bar.finish_and_clear();
    summarise(&total)
}

/// `serve --dispatch`: the send loop, waking when something becomes due.
pub async fn dispatch_loop(settings: &Settings, store: &Store) -> Result<()> {
    settings.check_ready_for_real_mail()?;
    let dispatcher = std::sync::Arc::new(Dispatcher::new(settings, store.clone())?);
    let mut shutdown = shutdown_signal();
    let bar = ProgressBar::hidden();
    tracing::info!(transport = %dispatcher.courier().describe(), "send loop started");
    loop {
        let report = match dispatcher.run_until_idle(None, &shutdown, &bar).await {
            Ok(report) => report,
            // An issue paused for a person: the loop goes on with the others.
            Err(Error::Failed(message)) => {
                tracing::error!(%message, "send stopped");
                SendReport::default()
            }
            Err(e) => return Err(e),
        };
        if report != SendReport::default() {
            tracing::info!(
                sent = report.sent,
                failed = report.failed,
                skipped = report.skipped,
                retried = report.retried,
                "send round done"
            );
        }
        if *shutdown.borrow() {
            return Ok(());
        }
        let wait = match store.next_due(None).await? {
            Some(at) => Duration::from_millis(u64::try_from((at - now_ms()).max(0)).unwrap_or(0)),
            None => MAX_IDLE,
        };
        tokio::select! {
            _ = tokio::time::sleep(wait.clamp(Duration::from_millis(50), MAX_IDLE)) => {}
            _ = shutdown.changed() => return Ok(()),
        }
    }
}
