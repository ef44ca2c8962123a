//! `bounces fetch` against a real IMAP server (Debian's dovecot, started
//! by the test on loopback with its own CA): the reports in INBOX are
//! applied as `bounces ingest` applies them, then moved to the done
//! folder; a second fetch, and the same report delivered again, change
//! nothing; `--dry-run` reads and moves nothing; a wrong password, or a
//! server certificate nobody vouches for, is a clear error without the
//! password; `serve --dispatch` fetches on its interval.

use support::dovecot::{self, Dovecot};
use support::sending::{app_sending_to, queue, subscribers};

use super::*;

/// An app that sent the sample issue to `lezer0..lezer{n-1}` with VERP
/// (`bounces@example.org`) and reads reports from `dovecot` with
/// `password`; returns it with each recipient's Message-ID and envelope
/// sender.
fn sent_via_verp(
    dovecot: &Dovecot,
    n: usize,
    imap: &str,
) -> (TestApp, HashMap<String, (String, String)>) {
    let smtp = TestSmtp::start();
    let app = app_sending_to(
        &smtp.url(),
        &format!(
            "rate_per_second = 1000\n\n[bounces]\naddress = \"bounces@example.org\"\n\
             imap_ca_file = \"{}\"\n{imap}\n",
            dovecot.ca_file().display()
        ),
    );
    subscribers(&app, n);
    queue(&app);
    app.run(&["send"]).ok();
    let mut sent = HashMap::new();
    for m in smtp.wait_for(n, Duration::from_secs(10)) {
        let id = Mail::parse(&m.data)
            .header("Message-ID")
            .expect("a Message-ID")
            .trim()
            .to_owned();
        sent.insert(m.to[0].clone(), (id, m.from.clone()));
    }
    (app, sent)
}

fn imaps(dovecot: &Dovecot, password: &str) -> String {
    format!("imap_url = \"{}\"", dovecot.imaps_url(password))
}

#[test]
fn a_fetch_applies_what_the_reports_prove_moves_every_message_and_a_second_changes_nothing() {
    let Some(dovecot) = Dovecot::start() else {
        return;
    };
    let (app, sent) = sent_via_verp(&dovecot, 3, &imaps(&dovecot, dovecot::PASSWORD));
    let [by_id, by_tag, forged] = ["lezer0", "lezer1", "lezer2"].map(|n| format!("{n}@example.nl"));
    let unknown_id = "<5d41402abc4b2a76b9719d911017c592@example.org>";
    let first = hard_bounce(&by_id, &sent[&by_id].0, "imap-1");
    dovecot.deliver("INBOX", "1764493200.1.host", &first);
    // Proven by its VERP tag alone: the returned Message-ID is unknown.
    let verp =
        hard_bounce(&by_tag, unknown_id, "imap-2").replace("root@2jo.example.jp", &sent[&by_tag].1);
    dovecot.deliver("INBOX", "1764493201.2.host", verp);
    dovecot.deliver("INBOX", "1764493202.3.host", fixture("out-of-office.eml"));
    dovecot.deliver(
        "INBOX",
        "1764493203.4.host",
        hard_bounce(&forged, unknown_id, "imap-3"),
    );

    let dry = app.run(&["bounces", "fetch", "--dry-run"]).ok();
    assert!(
        dry.stdout
            .starts_with("read 4 messages: 2 would be applied"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("moved nothing"), "{}", dry.stdout);
    assert_eq!(dovecot.messages("INBOX").len(), 4);
    assert_eq!(status(&app, &by_id), "active");

    let run = app.run(&["bounces", "fetch"]).ok();
    let out = &run.stdout;
    assert!(out.starts_with("read 4 messages: 2 applied"), "{out}");
    assert!(out.contains("auto-reply"), "{out}");
    assert!(out.contains("subscribers bounced: 2"), "{out}");
    // The unproven one is listed under its IMAP name.
    assert!(
        out.contains("  imap:INBOX/UID ")
            && out.contains(": hard bounce 5.1.1, about lezer2@example.nl"),
        "{out}"
    );
    assert!(out.contains("moved 4 messages to postbode-done"), "{out}");
    assert_eq!(status(&app, &by_id), "bounced");
    assert_eq!(status(&app, &by_tag), "bounced");
    assert_eq!(status(&app, &forged), "active");
    assert_eq!(dovecot.messages("INBOX").len(), 0);
    let done = dovecot.messages("postbode-done");
    assert_eq!(done.len(), 4);
    assert!(done.iter().any(|m| m.contains("imap-1@mx.example.nl")));

    let history = history_len(&app, &by_id);
    let again = app.run(&["bounces", "fetch"]).ok();
    assert!(
        again.stdout.starts_with("read 0 messages: 0 applied"),
        "{}",
        again.stdout
    );
    // As after a crash between applying and moving: the same report in
    // INBOX once more is a repeat.
    dovecot.deliver("INBOX", "1764493300.5.host", &first);
    let repeat = app.run(&["bounces", "fetch"]).ok();
    assert!(
        repeat.stdout.contains("1 applied before"),
        "{}",
        repeat.stdout
    );
    assert_eq!(history_len(&app, &by_id), history);
    assert_eq!(dovecot.messages("postbode-done").len(), 5);
}

#[test]
fn a_wrong_password_or_an_unknown_certificate_is_a_clear_error_and_starttls_works() {
    let Some(dovecot) = Dovecot::start() else {
        return;
    };
    let wrong = "wrong-Pa55word";
    let (app, sent) = sent_via_verp(&dovecot, 1, &imaps(&dovecot, wrong));
    let who = "lezer0@example.nl";
    dovecot.deliver(
        "INBOX",
        "1764493200.1.host",
        hard_bounce(who, &sent[who].0, "imap-1"),
    );

    let run = app.run(&["bounces", "fetch"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("refused the login of user \"bounces@example.org\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("imaps://***@127.0.0.1"),
        "{}",
        run.stderr
    );
    for shown in [&run.stdout, &run.stderr] {
        assert!(!shown.contains("Pa55word"), "{shown}");
    }
    assert_eq!(status(&app, who), "active");
    assert_eq!(dovecot.messages("INBOX").len(), 1);

    // The right password, but without the CA that signed the server's
    // certificate: no login at all.
    let config = std::fs::read_to_string(app.path("postbode.toml")).expect("config");
    let right = config.replace(
        &dovecot.imaps_url(wrong),
        &dovecot.imaps_url(dovecot::PASSWORD),
    );
    let ca_line = format!("imap_ca_file = \"{}\"\n", dovecot.ca_file().display());
    app.write("postbode.toml", right.replace(&ca_line, ""));
    let run = app.run(&["bounces", "fetch"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("TLS with 127.0.0.1"), "{}", run.stderr);

    // imap:// with STARTTLS, and the CA.
    let starttls = right.replace(
        &dovecot.imaps_url(dovecot::PASSWORD),
        &dovecot.starttls_url(dovecot::PASSWORD),
    );
    app.write("postbode.toml", starttls);
    let run = app.run(&["bounces", "fetch"]).ok();
    assert!(
        run.stdout.starts_with("read 1 message: 1 applied"),
        "{}",
        run.stdout
    );
    assert_eq!(status(&app, who), "bounced");
    assert_eq!(dovecot.messages("postbode-done").len(), 1);
}

#[test]
fn serve_with_dispatch_fetches_on_its_interval() {
    let Some(dovecot) = Dovecot::start() else {
        return;
    };
    let imap = format!(
        "{}\nfetch_interval_secs = 1",
        imaps(&dovecot, dovecot::PASSWORD)
    );
    let (app, sent) = sent_via_verp(&dovecot, 2, &imap);
    let server = Server::start(&app, &["serve", "--dispatch"]);
    let who = "lezer1@example.nl";
    dovecot.deliver(
        "INBOX",
        "1764493200.1.host",
        hard_bounce(who, &sent[who].0, "imap-1"),
    );
    let started = std::time::Instant::now();
    while !dovecot.messages("INBOX").is_empty() || dovecot.messages("postbode-done").is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "not fetched within 20 s: {:?}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(server.stop(), Some(0));
    assert_eq!(status(&app, who), "bounced");
    assert_eq!(status(&app, "lezer0@example.nl"), "active");
}
