//! Every status change goes through here: judged by the one table
//! ([`crate::domain::status_rules`]), then written as a check-and-set
//! statement, `UPDATE subscribers SET status = $to ... WHERE id = $id AND
//! status = $judged` (plus the rule's condition, in the same statement),
//! with its log entry and its effect on the suppression list in the same
//! transaction.
//!
//! The status is read first only to judge the change and to log where it
//! came from; the write lands only if that is still the status, so a bounce
//! that arrives between the read and the write is never overwritten. When
//! the write finds another status, the change is judged again against it.
//! (On SQLite the write lock, taken when the transaction starts, already
//! rules that out; on PostgreSQL it can happen, and the statement is what
//! makes it safe.)

use super::backend::on_db;
use super::consent::confirm_consent;
use super::status_effects::{Deferred, LogEntry, flush_deferred, prefetch_statuses};
use super::suppressions::apply_suppression_effect;
use super::{StatusRequest, Store, now_ms};
use crate::domain::status_rules::{
    self, Condition, LastChange, SuppressionEffect, Verdict, revert_target,
};
use crate::domain::{ChangeSource, ConfirmLink, EmailAddress, StatusOutcome, SubscriberStatus};
use crate::error::{Error, Result};

/// What a change asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// This status.
    To(SubscriberStatus),
    /// "I changed my mind": back to the status before the last
    /// unsubscribe (source `resubscribe`).
    Back,
    /// Active, by a confirmation link issued at this Unix second, after
    /// this status change (source `confirm`; see [`ConfirmLink`]).
    ConfirmedBy {
        issued_at_unix: i64,
        after_change: Option<i64>,
    },
}

/// One change to apply.
#[derive(Clone, Debug)]
pub(crate) struct Change {
    pub id: i64,
    pub source: ChangeSource,
    pub wanted: Wanted,
    pub detail: Option<String>,
    /// The key of the bounce or complaint report that asks for it.
    pub report: Option<String>,
}

impl From<&StatusRequest> for Change {
    fn from(r: &StatusRequest) -> Change {
        Change {
            id: r.subscriber_id,
            source: r.source,
            wanted: Wanted::To(r.to),
            detail: r.detail.clone(),
            report: None,
        }
    }
}

/// How often a change is judged again when the status moved under it;
/// only concurrent writers on PostgreSQL make it go round at all.
const TRIES: usize = 8;

/// Applies one [`Change`] inside the transaction `$tx` at `$now` (Unix
/// ms), with the suppression key `$key`, and evaluates to its
/// [`StatusOutcome`]. The first judgement uses the status read for the
/// whole batch (`$known`, a `&mut` [`super::status_effects::Prefetched`]);
/// log entries, suppressions and skipped deliveries wait in `$deferred`
/// (a `&mut` [`Deferred`]), flushed before anything here reads them (see
/// [`super::status_effects`]). A macro, because the transaction's type
/// differs per backend.
macro_rules! apply_change {
    ($tx:expr, $change:expr, $now:expr, $key:expr, $known:expr, $deferred:expr) => {{
        let change: &Change = $change;
        let now: i64 = $now;
        let id = change.id;
        let deferred: &mut Deferred = $deferred;
        'judged: {
            for _ in 0..TRIES {
                let row: Option<(String, String)> = match $known.remove(&id) {
                    Some(row) => Some(row),
                    None => {
                        sqlx::query_as("SELECT status, email FROM subscribers WHERE id = $1")
                            .bind(id)
                            .fetch_optional(&mut *$tx)
                            .await?
                    }
                };
                let Some((status, email)) = row else {
                    break 'judged StatusOutcome::Unknown;
                };
                let current = stored_status(id, &status)?;
                let mut last_id: Option<i64> = None;
                let to = match change.wanted {
                    Wanted::To(to) => to,
                    Wanted::ConfirmedBy { .. } => SubscriberStatus::Active,
                    Wanted::Back => {
                        flush_deferred!($tx, deferred, now);
                        let last: Option<(i64, Option<String>, String, String, i64)> =
                            sqlx::query_as(
                                "SELECT id, from_status, to_status, source, at FROM status_changes \
                                 WHERE subscriber_id = $1 ORDER BY id DESC LIMIT 1",
                            )
                            .bind(id)
                            .fetch_optional(&mut *$tx)
                            .await?;
                        last_id = last.as_ref().map(|l| l.0);
                        let last = last.and_then(|(_, from, to, source, at)| {
                            Some(LastChange {
                                from: from.and_then(|f| SubscriberStatus::parse(&f).ok()),
                                to: SubscriberStatus::parse(&to).ok()?,
                                source: ChangeSource::parse(&source).ok()?,
                                at,
                            })
                        });
                        match revert_target(current, last.as_ref(), now) {
                            Some(back) => back,
                            // Subscribed or pending already: nothing to undo.
                            None if matches!(
                                current,
                                SubscriberStatus::Active | SubscriberStatus::Pending
                            ) =>
                            {
                                break 'judged StatusOutcome::Unchanged(current);
                            }
                            None => break 'judged StatusOutcome::Refused { current },
                        }
                    }
                };
                let rule = match status_rules::judge(change.source, current, to) {
                    Verdict::Apply(rule) => rule,
                    Verdict::Unchanged => break 'judged StatusOutcome::Unchanged(current),
                    Verdict::Refused => break 'judged StatusOutcome::Refused { current },
                };
                let address = EmailAddress::parse(&email).map_err(|e| {
                    Error::Input(format!(
                        "subscriber #{id} in the database has a bad email: {e}"
                    ))
                })?;
                let hash = $key.hash(&address);
                // The check-and-set: the status judged, and the rule's
                // condition, in the statement that writes.
                let set = "UPDATE subscribers SET status = $1, updated_at = $2 \
                           WHERE id = $3 AND status = $4";
                if rule.condition != Condition::Always {
                    // The condition reads the log and the suppressions.
                    flush_deferred!($tx, deferred, now);
                }
                let written = match (rule.condition, change.wanted) {
                    (Condition::RevertsOwnUnsubscribe, _) => sqlx::query(&format!(
                        "{set} AND (SELECT max(c.id) FROM status_changes c \
                         WHERE c.subscriber_id = $3) = $5"
                    ))
                    .bind(to.as_str())
                    .bind(now)
                    .bind(id)
                    .bind(current.as_str())
                    .bind(last_id)
                    .execute(&mut *$tx)
                    .await?
                    .rows_affected(),
                    // The link was made after their last change, and it is
                    // still their last one: it has not been used, and
                    // nothing (an unsubscribe by anyone) came after it.
                    (
                        Condition::LinkIssuedAfterLastChange,
                        Wanted::ConfirmedBy {
                            after_change: Some(after_change),
                            ..
                        },
                    ) => sqlx::query(&format!(
                        "{set} AND coalesce((SELECT max(c.id) FROM status_changes c \
                         WHERE c.subscriber_id = $3), 0) = $5 \
                         AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.hash = $6 \
                         AND s.reason IN ('bounced', 'complained'))"
                    ))
                    .bind(to.as_str())
                    .bind(now)
                    .bind(id)
                    .bind(current.as_str())
                    .bind(after_change)
                    .bind(hash.as_bytes().as_slice())
                    .execute(&mut *$tx)
                    .await?
                    .rows_affected(),
                    // A link from before links carried the last change: no
                    // change may come after the second it was made in.
                    (
                        Condition::LinkIssuedAfterLastChange,
                        Wanted::ConfirmedBy {
                            issued_at_unix,
                            after_change: None,
                        },
                    ) => sqlx::query(&format!(
                        "{set} AND NOT EXISTS (SELECT 1 FROM status_changes c \
                         WHERE c.subscriber_id = $3 AND c.at >= $5) \
                         AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.hash = $6 \
                         AND s.reason IN ('bounced', 'complained'))"
                    ))
                    .bind(to.as_str())
                    .bind(now)
                    .bind(id)
                    .bind(current.as_str())
                    .bind(link_issued_before_ms(issued_at_unix))
                    .bind(hash.as_bytes().as_slice())
                    .execute(&mut *$tx)
                    .await?
                    .rows_affected(),
                    // A confirmation without its link's time proves nothing.
                    (Condition::LinkIssuedAfterLastChange, _) => {
                        break 'judged StatusOutcome::Refused { current };
                    }
                    (Condition::Always, _) => sqlx::query(set)
                        .bind(to.as_str())
                        .bind(now)
                        .bind(id)
                        .bind(current.as_str())
                        .execute(&mut *$tx)
                        .await?
                        .rows_affected(),
                };
                if written == 0 {
                    // Moved meanwhile (judge again), or the condition does
                    // not hold (refused).
                    let again: Option<String> =
                        sqlx::query_scalar("SELECT status FROM subscribers WHERE id = $1")
                            .bind(id)
                            .fetch_optional(&mut *$tx)
                            .await?;
                    if again.as_deref() == Some(current.as_str()) {
                        break 'judged StatusOutcome::Refused { current };
                    }
                    continue;
                }
                deferred.logs.push(LogEntry {
                    id,
                    from: current,
                    to,
                    source: change.source,
                    detail: change.detail.clone(),
                    report: change.report.clone(),
                });
                if change.source == ChangeSource::Confirm {
                    // Proof of consent: the person confirmed it now.
                    confirm_consent!(&mut *$tx, id, now);
                }
                match status_rules::suppression_effect(change.source, to) {
                    SuppressionEffect::Add(reason) => {
                        if deferred.suppresses(&hash) {
                            flush_deferred!($tx, deferred, now);
                        }
                        deferred.suppressions.push((hash, reason));
                    }
                    SuppressionEffect::None => {}
                    lift => {
                        // A lift must come after what waits for the list.
                        flush_deferred!($tx, deferred, now);
                        apply_suppression_effect!(&mut *$tx, &hash, lift, now);
                    }
                }
                if to == SubscriberStatus::Unsubscribed {
                    // Nothing more goes out to them.
                    deferred.skip_deliveries.push(id);
                }
                break 'judged StatusOutcome::Changed { from: current, to };
            }
            return Err(Error::Failed(format!(
                "subscriber #{id}'s status kept changing while a {} change was applied",
                change.source
            )));
        }
    }};
}

/// A confirmation link of the old form, issued at `issued_at_unix` (whole
/// seconds), is stale once a status change at or after this time (Unix
/// ms) exists: the next whole second, so a person created in the same
/// second as their link still confirms. (Such links expire within a week
/// of the upgrade; new ones carry the last change instead.)
fn link_issued_before_ms(issued_at_unix: i64) -> i64 {
    issued_at_unix.saturating_add(1).saturating_mul(1000)
}

fn stored_status(id: i64, status: &str) -> Result<SubscriberStatus> {
    SubscriberStatus::parse(status).map_err(|e| {
        Error::Input(format!(
            "subscriber #{id} in the database has a bad status: {e}"
        ))
    })
}

impl Store {
    /// Applies `changes` in order, in one transaction, and answers each.
    /// Nothing is applied when it fails.
    pub(crate) async fn apply_changes(&self, changes: &[Change]) -> Result<Vec<StatusOutcome>> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let key = self.suppression_key()?.clone();
        // One writer at a time in this process, so SQLite's busy handler
        // never has to arbitrate between our own tasks.
        let _writer = self.writer.lock().await;
        // Someone is told about it: on disk before it returns.
        on_db!(self.durable, pool, sql => {
            let mut tx = pool.begin_with(sql.begin_write).await?;
            let now = now_ms();
            let mut known = prefetch_statuses!(tx, changes);
            let mut deferred = Deferred::default();
            let mut outcomes = Vec::with_capacity(changes.len());
            for change in changes {
                outcomes.push(apply_change!(tx, change, now, key, known, &mut deferred));
            }
            flush_deferred!(tx, &mut deferred, now);
            tx.commit().await?;
            Ok(outcomes)
        })
    }

    /// One change.
    pub(crate) async fn apply_change(&self, change: Change) -> Result<StatusOutcome> {
        Ok(self
            .apply_changes(std::slice::from_ref(&change))
            .await?
            .pop()
            .unwrap_or(StatusOutcome::Unknown))
    }

    /// "I changed my mind" (`POST /u/TOKEN/resubscribe`): back to the
    /// status before the last unsubscribe, when that was this person's own
    /// link at most a day ago (see [`status_rules`]). Source `resubscribe`.
    pub async fn resubscribe_by_id(&self, subscriber_id: i64) -> Result<StatusOutcome> {
        self.apply_change(Change {
            id: subscriber_id,
            source: ChangeSource::Resubscribe,
            wanted: Wanted::Back,
            detail: None,
            report: None,
        })
        .await
    }

    /// A genuine confirmation link (`POST /confirm/TOKEN`): pending (or,
    /// with a link asked for after leaving, unsubscribed) becomes active,
    /// and the suppression an unsubscribe or erasure left is lifted. The
    /// link works once: only while the status change it was made after is
    /// still the person's last ([`ConfirmLink::after_change`]), so after it
    /// was used, or after any unsubscribe, it changes nothing. Source
    /// `confirm`.
    pub async fn confirm(&self, link: &ConfirmLink) -> Result<StatusOutcome> {
        self.apply_change(Change {
            id: link.subscriber_id,
            source: ChangeSource::Confirm,
            wanted: Wanted::ConfirmedBy {
                issued_at_unix: link.issued_at,
                after_change: link.after_change,
            },
            detail: None,
            report: None,
        })
        .await
    }

    /// [`Store::confirm`] for a link of the old form (no last change in
    /// it), issued at `issued_at_unix`: stale once any status change came
    /// after the second it was made in.
    pub async fn confirm_by_id(
        &self,
        subscriber_id: i64,
        issued_at_unix: i64,
    ) -> Result<StatusOutcome> {
        self.confirm(&ConfirmLink {
            subscriber_id,
            issued_at: issued_at_unix,
            after_change: None,
        })
        .await
    }

    /// The id of subscriber `subscriber_id`'s last status change (0 when
    /// there is none): what a confirmation link made now carries.
    pub async fn last_status_change(&self, subscriber_id: i64) -> Result<i64> {
        let last: Option<i64> = on_db!(self, pool, _sql => sqlx::query_scalar(
            "SELECT max(id) FROM status_changes WHERE subscriber_id = $1",
        )
        .bind(subscriber_id)
        .fetch_one(pool)
        .await?);
        Ok(last.unwrap_or(0))
    }
}
