//! Many subscribers at once, for CSV imports: one transaction and a handful
//! of multi-row statements per batch, so a million rows import in seconds.
//!
//! The rules that make re-imports safe live in [`next_status`]: an import
//! never re-activates someone who left, and never downgrades an active
//! subscriber to pending.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use sqlx::pool::PoolConnection;
use sqlx::{Connection, QueryBuilder, Sqlite};

use super::subscribers::log_status_change;
use super::{Store, now_ms};
use crate::domain::{ChangeSource, EmailAddress, Language, ListName, SubscriberName, SubscriberStatus};
use crate::error::Result;

/// Rows per multi-row INSERT, kept well under SQLite's 32,766 bound
/// parameters.
const ROWS_PER_STATEMENT: usize = 500;

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

struct Existing {
    id: i64,
    name: Option<String>,
    status: Option<SubscriberStatus>,
    language: Option<String>,
    attributes: Map<String, Value>,
}

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
    pub async fn import_batch(&mut self, rows: Vec<ImportRow>, policy: ImportPolicy) -> Result<BatchCounts> {
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
        let mut tx = self.conn.begin().await?;

        let mut existing: HashMap<String, Existing> = HashMap::with_capacity(rows.len());
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT id, email, name, status, language, attributes FROM subscribers WHERE email IN (",
            );
            let mut list = q.separated(", ");
            for row in chunk {
                list.push_bind(row.email.as_str());
            }
            q.push(")");
            let found: Vec<(i64, String, Option<String>, String, Option<String>, String)> =
                q.build_query_as().persistent(false).fetch_all(&mut *tx).await?;
            for (id, email, name, status, language, attributes) in found {
                existing.insert(
                    email.to_ascii_lowercase(),
                    Existing {
                        id,
                        name,
                        status: SubscriberStatus::parse(&status).ok(),
                        language,
                        attributes: serde_json::from_str(&attributes).unwrap_or_default(),
                    },
                );
            }
        }

        // Subscriber id per row, once known; and which rows changed.
        let mut ids: HashMap<String, i64> = HashMap::with_capacity(rows.len());
        let mut changed: HashSet<i64> = HashSet::new();
        let mut new_rows: Vec<(&ImportRow, SubscriberStatus)> = Vec::new();
        for row in &rows {
            let key = row.email.key();
            let Some(old) = existing.get_mut(&key) else {
                let (status, _) = next_status(None, row.status, policy.activate);
                new_rows.push((row, status));
                continue;
            };
            ids.insert(key, old.id);
            let (status, kept_gone) = next_status(old.status, row.status, policy.activate);
            counts.kept_gone += u64::from(kept_gone);
            let mut dirty = false;
            let name = row.name.as_ref().map(|n| n.as_str().to_owned());
            if name.is_some() && name != old.name {
                old.name = name;
                dirty = true;
            }
            let language = row.language.as_ref().map(|l| l.as_str().to_owned());
            if language.is_some() && language != old.language {
                old.language = language;
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
                sqlx::query(
                    "UPDATE subscribers SET name = ?, language = ?, attributes = ?, status = ?, \
                     updated_at = ? WHERE id = ?",
                )
                .bind(&old.name)
                .bind(&old.language)
                .bind(Value::Object(old.attributes.clone()).to_string())
                .bind(status.as_str())
                .bind(now)
                .bind(old.id)
                .execute(&mut *tx)
                .await?;
                changed.insert(old.id);
            }
            if status_changed {
                log_status_change(&mut tx, old.id, now, old.status, status, ChangeSource::Import, None)
                    .await?;
            }
        }

        for chunk in new_rows.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO subscribers (email, name, status, language, attributes, created_at, updated_at) ",
            );
            q.push_values(chunk, |mut b, (row, status)| {
                b.push_bind(row.email.as_str())
                    .push_bind(row.name.as_ref().map(SubscriberName::as_str))
                    .push_bind(status.as_str())
                    .push_bind(row.language.as_ref().map(Language::as_str))
                    .push_bind(Value::Object(row.attributes.clone()).to_string())
                    .push_bind(now)
                    .push_bind(now);
            });
            q.push(" RETURNING id, email");
            let inserted: Vec<(i64, String)> =
                q.build_query_as().persistent(false).fetch_all(&mut *tx).await?;
            for (id, email) in inserted {
                ids.insert(email.to_ascii_lowercase(), id);
            }
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO status_changes (subscriber_id, at, to_status, source) ",
            );
            q.push_values(chunk, |mut b, (row, status)| {
                b.push_bind(ids.get(&row.email.key()).copied())
                    .push_bind(now)
                    .push_bind(status.as_str())
                    .push_bind(ChangeSource::Import.as_str());
            });
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        counts.added = new_rows.len() as u64;

        let memberships: Vec<(i64, i64)> = rows
            .iter()
            .filter_map(|row| ids.get(&row.email.key()).map(|id| (row, *id)))
            .flat_map(|(row, id)| {
                row.lists.iter().filter_map(move |l| list_ids.get(l).map(|l| (*l, id)))
            })
            .collect();
        let mut joined: HashSet<i64> = HashSet::new();
        for chunk in memberships.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO list_members (list_id, subscriber_id, added_at) ",
            );
            q.push_values(chunk, |mut b, (list_id, id)| {
                b.push_bind(*list_id).push_bind(*id).push_bind(now);
            });
            q.push(" ON CONFLICT DO NOTHING RETURNING subscriber_id");
            let added: Vec<i64> = q.build_query_scalar().persistent(false).fetch_all(&mut *tx).await?;
            joined.extend(added);
        }
        tx.commit().await?;

        for row in &rows {
            let key = row.email.key();
            if let Some(old) = existing.get(&key) {
                if changed.contains(&old.id) || joined.contains(&old.id) {
                    counts.updated += 1;
                } else {
                    counts.unchanged += 1;
                }
            }
        }
        Ok(counts)
    }
}

/// Folds rows with the same address (in any case) into the last of them:
/// later cells win, lists and attributes add up.
fn merge_duplicates(rows: Vec<ImportRow>, counts: &mut BatchCounts) -> Vec<ImportRow> {
    let mut index: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    let mut out: Vec<ImportRow> = Vec::with_capacity(rows.len());
    for row in rows {
        match index.get(&row.email.key()) {
            Some(&i) => {
                counts.duplicates += 1;
                let earlier = &mut out[i];
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
            None => {
                index.insert(row.email.key(), out.len());
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
        assert_eq!(next_status(Some(Active), Some(Pending), false), (Active, false));
    }

    #[test]
    fn new_subscribers_are_pending_unless_activated() {
        assert_eq!(next_status(None, None, false), (Pending, false));
        assert_eq!(next_status(None, None, true), (Active, false));
        assert_eq!(next_status(None, Some(Unsubscribed), true), (Unsubscribed, false));
        assert_eq!(next_status(Some(Pending), None, true), (Active, false));
    }

    #[test]
    fn an_import_can_record_that_someone_left() {
        assert_eq!(next_status(Some(Active), Some(Unsubscribed), false), (Unsubscribed, false));
    }
}
