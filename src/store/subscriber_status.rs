//! Status changes by subscriber id, for the public pages: a token carries
//! the id, never the address.

use super::backend::on_db;
use super::status_change::Change;
use super::{StatusRequest, Store};
use crate::domain::{ChangeSource, LinkSalt, SaltLookup, StatusOutcome, SubscriberStatus};
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

    /// What a link token's MAC is checked against for subscriber
    /// `subscriber_id`: their link salt, none (stored before salts
    /// existed), or nobody.
    pub async fn link_salt(&self, subscriber_id: i64) -> Result<SaltLookup> {
        Ok(self.link_salt_and_status(subscriber_id).await?.0)
    }

    /// [`Store::link_salt`] and [`Store::status_by_id`] in one read: the
    /// one-click path needs both, and each read is a round trip to a
    /// database thread (the cost that bounds first-time one-clicks per
    /// second, BENCHMARKS.md). The status is `None` for nobody.
    pub async fn link_salt_and_status(
        &self,
        subscriber_id: i64,
    ) -> Result<(SaltLookup, Option<SubscriberStatus>)> {
        let row: Option<(Option<Vec<u8>>, String)> = on_db!(self, pool, _sql =>
            sqlx::query_as("SELECT link_salt, status FROM subscribers WHERE id = $1")
                .bind(subscriber_id)
                .fetch_optional(pool)
                .await?);
        let Some((salt, status)) = row else {
            return Ok((SaltLookup::Nobody, None));
        };
        let salt = match salt {
            None => SaltLookup::Unsalted,
            Some(bytes) => SaltLookup::Salted(LinkSalt::from_bytes(&bytes).map_err(|e| {
                crate::error::Error::Input(format!(
                    "subscriber #{subscriber_id} in the database has a bad link_salt: {e}"
                ))
            })?),
        };
        Ok((salt, SubscriberStatus::parse(&status).ok()))
    }

    /// Moves subscriber `subscriber_id` to `to`, as the table of status
    /// changes allows for `source` ([`crate::domain::status_rules`]), and
    /// logs it. A change to the current status changes and logs nothing.
    /// Moving someone to `unsubscribed` also skips their queued deliveries
    /// in the same transaction, so nothing more goes out to them.
    pub async fn set_status_by_id(
        &self,
        subscriber_id: i64,
        to: SubscriberStatus,
        source: ChangeSource,
        detail: Option<&str>,
    ) -> Result<StatusOutcome> {
        self.set_status_for_report(subscriber_id, to, source, detail, None)
            .await
    }

    /// [`Store::set_status_by_id`], logged with the key of the bounce or
    /// complaint report that asks for it (`subscribers show` names that
    /// report).
    pub async fn set_status_for_report(
        &self,
        subscriber_id: i64,
        to: SubscriberStatus,
        source: ChangeSource,
        detail: Option<&str>,
        report_key: Option<&str>,
    ) -> Result<StatusOutcome> {
        // A repeat (a second one-click, a mail scanner) needs no write at
        // all: answer it from a read, without the write lock.
        match self.status_by_id(subscriber_id).await? {
            None => return Ok(StatusOutcome::Unknown),
            Some(seen) if seen == to => return Ok(StatusOutcome::Unchanged(seen)),
            Some(_) => {}
        }
        let request = StatusRequest {
            subscriber_id,
            to,
            source,
            detail: detail.map(str::to_owned),
        };
        self.apply_change(Change {
            report: report_key.map(str::to_owned),
            ..Change::from(&request)
        })
        .await
    }
}
