//! Reports that came back (`bounces ingest`): who a delivery went to
//! (the delivery itself is found by `Store::delivery_by_message_id` or a
//! VERP tag), whether it was applied before, recording it (with the delivery's
//! failure, or a soft bounce to count), and taking a complainer off every
//! list. Status changes go through [`Store::set_status_by_id`] like all
//! others.

use super::backend::on_db;
use super::{Store, now_ms};
use crate::error::Result;

/// Who a delivery went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryRecipient {
    pub delivery_id: i64,
    pub issue_id: i64,
    /// `None` once the subscriber was erased.
    pub subscriber_id: Option<i64>,
}

/// One applied report.
#[derive(Clone, Debug)]
pub struct BounceRecord<'a> {
    /// The report's own Message-ID or a hash of it.
    pub report_key: &'a str,
    /// `hard`, `failed`, `soft` or `complaint`.
    pub kind: &'a str,
    pub delivery: DeliveryRecipient,
    /// The status code or feedback type: nothing that names anyone.
    pub code: &'a str,
    /// For `hard` and `failed`: the delivery's failure reply.
    pub failure_reply: Option<&'a str>,
}

impl Store {
    /// Who delivery `delivery_id` went to; `None` for no such delivery.
    pub async fn delivery_recipient(&self, delivery_id: i64) -> Result<Option<DeliveryRecipient>> {
        let row: Option<(i64, Option<i64>)> = on_db!(self, pool, _sql => sqlx::query_as(
            "SELECT issue_id, subscriber_id FROM deliveries WHERE id = $1",
        )
        .bind(delivery_id)
        .fetch_optional(pool)
        .await?);
        Ok(row.map(|(issue_id, subscriber_id)| DeliveryRecipient {
            delivery_id,
            issue_id,
            subscriber_id,
        }))
    }

    /// Whether a report with this key was applied before.
    pub async fn bounce_report_seen(&self, report_key: &str) -> Result<bool> {
        let n: i64 = on_db!(self, pool, _sql => sqlx::query_scalar(
            "SELECT count(*) FROM bounce_reports WHERE report_key = $1",
        )
        .bind(report_key)
        .fetch_one(pool)
        .await?);
        Ok(n > 0)
    }

    /// Records `record` once, in one transaction with its effect on the
    /// delivery (`hard` and `failed`: a sent delivery becomes failed with
    /// the reply). Returns `None` when the report was recorded before, else
    /// the subscriber's soft bounces since `soft_since` (Unix ms),
    /// this one included.
    pub async fn record_bounce_report(
        &self,
        record: &BounceRecord<'_>,
        soft_since: i64,
    ) -> Result<Option<i64>> {
        let now = now_ms();
        on_db!(self, pool, _sql => {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO bounce_reports \
                 (report_key, kind, delivery_id, subscriber_id, reason, at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (report_key) DO NOTHING",
            )
            .bind(record.report_key)
            .bind(record.kind)
            .bind(record.delivery.delivery_id)
            .bind(record.delivery.subscriber_id)
            .bind(record.code)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                return Ok(None);
            }
            if let Some(reply) = record.failure_reply {
                sqlx::query(
                    "UPDATE deliveries SET status = 'failed', last_reply = $2 \
                     WHERE id = $1 AND status = 'sent'",
                )
                .bind(record.delivery.delivery_id)
                .bind(reply)
                .execute(&mut *tx)
                .await?;
            }
            let soft: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM bounce_reports \
                 WHERE subscriber_id = $1 AND kind = 'soft' AND at >= $2",
            )
            .bind(record.delivery.subscriber_id)
            .bind(soft_since)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(soft))
        })
    }

    /// Takes `subscriber_id` off every list (a complaint).
    pub async fn remove_from_every_list(&self, subscriber_id: i64) -> Result<u64> {
        on_db!(self, pool, _sql => Ok(sqlx::query(
            "DELETE FROM list_members WHERE subscriber_id = $1",
        )
        .bind(subscriber_id)
        .execute(pool)
        .await?
        .rows_affected()))
    }
}
