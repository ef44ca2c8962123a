//! Moving an issue in time before it starts: `issue reschedule`, queueing
//! a cancelled issue again, and the audience a scheduled issue would reach
//! now (its recipients are only fixed when sending starts).

use super::backend::on_db;
use super::issues::bind_issue_columns;
use super::{Issue, IssueStatus, NewIssue, Store};
use crate::domain::Slug;
use crate::error::{Error, Result};

/// The refusal for a slug queued before and not cancelled: what to do
/// instead depends on where it stands.
pub(super) fn already_queued(slug: &Slug, status: IssueStatus) -> Error {
    let advice = match status {
        IssueStatus::Scheduled => {
            format!("`postbode issue reschedule {slug} --at TIME` moves it")
        }
        IssueStatus::Sending | IssueStatus::Paused => format!(
            "`postbode issue cancel {slug}` first, then queue it again: \
             nobody who already received it gets it twice"
        ),
        IssueStatus::Sent | IssueStatus::Cancelled => {
            "a slug is sent once: rename the folder to send it as a new issue".to_owned()
        }
    };
    Error::Input(format!(
        "issue {slug} is already queued (status {}); {advice}",
        status.as_str()
    ))
}

impl Store {
    /// Queues a cancelled issue again with its new rendering, list and
    /// time. Its deliveries stay: when it starts, the cancelled ones to
    /// people still on the list are queued again and nobody with a sent
    /// (or failed, or skipped) delivery gets another.
    pub(super) async fn requeue_issue(
        &self,
        id: i64,
        list_id: i64,
        new: &NewIssue,
    ) -> Result<Issue> {
        let changed = on_db!(self, pool, _sql => bind_issue_columns!(sqlx::query(
            "UPDATE issues SET subject = $1, preheader = $2, issue_date = $3, list_id = $4, \
             html_template = $5, text_template = $6, web_html = $7, status = 'scheduled', \
             send_at = $8, started_at = NULL, finished_at = NULL, paused_by = NULL, \
             paused_reason = NULL WHERE id = $9 AND status = 'cancelled'",
        ), new, list_id)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected());
        let issue = self.issue(new.slug.as_str()).await?;
        match issue {
            Some(issue) if changed > 0 => Ok(issue),
            // Another process queued it again in the meantime.
            Some(issue) => Err(already_queued(&new.slug, issue.status)),
            None => Err(Error::Input(format!("issue {} vanished", new.slug))),
        }
    }

    /// Moves an issue that has not started (scheduled, or paused before
    /// its time) to `send_at`. One that is sending or done is refused:
    /// its recipients are fixed and some may have it already.
    pub async fn reschedule_issue(&self, slug: &str, send_at: i64) -> Result<Issue> {
        let changed = on_db!(self, pool, _sql => sqlx::query(
            "UPDATE issues SET send_at = $1 WHERE slug = $2 \
             AND (status = 'scheduled' OR (status = 'paused' AND started_at IS NULL))",
        )
        .bind(send_at)
        .bind(slug)
        .execute(pool)
        .await?
        .rows_affected());
        if changed == 0 {
            return Err(match self.issue(slug).await? {
                None => Error::Input(format!("no issue with slug {slug}")),
                Some(issue) => Error::Input(format!(
                    "cannot reschedule {slug}: it is {}, and only an issue that has not \
                     started sending can be moved{}",
                    issue.status.as_str(),
                    match issue.status {
                        IssueStatus::Sending | IssueStatus::Paused =>
                            " (`postbode issue pause` or `issue cancel` stop it)",
                        IssueStatus::Cancelled =>
                            " (`postbode issue queue DIR --at TIME` queues it again)",
                        _ => "",
                    }
                )),
            });
        }
        self.issue(slug)
            .await?
            .ok_or_else(|| Error::Input(format!("no issue with slug {slug}")))
    }

    /// How many it would go to if it started now: the active members of
    /// its list, less those who already have a delivery of it that was not
    /// cancelled (a re-queued issue).
    pub async fn audience(&self, issue_id: i64) -> Result<i64> {
        on_db!(self, pool, _sql => Ok(sqlx::query_scalar(
            "SELECT count(*) FROM list_members m JOIN subscribers s ON s.id = m.subscriber_id \
             WHERE m.list_id = (SELECT list_id FROM issues WHERE id = $1) AND s.status = 'active' \
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.issue_id = $1 \
               AND d.subscriber_id = m.subscriber_id AND d.status <> 'cancelled')",
        )
        .bind(issue_id)
        .fetch_one(pool)
        .await?))
    }
}
