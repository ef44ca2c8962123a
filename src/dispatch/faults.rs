//! What the dispatcher does about a failed send. The verdict depends on
//! whose problem it is: the recipient's (retry, fail, bounce), the
//! server's load (slow the whole send down), the server being unreachable
//! (circuit breaker: pause, probe, resume), or our own setup (stop for a
//! person). Attempts are only spent on the recipient's problems.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::transport::{SendError, SendErrorKind};

/// What to do with one failed delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// 421/450/451/454: the server asks us to slow down.
    Throttled,
    /// Refused connection, dropped connection, timeout: the server is
    /// down or unreachable; every recipient would fail the same way.
    ServerDown,
    /// The server refuses *us* (530/534/535/538) or our setup is broken:
    /// a person must fix it.
    NeedsPerson,
    /// Another 4xx: try this recipient again later.
    RetryLater,
    /// 5.1.x: the mailbox does not exist; the subscriber bounced.
    Bounce,
    /// Any other 5xx (including 5.7.x policy rejections): failed, but the
    /// subscriber is not marked bounced.
    Fail,
}

pub fn classify(e: &SendError) -> Verdict {
    if e.is_throttling() {
        Verdict::Throttled
    } else if matches!(e.kind, SendErrorKind::Connection | SendErrorKind::Timeout) {
        Verdict::ServerDown
    } else if e.affects_every_recipient() {
        Verdict::NeedsPerson
    } else if e.is_transient() {
        Verdict::RetryLater
    } else if e.is_no_such_user() {
        Verdict::Bounce
    } else {
        Verdict::Fail
    }
}

/// Throttling pauses start here and double while the server keeps
/// throttling, up to [`MAX_THROTTLE`].
const FIRST_THROTTLE: Duration = Duration::from_secs(2);
const MAX_THROTTLE: Duration = Duration::from_secs(300);

/// See [`Faults::breaker_exhausted`].
const MAX_TRIPS: u32 = 3;

/// Shared by the deliveries of one dispatcher.
pub struct Faults {
    max_failures_in_row: u32,
    failures_in_row: AtomicU32,
    /// Times the breaker tripped without a message getting through in
    /// between. A server that answers probes but drops every message
    /// would otherwise pause and resume forever without spending attempts.
    trips_without_success: AtomicU32,
    needs_person: Mutex<Option<String>>,
    server_down: Mutex<Option<String>>,
    throttle: Mutex<Throttle>,
}

struct Throttle {
    until: Option<Instant>,
    next_pause: Duration,
}

impl Faults {
    pub fn new(max_failures_in_row: u32) -> Faults {
        Faults {
            max_failures_in_row: max_failures_in_row.max(1),
            failures_in_row: AtomicU32::new(0),
            trips_without_success: AtomicU32::new(0),
            needs_person: Mutex::new(None),
            server_down: Mutex::new(None),
            throttle: Mutex::new(Throttle {
                until: None,
                next_pause: FIRST_THROTTLE,
            }),
        }
    }

    pub fn on_success(&self) {
        self.failures_in_row.store(0, Ordering::Relaxed);
        self.trips_without_success.store(0, Ordering::Relaxed);
        if let Ok(mut t) = self.throttle.lock()
            && t.until.is_none_or(|u| u <= Instant::now())
        {
            t.next_pause = FIRST_THROTTLE;
        }
    }

    /// Counts a permanent failure; too many in a row stops for a person.
    pub fn on_permanent_failure(&self, reply: &str) {
        let n = self.failures_in_row.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= self.max_failures_in_row {
            self.stop_for_person(format!(
                "{n} permanent failures in a row (sending.max_consecutive_failures); the last: {reply}"
            ));
        }
    }

    /// The server asked to slow down: every send waits a while, longer
    /// each time it happens again. Returns when the pause ends.
    pub fn throttled(&self) -> Instant {
        let now = Instant::now();
        match self.throttle.lock() {
            Ok(mut t) => match t.until {
                // Replies to messages sent before the pause began do not
                // lengthen it.
                Some(until) if until > now => until,
                _ => {
                    let until = now + t.next_pause;
                    t.until = Some(until);
                    t.next_pause = (t.next_pause * 2).min(MAX_THROTTLE);
                    until
                }
            },
            Err(_) => now + FIRST_THROTTLE,
        }
    }

    /// Waits out a throttling pause, if one is on.
    pub async fn wait_if_throttled(&self) {
        let until = self.throttle.lock().ok().and_then(|t| t.until);
        if let Some(until) = until.filter(|u| *u > Instant::now()) {
            tokio::time::sleep_until(until.into()).await;
        }
    }

    pub fn server_down(&self, reply: String) {
        if let Ok(mut s) = self.server_down.lock() {
            s.get_or_insert(reply);
        }
    }

    pub fn server_down_reason(&self) -> Option<String> {
        self.server_down.lock().ok().and_then(|s| s.clone())
    }

    pub fn server_back(&self) {
        self.trips_without_success.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut s) = self.server_down.lock() {
            *s = None;
        }
    }

    /// After [`MAX_TRIPS`] trips with nothing delivered in between, a
    /// dropped connection counts against the message (retried with
    /// backoff, attempts spent) instead of pausing the whole send again.
    pub fn breaker_exhausted(&self) -> bool {
        self.trips_without_success.load(Ordering::Relaxed) >= MAX_TRIPS
    }

    pub fn stop_for_person(&self, reason: String) {
        if let Ok(mut s) = self.needs_person.lock() {
            s.get_or_insert(reason);
        }
    }

    pub fn needs_person(&self) -> Option<String> {
        self.needs_person.lock().ok().and_then(|s| s.clone())
    }

    /// True when no new delivery should start.
    pub fn stopped(&self) -> bool {
        self.needs_person().is_some() || self.server_down_reason().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u16, text: &str) -> SendError {
        SendError::from_reply(code, text)
    }

    #[test]
    fn replies_are_sorted_by_whose_problem_they_are() {
        assert_eq!(
            classify(&reply(451, "4.7.1 Try again later")),
            Verdict::Throttled
        );
        assert_eq!(classify(&reply(421, "4.3.2 Too busy")), Verdict::Throttled);
        assert_eq!(
            classify(&reply(452, "4.2.2 Mailbox full")),
            Verdict::RetryLater
        );
        assert_eq!(classify(&reply(550, "5.1.1 No such user")), Verdict::Bounce);
        assert_eq!(
            classify(&reply(554, "5.7.1 Rejected by policy")),
            Verdict::Fail
        );
        assert_eq!(
            classify(&reply(535, "5.7.8 Bad credentials")),
            Verdict::NeedsPerson
        );
    }

    #[test]
    fn too_many_permanent_failures_in_a_row_stop_for_a_person() {
        let f = Faults::new(3);
        f.on_permanent_failure("550 a");
        f.on_permanent_failure("550 b");
        f.on_success();
        f.on_permanent_failure("550 c");
        f.on_permanent_failure("550 d");
        assert!(f.needs_person().is_none());
        f.on_permanent_failure("550 e");
        assert!(f.needs_person().is_some_and(|r| r.contains("550 e")));
    }

    #[test]
    fn throttling_pauses_grow_while_it_continues() {
        let f = Faults::new(10);
        let now = Instant::now();
        let first = f.throttled();
        let second = {
            // Force the first pause to be over.
            if let Ok(mut t) = f.throttle.lock() {
                t.until = Some(now);
            }
            f.throttled()
        };
        assert!(first - now >= FIRST_THROTTLE);
        assert!(second - now >= FIRST_THROTTLE * 2);
    }
}
