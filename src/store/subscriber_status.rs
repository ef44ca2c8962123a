//! Status changes by subscriber id, for the public pages: a token carries
//! the id, never the address.

use super::backend::on_db;
use super::{StatusChange, StatusRequest, Store};
use crate::domain::{ChangeSource, Language, SubscriberStatus};
use crate::error::Result;

impl Store {
    /// The current status of subscriber `subscriber_id`; `None` when there
    /// is no such subscriber (never was, or erased).
    pub async fn status_by_id(&self, subscriber_id: i64) -> Result<Option<SubscriberStatus>> {
        let status: Option<String> = on_db!(self, pool, _sql =>
            sqlx::query_scalar("SELECT status FROM subscribers WHERE id = $1")
                .bind(subscriber_id)
                .fetch_optional(pool)
                .await?);
        Ok(status.and_then(|s| SubscriberStatus::parse(&s).ok()))
    }

    /// The language subscriber `subscriber_id` chose, if any (the public
    /// pages speak it).
    pub async fn language_by_id(&self, subscriber_id: i64) -> Result<Option<Language>> {
        let language: Option<Option<String>> = on_db!(self, pool, _sql =>
            sqlx::query_scalar("SELECT language FROM subscribers WHERE id = $1")
                .bind(subscriber_id)
                .fetch_optional(pool)
                .await?);
        Ok(language.flatten().and_then(|l| Language::parse(&l).ok()))
    }

    /// Moves subscriber `subscriber_id` to `to` and logs where the change
    /// came from, like [`Store::set_status`]. Returns `None` for an unknown
    /// id; a change to the current status changes and logs nothing.
    ///
    /// Moving someone to `unsubscribed` also skips their queued deliveries
    /// in the same transaction, so nothing more goes out to them.
    pub async fn set_status_by_id(
        &self,
        subscriber_id: i64,
        to: SubscriberStatus,
        source: ChangeSource,
        detail: Option<&str>,
    ) -> Result<Option<StatusChange>> {
        // A repeat (a second one-click, a mail scanner) needs no write at
        // all: answer it from a read, without the write lock.
        let Some(seen) = self.status_by_id(subscriber_id).await? else {
            return Ok(None);
        };
        if seen == to {
            return Ok(Some(StatusChange {
                from: Some(seen),
                to,
            }));
        }
        let request = StatusRequest {
            subscriber_id,
            to,
            source,
            detail: detail.map(str::to_owned),
        };
        // The batch of one: the same steps, lock and transaction.
        Ok(self
            .set_statuses_by_id(std::slice::from_ref(&request))
            .await?
            .pop()
            .flatten())
    }

    /// The status someone had just before their last unsubscribe, so "I
    /// changed my mind" puts them back where they were: a person who never
    /// confirmed must not become active by clicking it.
    pub async fn status_before_unsubscribe(
        &self,
        subscriber_id: i64,
    ) -> Result<Option<SubscriberStatus>> {
        let from: Option<Option<String>> = on_db!(self, pool, _sql => sqlx::query_scalar(
            "SELECT from_status FROM status_changes WHERE subscriber_id = $1 \
             AND to_status = 'unsubscribed' ORDER BY id DESC LIMIT 1",
        )
        .bind(subscriber_id)
        .fetch_optional(pool)
        .await?);
        Ok(from
            .flatten()
            .and_then(|s| SubscriberStatus::parse(&s).ok()))
    }
}
