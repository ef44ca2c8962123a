//! Pausing, resuming and cancelling issues, by a person or by the
//! dispatcher's circuit breaker.

use super::backend::on_db;
use super::{IssueStatus, Store, now_ms};
use crate::domain::{ChangeSource, StatusOutcome, SubscriberStatus};
use crate::error::{Error, Result};

/// Who paused an issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PausedBy {
    /// `issue pause`, or a stop that needs a person (bad credentials, too
    /// many permanent failures in a row).
    Person,
    /// The mail server was unreachable; sending resumes by itself.
    Breaker,
}

impl PausedBy {
    fn as_str(self) -> &'static str {
        match self {
            PausedBy::Person => "person",
            PausedBy::Breaker => "breaker",
        }
    }
}

impl Store {
    /// The current status of an issue (senders look between batches).
    pub async fn issue_status(&self, issue_id: i64) -> Result<Option<IssueStatus>> {
        let status: Option<String> = on_db!(self, pool, _sql =>
            sqlx::query_scalar("SELECT status FROM issues WHERE id = $1")
                .bind(issue_id)
                .fetch_optional(pool)
                .await?);
        Ok(status.as_deref().and_then(IssueStatus::parse))
    }

    /// Pauses a scheduled or sending issue. Senders stop claiming its
    /// deliveries; what is in flight finishes.
    pub async fn pause_issue(&self, slug: &str, by: PausedBy, reason: &str) -> Result<()> {
        let changed = on_db!(self, pool, _sql => sqlx::query(
            "UPDATE issues SET status = 'paused', paused_by = $1, paused_reason = $2 \
             WHERE slug = $3 AND status IN ('scheduled', 'sending')",
        )
        .bind(by.as_str())
        .bind(reason)
        .bind(slug)
        .execute(pool)
        .await?
        .rows_affected());
        if changed == 0 {
            return Err(self.cannot(slug, "pause", "scheduled or sending").await);
        }
        Ok(())
    }

    /// Resumes a paused issue exactly where it stopped: its deliveries are
    /// untouched, so nobody is skipped and nobody is sent to twice.
    pub async fn resume_issue(&self, slug: &str) -> Result<()> {
        let changed = on_db!(self, pool, _sql => sqlx::query(
            "UPDATE issues SET status = CASE WHEN started_at IS NULL THEN 'scheduled' ELSE 'sending' END, \
             paused_by = NULL, paused_reason = NULL WHERE slug = $1 AND status = 'paused'",
        )
        .bind(slug)
        .execute(pool)
        .await?
        .rows_affected());
        if changed == 0 {
            return Err(self.cannot(slug, "resume", "paused").await);
        }
        Ok(())
    }

    /// Issues the circuit breaker paused go back to sending (only the one
    /// named by `only`, when given): each run tries the server again.
    pub async fn resume_breaker_paused(&self, only: Option<&str>) -> Result<u64> {
        on_db!(self, pool, _sql => Ok(sqlx::query(
            "UPDATE issues SET status = 'sending', paused_by = NULL, paused_reason = NULL \
             WHERE status = 'paused' AND paused_by = 'breaker' AND ($1 IS NULL OR slug = $1)",
        )
        .bind(only)
        .execute(pool)
        .await?
        .rows_affected()))
    }

    /// Cancels an issue: every delivery not yet sent becomes cancelled.
    /// Messages in flight still record their outcome. Returns how many
    /// were cancelled.
    pub async fn cancel_issue(&self, slug: &str) -> Result<u64> {
        let cancelled = on_db!(self, pool, sql => {
            let mut tx = pool.begin_with(sql.begin_write).await?;
            let id: Option<i64> = sqlx::query_scalar(
                "UPDATE issues SET status = 'cancelled', finished_at = $1, paused_by = NULL \
                 WHERE slug = $2 AND status IN ('scheduled', 'sending', 'paused') RETURNING id",
            )
            .bind(now_ms())
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await?;
            match id {
                None => None,
                Some(id) => {
                    let n = sqlx::query(
                        "UPDATE deliveries SET status = 'cancelled', lease_owner = NULL \
                         WHERE issue_id = $1 AND status = 'queued'",
                    )
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    tx.commit().await?;
                    Some(n)
                }
            }
        });
        match cancelled {
            Some(n) => Ok(n),
            None => Err(self
                .cannot(slug, "cancel", "scheduled, sending or paused")
                .await),
        }
    }

    async fn cannot(&self, slug: &str, verb: &str, must_be: &str) -> Error {
        match self.issue(slug).await {
            Ok(Some(issue)) => Error::Input(format!(
                "cannot {verb} {slug}: it is {}, and only a {must_be} issue can be",
                issue.status.as_str()
            )),
            Ok(None) => Error::Input(format!("no issue with slug {slug}")),
            Err(e) => e,
        }
    }

    /// A "no such user" reply: the subscriber is marked bounced (with the
    /// reply in the status log), as the table of status changes allows
    /// (from pending or active; someone who already left stays as they
    /// are), so their later deliveries are skipped.
    pub async fn mark_bounced(&self, subscriber_id: i64, reply: &str) -> Result<StatusOutcome> {
        self.set_status_by_id(
            subscriber_id,
            SubscriberStatus::Bounced,
            ChangeSource::Bounce,
            Some(reply),
        )
        .await
    }
}
