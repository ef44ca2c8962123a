//! The send schedule as data. With [`SLOT_LOG`] in its environment,
//! `postbode send` logs every start slot the rate limiter uses or gives up,
//! with its time on the database's clock (src/dispatch/rate.rs). Slots are
//! handed out by the database, so they can be checked strictly, however
//! loaded the machine: README "The rate" promises slots `(1 s + 10 ms) /
//! rate` apart and a start at most 5 ms after its slot, so that no
//! one-second window holds more than `rate` starts. Arrivals at the test
//! SMTP server add delivery time, so they are only checked loosely.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ExitStatus};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use postbode::config::DatabaseUrl;
use secrecy::ExposeSecret;
use sqlx::Connection;

use super::TestApp;

/// The environment that makes a `send` log its slots, as JSON lines.
pub const SLOT_LOG: [(&str, &str); 2] = [
    ("POSTBODE_LOG__FORMAT", "json"),
    (
        "POSTBODE_LOG__FILTER",
        "info,postbode::transport::rate=debug",
    ),
];

/// How late a start may be on its slot (`LATE_LIMIT_US` in the limiter).
pub const LATE_LIMIT_US: i64 = 5_000;

/// One slot a sender used or gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// The slot, in microseconds on the database's clock.
    pub at_us: i64,
    /// How late the sender was on it when it started (or gave it up).
    pub late_us: i64,
    /// False when it was given up: too late to use.
    pub started: bool,
}

/// The JSON log lines of `stderr`, other output left out.
fn log_lines(stderr: &str) -> impl Iterator<Item = serde_json::Value> + '_ {
    stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
}

/// Every slot logged in `stderr`, in log order.
pub fn slots(stderr: &str) -> Vec<Slot> {
    log_lines(stderr)
        .filter_map(|line| {
            let fields = &line["fields"];
            let started = match fields["message"].as_str()? {
                "start" => true,
                "slot given up" => false,
                _ => return None,
            };
            Some(Slot {
                at_us: fields["slot_us"].as_i64().expect("slot_us"),
                late_us: fields["late_us"].as_i64().expect("late_us"),
                started,
            })
        })
        .collect()
}

/// The waits, in seconds, of each "cap is reached" line in `stderr`.
pub fn cap_waits(stderr: &str) -> Vec<i64> {
    log_lines(stderr)
        .filter(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("cap is reached"))
        })
        .map(|l| l["fields"]["wait_secs"].as_i64().expect("wait_secs"))
        .collect()
}

/// `(1 s + 10 ms) / rate` in microseconds, rounded up: the spacing of
/// slots at a whole `rate` per second.
pub fn spacing_us(rate: u32) -> i64 {
    (1_010_000 + i64::from(rate) - 1) / i64::from(rate)
}

/// The most of `times` in any window `[t, t + span)`.
pub fn busiest_window(times: &[i64], span: i64) -> usize {
    let mut times = times.to_vec();
    times.sort_unstable();
    let mut first = 0;
    let mut most = 0;
    for (last, t) in times.iter().enumerate() {
        while *t - times[first] >= span {
            first += 1;
        }
        most = most.max(last + 1 - first);
    }
    most
}

/// Asserts that the slots of one send (every sender's together) keep
/// `rate`: no two slots closer than the spacing, so never more than
/// `rate` in any second; every start on time (not before its slot, at
/// most 5 ms after), so never more than `rate` starts in any second
/// either.
#[track_caller]
pub fn assert_slots_keep_the_rate(slots: &[Slot], rate: u32) {
    let spacing = spacing_us(rate);
    let mut at: Vec<i64> = slots.iter().map(|s| s.at_us).collect();
    at.sort_unstable();
    if let Some((gap, pair)) = at
        .windows(2)
        .map(|w| (w[1] - w[0], w))
        .min_by_key(|(gap, _)| *gap)
    {
        assert!(
            gap >= spacing,
            "two slots {gap} µs apart ({pair:?}); at {rate}/s they are at least {spacing} µs apart"
        );
    }
    let busiest = busiest_window(&at, 1_000_000);
    assert!(
        busiest <= rate as usize,
        "{busiest} slots in one second at {rate}/s"
    );
    for s in slots.iter().filter(|s| s.started) {
        // The wait is on the monotonic clock and the log on the wall
        // clock; a millisecond covers their drift, not a skipped wait
        // (a slot or more early).
        assert!(
            (-1_000..=LATE_LIMIT_US).contains(&s.late_us),
            "a start {} µs after its slot: {s:?}",
            s.late_us
        );
    }
    let starts: Vec<i64> = slots
        .iter()
        .filter(|s| s.started)
        .map(|s| s.at_us + s.late_us.max(0))
        .collect();
    let busiest = busiest_window(&starts, 1_000_000);
    assert!(
        busiest <= rate as usize,
        "{busiest} starts in one second at {rate}/s"
    );
}

/// The most arrivals in any one-second window `[t, t + 1 s)`.
pub fn busiest_second(times: &[Instant]) -> usize {
    let Some(first) = times.iter().min() else {
        return 0;
    };
    let us: Vec<i64> = times
        .iter()
        .map(|t| i64::try_from(t.duration_since(*first).as_micros()).unwrap_or(i64::MAX))
        .collect();
    busiest_window(&us, 1_000_000)
}

/// Asserts, loosely, that messages arrived at about `rate`: a message
/// arrives some time after its start, so as long as that is under a
/// second, a second of arrivals holds starts of at most two seconds.
#[track_caller]
pub fn assert_arrivals_roughly_keep_the_rate(arrivals: &[Instant], rate: u32) {
    let busiest = busiest_second(arrivals);
    assert!(
        busiest <= 2 * rate as usize,
        "{busiest} messages arrived within one second at {rate}/s"
    );
}

/// Asserts that no message arrived before its slot: the `i`-th arrival
/// came after the `i`-th start, since every message starts before it
/// arrives. This ties the logged schedule to what the server saw. Slots
/// are on the database's clock, arrivals on this machine's: only for a
/// database on this machine (see [`database_clock_is_ours`]).
#[track_caller]
pub fn assert_no_arrival_before_its_slot(slots: &[Slot], arrivals: &[Instant]) {
    let (now, now_us) = (Instant::now(), wall_clock_us());
    let mut arrived: Vec<i64> = arrivals
        .iter()
        .map(|a| now_us - i64::try_from(now.duration_since(*a).as_micros()).unwrap_or(i64::MAX))
        .collect();
    arrived.sort_unstable();
    let mut started: Vec<i64> = slots
        .iter()
        .filter(|s| s.started)
        .map(|s| s.at_us)
        .collect();
    started.sort_unstable();
    assert_eq!(arrived.len(), started.len(), "one start per message");
    for (i, (a, s)) in arrived.iter().zip(&started).enumerate() {
        // A millisecond for the wall and monotonic clocks' drift.
        assert!(
            *a >= *s - 1_000,
            "message {i} arrived {} µs before slot {i}",
            s - a
        );
    }
}

/// This machine's clock in Unix microseconds.
fn wall_clock_us() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970");
    i64::try_from(since.as_micros()).expect("microseconds fit")
}

/// Whether the app's database keeps time by this machine's clock: SQLite,
/// or PostgreSQL on a loopback address (as in CI).
pub fn database_clock_is_ours(app: &TestApp) -> bool {
    let settings = postbode::config::load_from(
        Some(&app.path("postbode.toml")),
        &std::collections::BTreeMap::new(),
    )
    .expect("config");
    match &settings.database.url {
        DatabaseUrl::Sqlite(_) => true,
        DatabaseUrl::Postgres(url) => {
            let url = url.expose_secret();
            let host = url
                .split("://")
                .nth(1)
                .map(|rest| rest.rsplit_once('@').map_or(rest, |(_, host)| host))
                .unwrap_or_default();
            ["127.0.0.1", "localhost", "[::1]"]
                .iter()
                .any(|h| host.starts_with(h))
        }
    }
}

/// A running `postbode` whose standard error is read as it comes.
pub struct Watched {
    child: Child,
    /// What it wrote so far, and whether it closed standard error.
    stderr: Arc<(Mutex<(String, bool)>, Condvar)>,
    reader: std::thread::JoinHandle<()>,
}

/// How a watched process ended.
pub struct Ended {
    /// False when SIGTERM did not stop it within 10 s, and SIGKILL did.
    pub stopped_by_sigterm: bool,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Watched {
    /// Watches `child`, started with piped standard output and error
    /// (as [`TestApp::spawn_with_env`] does).
    pub fn new(mut child: Child) -> Watched {
        let pipe = child.stderr.take().expect("piped stderr");
        let stderr: Arc<(Mutex<(String, bool)>, Condvar)> = Arc::default();
        let reader = std::thread::spawn({
            let stderr = Arc::clone(&stderr);
            move || {
                let (log, grew) = &*stderr;
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
                    log.0.push_str(&line);
                    log.0.push('\n');
                    grew.notify_all();
                }
                log.lock().unwrap_or_else(PoisonError::into_inner).1 = true;
                grew.notify_all();
            }
        });
        Watched {
            child,
            stderr,
            reader,
        }
    }

    /// Waits until standard error holds `needle`, or is closed (the
    /// process ended), or `timeout` passed; true if it holds `needle`.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (log, grew) = &*self.stderr;
        let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
        while !log.0.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            if log.1 || left.is_zero() {
                return false;
            }
            log = grew
                .wait_timeout(log, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// SIGTERM (SIGKILL if that does not stop it within 10 s), then
    /// everything it wrote.
    pub fn stop(mut self) -> Ended {
        std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut stopped_by_sigterm = true;
        while self.child.try_wait().expect("poll postbode").is_none() {
            if Instant::now() > deadline {
                stopped_by_sigterm = false;
                self.child.kill().expect("SIGKILL");
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let status = self.child.wait().expect("wait for postbode");
        let mut stdout = String::new();
        if let Some(mut pipe) = self.child.stdout.take() {
            pipe.read_to_string(&mut stdout).expect("read stdout");
        }
        self.reader.join().expect("stderr reader");
        let stderr = std::mem::take(
            &mut self
                .stderr
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .0,
        );
        Ended {
            stopped_by_sigterm,
            status,
            stdout,
            stderr,
        }
    }
}

/// The starts the app's database has counted for the caps (`send_starts`):
/// every slot it handed out while a cap was set.
pub fn starts_counted(app: &TestApp) -> i64 {
    const SQL: &str = "SELECT CAST(coalesce(sum(started), 0) AS BIGINT) FROM send_starts";
    let settings = postbode::config::load_from(
        Some(&app.path("postbode.toml")),
        &std::collections::BTreeMap::new(),
    )
    .expect("config");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        match &settings.database.url {
            DatabaseUrl::Sqlite(path) => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .read_only(true);
                let mut conn = sqlx::SqliteConnection::connect_with(&options)
                    .await
                    .expect("open the SQLite file");
                let n = sqlx::query_scalar(SQL)
                    .fetch_one(&mut conn)
                    .await
                    .expect("count starts");
                conn.close().await.ok();
                n
            }
            DatabaseUrl::Postgres(url) => {
                let mut conn = sqlx::PgConnection::connect(url.expose_secret())
                    .await
                    .expect("connect to PostgreSQL");
                let n = sqlx::query_scalar(SQL)
                    .fetch_one(&mut conn)
                    .await
                    .expect("count starts");
                conn.close().await.ok();
                n
            }
        }
    })
}
