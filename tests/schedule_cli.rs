//! When an issue goes out, through the binary: `issue reschedule`, queueing
//! a cancelled issue again (nobody gets it twice), the audience and local
//! times in `issue status`, and send times in the past.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use support::TestApp;
use support::sending::{ISSUE, app_sending_to, copy_emails, status_json, subscribers};
use support::smtp::TestSmtp;

fn issue_dir() -> String {
    format!("emails/issues/{ISSUE}")
}

/// A January time two years ahead: always in the future, and Amsterdam
/// is UTC+1 then.
fn january(day: u8) -> (String, i16) {
    let year = jiff::Zoned::now().year() + 2;
    (format!("{year}-01-{day:02} 07:30"), year)
}

#[test]
fn a_cancelled_issue_queued_again_reaches_everyone_exactly_once() {
    let smtp = TestSmtp::start();
    let app = app_sending_to(
        &smtp.url(),
        "rate_per_second = 5\nconcurrency = 1\nbatch_size = 1",
    );
    let people = 15;
    subscribers(&app, people);
    app.run(&["issue", "queue", &issue_dir()]).ok();
    std::thread::scope(|s| {
        let sender = s.spawn(|| app.run(&["send"]));
        smtp.wait_for(3, Duration::from_secs(20));
        let moved = app.run(&["issue", "reschedule", ISSUE, "--now"]);
        assert_eq!(moved.code, 2, "{}", moved.stderr);
        assert!(
            moved.stderr.contains("cannot reschedule") && moved.stderr.contains("it is sending"),
            "{}",
            moved.stderr
        );
        app.run(&["issue", "cancel", ISSUE]).ok();
        sender.join().expect("thread").ok();
    });
    let first = smtp.messages().len();
    assert!(
        (3..people).contains(&first),
        "the cancel came after {first} of {people}"
    );
    assert_eq!(status_json(&app)[0]["status"], "cancelled");

    // Between cancel and re-queue: one leaves, one joins.
    app.run(&["subscribers", "unsubscribe", "lezer14@example.nl"])
        .ok();
    app.run(&["subscribers", "add", "nieuw@example.nl", "--active"])
        .ok();
    let again = app.run(&["issue", "queue", &issue_dir()]).ok();
    assert_eq!(again.stdout.trim(), ISSUE);
    let status = &status_json(&app)[0];
    assert_eq!(status["status"], "scheduled");
    // Everyone still on the list who has not had it.
    assert_eq!(status["audience"], people - first, "{status}");
    app.run(&["send"]).ok();

    // Everyone once; lezer14 only if the first send reached them before
    // the cancel (they left afterwards).
    std::thread::sleep(Duration::from_millis(300));
    let got = smtp.messages();
    let mut copies: HashMap<String, usize> = HashMap::new();
    for m in &got {
        *copies.entry(m.to.join(",")).or_default() += 1;
    }
    assert!(
        copies.values().all(|n| *n == 1),
        "someone got it twice: {copies:?}"
    );
    assert!(copies.contains_key("nieuw@example.nl"), "{copies:?}");
    let expected = people + 1 - usize::from(!copies.contains_key("lezer14@example.nl"));
    assert_eq!(got.len(), expected, "{copies:?}");
    let status = &status_json(&app)[0];
    assert_eq!(status["status"], "sent", "{status}");
    assert_eq!(status["counts"]["sent"], expected, "{status}");
}

#[test]
fn rescheduling_moves_a_scheduled_issue_and_is_refused_once_it_is_sent() {
    let smtp = TestSmtp::start();
    let app = app_sending_to(&smtp.url(), "rate_per_second = 1000");
    subscribers(&app, 2);
    let (first, year) = january(15);
    app.run(&["issue", "queue", &issue_dir(), "--at", &first])
        .ok();
    let (later, _) = january(20);
    let moved = app
        .run(&["issue", "reschedule", ISSUE, "--at", &later])
        .ok();
    assert!(
        moved.stdout.contains(&format!("{year}-01-20 07:30 CET")),
        "{}",
        moved.stdout
    );
    assert_eq!(
        status_json(&app)[0]["send_at"],
        format!("{year}-01-20T06:30:00Z")
    );
    let send = app.run(&["send"]).ok();
    assert!(send.stdout.contains("sent 0"), "{}", send.stdout);

    let past = app.run(&["issue", "reschedule", ISSUE, "--at", "2020-01-01 08:00"]);
    assert_eq!(past.code, 2, "{}", past.stderr);
    assert!(past.stderr.contains("--now"), "{}", past.stderr);
    let none = app.run(&["issue", "reschedule", ISSUE]);
    assert_eq!(none.code, 2, "{}", none.stderr);
    app.run(&["issue", "reschedule", ISSUE, "--now"]).ok();
    let send = app.run(&["send"]).ok();
    assert!(send.stdout.contains("sent 2"), "{}", send.stdout);

    let done = app.run(&["issue", "reschedule", ISSUE, "--at", &later]);
    assert_eq!(done.code, 2, "{}", done.stderr);
    assert!(
        done.stderr.contains("cannot reschedule") && done.stderr.contains("it is sent"),
        "{}",
        done.stderr
    );
    let unknown = app.run(&["issue", "reschedule", "geen-nummer", "--now"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("no issue"), "{}", unknown.stderr);
    assert_eq!(smtp.messages().len(), 2);
}

#[test]
fn status_shows_the_audience_of_a_scheduled_issue_and_times_in_the_newsletter_zone() {
    let app = TestApp::with_config("\n[newsletter]\ntimezone = \"America/New_York\"\n");
    copy_emails(&app);
    subscribers(&app, 3);
    // 07:30 in New York is 12:30 UTC in January.
    let (at, year) = january(15);
    app.run(&["issue", "queue", &issue_dir(), "--at", &at]).ok();
    let table = app.run(&["issue", "status"]).ok().stdout;
    assert!(
        table.contains(&format!("send at {year}-01-15 07:30 EST")),
        "{table}"
    );
    assert!(table.contains("audience 3"), "{table}");
    assert!(!table.contains("recipients 0"), "{table}");
    let json = &status_json(&app)[0];
    assert_eq!(json["audience"], 3);
    assert_eq!(json["send_at"], format!("{year}-01-15T12:30:00Z"));

    app.run(&["subscribers", "add", "erbij@example.nl", "--active"])
        .ok();
    app.run(&["subscribers", "unsubscribe", "lezer0@example.nl"])
        .ok();
    app.run(&["subscribers", "add", "wacht2@example.nl"]).ok();
    assert_eq!(
        status_json(&app)[0]["audience"],
        3,
        "one in, one out, one pending"
    );
    app.run(&["issue", "reschedule", ISSUE, "--now"]).ok();
    app.run(&["send"]).ok();
    let json = &status_json(&app)[0];
    assert_eq!(json["audience"], serde_json::Value::Null, "{json}");
    assert_eq!(json["recipients"], 3, "{json}");
}

#[test]
fn a_send_time_in_the_past_is_refused_unless_now_is_given() {
    let app = TestApp::new();
    copy_emails(&app);
    subscribers(&app, 2);
    let past = app.run(&["issue", "queue", &issue_dir(), "--at", "2020-01-01 08:00"]);
    assert_eq!(past.code, 2, "{}", past.stderr);
    assert!(
        past.stderr.contains("in the past") && past.stderr.contains("--now"),
        "{}",
        past.stderr
    );
    let status = app.run(&["issue", "status"]).ok();
    assert!(
        status.stdout.contains("no issues queued"),
        "{}",
        status.stdout
    );

    // issue.toml's send_at is held to the same rule, and --now overrides it.
    let toml = app.path(&format!("{}/issue.toml", issue_dir()));
    let text = std::fs::read_to_string(&toml).expect("issue.toml");
    std::fs::write(&toml, format!("send_at = \"2020-01-01 08:00\"\n{text}")).expect("write");
    let from_toml = app.run(&["issue", "queue", &issue_dir()]);
    assert_eq!(from_toml.code, 2, "{}", from_toml.stderr);
    assert!(from_toml.stderr.contains("send_at"), "{}", from_toml.stderr);
    let both = app.run(&[
        "issue",
        "queue",
        &issue_dir(),
        "--now",
        "--at",
        "2099-01-01 08:00",
    ]);
    assert_eq!(both.code, 2, "{}", both.stderr);

    app.run(&["issue", "queue", &issue_dir(), "--now"]).ok();
    let send = app.run(&["send"]).ok();
    assert!(send.stdout.contains("sent 2"), "{}", send.stdout);
}
