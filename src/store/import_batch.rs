//! Many subscribers at once, for CSV imports: one transaction and a handful
//! of statements per batch, so a million rows import in seconds.
//!
//! Each statement gets the whole batch as one JSON text parameter and reads
//! it with `json_each`, so the SQL is constant (prepared once per
//! connection, not parsed per batch) and no ids travel back to Rust: the
//! rows of new subscribers are written set-based, joined on email. Only
//! what Rust needs to apply the rules comes back, aggregated into one row.
//!
//! The rules that make re-imports safe live in [`next_status`]: an import
//! never re-activates someone who left, and never downgrades an active
//! subscriber to pending.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use sqlx::pool::PoolConnection;
use sqlx::{Connection, Sqlite};

use super::{Store, now_ms};
use crate::domain::{
    ChangeSource, EmailAddress, Language, ListName, SubscriberName, SubscriberStatus,
};
use crate::error::{Error, Result};

/// The known subscribers among a JSON array of addresses, as one JSON
/// array of `[index, id, email, name, status, language, attributes,
/// [list id, ...]]`: one row back instead of one per subscriber.
/// `json(...)` keeps the values JSON (a subquery drops that mark).
const FIND_KNOWN: &str = "\
    SELECT json_group_array(json_array(j.key, s.id, s.email, s.name, s.status, s.language, \
        json(s.attributes), \
        json((SELECT json_group_array(m.list_id) FROM list_members AS m WHERE m.subscriber_id = s.id)))) \
    FROM json_each(?1) AS j JOIN subscribers AS s ON s.email = j.value";

/// Rows of [`NewRow`]. `->` keeps the attributes object as JSON text.
const INSERT_NEW: &str = "\
    INSERT INTO subscribers (email, name, status, language, attributes, created_at, updated_at) \
    SELECT value->>0, value->>1, value->>2, value->>3, value->4, ?2, ?2 FROM json_each(?1)";

/// The first status of the subscribers [`INSERT_NEW`] just added, found by
/// email (the column is NOCASE, like its index).
const LOG_NEW: &str = "\
    INSERT INTO status_changes (subscriber_id, at, to_status, source) \
    SELECT s.id, ?2, j.value->>2, ?3 \
    FROM json_each(?1) AS j JOIN subscribers AS s ON s.email = j.value->>0";

/// The lists of the subscribers [`INSERT_NEW`] just added. `WHERE true`
/// tells the parser the ON CONFLICT belongs to the INSERT; a row may name a
/// list twice.
const JOIN_NEW: &str = "\
    INSERT INTO list_members (list_id, subscriber_id, added_at) \
    SELECT l.value, s.id, ?2 \
    FROM json_each(?1) AS j JOIN subscribers AS s ON s.email = j.value->>0, \
        json_each(j.value, '$[5]') AS l \
    WHERE true ON CONFLICT DO NOTHING";

/// Rows of [`Update`].
const UPDATE_KNOWN: &str = "\
    UPDATE subscribers SET name = j.value->>1, language = j.value->>2, attributes = j.value->3, \
        status = j.value->>4, updated_at = ?2 \
    FROM json_each(?1) AS j WHERE subscribers.id = j.value->>0";

/// Rows of `[subscriber id, from, to]`.
const LOG_KNOWN: &str = "\
    INSERT INTO status_changes (subscriber_id, at, from_status, to_status, source) \
    SELECT value->>0, ?2, value->>1, value->>2, ?3 FROM json_each(?1)";

/// Rows of `[list id, subscriber id]`, all new memberships (bar a list
/// named twice in a row).
const JOIN_KNOWN: &str = "\
    INSERT INTO list_members (list_id, subscriber_id, added_at) \
    SELECT value->>0, value->>1, ?2 FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING";

/// One good row of an import file.
#[derive(Clone, Debug)]
pub struct ImportRow {
    /// Line in the file, for messages.
    pub line: u64,
    pub email: EmailAddress,
    pub name: Option<SubscriberName>,
    pub language: Option<Language>,
    /// Lists to join (never left by an import).
    pub lists: Vec<ListName>,
    /// A `status` column's value, if the file has one.
    pub status: Option<SubscriberStatus>,
    /// Values of the extra columns; empty cells are left out.
    pub attributes: Map<String, Value>,
}

/// How an import treats statuses.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportPolicy {
    /// `--active`: new and pending subscribers become active (they opted in
    /// elsewhere). Without it new subscribers are pending.
    pub activate: bool,
}

/// What one batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows that asked to (re-)activate someone who had left; they stayed
    /// unsubscribed, bounced or complained.
    pub kept_gone: u64,
    /// Rows merged into a later row with the same address in the same batch.
    pub duplicates: u64,
}

impl std::ops::AddAssign for BatchCounts {
    fn add_assign(&mut self, o: Self) {
        self.added += o.added;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.kept_gone += o.kept_gone;
        self.duplicates += o.duplicates;
    }
}

/// The status a subscriber ends with, and whether a request to
/// re-activate a person who left was refused.
pub fn next_status(
    current: Option<SubscriberStatus>,
    wanted: Option<SubscriberStatus>,
    activate: bool,
) -> (SubscriberStatus, bool) {
    use SubscriberStatus::{Active, Pending};
    let wanted = wanted.or(activate.then_some(Active));
    match (current, wanted) {
        (None, wanted) => (wanted.unwrap_or(Pending), false),
        (Some(cur), None) => (cur, false),
        (Some(cur), Some(w)) if cur == w => (cur, false),
        (Some(cur), Some(w)) if cur.is_gone() && !w.is_gone() => (cur, true),
        (Some(Active), Some(Pending)) => (Active, false),
        (Some(_), Some(w)) => (w, false),
    }
}

/// A row of [`FIND_KNOWN`]: the index of the batch row it answers, then
/// the subscriber as stored.
#[derive(Deserialize)]
struct Known(
    usize,
    i64,
    // The address as stored; the batch row's (same but for case) is used.
    serde::de::IgnoredAny,
    Option<String>,
    String,
    Option<String>,
    Value,
    Vec<i64>,
);

/// A known subscriber, as the batch is applied to them.
struct Existing {
    id: i64,
    name: Option<String>,
    /// `None` if the stored status is not one we know.
    status: Option<SubscriberStatus>,
    language: Option<String>,
    attributes: Map<String, Value>,
    /// Ids of the lists they are on.
    lists: Vec<i64>,
}

impl From<Known> for Existing {
    fn from(Known(_, id, _, name, status, language, attributes, lists): Known) -> Self {
        Existing {
            id,
            name,
            status: SubscriberStatus::parse(&status).ok(),
            language,
            // Anything but an object (edited by hand) counts as no attributes.
            attributes: match attributes {
                Value::Object(map) => map,
                _ => Map::new(),
            },
            lists,
        }
    }
}

/// A new subscriber for [`INSERT_NEW`], [`LOG_NEW`] and [`JOIN_NEW`]:
/// `[email, name, status, language, attributes, [list id, ...]]`.
struct NewRow<'a> {
    row: &'a ImportRow,
    status: SubscriberStatus,
    list_ids: &'a HashMap<ListName, i64>,
}

impl Serialize for NewRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let r = self.row;
        (
            r.email.as_str(),
            r.name.as_ref().map(SubscriberName::as_str),
            self.status.as_str(),
            r.language.as_ref().map(Language::as_str),
            &r.attributes,
            ListIds(&r.lists, self.list_ids),
        )
            .serialize(s)
    }
}

/// The ids of lists, written straight from the names (no Vec per row).
struct ListIds<'a>(&'a [ListName], &'a HashMap<ListName, i64>);

impl Serialize for ListIds<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().filter_map(|l| self.1.get(l)))
    }
}

/// A changed known subscriber for [`UPDATE_KNOWN`]:
/// `[id, name, language, attributes, status]`.
#[derive(Serialize)]
struct Update<'a>(
    i64,
    Option<&'a str>,
    Option<&'a str>,
    &'a Map<String, Value>,
    &'static str,
);

/// Imports batches over one connection, so one page cache stays warm for
/// the whole import (and memory stays at one cache's size).
pub struct Importer {
    store: Store,
    conn: PoolConnection<Sqlite>,
    /// List ids by name, looked up once per import.
    list_ids: HashMap<ListName, i64>,
}

impl Store {
    /// Starts an import.
    pub async fn importer(&self) -> Result<Importer> {
        Ok(Importer {
            store: self.clone(),
            conn: self.pool.acquire().await?,
            list_ids: HashMap::new(),
        })
    }
}

impl Importer {
    /// Imports one batch in one transaction.
    pub async fn import_batch(
        &mut self,
        rows: Vec<ImportRow>,
        policy: ImportPolicy,
    ) -> Result<BatchCounts> {
        let mut counts = BatchCounts::default();
        let rows = merge_duplicates(rows, &mut counts);
        for list in rows.iter().flat_map(|r| &r.lists) {
            if !self.list_ids.contains_key(list) {
                let id = self.store.ensure_list(list).await?;
                self.list_ids.insert(list.clone(), id);
            }
        }
        let list_ids = &self.list_ids;
        let now = now_ms();
        let source = ChangeSource::Import.as_str();
        let mut tx = self.conn.begin().await?;

        let emails: Vec<&str> = rows.iter().map(|r| r.email.as_str()).collect();
        let found: String = sqlx::query_scalar(FIND_KNOWN)
            .bind(to_json(&emails)?)
            .fetch_one(&mut *tx)
            .await?;
        let found: Vec<Known> =
            serde_json::from_str(&found).map_err(|e| sqlx::Error::Decode(e.into()))?;
        // Indexed like `rows`; duplicates are merged, so one row per person.
        let mut existing: Vec<Option<Existing>> = Vec::new();
        existing.resize_with(rows.len(), || None);
        for known in found {
            if let Some(slot) = existing.get_mut(known.0) {
                *slot = Some(known.into());
            }
        }

        let mut new_rows: Vec<NewRow> = Vec::new();
        let mut updates: Vec<Update> = Vec::new();
        let mut status_logs: Vec<(i64, Option<&str>, &str)> = Vec::new();
        let mut joins: Vec<(i64, i64)> = Vec::new();
        for (row, old) in rows.iter().zip(&mut existing) {
            let Some(old) = old else {
                let (status, _) = next_status(None, row.status, policy.activate);
                new_rows.push(NewRow {
                    row,
                    status,
                    list_ids,
                });
                continue;
            };
            let (status, kept_gone) = next_status(old.status, row.status, policy.activate);
            counts.kept_gone += u64::from(kept_gone);
            let mut dirty = false;
            if let Some(name) = &row.name
                && old.name.as_deref() != Some(name.as_str())
            {
                old.name = Some(name.as_str().to_owned());
                dirty = true;
            }
            if let Some(language) = &row.language
                && old.language.as_deref() != Some(language.as_str())
            {
                old.language = Some(language.as_str().to_owned());
                dirty = true;
            }
            for (k, v) in &row.attributes {
                if old.attributes.get(k) != Some(v) {
                    old.attributes.insert(k.clone(), v.clone());
                    dirty = true;
                }
            }
            let status_changed = Some(status) != old.status;
            if dirty || status_changed {
                updates.push(Update(
                    old.id,
                    old.name.as_deref(),
                    old.language.as_deref(),
                    &old.attributes,
                    status.as_str(),
                ));
            }
            if status_changed {
                status_logs.push((
                    old.id,
                    old.status.map(SubscriberStatus::as_str),
                    status.as_str(),
                ));
            }
            let joined_before = joins.len();
            for list_id in row.lists.iter().filter_map(|l| list_ids.get(l)) {
                if !old.lists.contains(list_id) {
                    joins.push((*list_id, old.id));
                }
            }
            if dirty || status_changed || joins.len() > joined_before {
                counts.updated += 1;
            } else {
                counts.unchanged += 1;
            }
        }
        counts.added = new_rows.len() as u64;

        // Known subscribers first, as their status changes come first in the
        // log. Statements with nothing to do are skipped.
        if !updates.is_empty() {
            sqlx::query(UPDATE_KNOWN)
                .bind(to_json(&updates)?)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        if !status_logs.is_empty() {
            sqlx::query(LOG_KNOWN)
                .bind(to_json(&status_logs)?)
                .bind(now)
                .bind(source)
                .execute(&mut *tx)
                .await?;
        }
        if !new_rows.is_empty() {
            let new_rows = to_json(&new_rows)?;
            sqlx::query(INSERT_NEW)
                .bind(&new_rows)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(LOG_NEW)
                .bind(&new_rows)
                .bind(now)
                .bind(source)
                .execute(&mut *tx)
                .await?;
            sqlx::query(JOIN_NEW)
                .bind(&new_rows)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        if !joins.is_empty() {
            sqlx::query(JOIN_KNOWN)
                .bind(to_json(&joins)?)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(counts)
    }
}

/// A batch as JSON text, for `json_each(?)`.
fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    // Only maps with non-string keys fail, and there are none here.
    serde_json::to_string(value).map_err(|e| Error::Database(sqlx::Error::Encode(e.into())))
}

/// Folds rows with the same address (in any case) into the last of them:
/// later cells win, lists and attributes add up.
fn merge_duplicates(rows: Vec<ImportRow>, counts: &mut BatchCounts) -> Vec<ImportRow> {
    let mut index: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    let mut out: Vec<ImportRow> = Vec::with_capacity(rows.len());
    for row in rows {
        match index.entry(row.email.key()) {
            Entry::Occupied(e) => {
                counts.duplicates += 1;
                let earlier = &mut out[*e.get()];
                earlier.line = row.line;
                earlier.email = row.email;
                if row.name.is_some() {
                    earlier.name = row.name;
                }
                if row.language.is_some() {
                    earlier.language = row.language;
                }
                if row.status.is_some() {
                    earlier.status = row.status;
                }
                for list in row.lists {
                    if !earlier.lists.contains(&list) {
                        earlier.lists.push(list);
                    }
                }
                earlier.attributes.extend(row.attributes);
            }
            Entry::Vacant(e) => {
                e.insert(out.len());
                out.push(row);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubscriberStatus::*;

    #[test]
    fn an_import_never_reactivates_someone_who_left() {
        for gone in [Unsubscribed, Bounced, Complained] {
            assert_eq!(next_status(Some(gone), Some(Active), false), (gone, true));
            assert_eq!(next_status(Some(gone), None, true), (gone, true));
            assert_eq!(next_status(Some(gone), Some(Pending), false), (gone, true));
        }
    }

    #[test]
    fn an_import_never_downgrades_an_active_subscriber() {
        assert_eq!(
            next_status(Some(Active), Some(Pending), false),
            (Active, false)
        );
    }

    #[test]
    fn new_subscribers_are_pending_unless_activated() {
        assert_eq!(next_status(None, None, false), (Pending, false));
        assert_eq!(next_status(None, None, true), (Active, false));
        assert_eq!(
            next_status(None, Some(Unsubscribed), true),
            (Unsubscribed, false)
        );
        assert_eq!(next_status(Some(Pending), None, true), (Active, false));
    }

    #[test]
    fn an_import_can_record_that_someone_left() {
        assert_eq!(
            next_status(Some(Active), Some(Unsubscribed), false),
            (Unsubscribed, false)
        );
    }
}
