//! The check before real mail, through the binary: with `smtp.url` set,
//! `issue queue`, `send` and `serve --dispatch` refuse (exit 2, naming the
//! key and what to set) links to this machine, plain http and the shipped
//! sender, and nothing is queued or sent; `allow_insecure_links` lets it
//! through; the outbox folder never needs it.

mod support;

use std::time::Duration;

use support::TestApp;
use support::sending::{ISSUE, copy_emails, status_json, subscribers};
use support::smtp::TestSmtp;

const GOOD_BASE: &str = "base_url = \"https://nieuws.example.org\"\n";
const GOOD_FROM: &str = "from = \"Redactie <redactie@nieuws.example.org>\"\n";

/// An app sending to `smtp` with `newsletter` as its [newsletter] table,
/// without the allowance the other tests' configs carry.
fn app(smtp: &TestSmtp, newsletter: &str) -> TestApp {
    let app = TestApp::strict(&format!(
        "\n[newsletter]\n{newsletter}\n[smtp]\nurl = \"{}\"\ncommand_timeout_secs = 5\n",
        smtp.url()
    ));
    copy_emails(&app);
    subscribers(&app, 2);
    app
}

fn queue(app: &TestApp) -> support::Run {
    app.run(&["issue", "queue", &format!("emails/issues/{ISSUE}")])
}

#[test]
fn with_an_smtp_url_queue_refuses_links_to_this_machine_plain_http_and_the_shipped_sender() {
    let cases = [
        (
            GOOD_FROM.to_owned(),
            "newsletter.base_url is http://localhost:8080",
        ),
        (
            format!("{GOOD_FROM}base_url = \"https://localhost:8443\"\n"),
            "this machine",
        ),
        (
            format!("{GOOD_FROM}base_url = \"https://127.0.0.1\"\n"),
            "this machine",
        ),
        (
            format!("{GOOD_FROM}base_url = \"https://[::1]:8443/nieuws\"\n"),
            "this machine",
        ),
        (
            format!("{GOOD_FROM}base_url = \"http://nieuws.example.org\"\n"),
            "must be https://",
        ),
        (
            GOOD_BASE.to_owned(),
            "newsletter.from is the shipped default",
        ),
        (
            format!("{GOOD_BASE}from = \"Nieuwsbrief <Nieuwsbrief@Example.org>\"\n"),
            "newsletter.from is the shipped default",
        ),
    ];
    let smtp = TestSmtp::start();
    for (newsletter, says) in cases {
        let app = app(&smtp, &newsletter);
        let run = queue(&app);
        assert_eq!(run.code, 2, "{newsletter}: {}", run.stderr);
        assert!(
            run.stderr.contains(says) && run.stderr.contains("allow_insecure_links"),
            "{newsletter}: {}",
            run.stderr
        );
        let status = app.run(&["issue", "status"]).ok();
        assert!(
            status.stdout.contains("no issues queued"),
            "{newsletter}: {}",
            status.stdout
        );
    }
    // Both at once: both named in one refusal.
    let app = app(&smtp, "");
    let run = queue(&app);
    assert!(
        run.stderr.contains("newsletter.base_url") && run.stderr.contains("newsletter.from"),
        "{}",
        run.stderr
    );
    assert!(smtp.messages().is_empty());
}

#[test]
fn send_and_the_send_loop_refuse_too_and_nothing_goes_out() {
    let smtp = TestSmtp::start();
    let app = app(&smtp, &format!("{GOOD_FROM}allow_insecure_links = true\n"));
    queue(&app).ok();
    let config = std::fs::read_to_string(app.path("postbode.toml")).expect("config");
    app.write(
        "postbode.toml",
        config.replace(
            "allow_insecure_links = true",
            "allow_insecure_links = false",
        ),
    );
    let send = app.run(&["send"]);
    assert_eq!(send.code, 2, "{}", send.stderr);
    assert!(
        send.stderr.contains("newsletter.base_url"),
        "{}",
        send.stderr
    );
    let mut child = app.spawn(&["serve", "--dispatch"]);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("serve status") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "serve --dispatch kept running"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(2));
    std::thread::sleep(Duration::from_millis(200));
    assert!(smtp.messages().is_empty());
    let status = &status_json(&app)[0];
    assert_eq!(status["status"], "scheduled", "{status}");
    assert_eq!(status["counts"]["sent"], 0, "{status}");
}

#[test]
fn allow_insecure_links_lets_a_send_to_this_machine_through() {
    let smtp = TestSmtp::start();
    let app = app(&smtp, "allow_insecure_links = true\n");
    queue(&app).ok();
    let send = app.run(&["send"]).ok();
    assert!(send.stdout.contains("sent 2"), "{}", send.stdout);
    assert_eq!(smtp.wait_for(2, Duration::from_secs(10)).len(), 2);
}

#[test]
fn the_outbox_folder_needs_none_of_it() {
    let app = TestApp::strict("");
    copy_emails(&app);
    subscribers(&app, 2);
    queue(&app).ok();
    let send = app.run(&["send"]).ok();
    assert!(send.stdout.contains("sent 2"), "{}", send.stdout);
}
