//! Several senders on one PostgreSQL database: the real binary, three
//! `postbode send` processes at once, a real SMTP server over TCP. Needs
//! `POSTBODE_TEST_POSTGRES_URL` (see tests/support/postgres.rs); without
//! it each test prints why it is skipped.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use support::TestApp;
use support::pace::{
    SLOT_LOG, assert_arrivals_roughly_keep_the_rate, assert_no_arrival_before_its_slot,
    assert_slots_keep_the_rate, database_clock_is_ours, slots,
};
use support::postgres::{fresh_database_blocking, server_url};
use support::sending::{ISSUE, app_sending_to, queue, status_json, subscribers};
use support::smtp::TestSmtp;

/// An app sending to `smtp`, on a fresh PostgreSQL database.
fn app_on_postgres(server: &str, smtp_url: &str, sending: &str) -> TestApp {
    let mut app = app_sending_to(smtp_url, sending);
    let url = fresh_database_blocking(server);
    let config = std::fs::read_to_string(app.path("postbode.toml")).expect("config");
    let old = app.database.as_deref().unwrap_or("sqlite://postbode.db");
    let config = config.replace(&format!("url = \"{old}\""), &format!("url = \"{url}\""));
    app.write("postbode.toml", config);
    // Dropped with the app (and the one it replaces, now).
    app.database = Some(url);
    app
}

fn per_recipient(smtp: &TestSmtp) -> HashMap<String, usize> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in smtp.messages() {
        for to in m.to {
            *seen.entry(to).or_default() += 1;
        }
    }
    seen
}

#[test]
fn three_senders_on_postgres_reach_every_subscriber_once_within_one_shared_rate() {
    let Some(server) = server_url() else { return };
    // Three debug-build senders on PostgreSQL send about 270/s together
    // with no limit, on two cores: at 100/s the shared schedule, not the
    // machine, sets the pace.
    let rate = 100;
    let people = 500;
    let smtp = TestSmtp::start().without_bodies();
    let app = app_on_postgres(
        &server,
        &smtp.url(),
        &format!("rate_per_second = {rate}\nconcurrency = 8\nbatch_size = 40"),
    );
    subscribers(&app, people);
    queue(&app);

    let runs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|_| s.spawn(|| app.run_with_env(&["send"], &SLOT_LOG)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("sender thread").ok())
            .collect()
    });

    let got = smtp.wait_for(people, Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(300));
    let seen = per_recipient(&smtp);
    assert_eq!(seen.len(), people, "recipients reached");
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    assert!(!seen.contains_key("wacht@example.nl") && !seen.contains_key("weg@example.nl"));

    // Each sender did part of the work: the claims were shared.
    for run in &runs {
        assert!(
            !run.stdout.contains("sent 0,"),
            "a sender sent nothing: {}",
            run.stdout
        );
    }
    // One schedule for all three, checked on the slots themselves.
    let slots: Vec<_> = runs.iter().flat_map(|r| slots(&r.stderr)).collect();
    let starts = slots.iter().filter(|s| s.started).count();
    assert_eq!(starts, people, "one start per message");
    assert_slots_keep_the_rate(&slots, rate);
    let arrivals: Vec<Instant> = got.iter().map(|m| m.at).collect();
    assert_arrivals_roughly_keep_the_rate(&arrivals, rate);
    if database_clock_is_ours(&app) {
        assert_no_arrival_before_its_slot(&slots, &arrivals);
    }
    let status = &status_json(&app)[0];
    assert_eq!(status["status"], "sent");
    assert_eq!(status["counts"]["sent"], people);
}

#[test]
fn a_sender_killed_mid_send_leaves_its_share_to_the_others_after_the_lease() {
    let Some(server) = server_url() else { return };
    let smtp = TestSmtp::start().without_bodies();
    let concurrency = 4;
    let app = app_on_postgres(
        &server,
        &smtp.url(),
        &format!(
            "rate_per_second = 400\nconcurrency = {concurrency}\nbatch_size = 100\nlease_secs = 3"
        ),
    );
    subscribers(&app, 3000);
    queue(&app);

    let mut doomed = app.spawn(&["send"]);
    // Let it claim a batch and send part of it.
    let waited = Instant::now();
    while smtp.messages().len() < 200 && waited.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let runs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2).map(|_| s.spawn(|| app.run(&["send"]))).collect();
        std::thread::sleep(Duration::from_millis(300));
        doomed.kill().expect("SIGKILL the first sender");
        doomed.wait().expect("reap it");
        handles
            .into_iter()
            .map(|h| h.join().expect("sender thread"))
            .collect()
    });
    for run in runs {
        run.ok();
    }
    smtp.wait_for(3000, Duration::from_secs(10));
    let seen = per_recipient(&smtp);
    assert_eq!(
        seen.len(),
        3000,
        "everyone reached, the killed sender's claims too"
    );
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    assert!(
        duplicates <= concurrency,
        "{duplicates} duplicates; at most the {concurrency} in flight at the kill"
    );
    let status = &status_json(&app)[0];
    assert_eq!(status["status"], "sent");
    assert_eq!(status["counts"]["sent"], 3000);
}

#[test]
fn a_send_begun_on_sqlite_continues_on_postgres_after_migrate_store() {
    let Some(server) = server_url() else { return };
    let smtp = TestSmtp::start().without_bodies();
    let app = app_sending_to(&smtp.url(), "rate_per_second = 100\nconcurrency = 2");
    subscribers(&app, 300);
    app.run(&["subscribers", "unsubscribe", "lezer7@example.nl"])
        .ok();
    app.run(&["subscribers", "remove", "lezer8@example.nl"])
        .ok();
    queue(&app);
    // Part of the send, then a clean stop (SIGTERM records what was in flight).
    let mut first = app.spawn(&["send"]);
    let waited = Instant::now();
    while smtp.messages().len() < 60 && waited.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::process::Command::new("kill")
        .args(["-TERM", &first.id().to_string()])
        .status()
        .expect("kill");
    first.wait().expect("sender stops");
    let before = status_json(&app)[0]["counts"]["sent"]
        .as_i64()
        .expect("count");
    assert!(before > 0 && before < 298, "sent {before} before the move");

    let url = fresh_database_blocking(&server);
    let run = app.run(&["migrate-store", "--to", &url]).ok();
    for table in ["subscribers", "status_changes", "issues", "deliveries"] {
        let line = run
            .stdout
            .lines()
            .find(|l| l.starts_with(table))
            .unwrap_or_else(|| panic!("no {table} line in {}", run.stdout));
        let counts: Vec<&str> = line.split_whitespace().skip(1).collect();
        assert_eq!(counts[0], counts[1], "{line}");
    }
    // A second copy into the same database changes nothing and says why.
    let again = app.run(&["migrate-store", "--to", &url]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("not empty"), "{}", again.stderr);

    let on_pg = [("POSTBODE_DATABASE__URL", url.as_str())];
    // New rows get ids after the copied ones (the sequences moved on).
    app.run_with_env(&["subscribers", "add", "nieuw@example.nl"], &on_pg)
        .ok();
    let rest = app.run_with_env(&["send"], &on_pg).ok();
    assert!(rest.stdout.contains("failed 0"), "{}", rest.stdout);
    smtp.wait_for(298, Duration::from_secs(10));
    let seen = per_recipient(&smtp);
    assert_eq!(seen.len(), 298, "everyone active, across both databases");
    assert!(seen.values().all(|n| *n == 1), "nobody twice");
    let status = app
        .run_with_env(&["issue", "status", ISSUE, "--format", "json"], &on_pg)
        .ok();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).expect("json");
    assert_eq!(status[0]["status"], "sent");
    assert_eq!(status[0]["counts"]["sent"], 298);
    // The erased person stays erased, and the one who left stays gone.
    let list = app
        .run_with_env(&["subscribers", "list", "--format", "csv"], &on_pg)
        .ok();
    assert!(!list.stdout.contains("lezer8@example.nl"));
    assert!(
        list.stdout
            .contains("lezer7@example.nl,Lezer 7,,unsubscribed"),
        "{}",
        list.stdout
    );
}
