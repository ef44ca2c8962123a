//! What came back about each issue (docs/bounces.md, "Per issue"): hard
//! bounces, soft bounces and complaints, the complaint rate, and the brake
//! that pauses sending when the rate is too high.
//!
//! The counts are of deliveries, so a report read twice, or a hard bounce
//! seen both at the SMTP reply and in a later report, counts once:
//!
//! - **hard bounces**: deliveries with an applied hard-bounce report
//!   (`bounce_reports.kind = 'hard'`), or failed at the SMTP reply with an
//!   enhanced status 5.1.x (the stored reply starts `5xx 5.1.`; 5.1.7 and
//!   5.1.8 are about the sender's own address and not counted), the reply
//!   on which the dispatcher marks the subscriber bounced;
//! - **soft bounces**: deliveries with at least one applied soft-bounce
//!   report (4.x.x, delayed); retries at the SMTP reply are not bounces;
//! - **complaints**: deliveries with an applied complaint report;
//! - **sent**: deliveries the mail server took (`sent_at` set), including
//!   those a later report failed;
//! - **complaint rate**: complaints / sent, 0 while nothing was sent.

use super::Store;
use super::backend::on_db;
use crate::error::Result;

/// Feedback about one issue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FeedbackCounts {
    pub hard_bounces: i64,
    pub soft_bounces: i64,
    pub complaints: i64,
    /// Messages the mail server took (the rate's denominator).
    pub sent: i64,
}

impl FeedbackCounts {
    /// Complaints per message sent: 0.003 is 0.3 %.
    pub fn complaint_rate(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            // Counts of one issue's messages: exact as f64.
            self.complaints as f64 / self.sent as f64
        }
    }
}

/// One statement for every issue or one: (issue id, slug, hard, soft,
/// complaints, sent). `$1` NULL for every issue.
const FEEDBACK: &str = "SELECT i.id, i.slug, \
     coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM bounce_reports b WHERE b.delivery_id = d.id AND b.kind = 'hard') \
         OR (d.status = 'failed' AND d.last_reply LIKE '5__ 5.1.%' \
             AND d.last_reply NOT LIKE '5__ 5.1.7%' AND d.last_reply NOT LIKE '5__ 5.1.8%') \
         THEN 1 ELSE 0 END), 0), \
     coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM bounce_reports b WHERE b.delivery_id = d.id AND b.kind = 'soft') \
         THEN 1 ELSE 0 END), 0), \
     coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM bounce_reports b WHERE b.delivery_id = d.id AND b.kind = 'complaint') \
         THEN 1 ELSE 0 END), 0), \
     coalesce(sum(CASE WHEN d.sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) \
     FROM issues i JOIN deliveries d ON d.issue_id = i.id \
     WHERE ($1 IS NULL OR i.id = $1) GROUP BY i.id, i.slug ORDER BY i.slug";

type FeedbackRow = (i64, String, i64, i64, i64, i64);

impl Store {
    /// Feedback about issue `issue_id` (zeros before it started).
    pub async fn feedback_counts(&self, issue_id: i64) -> Result<FeedbackCounts> {
        Ok(self
            .feedback_rows(Some(issue_id))
            .await?
            .into_iter()
            .next()
            .map(|(_, c)| c)
            .unwrap_or_default())
    }

    /// Feedback about every issue with deliveries, by slug.
    pub async fn feedback_by_issue(&self) -> Result<Vec<(String, FeedbackCounts)>> {
        self.feedback_rows(None).await
    }

    async fn feedback_rows(&self, issue_id: Option<i64>) -> Result<Vec<(String, FeedbackCounts)>> {
        let rows: Vec<FeedbackRow> = on_db!(self, pool, _sql => sqlx::query_as(FEEDBACK)
            .bind(issue_id)
            .fetch_all(pool)
            .await?);
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.1,
                    FeedbackCounts {
                        hard_bounces: r.2,
                        soft_bounces: r.3,
                        complaints: r.4,
                        sent: r.5,
                    },
                )
            })
            .collect())
    }

    /// The slug of issue `issue_id`.
    pub async fn issue_slug(&self, issue_id: i64) -> Result<Option<String>> {
        on_db!(self, pool, _sql => Ok(sqlx::query_scalar("SELECT slug FROM issues WHERE id = $1")
            .bind(issue_id)
            .fetch_optional(pool)
            .await?))
    }

    /// The brake: pauses issue `issue_id` when it is scheduled or being
    /// sent, and the next scheduled issue (the earliest send time, any
    /// list: a sender's reputation is its domain's), as paused by a
    /// person (only `issue resume` continues them), with `reason`.
    /// Returns the slugs paused now; an issue already paused keeps its
    /// own reason. The next issue is paused only while no issue is paused
    /// with a reason starting with `marker` (the brake of this issue):
    /// each later complaint about it would otherwise pause one more.
    pub async fn pause_for_complaints(
        &self,
        issue_id: i64,
        marker: &str,
        reason: &str,
    ) -> Result<Vec<String>> {
        on_db!(self, pool, sql => {
            let mut tx = pool.begin_with(sql.begin_write).await?;
            let mut paused: Vec<String> = sqlx::query_scalar(
                "UPDATE issues SET status = 'paused', paused_by = 'person', paused_reason = $2 \
                 WHERE id = $1 AND status IN ('scheduled', 'sending') RETURNING slug",
            )
            .bind(issue_id)
            .bind(reason)
            .fetch_all(&mut *tx)
            .await?;
            let next: Vec<String> = sqlx::query_scalar(
                "UPDATE issues SET status = 'paused', paused_by = 'person', paused_reason = $2 \
                 WHERE id = (SELECT id FROM issues WHERE status = 'scheduled' AND id <> $1 \
                 ORDER BY send_at, id LIMIT 1) AND status = 'scheduled' \
                 AND NOT EXISTS (SELECT 1 FROM issues WHERE status = 'paused' AND id <> $1 \
                   AND substr(paused_reason, 1, length($3)) = $3) RETURNING slug",
            )
            .bind(issue_id)
            .bind(reason)
            .bind(marker)
            .fetch_all(&mut *tx)
            .await?;
            paused.extend(next);
            tx.commit().await?;
            Ok(paused)
        })
    }
}
