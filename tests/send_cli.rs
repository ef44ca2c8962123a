//! Sending, end to end: the real binary, a real SQLite file, and a real
//! SMTP server over TCP (in-process, from the mailin-embedded crate; in CI
//! also postfix's smtp-sink).

mod support;

use std::collections::HashMap;
use std::time::Duration;

use support::pace::{
    SLOT_LOG, Watched, assert_arrivals_roughly_keep_the_rate, assert_no_arrival_before_its_slot,
    assert_slots_keep_the_rate, cap_waits, database_clock_is_ours, slots, starts_counted,
};
use support::sending::{
    ISSUE, SmtpSink, app_sending_to, copy_emails, queue, status_json, subscribers,
};
use support::smtp::TestSmtp;
use support::{Run, TestApp, repo_file, with_store};

#[test]
fn a_send_delivers_exactly_one_message_to_each_active_subscriber_and_none_to_anyone_else() {
    let smtp = TestSmtp::start();
    let app = app_sending_to(&smtp.url(), "rate_per_second = 1000");
    subscribers(&app, 30);
    queue(&app);
    let run = app.run(&["send"]).ok();
    assert!(run.stdout.contains("sent 30, failed 0"), "{}", run.stdout);

    let got = smtp.wait_for(30, Duration::from_secs(10));
    assert_eq!(got.len(), 30);
    let mut per_rcpt: HashMap<String, usize> = HashMap::new();
    for m in &got {
        for to in &m.to {
            *per_rcpt.entry(to.clone()).or_default() += 1;
        }
        assert_eq!(m.from, "redactie@example.org");
    }
    assert_eq!(per_rcpt.len(), 30);
    assert!(per_rcpt.values().all(|n| *n == 1));
    assert!(!per_rcpt.contains_key("wacht@example.nl") && !per_rcpt.contains_key("weg@example.nl"));

    let status = &status_json(&app)[0];
    assert_eq!(status["status"], "sent");
    assert_eq!(status["recipients"], 30);
    assert_eq!(status["counts"]["sent"], 30);

    // Headers every message carries, and its own unsubscribe link.
    let text = String::from_utf8_lossy(&got[0].data).into_owned();
    for header in [
        "List-Unsubscribe: <https://nieuws.example.org/u/",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "List-Id:",
        "Message-ID: <pb.",
        "Feedback-ID:",
    ] {
        assert!(
            text.contains(header),
            "missing {header} in:\n{}",
            &text[..text.len().min(2000)]
        );
    }
    // Sending again finds nothing due and sends nothing.
    let again = app.run(&["send"]).ok();
    assert!(again.stdout.contains("sent 0"), "{}", again.stdout);
    assert_eq!(smtp.messages().len(), 30);
}

/// VERP and Message-IDs (issue 13): with `[bounces] address`, each
/// message's MAIL FROM is `bounces+TAG@example.org` and its TAG verifies to
/// that very message's delivery; Message-IDs are MACs of issue and
/// subscriber, with no id in the clear. (Without the setting MAIL FROM is
/// the From address: the first test above.)
#[test]
fn with_a_bounce_address_each_message_names_its_own_delivery_in_mail_from() {
    use postbode::domain::EmailAddress;
    use postbode::mail::{TokenKey, VerpAddress};
    let smtp = TestSmtp::start();
    let app = app_sending_to(
        &smtp.url(),
        "rate_per_second = 1000\n\n[bounces]\naddress = \"bounces@example.org\"",
    );
    subscribers(&app, 12);
    queue(&app);
    let run = app.run(&["send"]).ok();
    assert!(run.stdout.contains("sent 12, failed 0"), "{}", run.stdout);
    let got = smtp.wait_for(12, Duration::from_secs(10));
    assert_eq!(got.len(), 12);

    let key = TokenKey::new(support::TOKEN_KEY).expect("test key");
    let base = EmailAddress::parse("bounces@example.org").expect("address");
    let verp = VerpAddress::new(&base, key.clone()).expect("verp");
    let mut deliveries = std::collections::HashSet::new();
    let mut message_ids = std::collections::HashSet::new();
    for m in &got {
        let (local, domain) = m.from.rsplit_once('@').expect("an address");
        assert_eq!(domain, "example.org", "{}", m.from);
        let tag = local
            .strip_prefix("bounces+")
            .unwrap_or_else(|| panic!("{}", m.from));
        assert_eq!(tag.len(), 36, "{}", m.from);
        assert!(local.len() <= 64);
        let delivery = verp
            .verify(&m.from)
            .unwrap_or_else(|| panic!("{} does not verify", m.from));
        assert!(
            deliveries.insert(delivery),
            "two messages name delivery {delivery}"
        );
        // Someone else's address never verifies: a changed tag names nobody.
        let mut forged = tag.to_owned().into_bytes();
        forged[0] = if forged[0] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(forged).expect("ascii");
        assert_eq!(verp.verify(&format!("bounces+{forged}@example.org")), None);

        let id = support::encoded_words::header(&m.data, "Message-ID").expect("a Message-ID");
        assert!(message_ids.insert(id.clone()), "a shared Message-ID {id}");
        let to = EmailAddress::parse(&m.to[0]).expect("recipient");
        let (subscriber, by_message_id) = with_store(&app, async |store| {
            let who = store
                .find_subscriber(&to)
                .await
                .expect("find")
                .expect("stored");
            let found = store.delivery_by_message_id(&id).await.expect("lookup");
            (who.id, found)
        });
        // The Message-ID is the MAC of this issue and this subscriber, so
        // the same message sent again carries it again, and nothing but
        // the MAC is in it: no subscriber id, no counter.
        assert_eq!(
            id,
            postbode::mail::message_id(&key, ISSUE, subscriber, "example.org")
        );
        let mac = id
            .strip_prefix("<pb.")
            .and_then(|rest| rest.strip_suffix("@example.org>"))
            .unwrap_or_else(|| panic!("{id}"));
        assert!(
            mac.len() == 32 && mac.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        // The delivery the tag names is the one that recorded this
        // Message-ID: the tag proves which message bounced.
        assert_eq!(by_message_id, Some(delivery), "{id} and {}", m.from);
    }
    assert_eq!(deliveries.len(), 12);
}

/// `issue status SLUG` as JSON, for an issue other than [`ISSUE`].
fn status_of(app: &TestApp, slug: &str) -> serde_json::Value {
    let run = app.run(&["issue", "status", slug, "--format", "json"]).ok();
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).expect("status is JSON");
    rows[0].clone()
}

/// Runs `postbode ARGS` like [`TestApp::run`], but kills it when it has
/// not exited after `limit`: then `Err` with what it wrote so far.
fn run_at_most(app: &TestApp, args: &[&str], limit: Duration) -> Result<Run, String> {
    use std::io::Read;
    let mut child = app.spawn(args);
    fn read(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    }
    let stdout = read(child.stdout.take().expect("piped stdout"));
    let stderr = read(child.stderr.take().expect("piped stderr"));
    let deadline = std::time::Instant::now() + limit;
    let mut killed = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll postbode") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            killed = true;
            child.kill().expect("kill postbode");
            break child.wait().expect("wait for postbode");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    };
    if killed {
        return Err(format!(
            "`postbode {}` was still running after {limit:?} and was killed\nstdout:\n{}\nstderr:\n{}",
            args.join(" "),
            run.stdout,
            run.stderr
        ));
    }
    Ok(run)
}

#[test]
fn send_for_one_issue_sends_that_issue_exits_and_leaves_other_due_issues_alone() {
    // Due and never started: its recipients must not be fixed.
    const SCHEDULED: &str = "2026-09-luisteren-naar-klachten";
    // Started earlier (recipients fixed, all due), nothing sent yet.
    const STARTED: &str = "2026-11-schrijven-voor-iedereen";
    let smtp = TestSmtp::start();
    let app = app_sending_to(&smtp.url(), "rate_per_second = 1000");
    subscribers(&app, 5);
    app.run(&["issue", "queue", &format!("emails/issues/{STARTED}")])
        .ok();
    let started = with_store(&app, async |store| {
        store
            .start_due_issues(postbode::store::now_ms(), None)
            .await
            .expect("start")
    });
    assert_eq!(started, [STARTED]);
    app.run(&["issue", "queue", &format!("emails/issues/{SCHEDULED}")])
        .ok();
    queue(&app);

    let run = run_at_most(&app, &["send", "--issue", ISSUE], Duration::from_secs(30))
        .unwrap_or_else(|stuck| panic!("{stuck}"))
        .ok();
    assert!(
        run.stdout.contains("sent 5, failed 0")
            && run.stdout.contains(&format!("finished: {ISSUE}")),
        "{}",
        run.stdout
    );
    let got = smtp.messages();
    assert_eq!(got.len(), 5);
    let own_id = format!("Feedback-ID: {ISSUE}:");
    assert!(
        got.iter().all(|m| support::contains(&m.data, &own_id)),
        "only {ISSUE} was sent"
    );
    let sent = status_of(&app, ISSUE);
    assert_eq!(sent["status"], "sent");
    assert_eq!(sent["counts"]["sent"], 5, "{sent}");

    let scheduled = status_of(&app, SCHEDULED);
    assert_eq!(scheduled["status"], "scheduled", "{scheduled}");
    assert_eq!(scheduled["recipients"], 0, "{scheduled}");
    let none = serde_json::json!({
        "queued": 0, "sending": 0, "sent": 0, "failed": 0, "skipped": 0, "cancelled": 0
    });
    assert_eq!(scheduled["counts"], none, "no recipients fixed");
    let other = status_of(&app, STARTED);
    assert_eq!(other["status"], "sending", "{other}");
    assert_eq!(
        other["counts"],
        serde_json::json!({
            "queued": 5, "sending": 0, "sent": 0, "failed": 0, "skipped": 0, "cancelled": 0
        }),
        "its deliveries untouched"
    );

    // Both are still whole: a send without --issue sends them.
    let rest = run_at_most(&app, &["send"], Duration::from_secs(30))
        .unwrap_or_else(|stuck| panic!("{stuck}"))
        .ok();
    assert!(rest.stdout.contains("sent 10, failed 0"), "{}", rest.stdout);
    assert_eq!(smtp.messages().len(), 15);
    for slug in [SCHEDULED, STARTED] {
        let status = status_of(&app, slug);
        assert_eq!(status["status"], "sent", "{status}");
        assert_eq!(status["counts"]["sent"], 5, "{status}");
    }
}

#[test]
fn one_sender_starts_every_message_on_its_own_slot_and_never_more_than_the_rate_in_a_second() {
    // 50/s is well below what a debug build sends unlimited (about 300/s
    // on two cores), so the limiter sets the pace, not the machine.
    let rate = 50;
    let smtp = TestSmtp::start();
    let app = app_sending_to(
        &smtp.url(),
        &format!("rate_per_second = {rate}\nconcurrency = 4"),
    );
    subscribers(&app, 150);
    queue(&app);
    let run = app.run_with_env(&["send"], &SLOT_LOG).ok();
    let got = smtp.wait_for(150, Duration::from_secs(10));
    assert_eq!(got.len(), 150);

    let slots = slots(&run.stderr);
    let starts = slots.iter().filter(|s| s.started).count();
    assert_eq!(starts, 150, "one start per message");
    assert_slots_keep_the_rate(&slots, rate);
    let arrivals: Vec<_> = got.iter().map(|m| m.at).collect();
    assert_arrivals_roughly_keep_the_rate(&arrivals, rate);
    if database_clock_is_ours(&app) {
        assert_no_arrival_before_its_slot(&slots, &arrivals);
    }
}

#[test]
fn two_send_processes_on_one_database_share_one_rate() {
    // Either alone would send 100/s (and about 300/s unlimited): only the
    // schedule they share keeps them to 100/s together.
    let rate = 100;
    let smtp = TestSmtp::start();
    let app = app_sending_to(
        &smtp.url(),
        &format!("rate_per_second = {rate}\nconcurrency = 4\nbatch_size = 20"),
    );
    subscribers(&app, 300);
    queue(&app);
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| app.run_with_env(&["send"], &SLOT_LOG));
        let b = s.spawn(|| app.run_with_env(&["send"], &SLOT_LOG));
        (a.join().expect("thread"), b.join().expect("thread"))
    });
    let (a, b) = (a.ok(), b.ok());
    assert!(
        !a.stdout.contains("sent 0,") && !b.stdout.contains("sent 0,"),
        "both sent a share:\n{}\n{}",
        a.stdout,
        b.stdout
    );
    let got = smtp.wait_for(300, Duration::from_secs(10));
    assert_eq!(got.len(), 300);

    let slots: Vec<_> = [&a, &b].iter().flat_map(|r| slots(&r.stderr)).collect();
    let starts = slots.iter().filter(|s| s.started).count();
    assert_eq!(starts, 300, "one start per message");
    assert_slots_keep_the_rate(&slots, rate);
    let arrivals: Vec<_> = got.iter().map(|m| m.at).collect();
    assert_arrivals_roughly_keep_the_rate(&arrivals, rate);
    if database_clock_is_ours(&app) {
        assert_no_arrival_before_its_slot(&slots, &arrivals);
    }
}

/// Two senders against a cap of 5 (`key`, over `window_secs`) and 40
/// subscribers: the database hands out exactly 5 start slots, the senders
/// start a message on each (or give it up when too late, which a cap
/// still counts: README "The rate"), then wait for room, saying how long,
/// until SIGTERM stops them cleanly. Everyone else stays queued.
fn two_senders_start_exactly_a_cap_of_five_then_wait(key: &str, window_secs: i64) {
    let (cap, rate, people) = (5, 20, 40);
    let smtp = TestSmtp::start();
    let app = app_sending_to(
        &smtp.url(),
        &format!("rate_per_second = {rate}\nconcurrency = 2\nbatch_size = 4\n{key} = {cap}"),
    );
    subscribers(&app, people);
    queue(&app);
    let senders: Vec<_> = (0..2)
        .map(|_| Watched::new(app.spawn_with_env(&["send"], &SLOT_LOG)))
        .collect();
    let reached: Vec<_> = senders
        .iter()
        .map(|s| s.wait_for("cap is reached", Duration::from_secs(20)))
        .collect();
    // Slots are at most a block (two, 50 ms apart) ahead of the last
    // grant: by now every one is used or given up, and a message over the
    // cap would have arrived.
    std::thread::sleep(Duration::from_millis(500));
    let ended: Vec<_> = senders.into_iter().map(Watched::stop).collect();

    let mut slots = Vec::new();
    for (e, reached) in ended.iter().zip(reached) {
        assert!(reached, "a sender never reached the cap:\n{}", e.stderr);
        assert!(
            e.stopped_by_sigterm,
            "SIGTERM did not stop a sender:\n{}",
            e.stderr
        );
        assert!(e.status.success(), "{}\n{}", e.stdout, e.stderr);
        // Room comes when the oldest counted minute leaves the window.
        let waits = cap_waits(&e.stderr);
        assert!(
            !waits.is_empty()
                && waits
                    .iter()
                    .all(|w| (window_secs..=window_secs + 61).contains(w)),
            "waits {waits:?} for a {window_secs} s window"
        );
        slots.extend(support::pace::slots(&e.stderr));
    }
    assert_eq!(starts_counted(&app), cap, "starts the database counted");
    assert_eq!(
        slots.len(),
        cap as usize,
        "slots used or given up: {slots:?}"
    );
    assert_slots_keep_the_rate(&slots, rate);
    let started = slots.iter().filter(|s| s.started).count();
    let got = smtp.messages();
    assert_eq!(got.len(), started, "one message per start");
    assert!(started > 0, "{slots:?}");
    if database_clock_is_ours(&app) {
        let arrivals: Vec<_> = got.iter().map(|m| m.at).collect();
        assert_no_arrival_before_its_slot(&slots, &arrivals);
    }

    let counts = &status_json(&app)[0]["counts"];
    assert_eq!(counts["sent"], started, "{counts}");
    assert_eq!(counts["queued"], people - started, "{counts}");
    assert_eq!(counts["sending"], 0, "{counts}");
    assert_eq!(counts["failed"], 0, "{counts}");
}

#[test]
fn an_hourly_cap_lets_two_senders_start_exactly_the_cap_then_wait_an_hour_leaving_the_rest_queued()
{
    two_senders_start_exactly_a_cap_of_five_then_wait("max_per_hour", 3600);
}

#[test]
fn a_daily_cap_lets_two_senders_start_exactly_the_cap_then_wait_a_day_leaving_the_rest_queued() {
    two_senders_start_exactly_a_cap_of_five_then_wait("max_per_day", 86_400);
}

#[test]
fn two_send_processes_at_once_send_no_message_twice() {
    let smtp = TestSmtp::start();
    let app = app_sending_to(&smtp.url(), "rate_per_second = 200\nbatch_size = 10");
    subscribers(&app, 120);
    queue(&app);
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| app.run(&["send"]));
        let b = s.spawn(|| app.run(&["send"]));
        (a.join().expect("thread"), b.join().expect("thread"))
    });
    a.ok();
    b.ok();
    let got = smtp.wait_for(120, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    let got_all = smtp.messages();
    assert_eq!(
        got_all.len(),
        120,
        "got {} (first wait {})",
        got_all.len(),
        got.len()
    );
    let mut seen = std::collections::HashSet::new();
    for m in &got_all {
        assert!(seen.insert(m.to.join(",")), "{:?} got two messages", m.to);
    }
    assert_eq!(status_json(&app)[0]["counts"]["sent"], 120);
}

#[test]
fn someone_who_unsubscribes_during_the_send_is_skipped() {
    let smtp = TestSmtp::start();
    let app = app_sending_to(
        &smtp.url(),
        "rate_per_second = 10\nconcurrency = 1\nbatch_size = 1",
    );
    subscribers(&app, 20);
    queue(&app);
    std::thread::scope(|s| {
        let sender = s.spawn(|| app.run(&["send"]));
        smtp.wait_for(2, Duration::from_secs(10));
        app.run(&["subscribers", "unsubscribe", "lezer19@example.nl"])
            .ok();
        sender.join().expect("thread").ok();
    });
    let got = smtp.messages();
    assert_eq!(got.len(), 19);
    assert!(got.iter().all(|m| m.to != ["lezer19@example.nl"]));
    let counts = &status_json(&app)[0]["counts"];
    assert_eq!(counts["sent"], 19);
    assert_eq!(counts["skipped"], 1);
}

#[test]
fn without_an_smtp_url_messages_go_to_the_outbox_folder() {
    let app = TestApp::new();
    copy_emails(&app);
    subscribers(&app, 5);
    queue(&app);
    app.run(&["send"]).ok();
    let files: Vec<_> = std::fs::read_dir(app.path("outbox"))
        .expect("outbox exists")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 5, "{files:?}");
    assert!(
        files
            .iter()
            .all(|f| f.extension().is_some_and(|e| e == "eml"))
    );
    let eml = std::fs::read_to_string(&files[0]).expect("read eml");
    assert!(eml.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
}

#[test]
fn a_test_message_is_marked_and_recorded_nowhere() {
    let smtp = TestSmtp::start();
    let app = app_sending_to(&smtp.url(), "");
    let run = app
        .run(&[
            "issue",
            "test",
            &format!("emails/issues/{ISSUE}"),
            "--to",
            "redactie@example.org",
        ])
        .ok();
    assert!(run.stdout.contains("test message sent"), "{}", run.stdout);
    let got = smtp.wait_for(1, Duration::from_secs(5));
    // As a mail program shows it: unfolded, encoded words decoded.
    let subject =
        support::encoded_words::decoded_header(&got[0].data, "Subject").expect("a Subject header");
    assert!(
        subject.starts_with("[TEST] Voorbij de pilot"),
        "subject {subject:?}"
    );
    let status = app.run(&["issue", "status"]).ok();
    assert!(
        status.stdout.contains("no issues queued"),
        "{}",
        status.stdout
    );
}

#[test]
fn queueing_an_issue_twice_is_refused_and_times_are_read_in_the_newsletter_zone() {
    let app = TestApp::new();
    copy_emails(&app);
    subscribers(&app, 1);
    // Always in the future, and in January: Amsterdam is UTC+1 then.
    let year = jiff::Zoned::now().year() + 2;
    let run = app
        .run(&[
            "issue",
            "queue",
            &format!("emails/issues/{ISSUE}"),
            "--at",
            &format!("{year}-01-15 07:30"),
        ])
        .ok();
    assert_eq!(run.stdout.trim(), ISSUE);
    let status = &status_json(&app)[0];
    assert_eq!(status["status"], "scheduled");
    assert_eq!(status["send_at"], format!("{year}-01-15T06:30:00Z"));
    let again = app.run(&["issue", "queue", &format!("emails/issues/{ISSUE}")]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already queued"), "{}", again.stderr);
    let bad = app.run(&[
        "issue",
        "queue",
        "emails/issues/2026-09-luisteren-naar-klachten",
        "--at",
        "volgende week",
    ]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("YYYY-MM-DD HH:MM"), "{}", bad.stderr);
    // Not due yet: a send sends nothing.
    let send = app.run(&["send"]).ok();
    assert!(send.stdout.contains("sent 0"), "{}", send.stdout);
}

#[test]
fn sigterm_stops_claiming_and_records_what_was_in_flight() {
    let smtp = TestSmtp::start();
    let app = app_sending_to(&smtp.url(), "rate_per_second = 5\nconcurrency = 2");
    subscribers(&app, 40);
    queue(&app);
    let mut child = app.spawn(&["send"]);
    smtp.wait_for(5, Duration::from_secs(10));
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    let status = child.wait().expect("wait");
    assert!(status.code().is_some(), "exited by itself, not killed");
    let delivered = smtp.messages().len() as i64;
    let counts = status_json(&app)[0]["counts"].clone();
    assert_eq!(counts["sending"], 0, "nothing left claimed: {counts}");
    assert_eq!(
        counts["sent"], delivered,
        "every accepted message recorded: {counts}"
    );
    assert!(delivered < 40, "it stopped early");
    // The next run finishes the issue.
    app.run(&["send"]).ok();
    assert_eq!(status_json(&app)[0]["counts"]["sent"], 40);
}

/// Verifies every message file with dkimpy against the TXT record and
/// parses it with Python's `email`; prints one JSON line per file.
const VERIFY: &str = r#"
import sys, json, email, email.policy, dkim
txt = sys.argv[1].encode()
for path in sys.argv[2:]:
    data = open(path, 'rb').read()
    ok = dkim.verify(data, dnsfunc=lambda name, timeout=5: txt)
    msg = email.message_from_bytes(data, policy=email.policy.default)
    names = ['From', 'Reply-To', 'To', 'Subject', 'Date', 'Message-ID', 'MIME-Version', 'List-Id',
             'List-Unsubscribe', 'List-Unsubscribe-Post', 'List-Archive', 'Feedback-ID']
    parts = [p.get_content_type() + ';' + str(p.get_content_charset()) for p in msg.iter_parts()]
    print(json.dumps({'dkim': bool(ok), 'missing': [n for n in names if msg[n] is None],
                      'to': str(msg['To']), 'subject': str(msg['Subject']),
                      'type': msg.get_content_type(), 'parts': parts,
                      'defects': [str(d) for d in msg.defects]}))
"#;

#[test]
fn every_message_of_a_dkim_signed_send_verifies_with_dkimpy_and_parses_with_python_email() {
    if support::outside::python_with(&["dkim"], "pip install dkimpy").is_none() {
        return;
    }
    let smtp = TestSmtp::start();
    let app = TestApp::with_config(&format!(
        "\n[newsletter]\nname = \"Publiek Leren — Één\"\nfrom = \"Redactie Één <redactie@example.org>\"\nbase_url = \"https://nieuws.example.org\"\n\n[smtp]\nurl = \"{}\"\n\n[sending]\nrate_per_second = 1000\n\n[dkim]\ndomain = \"example.org\"\nselector = \"pb2026\"\nprivate_key_file = \"dkim.pem\"\n",
        smtp.url()
    ));
    copy_emails(&app);
    let keygen = app
        .run(&[
            "dkim",
            "keygen",
            "--selector",
            "pb2026",
            "--domain",
            "example.org",
            "--out",
            "dkim.pem",
        ])
        .ok();
    let txt = keygen
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("  v=DKIM1").map(|t| format!("v=DKIM1{t}")))
        .expect("a TXT record");
    app.write(
        "leden.csv",
        "email,name,status\nzoe@example.nl,Zoë d'Ancona,active\njan@example.nl,\"Jansen, Jan\",active\nali@example.nl,,active\n",
    );
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    queue(&app);
    app.run(&["send"]).ok();
    let got = smtp.wait_for(3, Duration::from_secs(10));
    let mut files = Vec::new();
    for (i, m) in got.iter().enumerate() {
        let path = app.path(&format!("m{i}.eml"));
        std::fs::write(&path, &m.data).expect("write message");
        files.push(path.to_string_lossy().into_owned());
    }
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(VERIFY)
        .arg(&txt)
        .args(&files)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(reports.len(), 3);
    for r in &reports {
        assert_eq!(r["dkim"], true, "{r}");
        assert_eq!(r["missing"], serde_json::json!([]), "{r}");
        assert_eq!(r["type"], "multipart/alternative", "{r}");
        assert_eq!(
            r["parts"],
            serde_json::json!(["text/plain;utf-8", "text/html;utf-8"]),
            "{r}"
        );
        assert_eq!(r["defects"], serde_json::json!([]), "{r}");
        assert!(
            r["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("Voorbij de pilot")),
            "{r}"
        );
    }
    assert!(
        reports
            .iter()
            .any(|r| r["to"] == "Zoë d'Ancona <zoe@example.nl>"),
        "{reports:?}"
    );
    assert!(
        reports
            .iter()
            .any(|r| r["to"] == "\"Jansen, Jan\" <jan@example.nl>"),
        "{reports:?}"
    );
}

#[test]
fn a_server_that_refuses_postbode_itself_stops_the_send_without_failing_anyone() {
    let smtp =
        TestSmtp::start_with(|_| support::smtp::Reply::new(530, "5.7.0 Authentication required"));
    let app = app_sending_to(&smtp.url(), "rate_per_second = 1000");
    subscribers(&app, 10);
    queue(&app);
    let run = app.run(&["send"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("refused postbode itself"),
        "{}",
        run.stderr
    );
    assert_eq!(status_json(&app)[0]["status"], "paused");
    let counts = &status_json(&app)[0]["counts"];
    assert_eq!(counts["failed"], 0, "{counts}");
    assert_eq!(counts["queued"], 10, "{counts}");
}

#[test]
fn a_send_into_postfix_smtp_sink_delivers_everyone() {
    let Some(sink) = SmtpSink::start(&[]) else {
        return;
    };
    let app = app_sending_to(&sink.url(), "rate_per_second = 1000\nconcurrency = 8");
    subscribers(&app, 200);
    queue(&app);
    let run = app.run(&["send"]).ok();
    assert!(run.stdout.contains("sent 200, failed 0"), "{}", run.stdout);
    assert_eq!(status_json(&app)[0]["counts"]["sent"], 200);
}

#[test]
fn the_send_loop_wakes_when_an_issue_becomes_due_and_stops_on_sigterm() {
    let smtp = TestSmtp::start();
    let app = app_sending_to(&smtp.url(), "rate_per_second = 1000");
    subscribers(&app, 3);
    let mut child = app.spawn(&["serve", "--dispatch"]);
    let at = (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(2)).to_string();
    app.run(&[
        "issue",
        "queue",
        &format!("emails/issues/{ISSUE}"),
        "--at",
        &at,
    ])
    .ok();
    assert!(smtp.messages().is_empty(), "nothing before its time");
    let got = smtp.wait_for(3, Duration::from_secs(30));
    assert_eq!(got.len(), 3);
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "a clean stop");
    assert_eq!(status_json(&app)[0]["status"], "sent");
}

#[test]
fn quickstart_does_the_whole_job_into_the_outbox() {
    let app = TestApp::new();
    std::fs::remove_file(app.path("postbode.toml")).expect("start without a config");
    copy_emails(&app);
    std::fs::create_dir_all(app.path("examples")).expect("mkdir");
    std::fs::copy(
        repo_file("examples/subscribers.csv"),
        app.path("examples/subscribers.csv"),
    )
    .expect("copy");
    let run = app.run(&["quickstart"]).ok();
    assert!(run.stdout.contains("sent 12 messages"), "{}", run.stdout);
    let files = std::fs::read_dir(app.path("outbox"))
        .expect("outbox")
        .count();
    assert_eq!(files, 12);
    // Running it again sends nothing twice.
    let again = app.run(&["quickstart"]).ok();
    assert!(again.stdout.contains("sent 0 messages"), "{}", again.stdout);
}
