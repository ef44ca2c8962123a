//! Deliveries: one per issue and recipient. Claimed in batches with a
//! lease (a crashed worker's claims come back when it expires), and
//! finished with an outcome, recorded in batches.

use serde_json::{Map, Value};

use super::Store;
use crate::error::Result;

/// A claimed delivery with what personalisation needs.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub delivery_id: i64,
    /// None once the subscriber was erased.
    pub subscriber_id: Option<i64>,
    /// Attempts made before this one: a try whose outcome was recorded
    /// (sent, failed, retry). A claim by a worker that crashed, or one
    /// given back untried, does not count.
    pub attempts: i64,
    pub email: Option<String>,
    pub name: Option<String>,
    /// The subscriber's status now: someone who left since the issue
    /// started is skipped.
    pub status: Option<String>,
    pub attributes: Map<String, Value>,
}

/// How a delivery ended (or when to try again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by the server (2xx) or written to the outbox.
    Sent {
        reply: String,
        message_id: String,
        at: i64,
    },
    /// Try again at `at` (4xx, timeouts, dropped connections).
    Retry { reply: String, at: i64 },
    /// Failed for good, with the server's reply.
    Failed { reply: String },
    /// Not sent, and why (the subscriber left, was erased, ...).
    Skipped { reason: String },
    /// Given back untried, or tried without it being the recipient's
    /// problem (shutdown, throttling, server down): queued again for `at`,
    /// and the attempt is not counted.
    Released { reason: String, at: i64 },
}

/// delivery id, subscriber id, attempts, email, name, status, attributes.
type ClaimedRow = (
    i64,
    Option<i64>,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl Store {
    /// Claims up to `limit` due deliveries of an issue for `owner` until
    /// `lease_until`: queued ones whose time has come, and ones whose
    /// lease expired.
    pub async fn claim_due_deliveries(
        &self,
        issue_id: i64,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<Claimed>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "UPDATE deliveries SET status = 'sending', lease_owner = ?1, next_attempt_at = ?2 \
             WHERE id IN (SELECT id FROM deliveries WHERE issue_id = ?3 \
               AND status IN ('queued', 'sending') AND next_attempt_at <= ?4 LIMIT ?5) \
             RETURNING id",
        )
        .bind(owner)
        .bind(lease_until)
        .bind(issue_id)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        if ids.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        let rows: Vec<ClaimedRow> = sqlx::query_as(
            "SELECT d.id, d.subscriber_id, d.attempts, s.email, s.name, s.status, s.attributes \
                 FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id \
                 WHERE d.id IN (SELECT value FROM json_each(?)) ORDER BY d.id",
        )
        .bind(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(
                |(delivery_id, subscriber_id, attempts, email, name, status, attributes)| Claimed {
                    delivery_id,
                    subscriber_id,
                    attempts,
                    email,
                    name,
                    status,
                    attributes: attributes
                        .and_then(|a| serde_json::from_str(&a).ok())
                        .unwrap_or_default(),
                },
            )
            .collect())
    }

    /// Records outcomes in one transaction. Only deliveries still marked
    /// sending change, so a late outcome cannot undo another's.
    pub async fn record_outcomes(&self, outcomes: &[(i64, Outcome)]) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for (id, outcome) in outcomes {
            let q = match outcome {
                Outcome::Sent { reply, message_id, at } => sqlx::query(
                    "UPDATE deliveries SET status = 'sent', last_reply = ?, message_id = ?, sent_at = ?, \
                     attempts = attempts + 1, lease_owner = NULL WHERE id = ? AND status = 'sending'",
                )
                .bind(reply)
                .bind(message_id)
                .bind(at),
                Outcome::Retry { reply, at } => sqlx::query(
                    "UPDATE deliveries SET status = 'queued', last_reply = ?, next_attempt_at = ?, \
                     attempts = attempts + 1, lease_owner = NULL WHERE id = ? AND status = 'sending'",
                )
                .bind(reply)
                .bind(at),
                Outcome::Failed { reply } => sqlx::query(
                    "UPDATE deliveries SET status = 'failed', last_reply = ?, attempts = attempts + 1, \
                     lease_owner = NULL WHERE id = ? AND status = 'sending'",
                )
                .bind(reply),
                Outcome::Released { reason, at } => sqlx::query(
                    "UPDATE deliveries SET status = 'queued', last_reply = ?, \
                     next_attempt_at = ?, lease_owner = NULL \
                     WHERE id = ? AND status = 'sending'",
                )
                .bind(reason)
                .bind(at),
                Outcome::Skipped { reason } => sqlx::query(
                    "UPDATE deliveries SET status = 'skipped', last_reply = ?, lease_owner = NULL \
                     WHERE id = ? AND status = 'sending'",
                )
                .bind(reason),
            };
            q.bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The last replies of failed deliveries of an issue, grouped: (reply, count).
    pub async fn failure_replies(&self, issue_id: i64, limit: i64) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT coalesce(last_reply, ''), count(*) FROM deliveries WHERE issue_id = ? \
             AND status = 'failed' GROUP BY 1 ORDER BY 2 DESC LIMIT ?",
        )
        .bind(issue_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
