//! Many subscribers at once, for CSV imports: one transaction of two
//! queries per batch (a lookup, then every write), so a million rows import
//! in seconds.
//!
//! sqlx runs SQLite on a thread of its own, and every statement, and every
//! row a statement returns, is a hand-off between threads. So a batch goes
//! to SQLite as JSON text parameters read with `json_each`, in constant SQL
//! that is prepared once per connection: [`FIND_KNOWN`] returns the known
//! subscribers as one aggregated row, and [`WRITE`] does every write. New
//! subscribers' ids are chosen here, as SQLite would choose them, so their
//! status changes and lists go in the same round trip.
//!
//! The rules that make re-imports safe live in [`next_status`], which asks
//! the one table of status changes ([`crate::domain::status_rules`]): an
//! import never re-activates someone who left, and never downgrades an
//! active subscriber to pending. A known person's status is written as a
//! check-and-set on the status the batch read. An address that is new to
//! the store but on the suppression list (erased, unsubscribed, bounced,
//! complained) is skipped, and counted by reason.
//!
//! Ids: SQLite's AUTOINCREMENT keeps the highest id ever given in
//! `sqlite_sequence`; new people here get the ids after it, never an
//! erased person's.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::pool::PoolConnection;
use sqlx::{Connection, PgConnection, Postgres, Sqlite, SqliteConnection};

use super::backend::Db;
use super::consent;
use super::{Store, now_ms};
use crate::domain::status_rules::{self, Verdict};
use crate::domain::{
    AddressHash, ChangeSource, ConsentBasis, EmailAddress, Language, ListName, SubscriberName,
    SubscriberStatus, SuppressionReason,
};
use crate::error::{Error, Result};

/// The highest subscriber id ever given (the table's, or the AUTOINCREMENT
/// high-water mark when erasures took the highest away), and the known
/// subscribers among a JSON array of addresses as one JSON array of
/// [`Known`] rows (one row back instead of one per subscriber). `email` is
/// NOCASE, like its index. `json(...)` keeps values JSON (a subquery's
/// result loses that mark).
const FIND_KNOWN: &str = "\
    SELECT max(coalesce((SELECT max(id) FROM subscribers), 0), \
               coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'subscribers'), 0)), \
        json_group_array(json_array(j.key, s.id, s.name, s.status, s.language, json(s.attributes), \
            json((SELECT json_group_array(m.list_id) FROM list_members AS m \
                  WHERE m.subscriber_id = s.id)))) \
    FROM json_each(?1) AS j JOIN subscribers AS s ON s.email = j.value";

/// Every write of a batch, as one multi-statement query: one round trip.
/// Parameters are plain `?`, bound in order of appearance across the
/// statements (sqlx's `?N` numbering does not carry across statements). A
/// part with nothing to do gets `[]` or an empty id range. In order:
/// 1. known subscribers that changed: time, `[Update, ...]` (the status
///    only where it is still the one read: a check-and-set);
/// 2. their status changes: time, source, `[[id, from, to], ...]` (first,
///    as they come first in the batch);
/// 3. new subscribers: first id, time, time, `[NewRow, ...]`, numbered in
///    order from the first id (`->` keeps the attributes JSON text);
/// 4. their first status: time, source, first id, id after the last (read
///    back from the rows just written, in order);
/// 5. lists joined: time, `{"list id": [subscriber id, ...], ...}`;
/// 6. suppressions: the hashes one after the other (32 bytes each) as one
///    blob, time, `[reason, ...]` in the same order (a bounce or complaint
///    already kept stays).
///    `json_each` re-encodes a nested `value` each time it is used: cheap
///    for a row of [`NewRow`], not for a long list, so the list id is the
///    key. `WHERE true` tells the parser the ON CONFLICT is the INSERT's;
///    a row may name a list twice.
const WRITE: &str = "\
    UPDATE subscribers SET name = j.value->>1, language = j.value->>2, attributes = j.value->3, \
        status = CASE WHEN status IS j.value->>5 THEN j.value->>4 ELSE status END, updated_at = ? \
    FROM json_each(?) AS j WHERE subscribers.id = j.value->>0; \
    INSERT INTO status_changes (subscriber_id, at, from_status, to_status, source) \
    SELECT value->>0, ?, value->>1, value->>2, ? FROM json_each(?); \
    INSERT INTO subscribers (id, email, name, status, language, attributes, created_at, updated_at) \
    SELECT ? + key, value->>0, value->>1, value->>2, value->>3, value->4, ?, ? FROM json_each(?); \
    INSERT INTO status_changes (subscriber_id, at, to_status, source) \
    SELECT id, ?, status, ? FROM subscribers WHERE id >= ? AND id < ?; \
    INSERT INTO list_members (list_id, subscriber_id, added_at) \
    SELECT CAST(g.key AS INTEGER), m.value, ? FROM json_each(?) AS g, json_each(g.value) AS m \
    WHERE true ON CONFLICT DO NOTHING; \
    INSERT INTO suppressions (hash, reason, at) \
    SELECT substr(?, key * 32 + 1, 32), value, ? FROM json_each(?) WHERE true \
    ON CONFLICT (hash) DO UPDATE SET reason = excluded.reason, at = excluded.at \
    WHERE suppressions.reason NOT IN ('bounced', 'complained') \
       OR excluded.reason IN ('bounced', 'complained')";

/// The suppressed among the new addresses of a batch: their hashes one
/// after the other (32 bytes each) as one blob and `[row, ...]` in the same
/// order in, `(row, reason)` out. A blob, not hex in JSON: formatting and
/// parsing a million hashes as text cost a tenth of a million-row import.
const FIND_SUPPRESSED: &str = "\
    SELECT j.value, s.reason FROM json_each(?2) AS j \
    JOIN suppressions AS s ON s.hash = substr(?1, j.key * 32 + 1, 32)";

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
    /// New addresses skipped because they are on the suppression list.
    pub suppressed: SuppressedCounts,
}

/// Skipped rows per suppression reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SuppressedCounts {
    pub erased: u64,
    pub unsubscribed: u64,
    pub bounced: u64,
    pub complained: u64,
}

impl SuppressedCounts {
    fn slot(&mut self, reason: SuppressionReason) -> &mut u64 {
        match reason {
            SuppressionReason::Erased => &mut self.erased,
            SuppressionReason::Unsubscribed => &mut self.unsubscribed,
            SuppressionReason::Bounced => &mut self.bounced,
            SuppressionReason::Complained => &mut self.complained,
        }
    }

    /// Counts one more row skipped for `reason`.
    pub fn add(&mut self, reason: SuppressionReason) {
        *self.slot(reason) += 1;
    }

    /// Rows skipped for `reason`.
    pub fn get(&self, reason: SuppressionReason) -> u64 {
        match reason {
            SuppressionReason::Erased => self.erased,
            SuppressionReason::Unsubscribed => self.unsubscribed,
            SuppressionReason::Bounced => self.bounced,
            SuppressionReason::Complained => self.complained,
        }
    }

    /// Rows skipped, all reasons.
    pub fn total(&self) -> u64 {
        self.erased + self.unsubscribed + self.bounced + self.complained
    }
}

impl std::ops::AddAssign for BatchCounts {
    fn add_assign(&mut self, o: Self) {
        self.added += o.added;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.kept_gone += o.kept_gone;
        self.duplicates += o.duplicates;
        self.suppressed.erased += o.suppressed.erased;
        self.suppressed.unsubscribed += o.suppressed.unsubscribed;
        self.suppressed.bounced += o.suppressed.bounced;
        self.suppressed.complained += o.suppressed.complained;
    }
}

/// The status a subscriber ends with, and whether the row asked for a
/// change the table of status changes refuses an import for someone who
/// left (re-activating them, or turning a bounce into an unsubscribe).
pub fn next_status(
    current: Option<SubscriberStatus>,
    wanted: Option<SubscriberStatus>,
    activate: bool,
) -> (SubscriberStatus, bool) {
    use SubscriberStatus::{Active, Pending};
    let wanted = wanted.or(activate.then_some(Active));
    match (current, wanted) {
        // Every status may come in with a new person (status_rules::CREATES).
        (None, wanted) => (wanted.unwrap_or(Pending), false),
        (Some(cur), None) => (cur, false),
        (Some(cur), Some(w)) => match status_rules::judge(ChangeSource::Import, cur, w) {
            Verdict::Apply(_) => (w, false),
            Verdict::Unchanged => (cur, false),
            // Active stays active when a file says pending; someone who
            // left stays as they are.
            Verdict::Refused => (cur, cur.is_gone()),
        },
    }
}

/// A row of [`FIND_KNOWN`]: the index of the address it answers, then the
/// subscriber as stored: id, name, status, language, attributes, list ids.
#[derive(Deserialize)]
struct Known(
    usize,
    i64,
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
    fn from(Known(_, id, name, status, language, attributes, lists): Known) -> Self {
        Existing {
            id,
            name,
            status: SubscriberStatus::parse(&status).ok(),
            language,
            // Anything but an object (edited by hand) counts as none.
            attributes: match attributes {
                Value::Object(map) => map,
                _ => Map::new(),
            },
            lists,
        }
    }
}

/// A new subscriber for [`WRITE`]:
/// `[email, name, status, language, attributes]`.
#[derive(Serialize)]
struct NewRow<'a>(
    &'a str,
    Option<&'a str>,
    &'static str,
    Option<&'a str>,
    &'a Map<String, Value>,
);

/// A changed known subscriber for [`WRITE`]:
/// `[id, name, language, attributes, status, status read]`.
#[derive(Serialize)]
struct Update<'a>(
    i64,
    Option<&'a str>,
    Option<&'a str>,
    &'a Map<String, Value>,
    &'static str,
    Option<&'static str>,
);

/// Imports batches over one connection, so one page cache stays warm for
/// the whole import (and memory stays at one cache's size).
pub struct Importer {
    store: Store,
    conn: ImportConnection,
    /// List ids by name, looked up once per import.
    list_ids: HashMap<ListName, i64>,
    /// `--basis`, kept with each consent the import records.
    basis: Option<ConsentBasis>,
}

enum ImportConnection {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Store {
    /// Starts an import.
    pub async fn importer(&self) -> Result<Importer> {
        let conn = match &self.db {
            Db::Sqlite(pool) => ImportConnection::Sqlite(pool.acquire().await?),
            Db::Postgres(pool) => ImportConnection::Postgres(pool.acquire().await?),
        };
        Ok(Importer {
            store: self.clone(),
            conn,
            list_ids: HashMap::new(),
            basis: None,
        })
    }
}

/// What a batch will write, worked out from the rows and what is stored.
#[derive(Default)]
struct Plan<'a> {
    counts: BatchCounts,
    /// Known subscribers that changed.
    updates: Vec<Update<'a>>,
    /// Their status changes: (id, from, to).
    known_logs: Vec<(i64, Option<&'a str>, &'a str)>,
    /// Known subscribers by the list they join.
    joins: BTreeMap<i64, Vec<i64>>,
    /// New subscribers, in order.
    new_rows: Vec<NewRow<'a>>,
    /// The lists each new subscriber joins, in the same order.
    new_lists: Vec<Vec<i64>>,
    /// The row index of each new subscriber, in the same order.
    new_index: Vec<usize>,
    /// Known subscribers whose status changes to one that is suppressed:
    /// (row index, id, reason).
    known_suppress: Vec<(usize, i64, SuppressionReason)>,
    /// Subscribers the batch activates or puts on a new list: their
    /// consent is recorded ([`super::consent`]). Known ones from [`plan`];
    /// new ones are added once stored.
    consenting: Vec<i64>,
}

/// Applies the import rules to one batch: `existing` and `suppressed` are
/// indexed like `rows`, and `existing` is updated in place to what will be
/// stored.
fn plan<'a>(
    rows: &'a [ImportRow],
    existing: &'a mut [Option<Existing>],
    suppressed: &[Option<SuppressionReason>],
    list_ids: &HashMap<ListName, i64>,
    policy: ImportPolicy,
) -> Plan<'a> {
    let mut plan = Plan::default();
    for (index, (row, old)) in rows.iter().zip(existing.iter_mut()).enumerate() {
        match old {
            Some(old) => plan.add_known(index, row, old, lists_of_row(row, list_ids), policy),
            None => match suppressed.get(index).copied().flatten() {
                Some(reason) => plan.counts.suppressed.add(reason),
                None => plan.add_new(index, row, lists_of_row(row, list_ids), policy),
            },
        }
    }
    plan.counts.added = plan.new_rows.len() as u64;
    plan
}

/// The ids of the lists a row names, as far as they are known, without
/// repeats next to each other.
fn lists_of_row(row: &ImportRow, list_ids: &HashMap<ListName, i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = row
        .lists
        .iter()
        .filter_map(|l| list_ids.get(l))
        .copied()
        .collect();
    ids.dedup();
    ids
}

/// Overwrites a known subscriber's name, language and attributes where the
/// row says something new (an empty cell says nothing); true when any of
/// them changed.
fn take_cells(old: &mut Existing, row: &ImportRow) -> bool {
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
    dirty |= attributes::set_attributes(&mut old.attributes, &row.attributes);
    dirty
}

impl<'a> Plan<'a> {
    /// A row whose address is not stored and not suppressed: a new
    /// subscriber with the status the rules give them.
    fn add_new(&mut self, index: usize, row: &'a ImportRow, lists: Vec<i64>, policy: ImportPolicy) {
        let (status, _) = next_status(None, row.status, policy.activate);
        self.new_rows.push(NewRow(
            row.email.as_str(),
            row.name.as_ref().map(SubscriberName::as_str),
            status.as_str(),
            row.language.as_ref().map(Language::as_str),
            &row.attributes,
        ));
        self.new_lists.push(lists);
        self.new_index.push(index);
    }

    /// A row for a known subscriber: what the file says more, the lists
    /// they join, and a status change the rules allow.
    fn add_known(
        &mut self,
        index: usize,
        row: &'a ImportRow,
        old: &'a mut Existing,
        lists: Vec<i64>,
        policy: ImportPolicy,
    ) {
        let (status, kept_gone) = next_status(old.status, row.status, policy.activate);
        self.counts.kept_gone += u64::from(kept_gone);
        let dirty = take_cells(old, row);
        let status_changed = Some(status) != old.status;
        let joined = self.join_new_lists(old, lists);
        if joined || (status_changed && status == SubscriberStatus::Active) {
            self.consenting.push(old.id);
        }
        if dirty || status_changed || joined {
            self.counts.updated += 1;
        } else {
            self.counts.unchanged += 1;
        }
        let old: &'a Existing = old;
        if dirty || status_changed {
            self.updates.push(Update(
                old.id,
                old.name.as_deref(),
                old.language.as_deref(),
                &old.attributes,
                status.as_str(),
                old.status.map(SubscriberStatus::as_str),
            ));
        }
        if status_changed && let Some(reason) = SuppressionReason::for_status(status) {
            self.known_suppress.push((index, old.id, reason));
        }
        if status_changed {
            self.known_logs.push((
                old.id,
                old.status.map(SubscriberStatus::as_str),
                status.as_str(),
            ));
        }
    }

    /// Puts a known subscriber on those of `lists` they are not on yet;
    /// true when there was one.
    fn join_new_lists(&mut self, old: &Existing, lists: Vec<i64>) -> bool {
        let mut joined = false;
        for list_id in lists {
            if !old.lists.contains(&list_id) {
                self.joins.entry(list_id).or_default().push(old.id);
                joined = true;
            }
        }
        joined
    }
}

impl Importer {
    /// Records `basis` (`--basis`, `None`: not stated) with the consent of
    /// each person this import adds, activates or puts on a new list.
    pub fn with_basis(mut self, basis: Option<ConsentBasis>) -> Importer {
        self.basis = basis;
        self
    }

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
        let emails: Vec<&str> = rows.iter().map(|r| r.email.as_str()).collect();
        let key = self.store.suppression_key()?;
        let hashes: Vec<AddressHash> = rows.iter().map(|r| key.hash(&r.email)).collect();
        let batch_in = BatchIn {
            rows: &rows,
            emails: &emails,
            hashes: &hashes,
            list_ids: &self.list_ids,
            policy,
            now: now_ms(),
            basis: self.basis.as_ref(),
        };
        let batch = match &mut self.conn {
            ImportConnection::Sqlite(conn) => sqlite_batch(conn, &batch_in).await?,
            ImportConnection::Postgres(conn) => postgres::postgres_batch(conn, &batch_in).await?,
        };
        counts += batch;
        Ok(counts)
    }
}

/// One batch, merged, with what both backends need.
struct BatchIn<'a> {
    rows: &'a [ImportRow],
    emails: &'a [&'a str],
    /// Each row's address as the suppression list keeps it.
    hashes: &'a [AddressHash],
    list_ids: &'a HashMap<ListName, i64>,
    policy: ImportPolicy,
    now: i64,
    /// `--basis`, for the consents recorded.
    basis: Option<&'a ConsentBasis>,
}

impl BatchIn<'_> {
    /// `(row, hash)` of the rows whose address is not stored yet: the ones
    /// the suppression list is asked about.
    fn unknown_hashes<'h>(
        &'h self,
        existing: &[Option<Existing>],
    ) -> Vec<(usize, &'h AddressHash)> {
        existing
            .iter()
            .enumerate()
            .filter(|(_, e)| e.is_none())
            .map(|(i, _)| (i, &self.hashes[i]))
            .collect()
    }

    /// `(hash, reason)` of every address the batch puts on the suppression
    /// list: new people who come in unsubscribed, bounced or complained,
    /// and known people the file moves there.
    fn suppressions<'h>(&'h self, plan: &Plan<'_>) -> Vec<(&'h AddressHash, SuppressionReason)> {
        let new = plan
            .new_index
            .iter()
            .zip(&plan.new_rows)
            .filter_map(|(i, row)| {
                let status = SubscriberStatus::parse(row.2).ok()?;
                Some((&self.hashes[*i], SuppressionReason::for_status(status)?))
            });
        let known = plan
            .known_suppress
            .iter()
            .map(|(i, _, r)| (&self.hashes[*i], *r));
        new.chain(known).collect()
    }
}

/// Marks the rows the database found on the suppression list, from its
/// `(row index in the batch, reason)` pairs; an index outside the batch or
/// an unknown reason marks nothing. Both backends' writers use it.
fn mark_suppressed(suppressed: &mut [Option<SuppressionReason>], found: Vec<(i64, String)>) {
    for (row, reason) in found {
        if let Some(slot) = usize::try_from(row)
            .ok()
            .and_then(|i| suppressed.get_mut(i))
        {
            *slot = SuppressionReason::parse(&reason).ok();
        }
    }
}

/// Hashes one after the other, for a blob parameter read with `substr`.
fn concatenated<'h>(hashes: impl Iterator<Item = &'h AddressHash>) -> Vec<u8> {
    hashes.flat_map(|h| h.as_bytes().iter().copied()).collect()
}

/// One batch on SQLite: three round trips at most (see the module docs).
async fn sqlite_batch(conn: &mut SqliteConnection, batch: &BatchIn<'_>) -> Result<BatchCounts> {
    let now = batch.now;
    // IMMEDIATE: take the write lock before reading, so a concurrent
    // writer makes us wait (busy timeout) instead of failing the
    // upgrade from reader to writer.
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let (max_id, mut existing) = find_known(&mut tx, batch.emails).await?;
    let unknown = batch.unknown_hashes(&existing);
    let mut suppressed: Vec<Option<SuppressionReason>> = vec![None; batch.rows.len()];
    if !unknown.is_empty() {
        let rows: Vec<usize> = unknown.iter().map(|(i, _)| *i).collect();
        let found: Vec<(i64, String)> = sqlx::query_as(FIND_SUPPRESSED)
            .bind(concatenated(unknown.iter().map(|(_, h)| *h)))
            .bind(to_json(&rows)?)
            .fetch_all(&mut *tx)
            .await?;
        mark_suppressed(&mut suppressed, found);
    }
    let mut plan = plan(
        batch.rows,
        &mut existing,
        &suppressed,
        batch.list_ids,
        batch.policy,
    );
    let suppressions = batch.suppressions(&plan);
    let suppressed_hashes = concatenated(suppressions.iter().map(|(h, _)| *h));
    let suppressed_reasons: Vec<&str> = suppressions.iter().map(|(_, r)| r.as_str()).collect();

    // New subscribers get the ids SQLite would give them (one more than
    // the highest ever given, in order), chosen here so their lists can go
    // in the same round trip. No one else can insert meanwhile: this
    // transaction read `max_id`, and SQLite refuses to write from a
    // snapshot that is no longer current (were an id taken anyway, the
    // INSERT would fail on the primary key, not mix people up).
    let first_id = max_id.unwrap_or(0).checked_add(1);
    let end_id = first_id.and_then(|f| f.checked_add(i64::try_from(plan.new_rows.len()).ok()?));
    let (Some(first_id), Some(end_id)) = (first_id, end_id) else {
        return Err(Error::Database(sqlx::Error::Protocol(
            "no subscriber ids left (the highest is at the 64-bit limit)".into(),
        )));
    };
    for (lists, id) in plan.new_lists.iter().zip(first_id..) {
        for list_id in lists {
            plan.joins.entry(*list_id).or_default().push(id);
        }
    }

    let source = ChangeSource::Import.as_str();
    sqlx::query(WRITE)
        .bind(now)
        .bind(to_json(&plan.updates)?)
        .bind(now)
        .bind(source)
        .bind(to_json(&plan.known_logs)?)
        .bind(first_id)
        .bind(now)
        .bind(now)
        .bind(to_json(&plan.new_rows)?)
        .bind(now)
        .bind(source)
        .bind(first_id)
        .bind(end_id)
        .bind(now)
        .bind(to_json(&plan.joins)?)
        .bind(suppressed_hashes)
        .bind(now)
        .bind(to_json(&suppressed_reasons)?)
        .execute(&mut *tx)
        .await?;
    let new_ids = first_id..end_id;
    consent::record_imported_sqlite(&mut tx, new_ids, &plan.consenting, now, batch.basis).await?;
    tx.commit().await?;
    Ok(plan.counts)
}

/// Runs [`FIND_KNOWN`]: the highest subscriber id, and the subscribers
/// with these addresses, indexed like `emails` (one row per address, as
/// duplicates are merged and `email` is unique).
async fn find_known(
    conn: &mut SqliteConnection,
    emails: &[&str],
) -> Result<(Option<i64>, Vec<Option<Existing>>)> {
    let (max_id, found): (Option<i64>, String) = sqlx::query_as(FIND_KNOWN)
        .bind(to_json(emails)?)
        .fetch_one(conn)
        .await?;
    let found: Vec<Known> =
        serde_json::from_str(&found).map_err(|e| sqlx::Error::Decode(e.into()))?;
    let mut existing: Vec<Option<Existing>> = Vec::new();
    existing.resize_with(emails.len(), || None);
    for known in found {
        if let Some(slot) = existing.get_mut(known.0) {
            *slot = Some(known.into());
        }
    }
    Ok((max_id, existing))
}

/// Part of a batch as JSON text, for `json_each(?)`.
fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    // Fails only on map keys that are neither strings nor numbers.
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

mod attributes;
mod postgres;
#[cfg(test)]
mod tests;
