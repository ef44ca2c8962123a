//! Issues: queued with their rendered templates, started when due (which
//! fixes the recipients), finished when no delivery is left.

use super::backend::on_db;
use super::issue_schedule::already_queued;
use super::{Store, now_ms};
use crate::domain::{ListName, Slug};
use crate::error::{Error, Result};

/// What `issue queue` stores.
#[derive(Clone, Debug)]
pub struct NewIssue {
    pub slug: Slug,
    pub subject: String,
    pub preheader: String,
    pub issue_date: String,
    pub list: ListName,
    pub html_template: String,
    pub text_template: String,
    pub web_html: String,
    pub send_at: i64,
}

/// Binds a rendered issue's columns to `$query`, in this order: subject,
/// preheader, issue date, `$list_id`, html and text templates, web
/// version, send time. Queueing (`INSERT`) and queueing again
/// ([`Store::requeue_issue`]'s `UPDATE`) both write these, so the order
/// is kept here once; their placeholders follow it.
macro_rules! bind_issue_columns {
    ($query:expr, $new:expr, $list_id:expr) => {{
        let new: &$crate::store::NewIssue = $new;
        $query
            .bind(&new.subject)
            .bind(&new.preheader)
            .bind(&new.issue_date)
            .bind($list_id)
            .bind(&new.html_template)
            .bind(&new.text_template)
            .bind(&new.web_html)
            .bind(new.send_at)
    }};
}
pub(super) use bind_issue_columns;

/// Where an issue stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueStatus {
    Scheduled,
    Sending,
    Paused,
    Sent,
    Cancelled,
}

impl IssueStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueStatus::Scheduled => "scheduled",
            IssueStatus::Sending => "sending",
            IssueStatus::Paused => "paused",
            IssueStatus::Sent => "sent",
            IssueStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<IssueStatus> {
        [
            IssueStatus::Scheduled,
            IssueStatus::Sending,
            IssueStatus::Paused,
            IssueStatus::Sent,
            IssueStatus::Cancelled,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// An issue as the dispatcher needs it.
#[derive(Clone, Debug)]
pub struct Issue {
    pub id: i64,
    pub slug: String,
    pub subject: String,
    pub preheader: String,
    pub issue_date: String,
    pub list: String,
    pub status: IssueStatus,
    pub send_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub recipients: i64,
    pub paused_reason: Option<String>,
}

/// Deliveries of one issue by status; they always add up to the
/// recipients.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryCounts {
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
    pub cancelled: i64,
}

impl DeliveryCounts {
    pub fn total(&self) -> i64 {
        self.queued + self.sending + self.sent + self.failed + self.skipped + self.cancelled
    }

    /// Deliveries not yet finished one way or another.
    pub fn remaining(&self) -> i64 {
        self.queued + self.sending
    }
}

type IssueRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    Option<String>,
);

const SELECT_ISSUE: &str = "SELECT i.id, i.slug, i.subject, i.preheader, i.issue_date, l.name, i.status, \
     i.send_at, i.started_at, i.finished_at, i.recipients, i.paused_reason \
     FROM issues i JOIN lists l ON l.id = i.list_id";

fn issue_from_row(r: IssueRow) -> Issue {
    Issue {
        id: r.0,
        slug: r.1,
        subject: r.2,
        preheader: r.3,
        issue_date: r.4,
        list: r.5,
        status: IssueStatus::parse(&r.6).unwrap_or(IssueStatus::Paused),
        send_at: r.7,
        started_at: r.8,
        finished_at: r.9,
        recipients: r.10,
        paused_reason: r.11,
    }
}

impl Store {
    /// Stores a rendered issue, scheduled for `send_at`. A cancelled issue
    /// is queued again in its own row (see [`Store::requeue_issue`]); any
    /// other slug that was queued before is refused.
    pub async fn queue_issue(&self, new: &NewIssue) -> Result<Issue> {
        let list_id = self.find_list(&new.list).await?.ok_or_else(|| {
            Error::Input(format!(
                "there is no list named \"{}\"; subscribers add/import --list creates one",
                new.list
            ))
        })?;
        if let Some(existing) = self.issue(new.slug.as_str()).await? {
            if existing.status == IssueStatus::Cancelled {
                return self.requeue_issue(existing.id, list_id, new).await;
            }
            return Err(already_queued(&new.slug, existing.status));
        }
        on_db!(self, pool, _sql => bind_issue_columns!(sqlx::query(
            "INSERT INTO issues (slug, subject, preheader, issue_date, list_id, html_template, \
             text_template, web_html, status, send_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'scheduled', $9, $10)",
        )
        .bind(new.slug.as_str()), new, list_id)
        .bind(now_ms())
        .execute(pool)
        .await?
        .rows_affected());
        self.issue(new.slug.as_str())
            .await?
            .ok_or_else(|| Error::Input(format!("issue {} vanished after queueing", new.slug)))
    }

    pub async fn issue(&self, slug: &str) -> Result<Option<Issue>> {
        let row: Option<IssueRow> = on_db!(self, pool, _sql =>
            sqlx::query_as(&format!("{SELECT_ISSUE} WHERE i.slug = $1"))
                .bind(slug)
                .fetch_optional(pool)
                .await?);
        Ok(row.map(issue_from_row))
    }

    /// Every issue, newest send time first.
    pub async fn issues(&self) -> Result<Vec<Issue>> {
        let rows: Vec<IssueRow> = on_db!(self, pool, _sql => sqlx::query_as(&format!(
            "{SELECT_ISSUE} ORDER BY i.send_at DESC, i.id DESC"
        ))
        .fetch_all(pool)
        .await?);
        Ok(rows.into_iter().map(issue_from_row).collect())
    }

    /// The stage-two templates of an issue: (html, text).
    pub async fn issue_templates(&self, issue_id: i64) -> Result<(String, String)> {
        on_db!(self, pool, _sql => Ok(
            sqlx::query_as("SELECT html_template, text_template FROM issues WHERE id = $1")
                .bind(issue_id)
                .fetch_one(pool)
                .await?,
        ))
    }

    /// Starts every scheduled issue whose time has come (only the one
    /// named by `only`, when given): its recipients are fixed in one
    /// INSERT … SELECT of the list's active subscribers. Returns the
    /// issues started.
    pub async fn start_due_issues(&self, now: i64, only: Option<&str>) -> Result<Vec<String>> {
        on_db!(self, pool, sql => {
            let mut tx = pool.begin_with(sql.begin_write).await?;
            // Locked, so two senders starting at once fix the recipients once.
            let due: Vec<(i64, String, i64)> = sqlx::query_as(&format!(
                "SELECT id, slug, list_id FROM issues WHERE status = 'scheduled' AND send_at <= $1 \
                 AND ($2 IS NULL OR slug = $2) ORDER BY send_at{}",
                sql.for_update
            ))
            .bind(now)
            .bind(only)
            .fetch_all(&mut *tx)
            .await?;
            for (id, _, list_id) in &due {
                // A re-queued issue: its cancelled deliveries to people still
                // on the list go out after all; sent ones stay as they are.
                sqlx::query(
                    "UPDATE deliveries SET status = 'queued', attempts = 0, next_attempt_at = $2, \
                     lease_owner = NULL, last_reply = NULL \
                     WHERE issue_id = $1 AND status = 'cancelled' AND subscriber_id IN ( \
                       SELECT m.subscriber_id FROM list_members m \
                       JOIN subscribers s ON s.id = m.subscriber_id \
                       WHERE m.list_id = $3 AND s.status = 'active')",
                )
                .bind(id)
                .bind(now)
                .bind(list_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO deliveries (issue_id, subscriber_id, status, next_attempt_at) \
                     SELECT $1, m.subscriber_id, 'queued', $2 FROM list_members m \
                     JOIN subscribers s ON s.id = m.subscriber_id \
                     WHERE m.list_id = $3 AND s.status = 'active' ORDER BY m.subscriber_id \
                     ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(now)
                .bind(list_id)
                .execute(&mut *tx)
                .await?;
                // Every delivery, earlier ones of a re-queued issue included,
                // so the counts by status add up to the recipients.
                sqlx::query(
                    "UPDATE issues SET status = 'sending', started_at = $1, \
                     recipients = (SELECT count(*) FROM deliveries WHERE issue_id = $2) WHERE id = $2",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(due.into_iter().map(|(_, slug, _)| slug).collect())
        })
    }

    /// Issues being sent (optionally only one).
    pub async fn sending_issues(&self, only: Option<&str>) -> Result<Vec<Issue>> {
        Ok(self
            .issues()
            .await?
            .into_iter()
            .filter(|i| i.status == IssueStatus::Sending && only.is_none_or(|s| s == i.slug))
            .rev()
            .collect())
    }

    /// Marks an issue sent when none of its deliveries is left.
    pub async fn finish_if_done(&self, issue_id: i64) -> Result<bool> {
        let done = on_db!(self, pool, _sql => sqlx::query(
            "UPDATE issues SET status = 'sent', finished_at = $1 WHERE id = $2 AND status = 'sending' \
             AND NOT EXISTS (SELECT 1 FROM deliveries WHERE issue_id = $2 AND status IN ('queued', 'sending'))",
        )
        .bind(now_ms())
        .bind(issue_id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(done > 0)
    }

    pub async fn delivery_counts(&self, issue_id: i64) -> Result<DeliveryCounts> {
        let rows: Vec<(String, i64)> = on_db!(self, pool, _sql => sqlx::query_as(
            "SELECT status, count(*) FROM deliveries WHERE issue_id = $1 GROUP BY status",
        )
        .bind(issue_id)
        .fetch_all(pool)
        .await?);
        let mut c = DeliveryCounts::default();
        for (status, n) in rows {
            match status.as_str() {
                "queued" => c.queued = n,
                "sending" => c.sending = n,
                "sent" => c.sent = n,
                "failed" => c.failed = n,
                "skipped" => c.skipped = n,
                _ => c.cancelled = n,
            }
        }
        Ok(c)
    }

    /// Messages of an issue sent since `since` (for the rate).
    pub async fn sent_since(&self, issue_id: i64, since: i64) -> Result<i64> {
        on_db!(self, pool, _sql => Ok(sqlx::query_scalar(
            "SELECT count(*) FROM deliveries WHERE issue_id = $1 AND status = 'sent' AND sent_at >= $2",
        )
        .bind(issue_id)
        .bind(since)
        .fetch_one(pool)
        .await?))
    }

    /// The earliest time something becomes due: a scheduled issue, or a
    /// retry or expired lease of an issue being sent. With `only`, of that
    /// issue alone (what `send --issue` waits for).
    pub async fn next_due(&self, only: Option<&str>) -> Result<Option<i64>> {
        on_db!(self, pool, _sql => Ok(sqlx::query_scalar(
            "SELECT min(t) FROM ( \
               SELECT min(send_at) AS t FROM issues WHERE status = 'scheduled' \
                 AND ($1 IS NULL OR slug = $1) \
               UNION ALL \
               SELECT min(d.next_attempt_at) FROM deliveries d JOIN issues i ON i.id = d.issue_id \
                 WHERE i.status = 'sending' AND ($1 IS NULL OR i.slug = $1) \
                 AND d.status IN ('queued', 'sending')) AS due",
        )
        .bind(only)
        .fetch_one(pool)
        .await?))
    }
}
