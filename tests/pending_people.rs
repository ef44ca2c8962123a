//! Pending people (issue #12, findings 5 and 6), end to end with the real
//! binary, on SQLite or (with `POSTBODE_TEST_BACKEND=postgres`) PostgreSQL:
//!
//! - `subscribers add|import` without `--send-confirmation` say how many
//!   pending people they made and that those get nothing until they
//!   confirm; with it, each pending person gets the double opt-in mail
//!   (here into the outbox folder), recorded, and its link works.
//! - `send` and `serve` erase people still pending after
//!   `subscribers.pending_expiry_days`, and nobody else; `/metrics` counts
//!   them; the confirmation mail names the number of days.

mod support;

use std::time::Duration;

use support::http::{METRICS_TOKEN_ENV, Server, get_metrics, post_form};
use support::{TestApp, email, with_store};

const DAY_MS: i64 = 24 * 3600 * 1000;

fn app() -> TestApp {
    let app = TestApp::with_config(
        "\n[newsletter]\nname = \"Publiek Leren\"\nbase_url = \"https://nieuws.example.org\"\n\n\
         [server]\nbind = \"127.0.0.1:0\"\n",
    );
    support::sending::copy_emails(&app);
    app
}

/// Every mail in the outbox folder, as text.
fn outbox(app: &TestApp) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(app.path("outbox")) else {
        return Vec::new();
    };
    let mut mails: Vec<String> = dir
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    mails.sort();
    mails
}

/// The mail's text with quoted-printable soft breaks and escapes undone
/// (enough for the ASCII links and the sentences checked here).
fn unfolded(mail: &str) -> String {
    mail.replace("=\r\n", "").replace("=3D", "=")
}

fn status(app: &TestApp, who: &str) -> Option<String> {
    with_store(app, async |store| {
        store
            .find_subscriber(&email(who))
            .await
            .expect("find")
            .map(|s| s.status.as_str().to_owned())
    })
}

fn id_of(app: &TestApp, who: &str) -> i64 {
    with_store(app, async |store| {
        store
            .find_subscriber(&email(who))
            .await
            .expect("find")
            .expect("known")
            .id
    })
}

fn confirmation_mails(app: &TestApp, who: &str) -> i64 {
    let id = id_of(app, who);
    with_store(app, async |store| {
        store
            .system_mail_count(id, postbode::store::SystemMailKind::Confirmation)
            .await
            .expect("count")
    })
}

/// Moves `who`'s creation (and their status log) `days` into the past.
fn age(app: &TestApp, who: &str, days: i64) {
    let id = id_of(app, who);
    let ms = days * DAY_MS;
    with_store(app, async |store| {
        store
            .execute_raw(&format!(
                "UPDATE subscribers SET created_at = created_at - {ms}, \
                 updated_at = updated_at - {ms} WHERE id = {id}; \
                 UPDATE status_changes SET at = at - {ms} WHERE subscriber_id = {id}"
            ))
            .await
            .expect("age")
    });
}

#[test]
fn add_without_send_confirmation_says_the_pending_person_gets_nothing() {
    let app = app();
    let run = app.run(&["subscribers", "add", "anna@example.nl"]).ok();
    assert!(
        run.stdout.contains("added anna@example.nl (pending)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("1 new subscriber is pending"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("until they confirm"), "{}", run.stdout);
    assert!(run.stdout.contains("--send-confirmation"), "{}", run.stdout);
    assert!(run.stdout.contains("after 30 days"), "{}", run.stdout);
    assert!(outbox(&app).is_empty(), "no mail without the flag");
    assert_eq!(confirmation_mails(&app, "anna@example.nl"), 0);

    // An active one is not pending: nothing to say.
    let run = app
        .run(&["subscribers", "add", "bert@example.nl", "--active"])
        .ok();
    assert!(!run.stdout.contains("pending"), "{}", run.stdout);
    // --send-confirmation with --active makes no sense.
    let both = app.run(&[
        "subscribers",
        "add",
        "cor@example.nl",
        "--active",
        "--send-confirmation",
    ]);
    assert_eq!(both.code, 2, "{}", both.stderr);
}

#[test]
fn import_without_send_confirmation_counts_the_pending_people_it_created() {
    let app = app();
    app.run(&["subscribers", "add", "oud@example.nl"]).ok();
    app.write(
        "leden.csv",
        "email,status\nnieuw1@example.nl,\nnieuw2@example.nl,pending\nactief@example.nl,active\n\
         oud@example.nl,\n",
    );
    let run = app.run(&["subscribers", "import", "leden.csv"]).ok();
    assert!(
        run.stdout
            .contains("2 new subscribers are pending (1 more were pending already)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("--send-confirmation"), "{}", run.stdout);
    assert!(outbox(&app).is_empty());
}

#[test]
fn send_confirmation_mails_each_pending_person_once_recorded_and_the_link_confirms() {
    let app = app();
    app.run(&["subscribers", "add", "oud@example.nl"]).ok();
    app.write(
        "leden.csv",
        "email,status,language\nnieuw@example.nl,,en\nactief@example.nl,active,\noud@example.nl,,\n",
    );
    let run = app
        .run(&["subscribers", "import", "leden.csv", "--send-confirmation"])
        .ok();
    assert!(
        run.stdout
            .contains("mailed the confirmation link to 2 pending people"),
        "{}",
        run.stdout
    );
    let mails = outbox(&app);
    assert_eq!(mails.len(), 2, "the two pending people, not the active one");
    let to = |who: &str| {
        mails
            .iter()
            .find(|m| m.contains(&format!("To: {who}")))
            .map(|m| unfolded(m))
            .unwrap_or_else(|| panic!("no mail to {who}: {mails:?}"))
    };
    let english = to("nieuw@example.nl");
    assert!(english.contains("Subject: Confirm your subscription to Publiek Leren"));
    assert!(
        english.contains("we forget the address after 30 days"),
        "{english}"
    );
    let dutch = to("oud@example.nl");
    assert!(dutch.contains("Subject: Bevestig je aanmelding voor Publiek Leren"));
    assert!(
        dutch.contains("na 30 dagen vergeten we het adres"),
        "{dutch}"
    );
    assert!(!mails.iter().any(|m| m.contains("To: actief@example.nl")));
    assert_eq!(confirmation_mails(&app, "nieuw@example.nl"), 1);
    assert_eq!(confirmation_mails(&app, "oud@example.nl"), 1);

    // `add --send-confirmation` for one more; its link confirms.
    let run = app
        .run(&[
            "subscribers",
            "add",
            "zoe@example.nl",
            "--send-confirmation",
        ])
        .ok();
    assert!(
        run.stdout
            .contains("mailed the confirmation link to 1 pending person"),
        "{}",
        run.stdout
    );
    let mail = outbox(&app)
        .into_iter()
        .map(|m| unfolded(&m))
        .find(|m| m.contains("To: zoe@example.nl"))
        .expect("a mail to Zoe");
    let marker = "https://nieuws.example.org/confirm/";
    let at = mail.find(marker).expect("a confirm link") + marker.len();
    let token: String = mail[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let server = Server::start(&app, &["serve"]);
    let done = post_form(server.port, &format!("/confirm/{token}"), &[], "");
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Je bent aangemeld"), "{}", done.body);
    assert_eq!(status(&app, "zoe@example.nl").as_deref(), Some("active"));
}

/// Old pending (erased), young pending, old pending who was mailed a
/// confirmation recently, and old active (all kept).
fn people_of_all_ages(app: &TestApp) {
    app.write(
        "leden.csv",
        "email,status\noud@example.nl,pending\njong@example.nl,pending\n\
         gemaild@example.nl,pending\nactief@example.nl,active\n",
    );
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    age(app, "oud@example.nl", 31);
    age(app, "jong@example.nl", 29);
    age(app, "gemaild@example.nl", 45);
    age(app, "actief@example.nl", 400);
    // Mailed a confirmation just now: the 30 days start again.
    app.run(&[
        "subscribers",
        "add",
        "gemaild@example.nl",
        "--send-confirmation",
    ])
    .ok();
}

fn assert_only_the_old_pending_person_is_gone(app: &TestApp) {
    assert_eq!(status(app, "oud@example.nl"), None, "erased");
    assert_eq!(status(app, "jong@example.nl").as_deref(), Some("pending"));
    assert_eq!(
        status(app, "gemaild@example.nl").as_deref(),
        Some("pending")
    );
    assert_eq!(status(app, "actief@example.nl").as_deref(), Some("active"));
    let erasures = with_store(app, async |store| {
        store.metrics_snapshot().await.expect("metrics").erasures
    });
    assert_eq!(
        erasures,
        [("admin".to_owned(), 0), ("pending-expired".to_owned(), 1)]
    );
}

#[test]
fn send_erases_people_still_pending_after_the_expiry_and_nobody_else() {
    let app = app();
    people_of_all_ages(&app);
    let run = app.run_with_env(&["send"], &[("RUST_LOG", "info")]).ok();
    assert!(
        run.stderr
            .contains("erased 1 subscriber still pending after 30 days"),
        "{}",
        run.stderr
    );
    assert_only_the_old_pending_person_is_gone(&app);
    // Nothing of them is left in the database files.
    assert!(!app.database_holds("oud@example.nl"));
    // A second run finds nobody more.
    let again = app.run_with_env(&["send"], &[("RUST_LOG", "info")]).ok();
    assert!(!again.stderr.contains("erased"), "{}", again.stderr);
    assert_only_the_old_pending_person_is_gone(&app);
}

#[test]
fn serve_erases_them_too_and_metrics_count_them() {
    let app = app();
    people_of_all_ages(&app);
    let server = Server::start_with_env(&app, &["serve"], &[METRICS_TOKEN_ENV]);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while status(&app, "oud@example.nl").is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "serve's housekeeping did not run"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_only_the_old_pending_person_is_gone(&app);
    let metrics = get_metrics(server.port);
    assert!(
        metrics
            .body
            .contains("postbode_erasures_total{reason=\"pending-expired\"} 1\n"),
        "{}",
        metrics.body
    );
    // (The log line is checked with `send`: here it may come before the
    // "listening on" line the test waits for.)
}

#[test]
fn the_expiry_is_configurable_and_the_mail_says_the_same_number() {
    let app = app();
    let config = std::fs::read_to_string(app.path("postbode.toml")).expect("config");
    app.write(
        "postbode.toml",
        format!("{config}\n[subscribers]\npending_expiry_days = 10\n"),
    );
    app.run(&[
        "subscribers",
        "add",
        "tien@example.nl",
        "--send-confirmation",
    ])
    .ok();
    let mail = unfolded(&outbox(&app)[0]);
    assert!(mail.contains("na 10 dagen vergeten we het adres"), "{mail}");
    app.run(&["subscribers", "add", "elf@example.nl"]).ok();
    age(&app, "elf@example.nl", 11);
    app.run(&["send"]).ok();
    assert_eq!(status(&app, "elf@example.nl"), None);
    assert_eq!(status(&app, "tien@example.nl").as_deref(), Some("pending"));
    // Zero makes no sense: the setting is named.
    app.write(
        "postbode.toml",
        format!("{config}\n[subscribers]\npending_expiry_days = 0\n"),
    );
    let refused = app.run(&["send"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("subscribers.pending_expiry_days"),
        "{}",
        refused.stderr
    );
}

/// `migrate-store` carries the record of confirmation mails (the expiry
/// counts from it) and why each erased person was erased.
#[test]
fn migrate_store_keeps_the_mails_sent_and_the_erasure_reasons() {
    if support::on_postgres() {
        return; // The copy goes from SQLite to PostgreSQL.
    }
    let Some(server) = support::postgres::server_url() else {
        return;
    };
    let app = app();
    people_of_all_ages(&app);
    app.run(&["send"]).ok();
    let url = support::postgres::fresh_database_blocking(&server);
    let run = app.run(&["migrate-store", "--to", &url]).ok();
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("system_mails"))
        .unwrap_or_else(|| panic!("no system_mails line in {}", run.stdout));
    let counts: Vec<&str> = line.split_whitespace().skip(1).collect();
    assert_eq!((counts[0], counts[1]), ("1", "1"), "{line}");
    // On the copy: the same erasures, and the mailed person is still
    // within their 30 days while the young one's clock runs as before.
    let config = std::fs::read_to_string(app.path("postbode.toml")).expect("config");
    let on_pg = config.replace("sqlite://postbode.db", &url);
    app.write("postbode.toml", on_pg);
    assert_only_the_old_pending_person_is_gone(&app);
    assert_eq!(confirmation_mails(&app, "gemaild@example.nl"), 1);
    app.run(&["send"]).ok();
    assert_only_the_old_pending_person_is_gone(&app);
}
