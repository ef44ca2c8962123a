//! How fast messages may start: `sending.rate_per_second`, and the
//! provider caps `sending.max_per_hour` and `sending.max_per_day`.
//!
//! The rate is a GCRA (governor) with a burst of one, so starts are spaced
//! evenly: one every `1 / rate` seconds. That spacing is what makes the
//! guarantee in DESIGN.md hold: no one-second window `[t, t + 1 s)` ever
//! sees more than `rate_per_second` starts. Two consequences:
//!
//! - The spacing is rounded *up* to the nanosecond, so that 3/s cannot fit
//!   a fourth start into a window through rounding.
//! - A fractional rate above one counts as its whole part (12.5/s sends
//!   12/s): any schedule that never exceeds 12.5 starts in any one-second
//!   window never has 13 in one, so it averages at most 12/s. Below one the
//!   rate is used as it is (0.5/s: one start every 2 s).
//!
//! The caps are sliding windows: at most `max_per_hour` starts in any 60
//! minutes, at most `max_per_day` in any 24 hours, which is how providers
//! count. Each keeps the start times inside its window (16 bytes each, so
//! memory is bounded by the cap, not by the list). A GCRA or a fixed
//! clock-hour counter would either allow up to twice the cap across a
//! boundary or need a burst equal to the cap anyway.
//!
//! The limits live in this process only: two `postbode send` processes
//! each get the full rate.
//!
//! Time comes from tokio's clock, the one `until_ready` sleeps on (and
//! which `tokio::time::pause` controls). Unit tests drive the decisions
//! ([`RateLimiter::try_start`]) with a manual clock instead.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use governor::Quota;
use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};

use crate::config::SendingSettings;

/// Decides when the next message may start; shared by all sending tasks.
pub struct RateLimiter {
    spacing: Duration,
    gcra: governor::RateLimiter<NotKeyed, InMemoryState, LimiterClock, NoOpMiddleware<Duration>>,
    clock: LimiterClock,
    caps: Mutex<Caps>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("spacing", &self.spacing)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// A limiter for `s.rate_per_second`, `s.max_per_hour` and
    /// `s.max_per_day` (0 = no cap). Config validation guarantees a finite
    /// rate above 0; anything else is treated as one message per second
    /// rather than panicking.
    pub fn new(s: &SendingSettings) -> RateLimiter {
        Self::with_clock(s, LimiterClock::new())
    }

    fn with_clock(s: &SendingSettings, clock: LimiterClock) -> RateLimiter {
        let spacing = spacing_for(s.rate_per_second);
        // `spacing` is at least 1 ns, so the fallback is never used.
        let quota = Quota::with_period(spacing)
            .unwrap_or_else(|| Quota::per_second(std::num::NonZeroU32::MIN));
        RateLimiter {
            spacing,
            gcra: governor::RateLimiter::direct_with_clock(quota, clock.clone()),
            clock,
            caps: Mutex::new(Caps {
                hour: Window::new(s.max_per_hour, Duration::from_secs(3600)),
                day: Window::new(s.max_per_day, Duration::from_secs(86_400)),
            }),
        }
    }

    /// The time between two starts (the inverse of the effective rate).
    pub fn spacing(&self) -> Duration {
        self.spacing
    }

    /// Waits until one more message may start, and counts it as started.
    ///
    /// Cancel-safe: dropping the future before it completes uses up
    /// nothing, because a start is only taken (in one step, under a lock
    /// that is never held across an await) when it is allowed right now.
    /// A cap may make this wait for hours; wrap it in a `select!` with a
    /// shutdown signal.
    pub async fn until_ready(&self) {
        while let Some(wait) = self.try_start() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes a start if one is allowed now (`None`), else says how long to
    /// wait before asking again.
    pub fn try_start(&self) -> Option<Duration> {
        let mut caps = self.caps.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.now();
        let cap_wait = caps.hour.wait(now).max(caps.day.wait(now));
        if cap_wait.is_some() {
            return cap_wait;
        }
        match self.gcra.check() {
            Ok(()) => {
                // Read the clock again: at or after the instant governor
                // used, so a cap never expires early.
                let started = self.clock.now();
                caps.hour.record(started);
                caps.day.record(started);
                None
            }
            Err(not_until) => Some(not_until.wait_time_from(self.clock.now())),
        }
    }
}

/// `1 / rate`, rounded up to the nanosecond; whole rates only above one
/// (see the module docs).
fn spacing_for(rate_per_second: f64) -> Duration {
    let rate = if !(rate_per_second.is_finite() && rate_per_second > 0.0) {
        1.0
    } else if rate_per_second >= 1.0 {
        rate_per_second.floor()
    } else {
        rate_per_second
    };
    let nanos = (1e9 / rate).ceil();
    // Rates too small to express (one per several centuries) saturate.
    let nanos = if nanos >= u64::MAX as f64 {
        u64::MAX
    } else {
        nanos as u64
    };
    Duration::from_nanos(nanos.max(1))
}

struct Caps {
    hour: Window,
    day: Window,
}

/// At most `limit` starts in any `span`; `limit == 0` means no cap.
struct Window {
    limit: usize,
    span: Duration,
    /// Start times inside the window, oldest first.
    starts: VecDeque<Duration>,
}

impl Window {
    fn new(limit: u64, span: Duration) -> Window {
        Window {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            span,
            starts: VecDeque::new(),
        }
    }

    /// How long until another start fits, or `None` if one fits now.
    /// Forgets starts that have left the window.
    fn wait(&mut self, now: Duration) -> Option<Duration> {
        if self.limit == 0 {
            return None;
        }
        while self
            .starts
            .front()
            .is_some_and(|&s| now.saturating_sub(s) >= self.span)
        {
            self.starts.pop_front();
        }
        if self.starts.len() < self.limit {
            return None;
        }
        // The start that must leave the window before another fits.
        let blocking = self.starts[self.starts.len() - self.limit];
        Some((blocking + self.span).saturating_sub(now))
    }

    fn record(&mut self, at: Duration) {
        if self.limit > 0 {
            self.starts.push_back(at);
        }
    }
}

/// governor's clock, driven by tokio's: time since the limiter was made,
/// as a `Duration` (which governor accepts as an instant). Following tokio
/// means the limiter never disagrees with the `sleep` it waits on. In unit
/// tests it can be a manual clock (nanoseconds in an atomic) instead.
#[derive(Debug, Clone)]
struct LimiterClock {
    origin: tokio::time::Instant,
    #[cfg(test)]
    manual: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

impl LimiterClock {
    fn new() -> LimiterClock {
        LimiterClock {
            origin: tokio::time::Instant::now(),
            #[cfg(test)]
            manual: None,
        }
    }
}

impl Clock for LimiterClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        #[cfg(test)]
        if let Some(nanos) = &self.manual {
            return Duration::from_nanos(nanos.load(std::sync::atomic::Ordering::SeqCst));
        }
        tokio::time::Instant::now().saturating_duration_since(self.origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn settings(rate: f64, per_hour: u64, per_day: u64) -> SendingSettings {
        SendingSettings {
            rate_per_second: rate,
            max_per_hour: per_hour,
            max_per_day: per_day,
            ..Default::default()
        }
    }

    /// A limiter on a clock that moves only when told to.
    struct Simulated {
        limiter: RateLimiter,
        nanos: Arc<AtomicU64>,
    }

    impl Simulated {
        fn new(rate: f64, per_hour: u64, per_day: u64) -> Simulated {
            let nanos = Arc::new(AtomicU64::new(0));
            let clock = LimiterClock {
                manual: Some(Arc::clone(&nanos)),
                ..LimiterClock::new()
            };
            Simulated {
                limiter: RateLimiter::with_clock(&settings(rate, per_hour, per_day), clock),
                nanos,
            }
        }

        fn now(&self) -> Duration {
            Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
        }

        fn advance(&self, by: Duration) {
            let by = u64::try_from(by.as_nanos()).expect("fits").max(1);
            self.nanos.fetch_add(by, Ordering::SeqCst);
        }

        /// What `until_ready` does, with the clock jumping over each wait:
        /// the start times of `n` messages sent back to back.
        fn take(&self, n: usize) -> Vec<Duration> {
            let mut starts = Vec::with_capacity(n);
            while starts.len() < n {
                match self.limiter.try_start() {
                    None => starts.push(self.now()),
                    Some(wait) => self.advance(wait),
                }
            }
            starts
        }
    }

    /// The most starts that fall in any window `[t, t + span)`.
    fn busiest_window(starts: &[Duration], span: Duration) -> usize {
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
    fn a_hundred_messages_at_20_per_second_never_exceed_20_in_any_second() {
        let sim = Simulated::new(20.0, 0, 0);
        let starts = sim.take(100);
        assert_eq!(busiest_window(&starts, Duration::from_secs(1)), 20);
        assert_eq!(starts[99] - starts[0], Duration::from_millis(4950));
    }

    #[test]
    fn half_a_message_per_second_is_one_every_two_seconds() {
        let sim = Simulated::new(0.5, 0, 0);
        let starts = sim.take(5);
        for pair in starts.windows(2) {
            assert_eq!(pair[1] - pair[0], Duration::from_secs(2), "{pair:?}");
        }
    }

    #[test]
    fn rounding_never_lets_an_extra_message_into_a_second() {
        for (rate, most) in [
            (3.0, 3),
            (7.0, 7),
            (2.5, 2),
            (12.5, 12),
            (1.5, 1),
            (1000.0, 1000),
        ] {
            let sim = Simulated::new(rate, 0, 0);
            let starts = sim.take(3000);
            assert_eq!(
                busiest_window(&starts, Duration::from_secs(1)),
                most,
                "rate {rate}"
            );
        }
    }

    #[test]
    fn a_late_caller_gets_no_burst() {
        let sim = Simulated::new(10.0, 0, 0);
        sim.take(1);
        sim.advance(Duration::from_secs(60));
        let starts = sim.take(11);
        assert_eq!(busiest_window(&starts, Duration::from_secs(1)), 10);
    }

    #[test]
    fn the_hourly_cap_holds_the_next_message_until_the_hour_has_passed() {
        let sim = Simulated::new(10.0, 3, 0);
        let starts = sim.take(4);
        assert_eq!(starts[2] - starts[0], Duration::from_millis(200));
        assert_eq!(starts[3] - starts[0], Duration::from_secs(3600));
        let later = sim.take(6);
        let all = [starts, later].concat();
        assert_eq!(busiest_window(&all, Duration::from_secs(3600)), 3);
        assert_eq!(all[9] - all[0], Duration::from_secs(3 * 3600));
    }

    #[test]
    fn the_daily_cap_counts_a_sliding_day() {
        let sim = Simulated::new(100.0, 0, 2);
        let starts = sim.take(5);
        assert_eq!(starts[2] - starts[0], Duration::from_secs(86_400));
        assert_eq!(starts[3] - starts[1], Duration::from_secs(86_400));
        assert_eq!(busiest_window(&starts, Duration::from_secs(86_400)), 2);
    }

    #[test]
    fn both_caps_apply_at_once() {
        let sim = Simulated::new(1000.0, 2, 3);
        let starts = sim.take(4);
        assert_eq!(starts[2] - starts[0], Duration::from_secs(3600));
        assert_eq!(starts[3] - starts[0], Duration::from_secs(86_400));
    }

    #[test]
    fn asking_too_early_takes_nothing() {
        let sim = Simulated::new(1.0, 5, 0);
        assert_eq!(sim.limiter.try_start(), None);
        for _ in 0..10 {
            let wait = sim.limiter.try_start().expect("must wait");
            assert!(wait <= Duration::from_secs(1));
            sim.advance(Duration::from_millis(50));
        }
        sim.advance(Duration::from_millis(500));
        assert_eq!(sim.limiter.try_start(), None, "due 1 s after the first");
    }

    #[tokio::test]
    async fn until_ready_waits_out_the_spacing_and_cancelling_it_takes_nothing() {
        // Real time, so kept short: 20 ms spacing.
        let limiter = RateLimiter::new(&settings(50.0, 0, 0));
        let begin = tokio::time::Instant::now();
        limiter.until_ready().await;
        let gave_up = tokio::time::timeout(Duration::ZERO, limiter.until_ready()).await;
        assert!(gave_up.is_err(), "the second start is 20 ms away");
        for _ in 0..5 {
            limiter.until_ready().await;
        }
        let took = begin.elapsed();
        assert!(
            took >= Duration::from_millis(100) && took < Duration::from_secs(1),
            "took {took:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_tasks_share_the_rate() {
        let limiter = Arc::new(RateLimiter::new(&settings(100.0, 0, 0)));
        let begin = tokio::time::Instant::now();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let limiter = Arc::clone(&limiter);
                tokio::spawn(async move {
                    let mut starts = Vec::new();
                    for _ in 0..10 {
                        limiter.until_ready().await;
                        starts.push(begin.elapsed());
                    }
                    starts
                })
            })
            .collect();
        let mut starts = Vec::new();
        for task in tasks {
            starts.extend(task.await.expect("task"));
        }
        // 40 starts 10 ms apart: the last no sooner than 390 ms in.
        let last = starts.iter().max().copied().expect("starts");
        // (Exact windows are checked on the manual clock above; here
        // scheduling delays blur the recorded times.)
        assert!(last >= Duration::from_millis(390), "{last:?}");
    }

    #[test]
    fn spacing_rounds_up_and_survives_nonsense() {
        assert_eq!(spacing_for(20.0), Duration::from_millis(50));
        assert_eq!(spacing_for(3.0), Duration::from_nanos(333_333_334));
        assert_eq!(spacing_for(0.5), Duration::from_secs(2));
        assert_eq!(spacing_for(12.5), spacing_for(12.0));
        assert_eq!(spacing_for(f64::NAN), Duration::from_secs(1));
        assert_eq!(spacing_for(-3.0), Duration::from_secs(1));
        assert_eq!(spacing_for(1e-30), Duration::from_nanos(u64::MAX));
        assert_eq!(spacing_for(1e12), Duration::from_nanos(1));
    }
}
