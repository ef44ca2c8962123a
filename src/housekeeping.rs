//! Clean-up that `send` (once per run) and `serve` (at start, then every
//! [`EVERY`]) do: erase the subscribers still pending
//! `subscribers.pending_expiry_days` after they were added or last mailed
//! a confirmation, as the confirmation mail promises. Each run is counted
//! in the log; the erasures, with reason `pending-expired`, in `/metrics`
//! (`postbode_erasures_total`).
//!
//! Several processes may do it at once (a cron `send` beside `serve`):
//! each batch is chosen and erased in one write transaction, so nobody is
//! erased twice and nobody who confirms at that moment is erased.

use std::time::Duration;

use crate::config::SubscribersSettings;
use crate::error::Result;
use crate::store::{Store, now_ms};

/// How often `serve` looks.
pub const EVERY: Duration = Duration::from_secs(3600);

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Erases the pending people past their expiry; returns how many.
pub async fn erase_expired_pending(store: &Store, settings: &SubscribersSettings) -> Result<u64> {
    let days = settings.pending_expiry_days;
    let cutoff = now_ms() - i64::from(days) * DAY_MS;
    let erased = store.erase_expired_pending(cutoff).await?;
    if erased > 0 {
        let who = if erased == 1 {
            "subscriber"
        } else {
            "subscribers"
        };
        tracing::info!(
            erased,
            days,
            "housekeeping: erased {erased} {who} still pending after {days} days"
        );
    } else {
        tracing::debug!(
            days,
            "housekeeping: no pending subscribers past their expiry"
        );
    }
    Ok(erased)
}

/// `serve`'s loop: now, then every [`EVERY`], until `shutdown` turns true.
/// A failure is logged and tried again next time.
pub async fn run(
    store: Store,
    settings: SubscribersSettings,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if let Err(error) = erase_expired_pending(&store, &settings).await {
            tracing::error!(%error, "housekeeping failed; trying again in an hour");
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.wait_for(|stopped| *stopped) => return,
        }
    }
}
