//! Issue 12: the store's picture of who may get mail stays true. Old links
//! never act on someone else (ids are never reused, tokens carry a
//! per-person salt), an erased address is not brought back by an import,
//! and no link lifts a bounce, a complaint or an admin's unsubscribe. Run
//! as the real binary, on SQLite or (with `POSTBODE_TEST_BACKEND=postgres`)
//! on PostgreSQL.

mod support;

use std::time::Duration;

use postbode::domain::{ChangeSource, SubscriberStatus};
use support::http::{Server, post_form};
use support::sending::{copy_emails, queue};
use support::smtp::{Received, TestSmtp};
use support::{TestApp, email, with_store};

const BASE: &str = "https://nieuws.example.org";
const ONE_CLICK: &str = "List-Unsubscribe=One-Click";

/// An app that sends into its `outbox/` folder and serves the pages.
fn app(extra: &str) -> TestApp {
    let app = TestApp::with_config(&format!(
        "\n[newsletter]\nname = \"Publiek Leren\"\nfrom = \"Redactie <redactie@example.org>\"\n\
         base_url = \"{BASE}\"\n\n[server]\nbind = \"127.0.0.1:0\"\n{extra}"
    ));
    copy_emails(&app);
    app
}

/// Queues and sends the sample issue into the outbox, and returns the
/// `/u/TOKEN` path of the mail `who` got.
fn sent_unsubscribe_paths(app: &TestApp, who: &[&str]) -> Vec<String> {
    queue(app);
    app.run(&["send"]).ok();
    let mails: Vec<String> = std::fs::read_dir(app.path("outbox"))
        .expect("outbox")
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).expect("read eml"))
        .collect();
    who.iter()
        .map(|address| {
            let mail = mails
                .iter()
                .find(|m| {
                    m.lines()
                        .any(|l| l.starts_with("To:") && l.contains(address))
                })
                .unwrap_or_else(|| panic!("no mail to {address}"));
            let header = mail
                .lines()
                .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
                .expect("a List-Unsubscribe header");
            let url = header.trim_end_matches('>');
            url.strip_prefix(BASE).expect("under base_url").to_owned()
        })
        .collect()
}

/// The status of `who`, or `None` when there is no such subscriber.
fn status(app: &TestApp, who: &str) -> Option<String> {
    with_store(app, async |store| {
        store
            .find_subscriber(&email(who))
            .await
            .expect("find")
            .map(|s| s.status.as_str().to_owned())
    })
}

fn history(app: &TestApp, who: &str) -> Vec<(Option<String>, String, String)> {
    with_store(app, async |store| {
        store.status_history(&email(who)).await.expect("history")
    })
}

/// The `/confirm/TOKEN` path in a confirmation mail.
fn confirm_path(mail: &Received) -> String {
    support::mail_links::link_path(&mail.data, BASE, "/confirm/").unwrap_or_else(|| {
        panic!(
            "no /confirm/ link in the mail:\n{}",
            String::from_utf8_lossy(&mail.data)
        )
    })
}

/// Subscribes `who` on the form and returns the confirmation link mailed.
fn subscribe_on_the_form(server: &Server, smtp: &TestSmtp, who: &str) -> String {
    let before = smtp.messages().len();
    let body = format!("email={}&website=", who.replace('@', "%40"));
    post_form(server.port, "/subscribe", &[], &body);
    let mails = smtp.wait_for(before + 1, Duration::from_secs(15));
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.to.iter().any(|t| t == who))
        .unwrap_or_else(|| panic!("no confirmation mail to {who}"));
    confirm_path(mail)
}

// Finding 1: an erased person's id went to the next new subscriber, and
// their old links then acted on that stranger.

#[test]
fn an_erased_persons_old_unsubscribe_link_leaves_the_next_new_subscriber_alone() {
    let app = app("");
    app.run(&["subscribers", "add", "a@example.nl", "--active"])
        .ok();
    app.run(&["subscribers", "add", "b@example.nl", "--active"])
        .ok();
    let b_link = sent_unsubscribe_paths(&app, &["b@example.nl"]).remove(0);
    app.run(&["subscribers", "remove", "b@example.nl"]).ok();
    app.run(&["subscribers", "add", "c@example.nl", "--active"])
        .ok();
    let before = history(&app, "c@example.nl");

    let server = Server::start(&app, &["serve"]);
    post_form(server.port, &b_link, &[], ONE_CLICK);
    post_form(server.port, &b_link, &[], "from=page");
    assert_eq!(status(&app, "c@example.nl").as_deref(), Some("active"));
    assert_eq!(history(&app, "c@example.nl"), before);
}

#[test]
fn an_erased_persons_old_confirmation_link_leaves_the_next_new_subscriber_alone() {
    let smtp = TestSmtp::start();
    let app = app(&format!(
        "\n[smtp]\nurl = \"{}\"\ncommand_timeout_secs = 5\n",
        smtp.url()
    ));
    app.run(&["subscribers", "add", "a@example.nl", "--active"])
        .ok();
    let server = Server::start(&app, &["serve"]);
    let b_link = subscribe_on_the_form(&server, &smtp, "b@example.nl");
    app.run(&["subscribers", "remove", "b@example.nl"]).ok();
    subscribe_on_the_form(&server, &smtp, "c@example.nl");
    assert_eq!(status(&app, "c@example.nl").as_deref(), Some("pending"));

    post_form(server.port, &b_link, &[], "");
    assert_eq!(
        status(&app, "c@example.nl").as_deref(),
        Some("pending"),
        "b's old link confirmed c without c's consent"
    );
}

// Finding 2: after `subscribers remove`, importing the old CSV brought the
// person back as active.

#[test]
fn importing_an_old_file_after_an_erasure_does_not_bring_the_person_back() {
    let app = app("");
    app.write(
        "leden.csv",
        "email,name,status\nan@example.nl,An,active\nbo@example.nl,Bo,active\n",
    );
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    app.run(&["subscribers", "remove", "bo@example.nl"]).ok();

    let again = app.run(&["subscribers", "import", "leden.csv"]).ok();
    assert_eq!(status(&app, "bo@example.nl"), None, "{}", again.stdout);
    assert_eq!(status(&app, "an@example.nl").as_deref(), Some("active"));
    // The same for one address at a time.
    app.run(&["subscribers", "add", "bo@example.nl", "--active"]);
    assert_eq!(status(&app, "bo@example.nl"), None);
}

// Finding 4: a hard bounce, and an admin's unsubscribe, could be undone by
// a link.

#[test]
fn a_bounced_person_stays_bounced_whatever_their_unsubscribe_link_is_asked() {
    let app = app("");
    app.run(&["subscribers", "add", "weg@example.nl", "--active"])
        .ok();
    let link = sent_unsubscribe_paths(&app, &["weg@example.nl"]).remove(0);
    with_store(&app, async |store| {
        store
            .set_status(
                &email("weg@example.nl"),
                SubscriberStatus::Bounced,
                ChangeSource::Bounce,
                Some("550 5.1.1 no such user"),
            )
            .await
            .expect("bounce");
    });
    assert_eq!(status(&app, "weg@example.nl").as_deref(), Some("bounced"));

    let server = Server::start(&app, &["serve"]);
    post_form(server.port, &link, &[], ONE_CLICK);
    post_form(server.port, &format!("{link}/resubscribe"), &[], "");
    assert_eq!(status(&app, "weg@example.nl").as_deref(), Some("bounced"));
}

#[test]
fn an_admins_unsubscribe_is_not_undone_by_the_resubscribe_button() {
    let app = app("");
    app.run(&["subscribers", "add", "klaar@example.nl", "--active"])
        .ok();
    let link = sent_unsubscribe_paths(&app, &["klaar@example.nl"]).remove(0);
    app.run(&["subscribers", "unsubscribe", "klaar@example.nl"])
        .ok();

    let server = Server::start(&app, &["serve"]);
    post_form(server.port, &format!("{link}/resubscribe"), &[], "");
    assert_eq!(
        status(&app, "klaar@example.nl").as_deref(),
        Some("unsubscribed")
    );
}

#[test]
fn an_admins_unsubscribe_is_not_undone_by_replaying_a_confirmation_link() {
    let smtp = TestSmtp::start();
    let app = app(&format!(
        "\n[smtp]\nurl = \"{}\"\ncommand_timeout_secs = 5\n",
        smtp.url()
    ));
    let server = Server::start(&app, &["serve"]);
    let link = subscribe_on_the_form(&server, &smtp, "zoe@example.nl");
    post_form(server.port, &link, &[], "");
    assert_eq!(status(&app, "zoe@example.nl").as_deref(), Some("active"));
    app.run(&["subscribers", "unsubscribe", "zoe@example.nl"])
        .ok();

    post_form(server.port, &link, &[], "");
    assert_eq!(
        status(&app, "zoe@example.nl").as_deref(),
        Some("unsubscribed"),
        "a replayed confirmation link undid the admin's unsubscribe"
    );
}

#[test]
fn i_changed_my_mind_works_within_a_day_and_not_after() {
    let app = app("");
    for who in ["vlug@example.nl", "traag@example.nl"] {
        app.run(&["subscribers", "add", who, "--active"]).ok();
    }
    let links = sent_unsubscribe_paths(&app, &["vlug@example.nl", "traag@example.nl"]);
    let server = Server::start(&app, &["serve"]);
    for link in &links {
        post_form(server.port, link, &[], ONE_CLICK);
    }
    // Traag's unsubscribe was 25 hours ago.
    with_store(&app, async |store| {
        let traag = store
            .find_subscriber(&email("traag@example.nl"))
            .await
            .expect("find")
            .expect("known");
        store
            .execute_raw(&format!(
                "UPDATE status_changes SET at = at - 90000000 WHERE subscriber_id = {}",
                traag.id
            ))
            .await
            .expect("age the log");
    });
    for link in &links {
        post_form(server.port, &format!("{link}/resubscribe"), &[], "");
    }
    assert_eq!(status(&app, "vlug@example.nl").as_deref(), Some("active"));
    assert_eq!(
        status(&app, "traag@example.nl").as_deref(),
        Some("unsubscribed"),
        "a resubscribe after 24 hours"
    );
}

#[test]
fn the_commands_say_what_the_suppression_list_did() {
    let app = app("");
    app.write(
        "leden.csv",
        "email,status\nan@example.nl,active\nbo@example.nl,active\ncor@example.nl,active\n",
    );
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    app.run(&["subscribers", "remove", "bo@example.nl"]).ok();
    with_store(&app, async |store| {
        store
            .set_status(
                &email("cor@example.nl"),
                SubscriberStatus::Bounced,
                ChangeSource::Bounce,
                None,
            )
            .await
            .expect("bounce");
    });
    app.run(&["subscribers", "remove", "cor@example.nl"]).ok();

    let again = app.run(&["subscribers", "import", "leden.csv"]).ok();
    assert!(
        again.stdout.contains(
            "2 rows skipped: the address is on the suppression list (1 erased, 1 bounced)"
        ),
        "{}",
        again.stdout
    );
    let add = app.run(&["subscribers", "add", "bo@example.nl"]);
    assert_eq!(add.code, 2);
    assert!(
        add.stderr.contains("suppression list (erased)") && add.stderr.contains("subscribe page"),
        "{}",
        add.stderr
    );

    // An erasure only the person lifts; a bounce an admin does, with a reason.
    let refused = app.run(&[
        "subscribers",
        "unsuppress",
        "bo@example.nl",
        "--reason",
        "x",
    ]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("only the person"),
        "{}",
        refused.stderr
    );
    let lifted = app
        .run(&[
            "subscribers",
            "unsuppress",
            "cor@example.nl",
            "--reason",
            "mailbox works again",
        ])
        .ok();
    assert!(lifted.stdout.contains("lifted"), "{}", lifted.stdout);
    app.run(&["subscribers", "add", "cor@example.nl", "--active"])
        .ok();
    assert_eq!(status(&app, "cor@example.nl").as_deref(), Some("active"));
    let missing = app.run(&["subscribers", "unsuppress", "cor@example.nl"]);
    assert_eq!(missing.code, 2, "--reason is required");
}
