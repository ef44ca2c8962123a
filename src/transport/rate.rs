//! How fast messages may start: `sending.rate_per_second`, and the
//! provider caps `sending.max_per_hour` and `sending.max_per_day`, for all
//! senders together (every `postbode send` and `serve --dispatch` on the
//! same database).
//!
//! Start times come from the database as blocks of slots (see
//! `store/pace.rs`): no slot is handed out twice, so however many senders
//! run, their starts together are spaced as one sender's would be. This
//! file turns a block into starts: each sending task takes the next slot
//! and sleeps until it.
//!
//! The guarantee in DESIGN.md, that no one-second window `[t, t + 1 s)`
//! ever sees more than `rate_per_second` starts, needs care once a start
//! can be late (a busy machine, a slow claim). Slots are therefore spaced
//! `(1 s + GRACE) / rate` apart, and a slot may be used only until
//! `LATE_LIMIT` (half of `GRACE`; the other half absorbs the error of
//! reading the database's clock over the network) after its time; a task
//! that would be later gives the slot up and takes the next. Then any
//! `rate + 1` starts span at least `rate` spacings, which is more than a
//! second plus the lateness any of them can have. The cost is `GRACE` per
//! second: 1% of the rate.
//!
//! - A fractional rate above one counts as its whole part (12.5/s sends
//!   12/s): any schedule that never exceeds 12.5 starts in any one-second
//!   window never has 13 in one. Below one the rate is used as it is.
//! - The caps are windows of 60 minutes and 24 hours counted in the
//!   database, so they too hold across senders.
//!
//! A block holds at least `concurrency` slots, and about 10 ms of them at
//! high rates, so a sender asks the database once per block, not once per
//! message.
//!
//! At debug level (`postbode::transport::rate=debug`) every slot is logged
//! as it is used (`start`) or given up (`slot given up`), with its time on
//! the database's clock: the schedule the tests check end to end.

use std::time::Duration;

use crate::config::SendingSettings;
use crate::error::{Error, Result};
use crate::store::{CapWindow, Store, local_now_us};

/// Slack per second of schedule, in microseconds (see the module docs).
const GRACE_US: i64 = 10_000;
/// How late a start may be on its slot.
const LATE_LIMIT_US: i64 = GRACE_US / 2;
/// The most slots asked for at once.
const MAX_BLOCK: i64 = 4096;
/// Tries at reserving slots before a database error is given up on.
const DB_TRIES: u32 = 5;

/// Decides when the next message may start; shared by all sending tasks
/// of this process, and through the database with every other sender.
pub struct RateLimiter {
    store: Store,
    spacing_us: i64,
    block: i64,
    caps: Vec<CapWindow>,
    slots: tokio::sync::Mutex<Slots>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("spacing_us", &self.spacing_us)
            .field("block", &self.block)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// A limiter for `s.rate_per_second`, `s.max_per_hour` and
    /// `s.max_per_day` (0 = no cap), shared through `store`. Config
    /// validation guarantees a finite rate above 0; anything else is
    /// treated as one message per second rather than panicking.
    pub fn new(s: &SendingSettings, store: Store) -> RateLimiter {
        let spacing_us = spacing_us_for(s.rate_per_second);
        let per_10ms = 10_000 / spacing_us.max(1);
        let block = per_10ms.max(i64::from(s.concurrency)).clamp(1, MAX_BLOCK);
        let cap = |limit: u64, secs: i64| CapWindow {
            limit: i64::try_from(limit).unwrap_or(i64::MAX),
            span_us: secs * 1_000_000,
        };
        RateLimiter {
            store,
            spacing_us,
            block,
            caps: vec![cap(s.max_per_hour, 3600), cap(s.max_per_day, 86_400)],
            slots: tokio::sync::Mutex::new(Slots::default()),
        }
    }

    /// The time between two starts.
    pub fn spacing(&self) -> Duration {
        Duration::from_micros(u64::try_from(self.spacing_us).unwrap_or(0))
    }

    /// Waits until one more message may start, and counts it as started.
    ///
    /// Dropping the future gives up at most one slot (a start that did
    /// not happen, which only slows sending down). A cap may make this
    /// wait for hours; wrap it in a `select!` with a shutdown signal. When
    /// the database cannot be reached it tries [`DB_TRIES`] times, a
    /// second apart, then gives up with the error: the message is not
    /// sent, and the caller hands it back.
    pub async fn until_ready(&self) -> Result<()> {
        loop {
            let (slot, offset) = self.next_slot().await?;
            let now = local_now_us();
            if slot > now {
                tokio::time::sleep(micros(slot - now)).await;
            }
            let late_us = local_now_us() - slot;
            let slot_us = slot - offset;
            if late_us <= LATE_LIMIT_US {
                tracing::debug!(slot_us, late_us, "start");
                return Ok(());
            }
            // Overslept (a busy machine): this slot is gone.
            tracing::debug!(slot_us, late_us, "slot given up");
        }
    }

    /// The next slot of this process's block, asking the database for a
    /// new block when it is used up; with the block's offset (this
    /// process's clock minus the database's).
    async fn next_slot(&self) -> Result<(i64, i64)> {
        let mut slots = self.slots.lock().await;
        let mut failures = 0;
        loop {
            let (before, now) = (*slots, local_now_us());
            let slot = slots.take(now, self.spacing_us);
            let used = i64::from(slot.is_some());
            for missed in 0..before.left - slots.left - used {
                let slot_us = before.next + missed * self.spacing_us - before.offset;
                tracing::debug!(
                    slot_us,
                    late_us = now - slot_us - before.offset,
                    "slot given up"
                );
            }
            if let Some(slot) = slot {
                return Ok((slot, slots.offset));
            }
            // In a task of its own: a sender may give up waiting for a slot
            // (SIGTERM at a full cap), and a reservation dropped half way
            // would leave its transaction, and SQLite's write lock, open.
            let reservation = {
                let (store, caps) = (self.store.clone(), self.caps.clone());
                let (block, spacing_us) = (self.block, self.spacing_us);
                tokio::spawn(async move { store.reserve_starts(block, spacing_us, &caps).await })
            };
            let reserved = match reservation.await {
                Ok(reserved) => reserved,
                Err(e) => Err(Error::Failed(format!("reserving send slots: {e}"))),
            };
            match reserved {
                Ok(r) => {
                    // The database's times as ours: the answer arrived
                    // after its clock was read, so this errs late.
                    let offset = local_now_us() - r.now_us;
                    if r.count > 0 {
                        *slots = Slots {
                            next: r.first_us + offset,
                            left: r.count,
                            offset,
                        };
                    } else if let Some(retry_at) = r.retry_at_us {
                        tracing::info!(
                            wait_secs = (retry_at - r.now_us) / 1_000_000,
                            "the hourly or daily cap is reached; waiting for room"
                        );
                        tokio::time::sleep(micros(retry_at - r.now_us)).await;
                    }
                }
                Err(e) => {
                    failures += 1;
                    if failures >= DB_TRIES {
                        return Err(e);
                    }
                    tracing::warn!(error = %e, "could not reserve send slots; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

/// The unused part of this process's block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Slots {
    /// The next slot, in this process's microseconds.
    next: i64,
    left: i64,
    /// This process's clock minus the database's, for this block.
    offset: i64,
}

impl Slots {
    /// Takes the next slot that is not already too late at `now`,
    /// dropping the ones that are.
    fn take(&mut self, now: i64, spacing: i64) -> Option<i64> {
        if self.left > 0 && self.next + LATE_LIMIT_US < now {
            let missed = if spacing == 0 {
                self.left
            } else {
                ((now - LATE_LIMIT_US - self.next) / spacing + 1).min(self.left)
            };
            self.next += missed * spacing;
            self.left -= missed;
        }
        if self.left == 0 {
            return None;
        }
        let slot = self.next;
        self.next += spacing;
        self.left -= 1;
        Some(slot)
    }
}

fn micros(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

/// `(1 s + GRACE) / rate` in microseconds, rounded up; whole rates only
/// above one (see the module docs).
fn spacing_us_for(rate_per_second: f64) -> i64 {
    let rate = if !(rate_per_second.is_finite() && rate_per_second > 0.0) {
        1.0
    } else if rate_per_second >= 1.0 {
        rate_per_second.floor()
    } else {
        rate_per_second
    };
    let us = ((1_000_000 + GRACE_US) as f64 / rate).ceil();
    // Rates too small to express (one per several centuries) saturate.
    if us >= i64::MAX as f64 {
        i64::MAX
    } else {
        (us as i64).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The most starts that fall in any window `[t, t + span)`.
    fn busiest_window(starts: &[i64], span: i64) -> usize {
        let mut sorted = starts.to_vec();
        sorted.sort();
        (0..sorted.len())
            .map(|i| {
                sorted[i..]
                    .iter()
                    .take_while(|&&s| s - sorted[i] < span)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn spacing_leaves_room_for_late_starts_and_survives_nonsense() {
        assert_eq!(spacing_us_for(20.0), 50_500);
        assert_eq!(spacing_us_for(3.0), 336_667);
        assert_eq!(spacing_us_for(0.5), 2_020_000);
        assert_eq!(spacing_us_for(12.5), spacing_us_for(12.0));
        assert_eq!(spacing_us_for(f64::NAN), 1_010_000);
        assert_eq!(spacing_us_for(-3.0), 1_010_000);
        assert_eq!(spacing_us_for(1e-30), i64::MAX);
        assert_eq!(spacing_us_for(1e12), 1);
    }

    #[test]
    fn slots_too_late_to_use_are_skipped_not_bunched() {
        let mut slots = Slots {
            next: 1_000_000,
            left: 10,
            offset: 0,
        };
        // 25 ms after the first slot with 10 ms spacing: the slots at 0,
        // 10 and 20 ms are more than LATE_LIMIT late (5 ms); 30 ms is next.
        assert_eq!(slots.take(1_025_001, 10_000), Some(1_030_000));
        assert_eq!(slots.left, 6);
        assert_eq!(slots.take(1_030_000, 10_000), Some(1_040_000));
        // All gone: ask the database again.
        assert_eq!(slots.take(2_000_000, 10_000), None);
        assert_eq!(slots.left, 0);
    }

    #[test]
    fn a_start_a_little_late_keeps_its_slot() {
        let mut slots = Slots {
            next: 1_000_000,
            left: 2,
            offset: 0,
        };
        assert_eq!(
            slots.take(1_000_000 + LATE_LIMIT_US, 10_000),
            Some(1_000_000)
        );
    }

    /// Whatever lateness within the limit each start has, no one-second
    /// window holds more than the rate: the property the spacing is for.
    #[test]
    fn late_starts_within_the_limit_never_put_an_extra_message_in_a_second() {
        for rate in [1.0, 3.0, 7.0, 12.5, 20.0, 100.0, 1000.0] {
            let spacing = spacing_us_for(rate);
            let slots: Vec<i64> = (0..3000).map(|i| i * spacing).collect();
            // Worst case: every other start as late as allowed.
            let starts: Vec<i64> = slots
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    if i % 2 == 0 {
                        s + LATE_LIMIT_US + GRACE_US / 2
                    } else {
                        *s
                    }
                })
                .collect();
            let most = busiest_window(&starts, 1_000_000);
            assert!(most <= rate.floor() as usize, "rate {rate}: {most}");
        }
    }
}
