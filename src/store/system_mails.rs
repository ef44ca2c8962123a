//! Mails to one person outside an issue (the double opt-in confirmation, a
//! fresh unsubscribe link): who they go to, and the record of each one the
//! transport took. And the pending expiry, which counts from the last
//! confirmation mail: subscribers still pending after
//! `subscribers.pending_expiry_days` are erased.

use sqlx::QueryBuilder;

use super::backend::on_db;
use super::{Store, now_ms};
use crate::domain::{ChangeSource, EmailAddress, Language, SubscriberName};
use crate::error::{Error, Result};

/// Which mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemMailKind {
    /// The double opt-in confirmation.
    Confirmation,
    /// A fresh one-click unsubscribe link, asked for by address.
    UnsubscribeLink,
}

impl SystemMailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmation => "confirmation",
            Self::UnsubscribeLink => "unsubscribe-link",
        }
    }
}

/// Why a person was erased, as `erasures.reason` and the metrics say it.
pub const ERASED_BY_ADMIN: &str = "admin";
pub const ERASED_PENDING_EXPIRED: &str = "pending-expired";

/// Who a system mail goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub id: i64,
    pub email: EmailAddress,
    pub name: Option<SubscriberName>,
    pub language: Option<Language>,
}

/// People erased per round of [`Store::erase_expired_pending`]: bounds how
/// long one transaction holds the write lock.
const ERASE_BATCH: usize = 500;

impl Store {
    /// Records that a system mail to `subscriber_id` was handed to the
    /// transport. Nothing is recorded for someone erased in the meantime.
    pub async fn record_system_mail(
        &self,
        subscriber_id: i64,
        kind: SystemMailKind,
        source: ChangeSource,
    ) -> Result<()> {
        on_db!(self, pool, _sql => sqlx::query(
            "INSERT INTO system_mails (subscriber_id, kind, source, at) \
             SELECT id, $2, $3, $4 FROM subscribers WHERE id = $1",
        )
        .bind(subscriber_id)
        .bind(kind.as_str())
        .bind(source.as_str())
        .bind(now_ms())
        .execute(pool)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// How many system mails of `kind` went to `subscriber_id`.
    pub async fn system_mail_count(&self, subscriber_id: i64, kind: SystemMailKind) -> Result<i64> {
        on_db!(self, pool, _sql => Ok(sqlx::query_scalar(
            "SELECT count(*) FROM system_mails WHERE subscriber_id = $1 AND kind = $2",
        )
        .bind(subscriber_id)
        .bind(kind.as_str())
        .fetch_one(pool)
        .await?))
    }

    /// Subscriber `id` when they are still pending (a confirmation mail
    /// goes out only to them).
    pub async fn pending_recipient(&self, id: i64) -> Result<Option<Recipient>> {
        let row: Option<(i64, String, Option<String>, Option<String>)> = on_db!(self, pool, _sql => sqlx::query_as(
                "SELECT id, email, name, language FROM subscribers \
                 WHERE id = $1 AND status = 'pending'",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?);
        row.map(|(id, email, name, language)| {
            let bad = |field: &str, reason: String| {
                Error::Input(format!(
                    "subscriber #{id} in the database has a bad {field}: {reason}"
                ))
            };
            Ok(Recipient {
                id,
                email: EmailAddress::parse(&email).map_err(|e| bad("email", e.to_string()))?,
                name: name
                    .as_deref()
                    .map(SubscriberName::parse)
                    .transpose()
                    .map_err(|e| bad("name", e.to_string()))?,
                // A language the mails do not speak gets the default.
                language: language.as_deref().and_then(|l| Language::parse(l).ok()),
            })
        })
        .transpose()
    }

    /// The pending subscribers among `emails` (any case): (id, created_at).
    /// At most a thousand addresses per call (an import batch).
    pub async fn pending_among(&self, emails: &[EmailAddress]) -> Result<Vec<(i64, i64)>> {
        if emails.is_empty() {
            return Ok(Vec::new());
        }
        on_db!(self, pool, _sql => {
            let mut query = QueryBuilder::new(
                "SELECT id, created_at FROM subscribers WHERE status = 'pending' AND email IN (",
            );
            let mut list = query.separated(", ");
            for email in emails {
                list.push_bind(email.as_str());
            }
            query.push(") ORDER BY id");
            Ok(query.build_query_as().fetch_all(pool).await?)
        })
    }

    /// Erases every subscriber still pending who was added before
    /// `cutoff_ms` and got no confirmation mail since (the confirmation
    /// mail promises to forget them). Like `subscribers remove`, nothing
    /// that could identify them stays; each leaves an erasure row with
    /// reason [`ERASED_PENDING_EXPIRED`]. They are not put on any
    /// suppression list: they never consented to anything, and forgetting
    /// means forgetting. Returns how many were erased.
    ///
    /// Check-and-set: each batch is chosen and erased in one write
    /// transaction (rows locked on PostgreSQL), so someone who confirms at
    /// the same moment is either erased before or kept.
    pub async fn erase_expired_pending(&self, cutoff_ms: i64) -> Result<u64> {
        let mut erased = 0u64;
        loop {
            let n = on_db!(self, pool, sql => {
                let mut tx = pool.begin_with(sql.begin_write).await?;
                let ids: Vec<i64> = sqlx::query_scalar(&format!(
                    "SELECT s.id FROM subscribers s WHERE s.status = 'pending' \
                     AND s.created_at < $1 AND NOT EXISTS (SELECT 1 FROM system_mails m \
                       WHERE m.subscriber_id = s.id AND m.kind = 'confirmation' AND m.at >= $1) \
                     ORDER BY s.id LIMIT {ERASE_BATCH}{}",
                    sql.for_update
                ))
                .bind(cutoff_ms)
                .fetch_all(&mut *tx)
                .await?;
                if !ids.is_empty() {
                    let in_ids = |head: &str| {
                        let mut q = QueryBuilder::new(head);
                        let mut list = q.separated(", ");
                        for id in &ids {
                            list.push_bind(*id);
                        }
                        q.push(")");
                        q
                    };
                    in_ids("UPDATE status_changes SET detail = NULL WHERE subscriber_id IN (")
                        .build()
                        .execute(&mut *tx)
                        .await?;
                    in_ids("UPDATE deliveries SET last_reply = NULL WHERE subscriber_id IN (")
                        .build()
                        .execute(&mut *tx)
                        .await?;
                    let now = now_ms();
                    let mut rows = QueryBuilder::new("INSERT INTO erasures (at, status, reason) ");
                    rows.push_values(&ids, |mut b, _| {
                        b.push_bind(now)
                            .push_bind("pending")
                            .push_bind(ERASED_PENDING_EXPIRED);
                    });
                    rows.build().execute(&mut *tx).await?;
                    in_ids("DELETE FROM subscribers WHERE id IN (")
                        .build()
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
                ids.len()
            });
            erased += n as u64;
            if n < ERASE_BATCH {
                break;
            }
        }
        if erased > 0 {
            on_db!(self, pool, sql => {
                if let Err(e) = sqlx::raw_sql(sql.after_erasure).execute(pool).await {
                    tracing::warn!(error = %e, "clean-up after erasure failed");
                }
            });
        }
        Ok(erased)
    }
}
