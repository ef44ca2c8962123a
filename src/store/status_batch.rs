//! Many status changes by subscriber id in one transaction (group commit),
//! for the public pages' writer task: a burst of one-click unsubscribes
//! costs one commit instead of one each. Each change is judged and written
//! as [`Store::set_status_by_id`] does (see [`super::status_change`]).

use super::Store;
use super::status_change::Change;
use crate::domain::{ChangeSource, StatusOutcome, SubscriberStatus};
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
    /// [`StatusOutcome`] per request, as [`Store::set_status_by_id`] would.
    /// Moving someone to `unsubscribed` also skips their queued
    /// deliveries. Nothing is applied when it fails.
    pub async fn set_statuses_by_id(
        &self,
        requests: &[StatusRequest],
    ) -> Result<Vec<StatusOutcome>> {
        let changes: Vec<Change> = requests.iter().map(Change::from).collect();
        self.apply_changes(&changes).await
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
        let key =
            crate::domain::SuppressionKey::parse("test-suppression-key-0123456789").expect("key");
        (dir, store.with_suppression_key(key))
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
            .new_subscriber()
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

    /// Two active people, `an` and `bo`, each with a queued delivery (so
    /// skipping shows); returns their ids.
    async fn two_with_a_queued_delivery(store: &Store) -> (i64, i64) {
        let an = add(store, "an@example.nl").await;
        let bo = add(store, "bo@example.nl").await;
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
        (an, bo)
    }

    /// One batch for `an` and `bo`: a one-click unsubscribe of `an` and
    /// the page's repeat of it, an unknown id, the page unsubscribing `bo`
    /// and then trying to subscribe `bo` again.
    async fn mixed_batch(store: &Store, an: i64, bo: i64) -> Vec<StatusOutcome> {
        store
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
            .expect("batch")
    }

    #[tokio::test]
    async fn a_batch_applies_each_change_in_order_as_the_table_allows() {
        let (_dir, store) = store().await;
        let (an, bo) = two_with_a_queued_delivery(&store).await;
        let answers = mixed_batch(&store, an, bo).await;
        let changed = |from, to| StatusOutcome::Changed { from, to };
        assert_eq!(
            answers,
            [
                changed(Active, Unsubscribed),
                StatusOutcome::Unchanged(Unsubscribed),
                StatusOutcome::Unknown,
                changed(Active, Unsubscribed),
                // The page cannot subscribe anyone again: the table says so.
                StatusOutcome::Refused {
                    current: Unsubscribed
                },
            ]
        );
        assert_eq!(
            store.status_by_id(an).await.expect("read"),
            Some(Unsubscribed)
        );
        assert_eq!(
            store.status_by_id(bo).await.expect("read"),
            Some(Unsubscribed)
        );
    }

    #[tokio::test]
    async fn a_batch_logs_only_real_changes() {
        let (_dir, store) = store().await;
        let (an, bo) = two_with_a_queued_delivery(&store).await;
        mixed_batch(&store, an, bo).await;
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
            ]
        );
    }

    #[tokio::test]
    async fn a_batch_skips_the_queued_deliveries_of_everyone_it_unsubscribes() {
        let (_dir, store) = store().await;
        let (an, bo) = two_with_a_queued_delivery(&store).await;
        mixed_batch(&store, an, bo).await;
        let skipped: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deliveries WHERE status = 'skipped' \
             AND last_reply = 'unsubscribed'",
        )
        .fetch_one(store.sqlite_pool())
        .await
        .expect("count");
        assert_eq!(skipped, 2, "both had a queued delivery when they left");
    }

    #[tokio::test]
    async fn an_empty_batch_answers_nothing() {
        let (_dir, store) = store().await;
        assert_eq!(store.set_statuses_by_id(&[]).await.expect("empty"), []);
    }
}
