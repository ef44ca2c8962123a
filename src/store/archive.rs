//! Read-only queries for the public archive and the metrics endpoint.

use super::backend::on_db;
use super::{Store, now_ms};
use crate::error::Result;

/// A sent issue as the archive lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchivedIssue {
    pub slug: String,
    pub subject: String,
    pub preheader: String,
    pub issue_date: String,
    pub send_at: i64,
    pub finished_at: Option<i64>,
}

/// Counts for `/metrics`, read in one go.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricsSnapshot {
    /// (issue slug, delivery status, count).
    pub deliveries: Vec<(String, String, i64)>,
    /// (issue slug, deliveries that needed more than one attempt or are
    /// waiting for a retry), for every issue with deliveries.
    pub retried: Vec<(String, i64)>,
    /// (subscriber status, count).
    pub subscribers: Vec<(String, i64)>,
    /// (change source, count) of changes to `unsubscribed`.
    pub unsubscribes: Vec<(String, i64)>,
    /// Queued and sending deliveries of issues being sent.
    pub queue_depth: i64,
    /// Messages sent in the last 60 seconds.
    pub sent_last_minute: i64,
    /// (reason, count) of erased people: `admin` (`subscribers remove`)
    /// and `pending-expired` (never confirmed), both always present.
    pub erasures: Vec<(String, i64)>,
    /// (issue slug, its hard and soft bounces, complaints and messages
    /// sent) for every issue with deliveries (`Store::feedback_counts`).
    pub feedback: Vec<(String, super::FeedbackCounts)>,
}

const DELIVERY_STATUSES: [&str; 6] = [
    "queued",
    "sending",
    "sent",
    "failed",
    "skipped",
    "cancelled",
];
const SUBSCRIBER_STATUSES: [&str; 5] =
    ["pending", "active", "unsubscribed", "bounced", "complained"];

impl Store {
    /// Sent issues only, newest send time first.
    pub async fn sent_issues(&self) -> Result<Vec<ArchivedIssue>> {
        let rows: Vec<(String, String, String, String, i64, Option<i64>)> = on_db!(self, pool, _sql => sqlx::query_as(
            "SELECT slug, subject, preheader, issue_date, send_at, finished_at FROM issues \
             WHERE status = 'sent' ORDER BY send_at DESC, id DESC",
        )
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|r| ArchivedIssue {
                slug: r.0,
                subject: r.1,
                preheader: r.2,
                issue_date: r.3,
                send_at: r.4,
                finished_at: r.5,
            })
            .collect())
    }

    /// The web version of an issue, only when it has been sent.
    pub async fn sent_issue_html(&self, slug: &str) -> Result<Option<String>> {
        on_db!(self, pool, _sql => Ok(
            sqlx::query_scalar("SELECT web_html FROM issues WHERE slug = $1 AND status = 'sent'")
                .bind(slug)
                .fetch_optional(pool)
                .await?,
        ))
    }

    /// Everything `/metrics` shows, one query per kind of count.
    pub async fn metrics_snapshot(&self) -> Result<MetricsSnapshot> {
        let (deliveries, retried) = self.deliveries_by_issue().await?;
        let subscribers = self.subscribers_by_status().await?;
        let unsubscribes = self.unsubscribes_by_source().await?;
        let queue_depth = self.queue_depth().await?;
        let sent_last_minute = self.sent_last_minute().await?;
        let erasures = self.erasures_by_reason().await?;
        let feedback = self.feedback_by_issue().await?;
        Ok(MetricsSnapshot {
            feedback,
            deliveries,
            retried,
            subscribers,
            unsubscribes,
            queue_depth,
            sent_last_minute,
            erasures,
        })
    }

    /// [`MetricsSnapshot::deliveries`] and [`MetricsSnapshot::retried`],
    /// from one query.
    async fn deliveries_by_issue(&self) -> Result<DeliveriesByIssue> {
        // Retried: attempts are counted when an outcome is recorded, so
        // more than one means a retry happened, and a queued (or claimed)
        // delivery with one or more is waiting for (or in) its retry.
        let found: Vec<(String, String, i64, i64)> = on_db!(self, pool, _sql => sqlx::query_as(
            "SELECT i.slug, d.status, count(*), \
             sum(CASE WHEN d.attempts > 1 \
                 OR (d.attempts > 0 AND d.status IN ('queued', 'sending')) THEN 1 ELSE 0 END) \
             FROM deliveries d JOIN issues i ON i.id = d.issue_id \
             GROUP BY i.slug, d.status ORDER BY i.slug, d.status",
        )
        .fetch_all(pool)
        .await?);
        // Every status of every issue with deliveries, zeros included, so
        // a series does not vanish when its count drops to zero.
        let mut slugs: Vec<&str> = found.iter().map(|r| r.0.as_str()).collect();
        slugs.dedup();
        let mut deliveries = Vec::new();
        let mut retried = Vec::new();
        for slug in slugs {
            let n = found.iter().filter(|r| r.0 == slug).map(|r| r.3).sum();
            retried.push((slug.to_owned(), n));
            for status in DELIVERY_STATUSES {
                let n = found
                    .iter()
                    .find(|r| r.0 == slug && r.1 == status)
                    .map_or(0, |r| r.2);
                deliveries.push((slug.to_owned(), status.to_owned(), n));
            }
        }
        Ok((deliveries, retried))
    }

    /// [`MetricsSnapshot::subscribers`]: every status, zeros included.
    async fn subscribers_by_status(&self) -> Result<Vec<(String, i64)>> {
        let found: Vec<(String, i64)> = on_db!(self, pool, _sql =>
            sqlx::query_as("SELECT status, count(*) FROM subscribers GROUP BY status")
                .fetch_all(pool)
                .await?);
        Ok(every_key(&SUBSCRIBER_STATUSES, &found))
    }

    /// [`MetricsSnapshot::unsubscribes`].
    async fn unsubscribes_by_source(&self) -> Result<Vec<(String, i64)>> {
        Ok(on_db!(self, pool, _sql => sqlx::query_as(
            "SELECT source, count(*) FROM status_changes WHERE to_status = 'unsubscribed' \
             GROUP BY source ORDER BY source",
        )
        .fetch_all(pool)
        .await?))
    }

    /// [`MetricsSnapshot::queue_depth`].
    async fn queue_depth(&self) -> Result<i64> {
        Ok(on_db!(self, pool, _sql => sqlx::query_scalar(
            "SELECT count(*) FROM deliveries d JOIN issues i ON i.id = d.issue_id \
             WHERE i.status = 'sending' AND d.status IN ('queued', 'sending')",
        )
        .fetch_one(pool)
        .await?))
    }

    /// [`MetricsSnapshot::sent_last_minute`].
    async fn sent_last_minute(&self) -> Result<i64> {
        Ok(on_db!(self, pool, _sql => sqlx::query_scalar(
            "SELECT count(*) FROM deliveries WHERE status = 'sent' AND sent_at >= $1",
        )
        .bind(now_ms() - 60_000)
        .fetch_one(pool)
        .await?))
    }

    /// [`MetricsSnapshot::erasures`]: both reasons, zeros included.
    async fn erasures_by_reason(&self) -> Result<Vec<(String, i64)>> {
        let found: Vec<(String, i64)> = on_db!(self, pool, _sql => sqlx::query_as(
            "SELECT reason, count(*) FROM erasures GROUP BY reason",
        )
        .fetch_all(pool)
        .await?);
        Ok(every_key(
            &[super::ERASED_BY_ADMIN, super::ERASED_PENDING_EXPIRED],
            &found,
        ))
    }
}

/// [`MetricsSnapshot::deliveries`] and [`MetricsSnapshot::retried`].
type DeliveriesByIssue = (Vec<(String, String, i64)>, Vec<(String, i64)>);

/// A count for each of `keys`, in their order, 0 where `found` has none,
/// so a series does not vanish when its count drops to zero.
fn every_key(keys: &[&str], found: &[(String, i64)]) -> Vec<(String, i64)> {
    keys.iter()
        .map(|key| {
            let n = found.iter().find(|r| r.0 == *key).map_or(0, |r| r.1);
            ((*key).to_owned(), n)
        })
        .collect()
}
