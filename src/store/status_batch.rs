//! Many status changes by subscriber id in one transaction (group commit),
//! for the public pages' writer task: a burst of one-click unsubscribes
//! costs one commit instead of one each. Each change does what
//! [`Store::set_status_by_id`] does.
//!
use super::backend::on_db;
use super::subscribers::log_status_change;
use super::{StatusChange, Store, now_ms};
use crate::domain::{ChangeSource, SubscriberStatus};
use crate::error::Result;

/// One requested change: subscriber `subscriber_id` to `to`, logged with
/// `source` and `detail`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusRequest {
    pub subscriber_id: i64,
    pub to: SubscriberStatus,
    pub source: ChangeSource,
    pub detail: Option<String>,
}

impl Store {
    /// Applies `requests` in order, in one transaction, and returns one
    /// answer per request, as [`Store::set_status_by_id`] would: `None` for
    /// an unknown id; a change to the current status changes and logs
    /// nothing. Moving someone to `unsubscribed` also skips their queued
    /// deliveries. Nothing is applied when it fails.
    pub async fn set_statuses_by_id(
        &self,
        requests: &[StatusRequest],
    ) -> Result<Vec<Option<StatusChange>>> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        // The same in-process writer queue as set_status_by_id, so the two
        // never wait on each other in SQLite's busy handler.
        let _writer = self.writer.lock().await;
        on_db!(self, pool, sql => {
            let mut tx = pool.begin_with(sql.begin_write).await?;
            let now = now_ms();
            let mut answers = Vec::with_capacity(requests.len());
            for request in requests {
                let id = request.subscriber_id;
                // Read inside the transaction: an earlier request of this batch
                // may have changed the same subscriber.
                let current: Option<String> = sqlx::query_scalar(&format!(
                    "SELECT status FROM subscribers WHERE id = $1{}",
                    sql.for_update
                ))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(from) = current else {
                    answers.push(None);
                    continue;
                };
                let from = SubscriberStatus::parse(&from).ok();
                let to = request.to;
                if to == SubscriberStatus::Unsubscribed {
                    sqlx::query(
                        "UPDATE deliveries SET status = 'skipped', last_reply = 'unsubscribed' \
                         WHERE subscriber_id = $1 AND status = 'queued'",
                    )
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                if from != Some(to) {
                    sqlx::query("UPDATE subscribers SET status = $1, updated_at = $2 WHERE id = $3")
                        .bind(to.as_str())
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    log_status_change!(
                        &mut *tx,
                        id,
                        now,
                        from,
                        to,
                        request.source,
                        request.detail.as_deref()
                    );
                }
                answers.push(Some(StatusChange { from, to }));
            }
            tx.commit().await?;
            Ok(answers)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DatabaseSettings, DatabaseUrl};
    use crate::domain::{EmailAddress, ListName};
    use crate::store::NewSubscriber;
    use SubscriberStatus::*;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = DatabaseSettings {
            url: DatabaseUrl::Sqlite(dir.path().join("t.db")),
            ..DatabaseSettings::default()
        };
        let store = Store::open(&settings).await.expect("open store");
        (dir, store)
    }

    async fn add(store: &Store, email: &str) -> i64 {
        let new = NewSubscriber {
            email: EmailAddress::parse(email).expect("email"),
            name: None,
            status: Active,
            language: None,
        };
        store
            .add_subscriber(&new, &[ListName::default_list()], ChangeSource::Cli)
            .await
            .expect("add")
            .expect("new")
            .id
    }

    fn unsubscribe(id: i64, source: ChangeSource) -> StatusRequest {
        StatusRequest {
            subscriber_id: id,
            to: Unsubscribed,
            source,
            detail: None,
        }
    }

    #[tokio::test]
    async fn a_batch_applies_each_change_in_order_and_logs_only_real_changes() {
        let (_dir, store) = store().await;
        let an = add(&store, "an@example.nl").await;
        let bo = add(&store, "bo@example.nl").await;
        // A queued delivery for each, so skipping shows.
        sqlx::query(
            "INSERT INTO issues (id, slug, subject, issue_date, list_id, html_template, \
             text_template, web_html, status, send_at, created_at) \
             SELECT 1, 'x', 'X', '2026-11-28', id, '', '', '', 'sending', 0, 0 FROM lists",
        )
        .execute(store.sqlite_pool())
        .await
        .expect("issue");
        sqlx::query(
            "INSERT INTO deliveries (issue_id, subscriber_id, status, next_attempt_at) \
             SELECT 1, id, 'queued', 0 FROM subscribers",
        )
        .execute(store.sqlite_pool())
        .await
        .expect("deliveries");

        let answers = store
            .set_statuses_by_id(&[
                unsubscribe(an, ChangeSource::OneClick),
                unsubscribe(an, ChangeSource::Page),
                unsubscribe(999, ChangeSource::OneClick),
                unsubscribe(bo, ChangeSource::Page),
                StatusRequest {
                    to: Active,
                    ..unsubscribe(bo, ChangeSource::Page)
                },
            ])
            .await
            .expect("batch");
        let change = |from, to| Some(StatusChange { from, to });
        assert_eq!(
            answers,
            [
                change(Some(Active), Unsubscribed),
                change(Some(Unsubscribed), Unsubscribed),
                None,
                change(Some(Active), Unsubscribed),
                change(Some(Unsubscribed), Active),
            ]
        );
        let log: Vec<(i64, Option<String>, String, String)> = sqlx::query_as(
            "SELECT subscriber_id, from_status, to_status, source FROM status_changes \
             WHERE source <> 'cli' ORDER BY id",
        )
        .fetch_all(store.sqlite_pool())
        .await
        .expect("log");
        let entry = |id, from: &str, to: &str, source: &str| {
            (id, Some(from.to_owned()), to.to_owned(), source.to_owned())
        };
        assert_eq!(
            log,
            [
                entry(an, "active", "unsubscribed", "one-click"),
                entry(bo, "active", "unsubscribed", "page"),
                entry(bo, "unsubscribed", "active", "page"),
            ]
        );
        assert_eq!(
            store.status_by_id(an).await.expect("read"),
            Some(Unsubscribed)
        );
        assert_eq!(store.status_by_id(bo).await.expect("read"), Some(Active));
        let skipped: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deliveries WHERE status = 'skipped' \
             AND last_reply = 'unsubscribed'",
        )
        .fetch_one(store.sqlite_pool())
        .await
        .expect("count");
        assert_eq!(skipped, 2, "both had a queued delivery when they left");
        assert_eq!(store.set_statuses_by_id(&[]).await.expect("empty"), []);
    }
}
