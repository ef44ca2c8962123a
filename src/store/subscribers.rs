//! One subscriber at a time: add, look up, change status, erase, and stream
//! them all for `list` and `export`.

use futures_util::stream::{BoxStream, StreamExt};
use serde_json::{Map, Value};

use super::backend::on_db;
use super::consent::{ConsentWay, record_consent};
use super::suppressions::suppress;
use super::{Store, now_ms};
use crate::domain::status_rules::{may_create, suppression_blocks};
use crate::domain::{
    ChangeSource, EmailAddress, Language, ListName, StatusOutcome, SubscriberName,
    SubscriberStatus, SuppressionReason,
};
use crate::error::{Error, Result};

/// Appends to the status log inside the caller's transaction `$tx`:
/// subscriber id, time, from, to, source, detail, and the key of the
/// bounce or complaint report that made the change (none when left out).
/// A macro, because the transaction's type differs per backend.
macro_rules! log_status_change {
    ($tx:expr, $id:expr, $at:expr, $from:expr, $to:expr, $source:expr, $detail:expr) => {
        log_status_change!($tx, $id, $at, $from, $to, $source, $detail, None)
    };
    ($tx:expr, $id:expr, $at:expr, $from:expr, $to:expr, $source:expr, $detail:expr, $report:expr) => {{
        let from: Option<$crate::domain::SubscriberStatus> = $from;
        let detail: Option<&str> = $detail;
        let report: Option<&str> = $report;
        sqlx::query(
            "INSERT INTO status_changes \
             (subscriber_id, at, from_status, to_status, source, detail, report_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($id)
        .bind($at)
        .bind(from.map(|s| s.as_str()))
        .bind($to.as_str())
        .bind($source.as_str())
        .bind(detail)
        .bind(report)
        .execute($tx)
        .await?;
    }};
}
pub(super) use log_status_change;

/// A subscriber as stored.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Subscriber {
    #[serde(skip)]
    pub id: i64,
    pub email: EmailAddress,
    pub name: Option<SubscriberName>,
    pub status: SubscriberStatus,
    pub language: Option<Language>,
    /// Extra columns of an import, for personalisation.
    pub attributes: Map<String, Value>,
    /// Names of the lists this subscriber is on, sorted.
    pub lists: Vec<ListName>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What `subscribers add` knows about a new person.
#[derive(Clone, Debug)]
pub struct NewSubscriber {
    pub email: EmailAddress,
    pub name: Option<SubscriberName>,
    pub status: SubscriberStatus,
    pub language: Option<Language>,
}

/// What [`Store::add_subscriber`] did.
#[derive(Clone, Debug)]
pub enum Added {
    /// A new subscriber, as stored.
    New(Subscriber),
    /// The address was known already: nothing changed.
    Known,
    /// The address is on the suppression list for this reason, and the
    /// source may not add it (see
    /// [`crate::domain::status_rules::suppression_blocks`]): nothing
    /// changed.
    Suppressed(SuppressionReason),
}

impl Added {
    /// The new subscriber, if one was added.
    pub fn new_subscriber(self) -> Option<Subscriber> {
        match self {
            Added::New(s) => Some(s),
            Added::Known | Added::Suppressed(_) => None,
        }
    }
}

/// Which subscribers `list` and `export` stream.
#[derive(Clone, Debug, Default)]
pub struct SubscriberFilter {
    pub status: Option<SubscriberStatus>,
    pub list: Option<ListName>,
}

/// What an erasure kept: nothing personal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Erased {
    pub status: SubscriberStatus,
}

#[derive(sqlx::FromRow)]
struct SubscriberRow {
    id: i64,
    email: String,
    name: Option<String>,
    status: String,
    language: Option<String>,
    attributes: String,
    created_at: i64,
    updated_at: i64,
    lists: Option<String>,
}

impl TryFrom<SubscriberRow> for Subscriber {
    type Error = Error;

    /// Rows were written through the domain types, so a failure here means
    /// the database was edited by hand; say which row.
    fn try_from(row: SubscriberRow) -> Result<Self> {
        let bad = |field: &str, reason: String| {
            Error::Input(format!(
                "subscriber #{} in the database has a bad {field}: {reason}",
                row.id
            ))
        };
        let mut lists: Vec<ListName> = row
            .lists
            .as_deref()
            .unwrap_or("")
            .split(';')
            .filter(|s| !s.is_empty())
            .map(ListName::parse)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| bad("list", e.to_string()))?;
        lists.sort();
        Ok(Subscriber {
            id: row.id,
            email: EmailAddress::parse(&row.email).map_err(|e| bad("email", e.to_string()))?,
            name: row
                .name
                .as_deref()
                .map(SubscriberName::parse)
                .transpose()
                .map_err(|e| bad("name", e.to_string()))?,
            status: SubscriberStatus::parse(&row.status)
                .map_err(|e| bad("status", e.to_string()))?,
            language: row
                .language
                .as_deref()
                .map(Language::parse)
                .transpose()
                .map_err(|e| bad("language", e.to_string()))?,
            attributes: serde_json::from_str(&row.attributes)
                .map_err(|e| bad("attributes", e.to_string()))?,
            lists,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The suppression list's reason for `$email` (hashed as `$hash`), read in
/// the caller's transaction `$tx`; none for an address that is stored: a
/// known address is known, whatever the list says (the caller decides
/// what to do with it); the list is about people not stored. A macro,
/// because the transaction's type differs per backend.
macro_rules! kept_suppression {
    ($tx:ident, $email:expr, $hash:expr) => {{
        let email: &EmailAddress = &$email;
        let hash: &$crate::domain::AddressHash = $hash;
        let known: Option<i64> = sqlx::query_scalar("SELECT id FROM subscribers WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&mut *$tx)
            .await?;
        let kept: Option<String> = match known {
            Some(_) => None,
            None => {
                sqlx::query_scalar("SELECT reason FROM suppressions WHERE hash = $1")
                    .bind(hash.as_bytes().as_slice())
                    .fetch_optional(&mut *$tx)
                    .await?
            }
        };
        kept.and_then(|r| SuppressionReason::parse(&r).ok())
    }};
}

/// Inserts `$new` (a `&NewSubscriber`) at `$now` in the caller's
/// transaction `$tx`; evaluates to its id, or none when the address is
/// stored already (another writer may have added it meanwhile). The id
/// comes from the database (never one given before), and so does the
/// link salt.
macro_rules! insert_subscriber {
    ($tx:ident, $new:expr, $now:expr) => {{
        let new: &NewSubscriber = $new;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO subscribers (email, name, status, language, attributes, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, '{}', $5, $5) ON CONFLICT (email) DO NOTHING RETURNING id",
        )
        .bind(new.email.as_str())
        .bind(new.name.as_ref().map(SubscriberName::as_str))
        .bind(new.status.as_str())
        .bind(new.language.as_ref().map(Language::as_str))
        .bind($now)
        .fetch_optional(&mut *$tx)
        .await?;
        id
    }};
}

/// Puts a new subscriber `$id` on each list of `$list_ids` at `$now`, in
/// the caller's transaction `$tx`.
macro_rules! add_memberships {
    ($tx:ident, $id:expr, $list_ids:expr, $now:expr) => {{
        for list_id in $list_ids {
            sqlx::query(
                "INSERT INTO list_members (list_id, subscriber_id, added_at) VALUES ($1, $2, $3)",
            )
            .bind(list_id)
            .bind($id)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

impl Store {
    /// Adds a subscriber to `lists`, with the first status
    /// `new.status` (which `source` must be allowed to give:
    /// [`crate::domain::status_rules::may_create`]). A known address
    /// changes nothing ([`Added::Known`]; see [`Store::join_lists`]); a
    /// suppressed one that `source` may not add neither
    /// ([`Added::Suppressed`]). The subscribe form (`page`) may add an
    /// address that left by unsubscribing or being erased: it stays
    /// suppressed until they confirm.
    ///
    /// The consent recorded with them is what `source` implies, with
    /// nothing more known ([`ConsentWay::implied`]); callers that know
    /// more use [`Store::add_subscriber_consenting`].
    pub async fn add_subscriber(
        &self,
        new: &NewSubscriber,
        lists: &[ListName],
        source: ChangeSource,
    ) -> Result<Added> {
        let consent = ConsentWay::implied(source, new.language.as_ref(), lists);
        self.add_subscriber_consenting(new, lists, source, &consent)
            .await
    }

    /// [`Store::add_subscriber`], recording `consent` (proof of consent,
    /// see [`super::consent`]) with the new subscriber, in the same
    /// transaction.
    pub async fn add_subscriber_consenting(
        &self,
        new: &NewSubscriber,
        lists: &[ListName],
        source: ChangeSource,
        consent: &ConsentWay,
    ) -> Result<Added> {
        if !may_create(source, new.status) {
            return Err(Error::Input(format!(
                "a new subscriber cannot start as {} through {source}",
                new.status
            )));
        }
        let hash = self.suppression_hash(&new.email)?;
        let mut list_ids = Vec::with_capacity(lists.len());
        for list in lists {
            list_ids.push(self.ensure_list(list).await?);
        }
        let now = now_ms();
        let added: std::result::Result<(), Option<SuppressionReason>> = on_db!(self, pool, sql => {
            let mut tx = pool.begin_with(sql.begin_write).await?;
            let kept = kept_suppression!(tx, new.email, &hash);
            match kept.filter(|reason| suppression_blocks(*reason, source)) {
                Some(reason) => Err(Some(reason)),
                None => match insert_subscriber!(tx, new, now) {
                    None => Err(None),
                    Some(id) => {
                        add_memberships!(tx, id, &list_ids, now);
                        log_status_change!(&mut *tx, id, now, None, new.status, source, None);
                        record_consent!(&mut *tx, id, now, consent);
                        if let Some(reason) = SuppressionReason::for_status(new.status) {
                            suppress!(&mut *tx, &hash, reason, now);
                        }
                        tx.commit().await?;
                        Ok(())
                    }
                },
            }
        });
        match added {
            Err(Some(reason)) => Ok(Added::Suppressed(reason)),
            Err(None) => Ok(Added::Known),
            Ok(()) => Ok(self
                .find_subscriber(&new.email)
                .await?
                .map_or(Added::Known, Added::New)),
        }
    }

    /// Puts a known subscriber on more lists. Returns how many were new.
    pub async fn join_lists(&self, subscriber_id: i64, lists: &[ListName]) -> Result<u64> {
        let mut added = 0;
        for list in lists {
            let list_id = self.ensure_list(list).await?;
            // Part of a confirmation the page acknowledges: durable.
            added += on_db!(self.durable, pool, _sql => sqlx::query(
                "INSERT INTO list_members (list_id, subscriber_id, added_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(list_id)
            .bind(subscriber_id)
            .bind(now_ms())
            .execute(pool)
            .await?
            .rows_affected());
        }
        Ok(added)
    }

    /// The subscriber with this address (any case), if any.
    pub async fn find_subscriber(&self, email: &EmailAddress) -> Result<Option<Subscriber>> {
        let row: Option<SubscriberRow> = on_db!(self, pool, sql => sqlx::query_as(sql.find_subscriber)
            .bind(email.as_str())
            .fetch_optional(pool)
            .await?);
        row.map(Subscriber::try_from).transpose()
    }

    /// Moves a subscriber to `to`, as the table of status changes allows
    /// for `source` ([`crate::domain::status_rules`]), and logs where the
    /// change came from. A change to the current status changes and logs
    /// nothing (so repeated unsubscribes are harmless).
    pub async fn set_status(
        &self,
        email: &EmailAddress,
        to: SubscriberStatus,
        source: ChangeSource,
        detail: Option<&str>,
    ) -> Result<StatusOutcome> {
        // An id is never given to anyone else, so looking it up first
        // leaves no race: erased meanwhile, the change finds nobody.
        let id: Option<i64> = on_db!(self, pool, _sql =>
            sqlx::query_scalar("SELECT id FROM subscribers WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(pool)
                .await?);
        match id {
            None => Ok(StatusOutcome::Unknown),
            Some(id) => self.set_status_by_id(id, to, source, detail).await,
        }
    }

    /// Erases a person (GDPR): their row, memberships and anything in the
    /// log that could identify them. What stays: anonymous status-change
    /// rows, one erasure row with the status they had, and their address's
    /// keyed hash on the suppression list (reason `erased`, or `bounced` /
    /// `complained` if that is what they were), so no import brings them
    /// back. Returns `None` for an unknown address.
    pub async fn remove_subscriber(&self, email: &EmailAddress) -> Result<Option<Erased>> {
        let hash = self.suppression_hash(email)?;
        on_db!(self, pool, sql => {
            let mut tx = pool.begin_with(sql.begin_write).await?;
            let current: Option<(i64, String)> = sqlx::query_as(&format!(
                "SELECT id, status FROM subscribers WHERE email = $1{}",
                sql.for_update
            ))
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id, status)) = current else {
                return Ok(None);
            };
            sqlx::query("UPDATE status_changes SET detail = NULL WHERE subscriber_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            // SMTP replies can quote the address.
            sqlx::query("UPDATE deliveries SET last_reply = NULL WHERE subscriber_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let now = now_ms();
            sqlx::query("INSERT INTO erasures (at, status) VALUES ($1, $2)")
                .bind(now)
                .bind(&status)
                .execute(&mut *tx)
                .await?;
            let reason = SuppressionReason::for_erasure(
                SubscriberStatus::parse(&status).unwrap_or(SubscriberStatus::Unsubscribed),
            );
            suppress!(&mut *tx, &hash, reason, now);
            sqlx::query("DELETE FROM subscribers WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            // Best effort: a concurrent reader can delay a checkpoint or a
            // vacuum, and the next one finishes the job.
            if let Err(e) = sqlx::raw_sql(sql.after_erasure).execute(pool).await {
                tracing::warn!(error = %e, "clean-up after erasure failed");
            }
            Ok(Some(Erased {
                status: SubscriberStatus::parse(&status).unwrap_or(SubscriberStatus::Unsubscribed),
            }))
        })
    }

    /// Streams the subscribers matching `filter`, oldest first, without
    /// holding them all in memory.
    pub fn subscribers(&self, filter: &SubscriberFilter) -> BoxStream<'_, Result<Subscriber>> {
        let status = filter.status.map(|s| s.as_str());
        let list = filter.list.as_ref().map(|l| l.as_str().to_owned());
        on_db!(self, pool, sql => sqlx::query_as::<_, SubscriberRow>(sql.list_subscribers)
            .bind(status)
            .bind(list)
            .fetch(pool)
            .map(|row| row.map_err(Error::from).and_then(Subscriber::try_from))
            .boxed())
    }

    /// Every attribute name in use, sorted: the extra columns of an export.
    pub async fn attribute_keys(&self) -> Result<Vec<String>> {
        on_db!(self, pool, sql => Ok(sqlx::query_scalar(sql.attribute_keys)
            .fetch_all(pool)
            .await?))
    }

    /// Subscribers per status (all statuses, zeros included).
    pub async fn count_by_status(&self) -> Result<Vec<(SubscriberStatus, i64)>> {
        let rows: Vec<(String, i64)> = on_db!(self, pool, _sql =>
            sqlx::query_as("SELECT status, count(*) FROM subscribers GROUP BY status")
                .fetch_all(pool)
                .await?);
        Ok(SubscriberStatus::ALL
            .iter()
            .map(|s| {
                let n = rows
                    .iter()
                    .find(|(name, _)| name == s.as_str())
                    .map_or(0, |r| r.1);
                (*s, n)
            })
            .collect())
    }

    /// How many people were erased.
    pub async fn erasure_count(&self) -> Result<i64> {
        on_db!(self, pool, _sql => Ok(sqlx::query_scalar("SELECT count(*) FROM erasures")
            .fetch_one(pool)
            .await?))
    }

    /// The status log of one subscriber, oldest first: (from, to, source).
    pub async fn status_history(
        &self,
        email: &EmailAddress,
    ) -> Result<Vec<(Option<String>, String, String)>> {
        on_db!(self, pool, _sql => Ok(sqlx::query_as(
            "SELECT c.from_status, c.to_status, c.source FROM status_changes c \
             JOIN subscribers s ON s.id = c.subscriber_id WHERE s.email = $1 ORDER BY c.id",
        )
        .bind(email.as_str())
        .fetch_all(pool)
        .await?))
    }
}
