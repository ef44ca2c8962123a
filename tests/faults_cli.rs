//! Sending under faults, injected for real by the test SMTP server over
//! TCP: temporary failures, bounces, policy rejections, pause, resume and
//! cancel, and crashes (SIGKILL). The guarantees: nothing lost, counts add
//! up, duplicates only among messages in flight, with the same Message-ID.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::TestApp;
use support::db::{deliveries_of, status_log};
use support::sending::{ISSUE, app_sending_to, queue, status_json, subscribers};
use support::smtp::{Received, Reply, TestSmtp};

/// Recipient → how many messages, and the Message-IDs they carried.
fn per_recipient(got: &[Received]) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for m in got {
        let text = String::from_utf8_lossy(&m.data);
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .unwrap_or("")
            .to_owned();
        for to in &m.to {
            out.entry(to.clone()).or_default().push(id.clone());
        }
    }
    out
}

fn counts(app: &TestApp) -> serde_json::Value {
    status_json(app)[0]["counts"].clone()
}

fn total(c: &serde_json::Value) -> i64 {
    [
        "queued",
        "sending",
        "sent",
        "failed",
        "skipped",
        "cancelled",
    ]
    .iter()
    .map(|k| c[k].as_i64().unwrap_or(0))
    .sum()
}

#[test]
fn a_4xx_storm_on_a_third_of_the_recipients_recovers_and_everyone_gets_one_message() {
    // Every third recipient is refused once with 451, then accepted.
    let refused: Arc<Mutex<HashSet<String>>> = Arc::default();
    let seen = Arc::clone(&refused);
    let smtp = TestSmtp::start_with(move |rcpt| {
        let n: usize = rcpt
            .trim_start_matches("lezer")
            .split('@')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        let mut seen = seen.lock().expect("lock");
        if n % 3 == 0 && seen.insert(rcpt.to_owned()) {
            Reply::new(451, "4.7.1 Try again later")
        } else {
            Reply::ok()
        }
    });
    let app = app_sending_to(&smtp.url(), "rate_per_second = 1000\nretry_base_secs = 1");
    subscribers(&app, 15);
    queue(&app);
    let run = app.run(&["send"]).ok();
    assert!(run.stdout.contains("failed 0"), "{}", run.stdout);
    let got = per_recipient(&smtp.messages());
    assert_eq!(got.len(), 15, "{got:?}");
    assert!(got.values().all(|ids| ids.len() == 1), "{got:?}");
    assert_eq!(refused.lock().expect("lock").len(), 5);
    let c = counts(&app);
    assert_eq!(c["sent"], 15, "{c}");
    assert_eq!(total(&c), 15);
}

#[test]
fn no_such_user_bounces_the_subscriber_and_a_policy_rejection_does_not() {
    let smtp = TestSmtp::start_with(|rcpt| match rcpt {
        "lezer1@example.nl" => Reply::new(
            550,
            "5.1.1 <lezer1@example.nl>: Recipient address rejected: User unknown",
        ),
        "lezer2@example.nl" => Reply::new(554, "5.7.1 Rejected by policy"),
        _ => Reply::ok(),
    });
    let app = app_sending_to(&smtp.url(), "rate_per_second = 1000\nretry_base_secs = 1");
    subscribers(&app, 5);
    queue(&app);
    let run = app.run(&["send"]);
    assert_eq!(run.code, 1, "failures for good exit 1: {}", run.stderr);
    let c = counts(&app);
    assert_eq!(
        (c["sent"].as_i64(), c["failed"].as_i64()),
        (Some(3), Some(2)),
        "{c}"
    );
    let bounced = app
        .run(&[
            "subscribers",
            "list",
            "--status",
            "bounced",
            "--format",
            "csv",
        ])
        .ok();
    assert!(
        bounced.stdout.contains("lezer1@example.nl"),
        "{}",
        bounced.stdout
    );
    assert!(
        !bounced.stdout.contains("lezer2@example.nl"),
        "{}",
        bounced.stdout
    );
    // Not retried: one attempt each at the server.
    let status = app.run(&["issue", "status", ISSUE]).ok();
    assert!(
        status.stdout.contains("5.1.1") && status.stdout.contains("5.7.1"),
        "{}",
        status.stdout
    );
    let again = app.run(&["send"]).ok();
    assert!(
        again.stdout.contains("sent 0, failed 0"),
        "{}",
        again.stdout
    );
}

#[test]
fn pause_and_resume_mid_send_skip_nobody_and_repeat_nobody() {
    let smtp = TestSmtp::start();
    let app = app_sending_to(
        &smtp.url(),
        "rate_per_second = 20\nconcurrency = 2\nbatch_size = 5",
    );
    subscribers(&app, 40);
    queue(&app);
    std::thread::scope(|s| {
        let sender = s.spawn(|| app.run(&["send"]));
        smtp.wait_for(10, Duration::from_secs(10));
        app.run(&["issue", "pause", ISSUE]).ok();
        sender.join().expect("thread").ok();
    });
    let paused_at = smtp.messages().len();
    assert!(paused_at < 40, "the pause stopped it early ({paused_at})");
    assert_eq!(status_json(&app)[0]["status"], "paused");
    let idle = app.run(&["send"]).ok();
    assert!(
        idle.stdout.contains("sent 0"),
        "a paused issue is not sent: {}",
        idle.stdout
    );
    app.run(&["issue", "resume", ISSUE]).ok();
    app.run(&["send"]).ok();
    let got = per_recipient(&smtp.messages());
    assert_eq!(got.len(), 40);
    assert!(got.values().all(|ids| ids.len() == 1), "nobody twice");
    assert_eq!(status_json(&app)[0]["status"], "sent");
}

#[test]
fn cancel_marks_the_rest_cancelled_and_the_counts_add_up() {
    let smtp = TestSmtp::start();
    let app = app_sending_to(
        &smtp.url(),
        "rate_per_second = 20\nconcurrency = 2\nbatch_size = 5",
    );
    subscribers(&app, 40);
    queue(&app);
    std::thread::scope(|s| {
        let sender = s.spawn(|| app.run(&["send"]));
        smtp.wait_for(10, Duration::from_secs(10));
        app.run(&["issue", "cancel", ISSUE]).ok();
        sender.join().expect("thread").ok();
    });
    let delivered = smtp.messages().len() as i64;
    let c = counts(&app);
    assert_eq!(c["sent"].as_i64(), Some(delivered), "{c}");
    assert_eq!(
        c["sent"].as_i64().unwrap_or(0) + c["cancelled"].as_i64().unwrap_or(0),
        40,
        "{c}"
    );
    assert_eq!(status_json(&app)[0]["status"], "cancelled");
    let refused = app.run(&["issue", "resume", ISSUE]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
}

/// Recipient → the Message-ID of each message they got. Every message
/// must carry exactly one, in angle brackets.
fn message_ids(got: &[Received]) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for m in got {
        let text = String::from_utf8_lossy(&m.data);
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        let fields = head
            .split("\r\n")
            .filter(|l| {
                l.get(..11)
                    .is_some_and(|n| n.eq_ignore_ascii_case("message-id:"))
            })
            .count();
        assert_eq!(fields, 1, "{fields} Message-ID fields in:\n{head}");
        let id = support::encoded_words::header(&m.data, "Message-ID").unwrap_or_default();
        assert!(
            id.starts_with('<') && id.ends_with('>') && id.contains('@'),
            "Message-ID {id:?} in:\n{head}"
        );
        for to in &m.to {
            out.entry(to.clone()).or_default().push(id.clone());
        }
    }
    out
}

#[test]
fn sigkill_at_several_moments_loses_nobody_and_repeats_only_in_flight_messages_with_one_message_id()
{
    let smtp = TestSmtp::start();
    let concurrency = 4;
    let subscribers_n = 120;
    let app = app_sending_to(
        &smtp.url(),
        &format!(
            "rate_per_second = 60\nconcurrency = {concurrency}\nbatch_size = 10\nlease_secs = 1"
        ),
    );
    subscribers(&app, subscribers_n);
    queue(&app);
    // Each run is killed after this many more arrivals and a moment more,
    // so the kills land at different points of a send in progress.
    let kills = [(3usize, 0u64), (10, 120), (20, 270)];
    for (arrivals, then) in kills {
        let before = smtp.messages().len();
        let mut child = app.spawn(&["send"]);
        smtp.wait_for(before + arrivals, Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(then));
        let so_far = smtp.messages();
        let reached = message_ids(&so_far).len();
        assert!(
            so_far.len() >= before + arrivals && reached < subscribers_n,
            "killed mid-send: {} new arrivals (waited for {arrivals}), {reached} of \
             {subscribers_n} reached",
            so_far.len() - before
        );
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let c = counts(&app);
        let open = c["queued"].as_i64().unwrap_or(0) + c["sending"].as_i64().unwrap_or(0);
        assert!(open > 0, "the killed send had more to do: {c}");
        std::thread::sleep(Duration::from_millis(1100)); // leases expire
    }
    app.run(&["send"]).ok();
    let got = message_ids(&smtp.messages());
    assert_eq!(got.len(), subscribers_n, "nobody lost");
    let duplicates: usize = got.values().map(|ids| ids.len() - 1).sum();
    assert!(
        duplicates <= kills.len() * concurrency,
        "{duplicates} duplicates for {} kills at concurrency {concurrency}",
        kills.len()
    );
    for ids in got.values() {
        assert!(
            ids.iter().all(|id| id == &ids[0]),
            "a repeat with another Message-ID: {ids:?}"
        );
    }
    // One Message-ID per delivery: a fixed one would pass the line above.
    let distinct: HashSet<&String> = got.values().map(|ids| &ids[0]).collect();
    assert_eq!(
        distinct.len(),
        subscribers_n,
        "each person's own Message-ID"
    );
    let c = counts(&app);
    assert_eq!(c["sent"], 120, "{c}");
    assert_eq!(total(&c), 120);
}

#[test]
fn a_mail_server_down_mid_send_pauses_the_issue_and_it_resumes_by_itself_without_spending_attempts()
{
    let smtp = TestSmtp::start();
    let proxy = support::faults::FlakyProxy::start(smtp.addr);
    let app = app_sending_to(
        &proxy.url(),
        "rate_per_second = 10\nconcurrency = 2\nbatch_size = 5\nmax_attempts = 2",
    );
    subscribers(&app, 30);
    queue(&app);
    let down_for = Duration::from_secs(8);
    std::thread::scope(|s| {
        let sender = s.spawn(|| app.run(&["send"]));
        smtp.wait_for(8, Duration::from_secs(10));
        proxy.set_down(true);
        std::thread::sleep(Duration::from_secs(2));
        let status = app.run(&["issue", "status", ISSUE]).ok();
        assert!(
            status.stdout.contains("circuit breaker"),
            "paused by the breaker: {}",
            status.stdout
        );
        std::thread::sleep(down_for - Duration::from_secs(2));
        proxy.set_down(false);
        let run = sender.join().expect("thread").ok();
        assert!(run.stdout.contains("failed 0"), "{}", run.stdout);
    });
    let got = per_recipient(&smtp.messages());
    assert_eq!(got.len(), 30, "everyone delivered");
    // A message the server took just as the connection was cut looks
    // failed to us and goes again: only those in flight, same Message-ID.
    let duplicates: usize = got.values().map(|ids| ids.len() - 1).sum();
    assert!(duplicates <= 2, "{duplicates} duplicates at concurrency 2");
    assert!(got.values().all(|ids| ids.iter().all(|id| id == &ids[0])));
    let c = counts(&app);
    assert_eq!(c["sent"], 30, "{c}");
    assert_eq!(c["failed"], 0, "{c}");
    assert_eq!(status_json(&app)[0]["status"], "sent");
}

#[test]
fn smtp_sink_rejecting_every_recipient_fails_them_all_with_its_reply() {
    let Some(sink) = support::sending::SmtpSink::start(&["-f", "RCPT"]) else {
        return;
    };
    let app = app_sending_to(&sink.url(), "rate_per_second = 1000");
    subscribers(&app, 10);
    queue(&app);
    let run = app.run(&["send"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let c = counts(&app);
    assert_eq!(
        (c["failed"].as_i64(), c["sent"].as_i64()),
        (Some(10), Some(0)),
        "{c}"
    );
    let status = app.run(&["issue", "status", ISSUE]).ok();
    assert!(
        status.stdout.contains("10 × 5"),
        "errors grouped: {}",
        status.stdout
    );
}

#[test]
fn smtp_sink_dropping_every_message_ends_in_failures_not_an_endless_pause() {
    // -q DATA: hang up after DATA without replying. Probes still work, so
    // after a few breaker trips the drops count against each message.
    let Some(sink) = support::sending::SmtpSink::start(&["-q", "DATA"]) else {
        return;
    };
    let app = app_sending_to(
        &sink.url(),
        "rate_per_second = 1000\nconcurrency = 2\nmax_attempts = 2\nretry_base_secs = 1",
    );
    subscribers(&app, 6);
    queue(&app);
    let run = app.run(&["send"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let c = counts(&app);
    assert_eq!(c["failed"], 6, "{c}");
    assert_eq!(total(&c), 6);
}

/// `postbode ARGS`, and how long it took; the test fails (and the process
/// is killed) if it runs longer than `limit`.
fn run_timed(app: &TestApp, args: &[&str], limit: Duration) -> (support::Run, Duration) {
    let started = Instant::now();
    let child = app.spawn(args);
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let Ok(out) = rx.recv_timeout(limit) else {
        // Only the process this test started.
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        panic!("postbode {args:?} still ran after {limit:?}");
    };
    let out = out.expect("wait for postbode");
    let run = support::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    (run, started.elapsed())
}

/// The RCPT TO of `who` that the server saw, with when: for a policy.
#[derive(Clone, Default)]
struct Tries(Arc<Mutex<Vec<Instant>>>);

impl Tries {
    fn note(&self) {
        self.0.lock().expect("lock").push(Instant::now());
    }

    fn times(&self) -> Vec<Instant> {
        self.0.lock().expect("lock").clone()
    }
}

#[test]
fn another_4xx_repeated_for_one_recipient_is_retried_with_growing_waits_then_failed_with_its_reply_after_max_attempts()
 {
    // A full mailbox (452 4.2.2, not a slow-down reply) for lezer1 only.
    let tries = Tries::default();
    let noted = tries.clone();
    let smtp = TestSmtp::start_with(move |rcpt| {
        if rcpt == "lezer1@example.nl" {
            noted.note();
            Reply::new(452, "4.2.2 Mailbox full")
        } else {
            Reply::ok()
        }
    });
    let app = app_sending_to(
        &smtp.url(),
        "rate_per_second = 1000\nmax_attempts = 3\nretry_base_secs = 1",
    );
    subscribers(&app, 5);
    queue(&app);
    // `send` waits for retries due within a minute, so one run sees all.
    let run = app.run(&["send"]);
    assert_eq!(run.code, 1, "a failure for good exits 1: {}", run.stderr);
    assert!(run.stderr.contains("failed 1"), "{}", run.stderr);

    let times = tries.times();
    assert_eq!(times.len(), 3, "sending.max_attempts tries, no more");
    // retry_base_secs, then twice that, each ±20%.
    let (first, second) = (times[1] - times[0], times[2] - times[1]);
    assert!(first >= Duration::from_millis(800), "{first:?}");
    assert!(second >= Duration::from_millis(1600), "{second:?}");
    assert!(second > first, "{first:?}, then {second:?}");

    let lezer1 = deliveries_of(&app, "lezer1@example.nl");
    assert_eq!(lezer1.len(), 1, "{lezer1:?}");
    assert_eq!(
        (lezer1[0].status.as_str(), lezer1[0].attempts),
        ("failed", 3),
        "{lezer1:?}"
    );
    let reply = lezer1[0].last_reply.clone().unwrap_or_default();
    assert!(
        reply.contains("452") && reply.contains("4.2.2 Mailbox full"),
        "the last reply is kept: {reply:?}"
    );
    let c = counts(&app);
    assert_eq!(
        (
            c["sent"].as_i64(),
            c["failed"].as_i64(),
            c["queued"].as_i64()
        ),
        (Some(4), Some(1), Some(0)),
        "{c}"
    );
    assert_eq!(total(&c), 5);
    let status = app.run(&["issue", "status", ISSUE]).ok();
    assert!(
        status.stdout.contains("1 × ") && status.stdout.contains("4.2.2 Mailbox full"),
        "{}",
        status.stdout
    );
    // A full mailbox is not a bounce.
    assert_eq!(status_of(&app, "lezer1@example.nl"), "active");
}

#[test]
fn max_consecutive_failures_5xx_in_a_row_pause_the_issue_for_a_person_with_the_reason_in_issue_status()
 {
    // As on a blocklist: every recipient refused with a policy 5xx, until
    // the test lifts it.
    let blocked = Arc::new(AtomicBool::new(true));
    let listed = Arc::clone(&blocked);
    let smtp = TestSmtp::start_with(move |_| {
        if listed.load(Ordering::SeqCst) {
            Reply::new(
                554,
                "5.7.1 Service unavailable; client host blocked using a DNSBL",
            )
        } else {
            Reply::ok()
        }
    });
    // One message at a time, so exactly the limit is spent before the stop.
    let app = app_sending_to(
        &smtp.url(),
        "rate_per_second = 1000\nconcurrency = 1\nmax_consecutive_failures = 3",
    );
    subscribers(&app, 10);
    queue(&app);
    let run = app.run(&["send"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("for a person"), "{}", run.stderr);

    let status = &status_json(&app)[0];
    assert_eq!(status["status"], "paused", "{status}");
    let reason = status["paused_reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("3 permanent failures in a row")
            && reason.contains("max_consecutive_failures")
            && reason.contains("5.7.1"),
        "{reason}"
    );
    let c = &status["counts"];
    assert_eq!(
        (c["failed"].as_i64(), c["queued"].as_i64()),
        (Some(3), Some(7)),
        "the rest is untouched: {c}"
    );
    assert_eq!(total(c), 10);
    let text = app.run(&["issue", "status", ISSUE]).ok();
    assert!(
        text.stdout.contains(&format!("paused: {reason}")),
        "{}",
        text.stdout
    );
    // Paused for a person: another run sends nothing.
    let idle = app.run(&["send"]).ok();
    assert!(idle.stdout.contains("sent 0, failed 0"), "{}", idle.stdout);
    assert_eq!(smtp.messages().len(), 0);

    // The person fixes it and resumes: the other seven go out.
    blocked.store(false, Ordering::SeqCst);
    app.run(&["issue", "resume", ISSUE]).ok();
    let run = app.run(&["send"]).ok();
    assert!(run.stdout.contains("sent 7, failed 0"), "{}", run.stdout);
    let c = counts(&app);
    assert_eq!(
        (c["sent"].as_i64(), c["failed"].as_i64()),
        (Some(7), Some(3)),
        "{c}"
    );
    assert_eq!(status_json(&app)[0]["status"], "sent");
}

#[test]
fn send_exits_1_after_breaker_max_wait_secs_when_the_mail_server_stays_down_and_the_next_run_resumes()
 {
    let smtp = TestSmtp::start();
    let proxy = support::faults::FlakyProxy::start(smtp.addr);
    proxy.set_down(true);
    let wait = Duration::from_secs(3);
    let app = app_sending_to(
        &proxy.url(),
        &format!(
            "rate_per_second = 1000\nbreaker_max_wait_secs = {}",
            wait.as_secs()
        ),
    );
    subscribers(&app, 5);
    queue(&app);
    let (run, took) = run_timed(&app, &["send"], Duration::from_secs(60));
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("stayed unreachable") && run.stderr.contains("circuit breaker"),
        "{}",
        run.stderr
    );
    // It probed for the whole wait, and stopped soon after (probes back
    // off: 0.5 s, 1 s, 2 s, ...).
    assert!(took >= wait, "gave up after {took:?}, before {wait:?}");
    assert!(
        took < wait + Duration::from_secs(10),
        "still probing {took:?} after a wait of {wait:?}"
    );
    let status = &status_json(&app)[0];
    assert_eq!(status["status"], "paused", "{status}");
    assert!(
        status["paused_reason"]
            .as_str()
            .is_some_and(|r| r.contains("circuit breaker")),
        "{status}"
    );
    // No attempts spent, nothing failed.
    assert_eq!(status["counts"]["queued"], 5, "{status}");
    for i in 0..5 {
        let who = format!("lezer{i}@example.nl");
        let d = deliveries_of(&app, &who);
        assert_eq!(
            (d[0].status.as_str(), d[0].attempts),
            ("queued", 0),
            "{who}: {d:?}"
        );
    }

    proxy.set_down(false);
    let run = app.run(&["send"]).ok();
    assert!(run.stdout.contains("sent 5, failed 0"), "{}", run.stdout);
    assert_eq!(status_json(&app)[0]["status"], "sent");
    assert_eq!(per_recipient(&smtp.messages()).len(), 5);
}

#[test]
fn a_hard_bounce_skips_the_persons_delivery_of_another_issue_with_the_reason() {
    let tries = Tries::default();
    let noted = tries.clone();
    let smtp = TestSmtp::start_with(move |rcpt| {
        if rcpt == "lezer1@example.nl" {
            noted.note();
            Reply::new(
                550,
                "5.1.1 <lezer1@example.nl>: Recipient address rejected: User unknown",
            )
        } else {
            Reply::ok()
        }
    });
    let app = app_sending_to(&smtp.url(), "rate_per_second = 1000");
    subscribers(&app, 4);
    // Two issues due at once: one run starts both, so lezer1 has a queued
    // delivery of each before either is sent.
    queue(&app);
    let next = app
        .run(&["issue", "queue", &format!("emails/issues/{NEXT_ISSUE}")])
        .ok();
    assert_eq!(next.stdout.trim(), NEXT_ISSUE);
    let run = app.run(&["send"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("failed 1, skipped 1"), "{}", run.stderr);

    assert_eq!(
        tries.times().len(),
        1,
        "the bounced address is not tried again"
    );
    let mut outcomes: Vec<_> = deliveries_of(&app, "lezer1@example.nl")
        .into_iter()
        .map(|d| (d.status, d.attempts, d.last_reply.unwrap_or_default()))
        .collect();
    outcomes.sort();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert_eq!((outcomes[0].0.as_str(), outcomes[0].1), ("failed", 1));
    assert!(outcomes[0].2.contains("5.1.1"), "{outcomes:?}");
    assert_eq!(
        (
            outcomes[1].0.as_str(),
            outcomes[1].1,
            outcomes[1].2.as_str()
        ),
        ("skipped", 0, "the subscriber is bounced"),
        "{outcomes:?}"
    );
    let log = status_log(&app, "lezer1@example.nl");
    let last = log.last().expect("a status log");
    assert_eq!(
        (last.from.as_deref(), last.to.as_str(), last.source.as_str()),
        (Some("active"), "bounced", "bounce"),
        "{log:?}"
    );
    assert!(
        last.detail.as_deref().is_some_and(|d| d.contains("5.1.1")),
        "the reply in the status log: {log:?}"
    );
    // Everyone else got both.
    let got = per_recipient(&smtp.messages());
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.values().all(|ids| ids.len() == 2), "{got:?}");
}

/// The second sample issue, for tests that need two.
const NEXT_ISSUE: &str = "2026-11-schrijven-voor-iedereen";

/// `who`'s status, from `subscribers list`.
fn status_of(app: &TestApp, who: &str) -> String {
    let run = app.run(&["subscribers", "list", "--format", "json"]).ok();
    let all: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).expect("JSON");
    all.iter()
        .find(|s| s["email"] == who)
        .and_then(|s| s["status"].as_str())
        .unwrap_or_else(|| panic!("{who} is not listed"))
        .to_owned()
}
