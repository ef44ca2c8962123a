//! The suppression list: addresses that left (erased, unsubscribed,
//! bounced, complained), kept as HMAC-SHA256(`secrets.suppression_key`,
//! normalised address) with the reason and the date, so an import or
//! `subscribers add` never brings them back. See
//! [`crate::domain::SuppressionKey`] for why the list holds no readable
//! address, and [`crate::domain::status_rules`] for who may lift what.
//!
//! The store computes every hash itself (from the address it has stored,
//! inside the transaction that changes the person), so it carries the key:
//! [`Store::with_suppression_key`]. Without one, every change that must
//! touch the list fails with an error naming the setting, rather than
//! silently keeping nothing.

use super::backend::on_db;
use super::subscribers::log_status_change;
use super::{Store, now_ms};
use crate::domain::status_rules::SuppressionEffect;
use crate::domain::{
    AddressHash, ChangeSource, EmailAddress, StatusOutcome, SubscriberStatus, SuppressionKey,
    SuppressionReason,
};
use crate::error::{Error, Result};

/// Keeps `$hash` for `$reason` at `$at`, inside the caller's transaction.
/// A bounce or complaint already kept stays (only an admin lifts those);
/// otherwise the newer reason and date win.
macro_rules! suppress {
    ($tx:expr, $hash:expr, $reason:expr, $at:expr) => {{
        let hash: &$crate::domain::AddressHash = $hash;
        let reason: $crate::domain::SuppressionReason = $reason;
        sqlx::query(
            "INSERT INTO suppressions (hash, reason, at) VALUES ($1, $2, $3) \
             ON CONFLICT (hash) DO UPDATE SET reason = excluded.reason, at = excluded.at \
             WHERE suppressions.reason NOT IN ('bounced', 'complained') \
                OR excluded.reason IN ('bounced', 'complained')",
        )
        .bind(hash.as_bytes().as_slice())
        .bind(reason.as_str())
        .bind($at)
        .execute($tx)
        .await?;
    }};
}
pub(super) use suppress;

/// Applies a [`SuppressionEffect`] for `$hash` inside the caller's
/// transaction.
macro_rules! apply_suppression_effect {
    ($tx:expr, $hash:expr, $effect:expr, $at:expr) => {{
        let hash: &$crate::domain::AddressHash = $hash;
        match $effect {
            $crate::domain::status_rules::SuppressionEffect::Add(reason) => {
                $crate::store::suppressions::suppress!($tx, hash, reason, $at)
            }
            $crate::domain::status_rules::SuppressionEffect::LiftByPerson => {
                sqlx::query(
                    "DELETE FROM suppressions WHERE hash = $1 \
                     AND reason IN ('erased', 'unsubscribed')",
                )
                .bind(hash.as_bytes().as_slice())
                .execute($tx)
                .await?;
            }
            $crate::domain::status_rules::SuppressionEffect::LiftByAdmin => {
                sqlx::query("DELETE FROM suppressions WHERE hash = $1")
                    .bind(hash.as_bytes().as_slice())
                    .execute($tx)
                    .await?;
            }
            $crate::domain::status_rules::SuppressionEffect::None => {}
        }
    }};
}
pub(super) use apply_suppression_effect;

/// What `subscribers unsuppress` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsuppressed {
    /// Lifted. `reactivated`: the stored subscriber went from bounced or
    /// complained to active.
    Lifted {
        reason: Option<SuppressionReason>,
        reactivated: bool,
    },
    /// The address is not on the list, and no stored subscriber is
    /// bounced or complained: nothing to lift.
    NotSuppressed,
    /// Unsubscribed or erased: only the person lifts that, by subscribing
    /// again with double opt-in. Nothing changed.
    PersonOnly(SuppressionReason),
}

impl Store {
    /// This store with the suppression list's key (`secrets.suppression_key`).
    pub fn with_suppression_key(mut self, key: SuppressionKey) -> Store {
        self.suppression = Some(key);
        self
    }

    /// The key, or an error that says how to make one.
    pub(crate) fn suppression_key(&self) -> Result<&SuppressionKey> {
        self.suppression.as_ref().ok_or_else(missing_key)
    }

    /// The hash `email` is (or would be) kept under.
    pub fn suppression_hash(&self, email: &EmailAddress) -> Result<AddressHash> {
        Ok(self.suppression_key()?.hash(email))
    }

    /// Why `email` is suppressed, and since when (Unix ms); `None` when it
    /// is not.
    pub async fn suppression(
        &self,
        email: &EmailAddress,
    ) -> Result<Option<(SuppressionReason, i64)>> {
        let hash = self.suppression_hash(email)?;
        let row: Option<(String, i64)> = on_db!(self, pool, _sql => sqlx::query_as(
            "SELECT reason, at FROM suppressions WHERE hash = $1",
        )
        .bind(hash.as_bytes().as_slice())
        .fetch_optional(pool)
        .await?);
        Ok(row.and_then(|(reason, at)| Some((SuppressionReason::parse(&reason).ok()?, at))))
    }

    /// Suppressed addresses per reason (all reasons, zeros included).
    pub async fn suppression_counts(&self) -> Result<Vec<(SuppressionReason, i64)>> {
        let rows: Vec<(String, i64)> = on_db!(self, pool, _sql =>
            sqlx::query_as("SELECT reason, count(*) FROM suppressions GROUP BY reason")
                .fetch_all(pool)
                .await?);
        Ok(SuppressionReason::ALL
            .iter()
            .map(|r| {
                let n = rows
                    .iter()
                    .find(|(name, _)| name == r.as_str())
                    .map_or(0, |x| x.1);
                (*r, n)
            })
            .collect())
    }

    /// `subscribers unsuppress EMAIL --reason TEXT`: an admin lifts a
    /// bounce or complaint. A stored subscriber who is bounced or
    /// complained becomes active (source `admin`, `why` as the detail); an
    /// erased one's lift is logged as an anonymous entry. Unsubscribed or
    /// erased addresses are refused: only the person lifts those.
    pub async fn unsuppress(&self, email: &EmailAddress, why: &str) -> Result<Unsuppressed> {
        let hash = self.suppression_hash(email)?;
        let kept = self.suppression(email).await?.map(|(reason, _)| reason);
        if let Some(reason) = kept.filter(|r| r.lifted_by_person()) {
            return Ok(Unsuppressed::PersonOnly(reason));
        }
        let detail = format!("unsuppressed: {why}");
        if let Some(known) = self.find_subscriber(email).await? {
            let outcome = self
                .set_status_by_id(
                    known.id,
                    SubscriberStatus::Active,
                    ChangeSource::Admin,
                    Some(&detail),
                )
                .await?;
            if let StatusOutcome::Changed { .. } = outcome {
                return Ok(Unsuppressed::Lifted {
                    reason: kept,
                    reactivated: true,
                });
            }
        }
        let Some(reason) = kept else {
            return Ok(Unsuppressed::NotSuppressed);
        };
        // No one stored with a bounce or complaint: lift the entry alone,
        // and log it without a subscriber.
        let status = match reason {
            SuppressionReason::Complained => SubscriberStatus::Complained,
            _ => SubscriberStatus::Bounced,
        };
        let _writer = self.writer.lock().await;
        on_db!(self, pool, sql => {
            let mut tx = pool.begin_with(sql.begin_write).await?;
            apply_suppression_effect!(&mut *tx, &hash, SuppressionEffect::LiftByAdmin, now_ms());
            let none: Option<i64> = None;
            log_status_change!(
                &mut *tx,
                none,
                now_ms(),
                Some(status),
                status,
                ChangeSource::Admin,
                Some(detail.as_str())
            );
            tx.commit().await?;
        });
        Ok(Unsuppressed::Lifted {
            reason: Some(reason),
            reactivated: false,
        })
    }
}

fn missing_key() -> Error {
    Error::Config(
        "secrets.suppression_key is not set. It keys the suppression list (keyed hashes of \
         addresses that left, so no import brings them back). Add one to [secrets] in \
         postbode.toml, at least 16 characters, e.g. the output of `openssl rand -hex 32`, \
         and back it up with the database: under another key the list matches nothing. \
         `postbode init` writes one into a new config."
            .into(),
    )
}
