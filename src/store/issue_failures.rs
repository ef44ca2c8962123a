//! Failed deliveries per issue, for the failure brake (docs/bounces.md,
//! "Per issue"): reports of 5.x.x that are not the address's fault (above
//! all 5.7.x: policy, blocklists, DMARC) say something about the sender
//! now, so many of them for one issue pause that issue.
//!
//! Counted are deliveries with an applied `failed` report (a report read
//! twice counts once); failures at the SMTP reply have the dispatcher's
//! own brake (permanent failures in a row).

use super::backend::on_db;
use super::{IssueStatus, Store};
use crate::error::Result;

/// The failed-delivery reports of one issue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailedReports {
    /// Deliveries with an applied `failed` report.
    pub failed: i64,
    /// Messages the mail server took (as in [`super::FeedbackCounts`]).
    pub sent: i64,
    /// The most common status code among them, how many deliveries had it,
    /// and the reply stored with the latest of those (`5.7.1 smtp; 550 …`).
    pub most_common: Option<(String, i64, Option<String>)>,
}

/// What [`Store::pause_for_failures`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailurePause {
    /// Paused now.
    Paused,
    /// Not paused: the issue is not scheduled or sending (paused already,
    /// sent, cancelled), or it is gone.
    NotRunning(Option<IssueStatus>),
    /// Not paused: the brake paused it before at `at` failed deliveries,
    /// and someone resumed it; it pauses again from `again`.
    ResumedAfter { at: i64, again: i64 },
}

impl Store {
    /// The failed-delivery reports of issue `issue_id`.
    pub async fn failed_reports(&self, issue_id: i64) -> Result<FailedReports> {
        on_db!(self, pool, _sql => {
            let (failed, sent): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT count(DISTINCT b.delivery_id) FROM bounce_reports b \
                   JOIN deliveries d ON d.id = b.delivery_id \
                   WHERE d.issue_id = $1 AND b.kind = 'failed'), \
                 (SELECT count(*) FROM deliveries WHERE issue_id = $1 AND sent_at IS NOT NULL)",
            )
            .bind(issue_id)
            .fetch_one(pool)
            .await?;
            let top: Option<(String, i64)> = sqlx::query_as(
                "SELECT b.reason, count(DISTINCT b.delivery_id) AS n FROM bounce_reports b \
                 JOIN deliveries d ON d.id = b.delivery_id \
                 WHERE d.issue_id = $1 AND b.kind = 'failed' \
                 GROUP BY b.reason ORDER BY n DESC, b.reason LIMIT 1",
            )
            .bind(issue_id)
            .fetch_optional(pool)
            .await?;
            let most_common = match top {
                None => None,
                Some((code, n)) => {
                    let reply: Option<Option<String>> = sqlx::query_scalar(
                        "SELECT d.last_reply FROM bounce_reports b \
                         JOIN deliveries d ON d.id = b.delivery_id \
                         WHERE d.issue_id = $1 AND b.kind = 'failed' AND b.reason = $2 \
                         ORDER BY b.id DESC LIMIT 1",
                    )
                    .bind(issue_id)
                    .bind(&code)
                    .fetch_optional(pool)
                    .await?;
                    Some((code, n, reply.flatten()))
                }
            };
            Ok(FailedReports { failed, sent, most_common })
        })
    }

    /// The failure brake: pauses issue `issue_id` (only this one) when it
    /// is scheduled or being sent, as paused by a person (only `issue
    /// resume` continues it), with `reason`, and remembers `failed`. An
    /// issue the brake paused before, and someone resumed, is paused again
    /// only from `min_count` more failed deliveries: the late reports about
    /// mail sent before the pause must not stop it each time.
    pub async fn pause_for_failures(
        &self,
        issue_id: i64,
        failed: i64,
        min_count: i64,
        reason: &str,
    ) -> Result<FailurePause> {
        on_db!(self, pool, _sql => {
            let paused = sqlx::query(
                "UPDATE issues SET status = 'paused', paused_by = 'person', paused_reason = $2, \
                 failed_brake_count = $3 \
                 WHERE id = $1 AND status IN ('scheduled', 'sending') \
                 AND (failed_brake_count IS NULL OR $3 >= failed_brake_count + $4)",
            )
            .bind(issue_id)
            .bind(reason)
            .bind(failed)
            .bind(min_count)
            .execute(pool)
            .await?
            .rows_affected();
            if paused > 0 {
                return Ok(FailurePause::Paused);
            }
            let row: Option<(String, Option<i64>)> = sqlx::query_as(
                "SELECT status, failed_brake_count FROM issues WHERE id = $1",
            )
            .bind(issue_id)
            .fetch_optional(pool)
            .await?;
            let status = row.as_ref().and_then(|(s, _)| IssueStatus::parse(s));
            Ok(match (status, row.and_then(|(_, at)| at)) {
                (Some(IssueStatus::Scheduled | IssueStatus::Sending), Some(at)) => {
                    FailurePause::ResumedAfter { at, again: at.saturating_add(min_count) }
                }
                (status, _) => FailurePause::NotRunning(status),
            })
        })
    }
}
