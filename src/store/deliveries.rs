//! Deliveries: one per issue and recipient. Claimed in batches with a
//! lease (a crashed worker's claims come back when it expires), and
//! finished with an outcome, recorded in batches.

use serde_json::{Map, Value};

use super::Store;
use super::backend::{Db, on_db};
use crate::domain::LinkSalt;
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
    /// Their link salt, for the unsubscribe token (`None`: stored before
    /// salts existed, or erased). Comes with the claim, so personalising a
    /// message costs no query.
    pub link_salt: Option<LinkSalt>,
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

/// delivery id, subscriber id, attempts, email, name, status, attributes,
/// link salt.
type ClaimedRow = (
    i64,
    Option<i64>,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
);

/// The PostgreSQL claim: lock due rows other workers have not locked
/// (`SKIP LOCKED`, so senders never wait on each other), lease them, and
/// return them with their subscribers, in one statement.
const PG_CLAIM: &str = "\
    WITH claimed AS ( \
      UPDATE deliveries SET status = 'sending', lease_owner = $1, next_attempt_at = $2 \
      WHERE id IN (SELECT id FROM deliveries WHERE issue_id = $3 \
        AND status IN ('queued', 'sending') AND next_attempt_at <= $4 LIMIT $5 \
        FOR UPDATE SKIP LOCKED) \
      RETURNING id, subscriber_id, attempts) \
    SELECT c.id, c.subscriber_id, c.attempts, s.email, s.name, s.status, s.attributes, s.link_salt \
    FROM claimed c LEFT JOIN subscribers s ON s.id = c.subscriber_id ORDER BY c.id";

/// SQLite's claim, part one: one writer at a time (the database lock), so
/// no row can be claimed twice.
const SQLITE_CLAIM: &str = "\
    UPDATE deliveries SET status = 'sending', lease_owner = $1, next_attempt_at = $2 \
    WHERE id IN (SELECT id FROM deliveries WHERE issue_id = $3 \
      AND status IN ('queued', 'sending') AND next_attempt_at <= $4 LIMIT $5) \
    RETURNING id";

/// SQLite's claim, part two: the claimed rows with their subscribers.
const SQLITE_CLAIMED: &str = "\
    SELECT d.id, d.subscriber_id, d.attempts, s.email, s.name, s.status, s.attributes, s.link_salt \
    FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id \
    WHERE d.id IN (SELECT value FROM json_each($1)) ORDER BY d.id";

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
        let rows: Vec<ClaimedRow> = match &self.db {
            Db::Postgres(pool) => {
                sqlx::query_as(PG_CLAIM)
                    .bind(owner)
                    .bind(lease_until)
                    .bind(issue_id)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
            }
            Db::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let ids: Vec<i64> = sqlx::query_scalar(SQLITE_CLAIM)
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
                let rows = sqlx::query_as(SQLITE_CLAIMED)
                    .bind(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                rows
            }
        };
        Ok(rows
            .into_iter()
            .map(
                |(delivery_id, subscriber_id, attempts, email, name, status, attributes, salt)| {
                    Claimed {
                        delivery_id,
                        subscriber_id,
                        attempts,
                        email,
                        name,
                        status,
                        attributes: attributes
                            .and_then(|a| serde_json::from_str(&a).ok())
                            .unwrap_or_default(),
                        // The column's CHECK keeps it at 16 bytes.
                        link_salt: salt.and_then(|b| LinkSalt::from_bytes(&b).ok()),
                    }
                },
            )
            .collect())
    }

    /// Records outcomes in one transaction. Only deliveries still marked
    /// sending change, so a late outcome cannot undo another's. One
    /// statement per kind of outcome (usually all are "sent"), its rows
    /// passed as arrays: a statement per delivery was a hand-over to
    /// SQLite's worker thread each, or a round trip to PostgreSQL, and
    /// every delivery's send slot waits for this commit.
    pub async fn record_outcomes(&self, outcomes: &[(i64, Outcome)]) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let by_kind = outcomes_by_kind(outcomes);
        match &self.db {
            Db::Sqlite(pool) => {
                // A single statement commits by itself.
                let mut tx = if by_kind.len() > 1 {
                    Some(pool.begin_with("BEGIN IMMEDIATE").await?)
                } else {
                    None
                };
                for (sql, ids, replies, message_ids, ats) in by_kind {
                    let rows: Vec<serde_json::Value> = (0..ids.len())
                        .map(|i| serde_json::json!([ids[i], replies[i], message_ids[i], ats[i]]))
                        .collect();
                    let batched = format!(
                        "{} FROM (SELECT value ->> 0 AS id, value ->> 1 AS reply, \
                         value ->> 2 AS message_id, value ->> 3 AS at FROM json_each($1)) AS u \
                         WHERE deliveries.id = u.id AND deliveries.status = 'sending'",
                        batched_set_clause(sql)
                    );
                    let query =
                        sqlx::query(&batched).bind(serde_json::Value::Array(rows).to_string());
                    match tx.as_mut() {
                        Some(tx) => query.execute(&mut **tx).await?,
                        None => query.execute(pool).await?,
                    };
                }
                if let Some(tx) = tx {
                    tx.commit().await?;
                }
            }
            Db::Postgres(pool) => {
                // Usually every outcome is "sent": one statement, which
                // commits by itself, saves two round trips.
                let mut tx = if by_kind.len() > 1 {
                    Some(pool.begin().await?)
                } else {
                    None
                };
                for (sql, ids, replies, message_ids, ats) in by_kind {
                    let batched = format!(
                        "{} FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]) \
                         AS u(id, reply, message_id, at) WHERE deliveries.id = u.id \
                         AND deliveries.status = 'sending'",
                        batched_set_clause(sql)
                    );
                    let query = sqlx::query(&batched)
                        .bind(ids)
                        .bind(replies)
                        .bind(message_ids)
                        .bind(ats);
                    match tx.as_mut() {
                        Some(tx) => query.execute(&mut **tx).await?,
                        None => query.execute(pool).await?,
                    };
                }
                if let Some(tx) = tx {
                    tx.commit().await?;
                }
            }
        }
        Ok(())
    }

    /// The delivery whose message carried `message_id` (with or without
    /// its angle brackets, as reports quote it); `None` when no sent
    /// delivery did. Message-IDs are MACs (`mail::message_id`), so one a
    /// report quotes is proof of the delivery only when it is found here.
    /// One indexed lookup (`deliveries_by_message_id`).
    pub async fn delivery_by_message_id(&self, message_id: &str) -> Result<Option<i64>> {
        let bare = message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        if bare.is_empty() {
            return Ok(None);
        }
        let bracketed = format!("<{bare}>");
        on_db!(self, pool, _sql => Ok(sqlx::query_scalar(
            "SELECT id FROM deliveries WHERE message_id = $1 ORDER BY id LIMIT 1",
        )
        .bind(&bracketed)
        .fetch_optional(pool)
        .await?))
    }

    /// The last replies of failed deliveries of an issue, grouped: (reply, count).
    pub async fn failure_replies(&self, issue_id: i64, limit: i64) -> Result<Vec<(String, i64)>> {
        on_db!(self, pool, _sql => Ok(sqlx::query_as(
            "SELECT coalesce(last_reply, ''), count(*) FROM deliveries WHERE issue_id = $1 \
             AND status = 'failed' GROUP BY 1 ORDER BY 2 DESC LIMIT $2",
        )
        .bind(issue_id)
        .bind(limit)
        .fetch_all(pool)
        .await?))
    }
}

/// Outcomes of one kind for PostgreSQL: the statement, then the
/// delivery ids, replies, Message-IDs and times as arrays.
type OutcomeBatch<'a> = (
    &'a str,
    Vec<i64>,
    Vec<&'a str>,
    Vec<Option<&'a str>>,
    Vec<i64>,
);

/// The UPDATE for one outcome, with its parameters: `$1` the delivery,
/// `$2` the reply (or reason), `$3` the Message-ID, `$4` a time. Each
/// statement uses the same four, so one shape binds them all.
fn outcome_update(outcome: &Outcome) -> (&'static str, &str, Option<&str>, Option<i64>) {
    match outcome {
        Outcome::Sent {
            reply,
            message_id,
            at,
        } => (
            "UPDATE deliveries SET status = 'sent', last_reply = $2, message_id = $3, \
             sent_at = $4, attempts = attempts + 1, lease_owner = NULL \
             WHERE id = $1 AND status = 'sending'",
            reply,
            Some(message_id),
            Some(*at),
        ),
        Outcome::Retry { reply, at } => (
            "UPDATE deliveries SET status = 'queued', last_reply = $2, next_attempt_at = $4, \
             attempts = attempts + 1, lease_owner = NULL \
             WHERE id = $1 AND status = 'sending'",
            reply,
            None,
            Some(*at),
        ),
        Outcome::Failed { reply } => (
            "UPDATE deliveries SET status = 'failed', last_reply = $2, attempts = attempts + 1, \
             lease_owner = NULL WHERE id = $1 AND status = 'sending'",
            reply,
            None,
            None,
        ),
        Outcome::Released { reason, at } => (
            "UPDATE deliveries SET status = 'queued', last_reply = $2, next_attempt_at = $4, \
             lease_owner = NULL WHERE id = $1 AND status = 'sending'",
            reason,
            None,
            Some(*at),
        ),
        Outcome::Skipped { reason } => (
            "UPDATE deliveries SET status = 'skipped', last_reply = $2, lease_owner = NULL \
             WHERE id = $1 AND status = 'sending'",
            reason,
            None,
            None,
        ),
    }
}

/// Outcomes grouped by their statement, each group's values as columns.
fn outcomes_by_kind(outcomes: &[(i64, Outcome)]) -> Vec<OutcomeBatch<'_>> {
    let mut by_kind: Vec<OutcomeBatch> = Vec::new();
    for (id, outcome) in outcomes {
        let (sql, reply, message_id, at) = outcome_update(outcome);
        let slot = match by_kind.iter().position(|k| k.0 == sql) {
            Some(i) => &mut by_kind[i],
            None => {
                by_kind.push((sql, Vec::new(), Vec::new(), Vec::new(), Vec::new()));
                let last = by_kind.len() - 1;
                &mut by_kind[last]
            }
        };
        slot.1.push(*id);
        slot.2.push(reply);
        slot.3.push(message_id);
        slot.4.push(at.unwrap_or(0));
    }
    by_kind
}

/// An [`outcome_update`] in its batched form (both backends): the SET
/// clause with the parameters turned into columns of `u`.
fn batched_set_clause(sql: &str) -> String {
    let set = sql.split(" WHERE ").next().unwrap_or(sql);
    set.replace("attempts = attempts", "attempts = deliveries.attempts")
        .replace("$2", "u.reply")
        .replace("$3", "u.message_id")
        .replace("$4", "u.at")
}
