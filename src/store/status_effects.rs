//! What a batch of status changes writes besides the status itself, done
//! once per batch instead of once per change: the status of every person
//! in the batch read in one query before the first change, and the log
//! entries, suppressions and skipped deliveries of the changes written as
//! one statement each.
//!
//! Why: a statement on SQLite is a round trip to the connection's own
//! thread, and those hand-overs, not the SQL, bound first-time one-click
//! unsubscribes per second (BENCHMARKS.md). Per change this leaves the
//! check-and-set `UPDATE` alone.
//!
//! The deferred writes must land before anything in the same transaction
//! reads them: [`super::status_change`] flushes them before a change
//! whose judgement or condition reads the log or the suppression list
//! ("I changed my mind", confirmations), before a suppression is lifted,
//! before a second suppression of the same address, and before commit.

use std::collections::HashMap;

use crate::domain::{AddressHash, ChangeSource, SubscriberStatus, SuppressionReason};

/// Status and address by subscriber id, as read at the start of a batch;
/// each entry is taken by the first change of that person (a later change
/// of the same person in the batch reads again).
pub(crate) type Prefetched = HashMap<i64, (String, String)>;

/// One status log entry to write.
#[derive(Debug)]
pub(crate) struct LogEntry {
    pub id: i64,
    pub from: SubscriberStatus,
    pub to: SubscriberStatus,
    pub source: ChangeSource,
    pub detail: Option<String>,
    pub report: Option<String>,
}

/// The writes waiting for the next flush.
#[derive(Debug, Default)]
pub(crate) struct Deferred {
    pub logs: Vec<LogEntry>,
    pub suppressions: Vec<(AddressHash, SuppressionReason)>,
    /// People whose queued deliveries are skipped (they unsubscribed).
    pub skip_deliveries: Vec<i64>,
}

impl Deferred {
    /// True when an entry for `hash` waits: a second one in the same
    /// statement would be an error on PostgreSQL, so flush first.
    pub fn suppresses(&self, hash: &AddressHash) -> bool {
        self.suppressions.iter().any(|(h, _)| h == hash)
    }
}

/// Reads status and address of every person `$changes` name, inside the
/// transaction `$tx`, into a [`Prefetched`].
macro_rules! prefetch_statuses {
    ($tx:expr, $changes:expr) => {{
        let changes: &[$crate::store::status_change::Change] = $changes;
        let mut query =
            sqlx::QueryBuilder::new("SELECT id, status, email FROM subscribers WHERE id IN (");
        let mut ids = query.separated(", ");
        for change in changes {
            ids.push_bind(change.id);
        }
        query.push(")");
        let rows: Vec<(i64, String, String)> = query.build_query_as().fetch_all(&mut *$tx).await?;
        rows.into_iter()
            .map(|(id, status, email)| (id, (status, email)))
            .collect::<$crate::store::status_effects::Prefetched>()
    }};
}
pub(crate) use prefetch_statuses;

/// Writes everything waiting in `$deferred` (a `&mut` [`Deferred`]) at
/// `$at`, inside the transaction `$tx`, one statement per kind, and
/// empties it. Log entries keep their order.
macro_rules! flush_deferred {
    ($tx:expr, $deferred:expr, $at:expr) => {{
        let deferred: &mut $crate::store::status_effects::Deferred = $deferred;
        let at: i64 = $at;
        if !deferred.logs.is_empty() {
            let mut query = sqlx::QueryBuilder::new(
                "INSERT INTO status_changes \
                 (subscriber_id, at, from_status, to_status, source, detail, report_key) ",
            );
            query.push_values(deferred.logs.drain(..), |mut row, entry| {
                row.push_bind(entry.id)
                    .push_bind(at)
                    .push_bind(entry.from.as_str())
                    .push_bind(entry.to.as_str())
                    .push_bind(entry.source.as_str())
                    .push_bind(entry.detail)
                    .push_bind(entry.report);
            });
            query.build().execute(&mut *$tx).await?;
        }
        if !deferred.suppressions.is_empty() {
            // As `suppress!`: a bounce or complaint kept stays; otherwise
            // the newer reason and date win.
            let mut query = sqlx::QueryBuilder::new("INSERT INTO suppressions (hash, reason, at) ");
            query.push_values(
                deferred.suppressions.drain(..),
                |mut row, (hash, reason)| {
                    row.push_bind(hash.as_bytes().to_vec())
                        .push_bind(reason.as_str())
                        .push_bind(at);
                },
            );
            query.push(
                " ON CONFLICT (hash) DO UPDATE SET reason = excluded.reason, at = excluded.at \
                 WHERE suppressions.reason NOT IN ('bounced', 'complained') \
                 OR excluded.reason IN ('bounced', 'complained')",
            );
            query.build().execute(&mut *$tx).await?;
        }
        if !deferred.skip_deliveries.is_empty() {
            let mut query = sqlx::QueryBuilder::new(
                "UPDATE deliveries SET status = 'skipped', last_reply = 'unsubscribed' \
                 WHERE status = 'queued' AND subscriber_id IN (",
            );
            let mut ids = query.separated(", ");
            for id in deferred.skip_deliveries.drain(..) {
                ids.push_bind(id);
            }
            query.push(")");
            query.build().execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use flush_deferred;
