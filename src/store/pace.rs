//! The send pace every sender shares: start times handed out from the
//! database, so `sending.rate_per_second` and the hourly and daily caps
//! hold for all `postbode send` and `serve --dispatch` processes together.
//!
//! The rate is a schedule of start slots `spacing` apart, kept as one
//! number: the earliest slot not yet handed out (`send_pace.next_start`).
//! A sender asks for a block of slots; the block begins at that number or
//! now, whichever is later, and the number moves past the block, in one
//! locked write. No slot is ever handed out twice, so the starts of all
//! senders together are spaced as if one sender made them. Senders need
//! no registration: one that joins simply asks; one that dies leaves at
//! most its unused block behind, which only slows the others for that
//! block's length. Times are the database's clock (PostgreSQL's
//! `clock_timestamp()`), so hosts need not agree on the time.
//!
//! Caps count handed-out starts per minute (`send_starts`). A block is
//! granted only as far as every window it could fall in (the minutes from
//! one span before its first slot up to now) has room, and is counted in
//! the minute of its last slot: minute buckets can only make a window look
//! fuller than it is, never emptier.

use super::Store;
use super::backend::{Db, on_db};
use crate::error::Result;

/// A cap: at most `limit` starts in any `span_us` microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapWindow {
    pub limit: i64,
    pub span_us: i64,
}

/// What a sender was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// The first slot, in the database's microseconds.
    pub first_us: i64,
    /// Slots granted (`first_us + i * spacing` for `i < count`); 0 when a
    /// cap is full.
    pub count: i64,
    /// The database's clock when the block was granted: slots are read
    /// against it, so a sender's own clock may differ.
    pub now_us: i64,
    /// When a cap is full: the database time at which to ask again.
    pub retry_at_us: Option<i64>,
}

const MINUTE_US: i64 = 60_000_000;

/// PostgreSQL's reservation without caps, in one statement: `$1` is the
/// block's length; returns the block's end and the database's clock.
const PG_RESERVE: &str = "\
    UPDATE send_pace SET next_start = greatest(next_start, c.now) + $1 \
    FROM (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now) AS c \
    WHERE id = 1 RETURNING next_start, c.now";

/// Records a granted block in the minute of its last slot, and forgets
/// minutes older than the longest window (a day), inside the caller's
/// transaction `$tx`. A macro, because the transaction's type differs per
/// backend.
macro_rules! count_starts {
    ($tx:expr, $caps:expr, $first:expr, $count:expr, $spacing_us:expr, $now_us:expr) => {{
        let last = $first.saturating_add(($count - 1).saturating_mul($spacing_us));
        sqlx::query(
            "INSERT INTO send_starts (minute, started) VALUES ($1, $2) \
             ON CONFLICT (minute) DO UPDATE SET started = send_starts.started + excluded.started",
        )
        .bind(last.div_euclid(MINUTE_US))
        .bind($count)
        .execute(&mut *$tx)
        .await?;
        // Nothing older than the longest window (a day) is needed.
        let longest = $caps.iter().map(|c| c.span_us).max().unwrap_or(0);
        sqlx::query("DELETE FROM send_starts WHERE minute < $1")
            .bind($now_us.saturating_sub(longest).div_euclid(MINUTE_US) - 1)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// How much a cap leaves of a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Room {
    /// At most this many more starts fit.
    Left(i64),
    /// None fit; ask again at this database time.
    FullUntil(i64),
}

impl CapWindow {
    /// The first minute a block beginning at `first` could share a window
    /// with: one span before it.
    fn window_start(&self, first: i64) -> i64 {
        first.saturating_sub(self.span_us).div_euclid(MINUTE_US)
    }

    /// The room this cap leaves, from the starts `counted` per minute
    /// (`(minute, started)`, oldest first) since [`CapWindow::window_start`].
    fn room(&self, from_minute: i64, counted: &[(i64, i64)], now_us: i64) -> Room {
        let used: i64 = counted.iter().map(|c| c.1).sum();
        let room = self.limit - used;
        if room > 0 {
            return Room::Left(room);
        }
        // Room comes when the oldest counted minute leaves the window.
        let oldest = counted.first().map_or(from_minute, |c| c.0);
        let retry_at = (oldest + 1)
            .saturating_mul(MINUTE_US)
            .saturating_add(self.span_us);
        Room::FullUntil(retry_at.max(now_us + 1))
    }
}

impl Store {
    /// Hands out up to `want` consecutive start slots `spacing_us` apart,
    /// within `caps`.
    pub async fn reserve_starts(
        &self,
        want: i64,
        spacing_us: i64,
        caps: &[CapWindow],
    ) -> Result<Reservation> {
        let want = want.max(1);
        let spacing_us = spacing_us.max(0);
        let capped = caps.iter().any(|c| c.limit > 0);
        if let (Db::Postgres(pool), false) = (&self.db, capped) {
            return reserve_uncapped_postgres(pool, want, spacing_us).await;
        }
        on_db!(self, pool, sql => {
            let mut tx = pool.begin_with(sql.begin_write).await?;
            let now_us: i64 = if sql.clock_us.is_empty() {
                local_now_us()
            } else {
                sqlx::query_scalar(sql.clock_us).fetch_one(&mut *tx).await?
            };
            let next: i64 = sqlx::query_scalar(&format!(
                "SELECT next_start FROM send_pace WHERE id = 1{}",
                sql.for_update
            ))
            .fetch_one(&mut *tx)
            .await?;
            let first = next.max(now_us);
            let mut count = want;
            for cap in caps.iter().filter(|c| c.limit > 0) {
                let from_minute = cap.window_start(first);
                let counted: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT minute, started FROM send_starts WHERE minute >= $1 ORDER BY minute",
                )
                .bind(from_minute)
                .fetch_all(&mut *tx)
                .await?;
                match cap.room(from_minute, &counted, now_us) {
                    Room::Left(room) => count = count.min(room),
                    Room::FullUntil(retry_at_us) => {
                        tx.commit().await?;
                        return Ok(Reservation {
                            first_us: first,
                            count: 0,
                            now_us,
                            retry_at_us: Some(retry_at_us),
                        });
                    }
                }
            }
            let end = first.saturating_add(count.saturating_mul(spacing_us));
            sqlx::query("UPDATE send_pace SET next_start = $1 WHERE id = 1")
                .bind(end)
                .execute(&mut *tx)
                .await?;
            if capped {
                count_starts!(tx, caps, first, count, spacing_us, now_us);
            }
            tx.commit().await?;
            Ok(Reservation {
                first_us: first,
                count,
                now_us,
                retry_at_us: None,
            })
        })
    }
}

/// Without caps on PostgreSQL, one statement does it all: a reservation
/// per block is the one database write every sender makes often.
async fn reserve_uncapped_postgres(
    pool: &sqlx::PgPool,
    want: i64,
    spacing_us: i64,
) -> Result<Reservation> {
    let span = want.saturating_mul(spacing_us);
    let (end, now_us): (i64, i64) = sqlx::query_as(PG_RESERVE)
        .bind(span)
        .fetch_one(pool)
        .await?;
    Ok(Reservation {
        first_us: end - span,
        count: want,
        now_us,
        retry_at_us: None,
    })
}

/// This process's clock in Unix microseconds.
pub fn local_now_us() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}
