//! Pending people made or named by `subscribers add|import`: they get
//! nothing until they confirm, and nobody asks them to unless the admin
//! says so. Without `--send-confirmation` the command says how many there
//! are and what follows; with it, each gets the double opt-in mail through
//! the [`SystemMailer`] (the transport, signer and send rate every sender
//! shares, each mail recorded in the store).

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Settings;
use crate::domain::ChangeSource;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::transport::system_mailer::SystemMailer;

/// What to do about the pending people of one command.
#[derive(Clone, Copy, Debug)]
pub struct Pending<'a> {
    /// Their ids.
    pub ids: &'a [i64],
    /// How many of them the command created (the rest were pending
    /// already).
    pub created: u64,
    /// `--send-confirmation`.
    pub send: bool,
    /// `cli` (add) or `import`: recorded with each mail.
    pub source: ChangeSource,
}

/// Says what happens to `pending`, or mails them the confirmation link.
/// An error (exit 1) when some mails could not be sent.
pub async fn follow_up(settings: &Settings, store: &Store, pending: Pending<'_>) -> Result<()> {
    let total = pending.ids.len();
    if total == 0 {
        return Ok(());
    }
    if !pending.send {
        println!("{}", explain(pending.created, total, settings));
        return Ok(());
    }
    let (sent, failed) = send_confirmations(settings, store, pending).await?;
    let people = |n: usize| if n == 1 { "person" } else { "people" };
    println!(
        "mailed the confirmation link to {sent} pending {}; they get the newsletter once they confirm",
        people(sent)
    );
    if failed > 0 {
        return Err(Error::Failed(format!(
            "{failed} confirmation {} could not be sent (see the log); run the command again \
             with --send-confirmation to retry",
            if failed == 1 { "mail" } else { "mails" }
        )));
    }
    Ok(())
}

/// The message without `--send-confirmation`.
fn explain(created: u64, total: usize, settings: &Settings) -> String {
    let days = settings.subscribers.pending_expiry_days;
    let mut who = match created {
        1 => "1 new subscriber is pending".to_owned(),
        n => format!("{n} new subscribers are pending"),
    };
    let already = u64::try_from(total)
        .unwrap_or(u64::MAX)
        .saturating_sub(created);
    if already > 0 {
        who.push_str(&format!(" ({already} more were pending already)"));
    }
    format!(
        "{who}: they get nothing, not even a confirmation mail, until they confirm. \
         Add --send-confirmation to mail them the confirmation link, or use --active if they \
         opted in elsewhere. Whoever has not confirmed after {days} days is erased \
         (subscribers.pending_expiry_days)."
    )
}

/// Mails each pending person the confirmation link, `concurrency` at a
/// time (the shared rate spaces them): (sent, failed). People who are no
/// longer pending by then are skipped.
async fn send_confirmations(
    settings: &Settings,
    store: &Store,
    pending: Pending<'_>,
) -> Result<(usize, usize)> {
    let mailer = SystemMailer::new(settings, store.clone())?;
    tracing::info!(transport = %mailer.describe(), people = pending.ids.len(), "sending confirmation mails");
    let bar = ProgressBar::new(pending.ids.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} confirmation mails [{bar:30}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let concurrency = usize::try_from(settings.sending.concurrency)
        .unwrap_or(1)
        .max(1);
    let (mailer, bar) = (&mailer, &bar);
    let outcomes: Vec<Mailed> = futures_util::stream::iter(pending.ids.iter().copied())
        .map(|id| async move {
            let mailed = match store.pending_recipient(id).await {
                Ok(Some(who)) => {
                    let language = mailer.language_for(&who).to_owned();
                    match mailer
                        .send_confirmation(&who, &language, pending.source)
                        .await
                    {
                        Ok(()) => Mailed::Sent,
                        Err(error) => {
                            bar.suspend(|| {
                                tracing::error!(%error, subscriber = id, "confirmation mail");
                            });
                            Mailed::Failed
                        }
                    }
                }
                // Confirmed, left or erased in the meantime.
                Ok(None) => Mailed::Skipped,
                Err(error) => {
                    bar.suspend(|| tracing::error!(%error, subscriber = id, "confirmation mail"));
                    Mailed::Failed
                }
            };
            bar.inc(1);
            mailed
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    bar.finish_and_clear();
    let count = |m: Mailed| outcomes.iter().filter(|o| **o == m).count();
    Ok((count(Mailed::Sent), count(Mailed::Failed)))
}

/// What became of one pending person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mailed {
    Sent,
    /// No longer pending.
    Skipped,
    Failed,
}
