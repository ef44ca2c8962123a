//! `postbode bounces ingest` through the real binary, after a real send:
//! real-world DSN and ARF samples (tests/fixtures/bounces/, their addresses
//! and Message-IDs pointed at this test's deliveries) bounce or complain
//! exactly the person they prove, once; `--dry-run` changes nothing;
//! forged reports are listed as unmatched; files, a maildir, an mbox and
//! standard input all work. On SQLite, or on PostgreSQL with
//! `POSTBODE_TEST_BACKEND=postgres`.

mod support;

// More tests, in tests/bounces_ingest/, with the helpers below (a crate
// root looks for its modules beside itself, hence the paths).
#[path = "bounces_ingest/failed_brake.rs"]
mod failed_brake;
#[path = "bounces_ingest/imap_fetch.rs"]
mod imap_fetch;
#[path = "bounces_ingest/report_in_history.rs"]
mod report_in_history;

use std::collections::HashMap;
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use support::TestApp;
use support::http::{METRICS_TOKEN_ENV, Server, get_metrics};
use support::prometheus::{parse_prometheus, value};
use support::received::Mail;
use support::sending::{ISSUE, app_sending_to, queue, subscribers};
use support::smtp::{Reply, TestSmtp};

/// The Message-ID of the returned message in the Postfix sample, and its
/// recipient, which the tests replace.
const POSTFIX_RETURNED_ID: &str = "<20150213024813.DE9FF20C16@2jo.example.jp>";
const POSTFIX_REPORT_ID: &str = "<20150213024813.E068820C1A@2jo.example.jp>";
const POSTFIX_RECIPIENT: &str = "kijitora@2jo.example.jp";
/// The same in the Amazon SES / Yahoo abuse report.
const ARF_RETURNED_ID: &str =
    "<2222222222222222-00000000-eeee-eeee-ffff-222222222222-111111@email.amazonses.com>";
const ARF_REPORT_ID: &str =
    "<222222222222eeee-22222222-2222-2222-2222-2222222222222222222@email.amazonses.com>";
const ARF_RECIPIENT: &str = "kijitora@yahoo.com";

/// An app that sent the sample issue to `lezer0..lezer{n-1}@example.nl`;
/// returns it with each recipient's Message-ID.
fn sent(n: usize) -> (TestApp, HashMap<String, String>) {
    sent_with(TestSmtp::start(), n, n, "")
}

/// Like [`sent`], through `smtp`, which takes `taken` of the `n`
/// messages, with `bounces` added to the config's `[bounces]`.
fn sent_with(
    smtp: TestSmtp,
    n: usize,
    taken: usize,
    bounces: &str,
) -> (TestApp, HashMap<String, String>) {
    let app = app_sending_to(
        &smtp.url(),
        &format!("rate_per_second = 1000\n\n[bounces]\n{bounces}\n"),
    );
    subscribers(&app, n);
    queue(&app);
    let run = app.run(&["send"]);
    if taken == n {
        run.ok();
    }
    let mut ids = HashMap::new();
    for m in smtp.wait_for(taken, Duration::from_secs(10)) {
        let mail = Mail::parse(&m.data);
        let id = mail
            .header("Message-ID")
            .expect("a Message-ID")
            .trim()
            .to_owned();
        ids.insert(m.to[0].clone(), id);
    }
    assert_eq!(ids.len(), taken);
    (app, ids)
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(support::repo_file(&format!(
        "tests/fixtures/bounces/{name}"
    )))
    .expect("fixture")
}

/// The Postfix 5.1.1 sample, about the message with `message_id` to `to`,
/// itself with Message-ID `<report-N@…>`.
fn hard_bounce(to: &str, message_id: &str, report: &str) -> String {
    fixture("postfix-5.1.1-hard-with-returned-message.eml")
        .replace(POSTFIX_RETURNED_ID, message_id)
        .replace(POSTFIX_REPORT_ID, &format!("<{report}@mx.example.nl>"))
        .replace(POSTFIX_RECIPIENT, to)
}

/// The SES/Yahoo abuse report about the message with `message_id`.
fn complaint(to: &str, message_id: &str, report: &str) -> String {
    fixture("arf-ses-abuse-complaint.eml")
        .replace(ARF_RETURNED_ID, message_id)
        .replace(ARF_REPORT_ID, &format!("<{report}@arf.example.net>"))
        .replace(ARF_RECIPIENT, to)
}

fn show(app: &TestApp, who: &str) -> Value {
    let run = app
        .run(&["subscribers", "show", who, "--format", "json"])
        .ok();
    serde_json::from_str(&run.stdout).expect("JSON")
}

fn status(app: &TestApp, who: &str) -> String {
    show(app, who)["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn history_len(app: &TestApp, who: &str) -> usize {
    show(app, who)["history"].as_array().map_or(0, Vec::len)
}

#[test]
fn a_hard_bounce_bounces_exactly_that_person_once_and_a_dry_run_changes_nothing() {
    let (app, ids) = sent(3);
    let who = "lezer1@example.nl";
    app.write("dsn.eml", hard_bounce(who, &ids[who], "report-1"));

    let dry = app.run(&["bounces", "ingest", "--dry-run", "dsn.eml"]).ok();
    assert!(dry.stdout.contains("1 would be applied"), "{}", dry.stdout);
    assert_eq!(status(&app, who), "active");
    let before = history_len(&app, who);

    let run = app.run(&["bounces", "ingest", "dsn.eml"]).ok();
    assert!(run.stdout.contains("1 applied"), "{}", run.stdout);
    assert!(run.stdout.contains("hard bounce"), "{}", run.stdout);
    assert!(
        run.stdout.contains("subscribers bounced: 1"),
        "{}",
        run.stdout
    );
    let person = show(&app, who);
    assert_eq!(person["status"], "bounced");
    assert_ne!(person["suppression"], Value::Null, "{person}");
    let last = person["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["source"], "bounce");
    assert!(last["detail"].as_str().unwrap().contains("5.1.1"), "{last}");
    for other in ["lezer0@example.nl", "lezer2@example.nl"] {
        assert_eq!(status(&app, other), "active", "{other}");
    }

    // The same report again: a repeat, nothing more.
    let again = app.run(&["bounces", "ingest", "dsn.eml"]).ok();
    assert!(
        again.stdout.contains("1 applied before"),
        "{}",
        again.stdout
    );
    assert_eq!(history_len(&app, who), before + 1);
    // An import cannot bring them back.
    app.write("terug.csv", format!("email\n{who}\n"));
    app.run(&["subscribers", "import", "terug.csv", "--active"])
        .ok();
    assert_eq!(status(&app, who), "bounced");
}

/// The RFC 3464 "delayed" sample (4.4.0) about the message with
/// `message_id` to `to`.
fn soft_bounce(to: &str, message_id: &str, report: &str) -> String {
    fixture("rfc3464-delayed-soft.eml")
        .replace("<000000000000000@list.example.jp>", message_id)
        .replace(
            "<0000000000000000@mx54.exmaple.com>",
            &format!("<{report}@mx.example.nl>"),
        )
        .replace("kijitora@example.net", to)
}

/// The RFC 3464 policy rejection sample (5.7.1).
fn policy_failure(to: &str, message_id: &str, report: &str) -> String {
    fixture("rfc3464-5.7.1-failed.eml")
        .replace(
            "<000000000000000000000000000000@mx.example.or.jp>",
            message_id,
        )
        .replace(
            "<000000000000000000000000000000@mx.example.com>",
            &format!("<{report}@mx.example.nl>"),
        )
        .replace("kijitora@example.net", to)
}

#[test]
fn soft_bounces_count_up_to_the_limit_and_a_policy_refusal_fails_only_the_delivery() {
    let (app, ids) = sent(2);
    let [a, b] = ["lezer0@example.nl", "lezer1@example.nl"];
    for (i, want) in [(1, "active"), (2, "active"), (3, "bounced")] {
        app.write(
            &format!("soft{i}.eml"),
            soft_bounce(a, &ids[a], &format!("soft-{i}")),
        );
        let run = app
            .run(&["bounces", "ingest", &format!("soft{i}.eml")])
            .ok();
        assert!(run.stdout.contains("soft bounce"), "{}", run.stdout);
        assert_eq!(status(&app, a), want, "after {i} soft bounces");
    }
    let last = show(&app, a)["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        last["detail"]
            .as_str()
            .unwrap()
            .starts_with("3 soft bounces within 30 days"),
        "{last}"
    );

    app.write("policy.eml", policy_failure(b, &ids[b], "policy-1"));
    let run = app.run(&["bounces", "ingest", "policy.eml"]).ok();
    assert!(run.stdout.contains("failed delivery"), "{}", run.stdout);
    assert_eq!(status(&app, b), "active");
    let counts = &support::sending::status_json(&app)[0]["counts"];
    assert_eq!(counts["failed"], 1, "{counts}");
    assert_eq!(counts["sent"], 1, "{counts}");
}

/// With `[bounces] address`, each message goes out from
/// `bounces+TAG@example.org`: the report is delivered to that address,
/// and the tag alone proves the delivery (the returned Message-ID here
/// is one postbode never sent). A forged tag, and a guessed Message-ID in
/// the old `pb.SLUG.ID` shape, prove nothing.
#[test]
fn a_verp_tag_proves_the_delivery_and_a_forged_one_nothing() {
    let smtp = TestSmtp::start();
    let app = app_sending_to(&smtp.url(), "rate_per_second = 1000");
    let config = std::fs::read_to_string(app.path("postbode.toml")).unwrap();
    app.write(
        "postbode.toml",
        format!("{config}\n[bounces]\naddress = \"bounces@example.org\"\n"),
    );
    subscribers(&app, 3);
    queue(&app);
    app.run(&["send"]).ok();
    let mut senders = HashMap::new();
    for m in smtp.wait_for(3, Duration::from_secs(10)) {
        assert!(m.from.starts_with("bounces+"), "{}", m.from);
        senders.insert(m.to[0].clone(), m.from.clone());
    }
    let who = "lezer2@example.nl";
    let unknown_id = "<5d41402abc4b2a76b9719d911017c592@example.org>";
    let by_tag =
        hard_bounce(who, unknown_id, "verp-1").replace("root@2jo.example.jp", &senders[who]);
    app.write("verp.eml", by_tag);
    let run = app.run(&["bounces", "ingest", "verp.eml"]).ok();
    assert!(run.stdout.contains("1 applied"), "{}", run.stdout);
    assert_eq!(status(&app, who), "bounced");
    for other in ["lezer0@example.nl", "lezer1@example.nl"] {
        assert_eq!(status(&app, other), "active");
    }

    // A tag of the right shape that does not verify.
    let forged_sender = format!("bounces+{}@example.org", "0".repeat(36));
    let who = "lezer0@example.nl";
    app.write(
        "forged-tag.eml",
        hard_bounce(who, unknown_id, "verp-2").replace("root@2jo.example.jp", &forged_sender),
    );
    // A Message-ID guessed in the shape ids had before they were MACs.
    app.write(
        "guessed-id.eml",
        hard_bounce(who, "<pb.2026-10-voorbij-de-pilot.1@example.org>", "verp-3"),
    );
    let run = app
        .run(&["bounces", "ingest", "forged-tag.eml", "guessed-id.eml"])
        .ok();
    assert!(run.stdout.contains("2 unmatched"), "{}", run.stdout);
    assert_eq!(status(&app, who), "active");
}

#[test]
fn a_complaint_complains_that_person_and_takes_them_off_every_list() {
    let (app, ids) = sent(2);
    let who = "lezer0@example.nl";
    app.write("arf.eml", complaint(who, &ids[who], "arf-1"));
    let run = app.run(&["bounces", "ingest", "arf.eml"]).ok();
    assert!(run.stdout.contains("complaint"), "{}", run.stdout);
    let person = show(&app, who);
    assert_eq!(person["status"], "complained");
    assert_eq!(person["lists"], serde_json::json!([]));
    assert_eq!(
        person["history"].as_array().unwrap().last().unwrap()["source"],
        "complaint"
    );
    assert_eq!(status(&app, "lezer1@example.nl"), "active");
    let again = app.run(&["bounces", "ingest", "arf.eml"]).ok();
    assert!(
        again.stdout.contains("1 applied before"),
        "{}",
        again.stdout
    );
}

#[test]
fn reports_that_prove_nothing_are_listed_and_never_applied() {
    let (app, _ids) = sent(2);
    let who = "lezer0@example.nl";
    // The right person, but a Message-ID postbode never sent.
    app.write(
        "forged.eml",
        hard_bounce(who, "<0e3f9a1c55b2d7e8@example.org>", "forged-1"),
    );
    let run = app.run(&["bounces", "ingest", "forged.eml"]).ok();
    assert!(run.stdout.contains("1 unmatched"), "{}", run.stdout);
    assert!(
        run.stdout.contains("forged.eml: hard bounce 5.1.1"),
        "{}",
        run.stdout
    );
    assert_eq!(status(&app, who), "active");
}

#[test]
fn a_maildir_an_mbox_and_standard_input_are_read_message_by_message() {
    let (app, ids) = sent(4);
    let [a, b, c, d] = ["lezer0", "lezer1", "lezer2", "lezer3"].map(|n| format!("{n}@example.nl"));

    // A maildir: a hard bounce in new/, an out-of-office and a sample that
    // is not a bounce in cur/.
    let maildir = app.path("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    std::fs::write(
        maildir.join("new/1764493200.1.host"),
        hard_bounce(&a, &ids[&a], "md-1"),
    )
    .unwrap();
    std::fs::write(
        maildir.join("cur/1764493201.2.host:2,S"),
        fixture("out-of-office.eml"),
    )
    .unwrap();
    std::fs::write(
        maildir.join("cur/1764493202.3.host:2,S"),
        fixture("not-a-bounce.eml"),
    )
    .unwrap();
    let run = app.run(&["bounces", "ingest", "Maildir"]).ok();
    assert!(
        run.stdout.starts_with("read 3 messages: 1 applied"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("auto-reply"), "{}", run.stdout);
    assert_eq!(status(&app, &a), "bounced");

    // An mbox with a complaint and a hard bounce.
    let mut mbox = String::new();
    for message in [
        complaint(&b, &ids[&b], "mbox-1"),
        hard_bounce(&c, &ids[&c], "mbox-2"),
    ] {
        mbox.push_str("From MAILER-DAEMON Mon Nov 30 09:00:00 2026\n");
        // Without the sample's own mbox separator line.
        let body = match message.strip_prefix("From ") {
            Some(rest) => rest.split_once('\n').map_or("", |(_, body)| body),
            None => &message,
        };
        mbox.push_str(body);
        mbox.push('\n');
    }
    app.write("bounces.mbox", mbox);
    let run = app.run(&["bounces", "ingest", "bounces.mbox"]).ok();
    assert!(
        run.stdout.starts_with("read 2 messages: 2 applied"),
        "{}",
        run.stdout
    );
    assert_eq!(status(&app, &b), "complained");
    assert_eq!(status(&app, &c), "bounced");

    // Standard input, as a pipe delivery hands it over.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_postbode"));
    cmd.args(["bounces", "ingest", "-"])
        .current_dir(app.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("POSTBODE_") {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(hard_bounce(&d, &ids[&d], "stdin-1").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("read 1 message: 1 applied"), "{stdout}");
    assert_eq!(status(&app, &d), "bounced");
}

#[test]
fn an_unreadable_path_is_exit_code_2_and_changes_nothing() {
    let app = TestApp::new();
    app.run(&["init"]).ok();
    let run = app.run(&["bounces", "ingest", "does-not-exist"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("does-not-exist"), "{}", run.stderr);
}

/// Truncated and mutated reports never change anyone's status unless they
/// still carry the proof: the delivery's own Message-ID, in a report that
/// still reads as a hard bounce or complaint. Run through the library on
/// the test's database, with `--dry-run`'s path (what would be applied)
/// for the random mutations, and for real for every truncation.
#[test]
fn mutated_and_truncated_reports_never_change_a_status_without_the_proof() {
    use postbode::bounces::{Options, RawMessage, classify, ingest, report};
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let (app, ids) = sent(2);
    let who = "lezer0@example.nl";
    let id = ids[who].clone();
    let reports = [
        hard_bounce(who, &id, "prop-dsn"),
        complaint(who, &id, "prop-arf"),
    ];
    let settings = postbode::config::load_from(
        Some(&app.path("postbode.toml")),
        &std::collections::BTreeMap::new(),
    )
    .expect("config");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = rt
        .block_on(postbode::store::Store::open(&settings.database))
        .unwrap()
        .with_suppression_key(settings.secrets.suppression_key().unwrap().unwrap());
    let no_verp = |_: &str| None;
    let options = |dry_run| Options {
        dry_run,
        soft_limit: 3,
        soft_window_days: 30,
        complaint_pause_rate: 0.003,
        complaint_min_sent: 1000,
        failed_pause_rate: 0.02,
        failed_min_count: 20,
    };
    let bare = id.trim_matches(['<', '>']).to_owned();
    let proves = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes).contains(&bare)
            && report::parse(bytes).is_some_and(|r| classify(&r).kind.acts())
    };

    // Random mutations: would anything be applied?
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let mutation = (
        0..reports.len(),
        proptest::collection::vec(
            (any::<prop::sample::Index>(), any::<u8>(), 0usize..40),
            1..6,
        ),
    );
    runner
        .run(&mutation, |(which, edits)| {
            let mut bytes = reports[which].clone().into_bytes();
            for (at, byte, span) in edits {
                let i = at.index(bytes.len().max(1));
                if span % 3 == 0 {
                    bytes.truncate(i);
                } else if span % 3 == 1 {
                    let end = (i + span).min(bytes.len());
                    bytes.drain(i..end);
                } else if i < bytes.len() {
                    bytes[i] = byte;
                }
            }
            let raw = [RawMessage {
                origin: "mutated".into(),
                bytes: bytes.clone(),
            }];
            let summary = rt
                .block_on(ingest(&store, &raw, &no_verp, options(true)))
                .unwrap();
            prop_assert!(summary.applied == 0 || proves(&bytes));
            Ok(())
        })
        .unwrap();

    // Every truncation, for real: nothing changes until the Message-ID is in.
    for text in &reports {
        for cut in (0..text.len()).step_by(53) {
            let bytes = text.as_bytes()[..cut].to_vec();
            if proves(&bytes) {
                continue;
            }
            let raw = [RawMessage {
                origin: "truncated".into(),
                bytes,
            }];
            let summary = rt
                .block_on(ingest(&store, &raw, &no_verp, options(false)))
                .unwrap();
            assert_eq!(summary.applied, 0, "cut at {cut}");
        }
    }
    rt.block_on(store.close());
    assert_eq!(status(&app, who), "active");
    assert_eq!(status(&app, "lezer1@example.nl"), "active");
}

/// `migrate-store` carries the applied reports: on the copy, the same
/// report is still a repeat.
#[test]
fn migrate_store_carries_the_applied_reports() {
    if support::on_postgres() {
        return; // The copy goes from SQLite to PostgreSQL.
    }
    let Some(server) = support::postgres::server_url() else {
        return;
    };
    let (app, ids) = sent(2);
    let who = "lezer0@example.nl";
    app.write("dsn.eml", hard_bounce(who, &ids[who], "migrated-1"));
    app.run(&["bounces", "ingest", "dsn.eml"]).ok();
    let url = support::postgres::fresh_database_blocking(&server);
    let run = app.run(&["migrate-store", "--to", &url]).ok();
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("bounce_reports"))
        .unwrap_or_else(|| panic!("no bounce_reports line in {}", run.stdout));
    let counts: Vec<&str> = line.split_whitespace().skip(1).collect();
    assert_eq!((counts[0], counts[1]), ("1", "1"), "{line}");
    let config = std::fs::read_to_string(app.path("postbode.toml")).expect("config");
    app.write(
        "postbode.toml",
        config.replace("sqlite://postbode.db", &url),
    );
    let again = app.run(&["bounces", "ingest", "dsn.eml"]).ok();
    assert!(
        again.stdout.contains("1 applied before"),
        "{}",
        again.stdout
    );
    assert_eq!(status(&app, who), "bounced");
}

/// The issues queued after the sent one, for 2099: the next one the brake
/// pauses, and the one after it, which it leaves.
const NEXT: &str = "2026-11-schrijven-voor-iedereen";
const AFTER_NEXT: &str = "2026-09-luisteren-naar-klachten";

fn queue_later(app: &TestApp) {
    for (slug, at) in [
        (NEXT, "2099-01-01T00:00:00Z"),
        (AFTER_NEXT, "2099-02-01T00:00:00Z"),
    ] {
        app.run(&[
            "issue",
            "queue",
            &format!("emails/issues/{slug}"),
            "--at",
            at,
        ])
        .ok();
    }
}

fn issue_json(app: &TestApp, slug: &str) -> Value {
    let run = app.run(&["issue", "status", slug, "--format", "json"]).ok();
    let all: Value = serde_json::from_str(&run.stdout).expect("JSON");
    all[0].clone()
}

/// Ten recipients; lezer9's mail refused at the SMTP reply with 5.1.1.
fn ten_with_one_refused(bounces: &str) -> (TestApp, HashMap<String, String>) {
    let smtp = TestSmtp::start_with(|rcpt| match rcpt {
        "lezer9@example.nl" => Reply::new(550, "5.1.1 <lezer9@example.nl>: User unknown"),
        _ => Reply::ok(),
    });
    let (app, ids) = sent_with(smtp, 10, 9, bounces);
    queue_later(&app);
    (app, ids)
}

/// Above `bounces.complaint_pause_rate`, with at least
/// `complaint_min_sent` sent, a complaint pauses the issue being sent and
/// the next scheduled one (not the one after), with the reason in `issue
/// status`; the counts and the rate are in `issue status` and `/metrics`.
#[test]
fn above_the_complaint_rate_the_issue_and_the_next_are_paused_and_the_counts_show() {
    let (app, ids) = ten_with_one_refused("complaint_min_sent = 7");
    // Two deliveries back in the queue: the issue is still being sent
    // (the dispatcher would send them next).
    support::with_store(&app, async |store| {
        for statement in [
            "UPDATE issues SET status = 'sending', finished_at = NULL WHERE slug = '2026-10-voorbij-de-pilot'",
            "UPDATE deliveries SET status = 'queued', sent_at = NULL \
             WHERE subscriber_id IN (SELECT id FROM subscribers WHERE email IN ('lezer7@example.nl', 'lezer8@example.nl'))",
        ] {
            store.execute_raw(statement).await.expect(statement);
        }
    });
    let [hard, soft, complainer] = [
        "lezer0@example.nl",
        "lezer1@example.nl",
        "lezer2@example.nl",
    ];
    app.write("hard.eml", hard_bounce(hard, &ids[hard], "hard-1"));
    app.write("soft.eml", soft_bounce(soft, &ids[soft], "soft-1"));
    app.write("arf.eml", complaint(complainer, &ids[complainer], "arf-1"));
    let run = app
        .run(&["bounces", "ingest", "hard.eml", "soft.eml", "arf.eml"])
        .ok();
    assert!(
        run.stdout.contains(&format!(
            "paused {ISSUE}, {NEXT}: complaint rate of issue {ISSUE}"
        )),
        "{}",
        run.stdout
    );

    let issue = issue_json(&app, ISSUE);
    let feedback = &issue["feedback"];
    // Hard: lezer9 at the SMTP reply and lezer0's report; sent: the seven
    // messages the server took (lezer7 and lezer8 are queued again).
    assert_eq!(feedback["hard_bounces"], 2, "{issue}");
    assert_eq!(feedback["soft_bounces"], 1, "{issue}");
    assert_eq!(feedback["complaints"], 1, "{issue}");
    assert_eq!(feedback["sent"], 7, "{issue}");
    assert!(
        (feedback["complaint_rate"].as_f64().unwrap() - 1.0 / 7.0).abs() < 1e-9,
        "{issue}"
    );
    for slug in [ISSUE, NEXT] {
        let paused = issue_json(&app, slug);
        assert_eq!(paused["status"], "paused", "{paused}");
        let reason = paused["paused_reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("bounces.complaint_pause_rate 0.30 %: 1 complaints of 7 messages sent"),
            "{reason}"
        );
    }
    assert_eq!(issue_json(&app, AFTER_NEXT)["status"], "scheduled");
    let table = app.run(&["issue", "status", ISSUE]).ok();
    assert!(
        table
            .stdout
            .contains("bounces: 2 hard, 1 soft; complaints 1 (14.29 % of 7 sent)"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("paused: complaint rate"),
        "{}",
        table.stdout
    );

    let server = Server::start_with_env(&app, &["serve"], &[METRICS_TOKEN_ENV]);
    let response = get_metrics(server.port);
    assert_eq!(response.status, 200);
    let samples = parse_prometheus(&response.body);
    let body = &response.body;
    let of = |name: &str, labels: &[(&str, &str)]| value(&samples, name, labels);
    assert_eq!(
        of("postbode_bounces", &[("issue", ISSUE), ("kind", "hard")]),
        Some(2.0),
        "{body}"
    );
    assert_eq!(
        of("postbode_bounces", &[("issue", ISSUE), ("kind", "soft")]),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        of("postbode_complaints", &[("issue", ISSUE)]),
        Some(1.0),
        "{body}"
    );
    let rate = of("postbode_complaint_rate", &[("issue", ISSUE)]).expect(body);
    assert!((rate - 1.0 / 7.0).abs() < 1e-9, "{body}");

    // A later complaint about the same issue does not pause one issue
    // after another: the next one is paused already.
    let later = "lezer3@example.nl";
    app.write("arf2.eml", complaint(later, &ids[later], "arf-2"));
    let run = app.run(&["bounces", "ingest", "arf2.eml"]).ok();
    assert!(
        run.stdout.contains("no issue was left to pause"),
        "{}",
        run.stdout
    );
    assert_eq!(issue_json(&app, AFTER_NEXT)["status"], "scheduled");
    assert_eq!(issue_json(&app, ISSUE)["feedback"]["complaints"], 2);
}

/// Below the brake nothing is paused: one complaint among fewer messages
/// than `complaint_min_sent` (the default 1,000), or a rate under
/// `complaint_pause_rate`; above 0.1 % ingest warns.
#[test]
fn below_the_complaint_rate_or_the_minimum_sent_nothing_is_paused_but_ingest_warns() {
    for bounces in ["", "complaint_min_sent = 8\ncomplaint_pause_rate = 0.5"] {
        let (app, ids) = ten_with_one_refused(bounces);
        let who = "lezer2@example.nl";
        app.write("arf.eml", complaint(who, &ids[who], "arf-1"));
        let run = app.run(&["bounces", "ingest", "arf.eml"]).ok();
        assert!(
            run.stdout.contains(&format!(
                "warning: complaint rate of issue {ISSUE} is above 0.1 %"
            )),
            "{bounces}: {}",
            run.stdout
        );
        assert!(!run.stdout.contains("paused"), "{bounces}: {}", run.stdout);
        assert_eq!(issue_json(&app, ISSUE)["feedback"]["complaints"], 1);
        for slug in [NEXT, AFTER_NEXT] {
            let issue = issue_json(&app, slug);
            assert_eq!(issue["status"], "scheduled", "{bounces}: {issue}");
            assert_eq!(issue["paused_reason"], Value::Null, "{bounces}: {issue}");
        }
    }
}
