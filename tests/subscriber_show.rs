//! `subscribers show` and the proof of consent behind it, through the real
//! binary: `add` with and without `--basis`, `import --basis`, a signup on
//! the subscribe form of `serve` confirmed from its mail, the status
//! history in order, an unknown address, and erasure taking the record
//! along. On SQLite, or on PostgreSQL with `POSTBODE_TEST_BACKEND=postgres`.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::http::{Server, post_form};
use support::mail_links::link_path;
use support::{TestApp, email, with_store};

const BASE: &str = "https://nieuws.example.org";
const CONGRESS: &str = "aanmelding op het congres 2026";

/// A test app whose times show in Tokyo (UTC+9 all year), so the zone
/// is visible in every time.
fn app() -> TestApp {
    TestApp::with_config(&format!(
        "\n[newsletter]\nname = \"Publiek Leren\"\nfrom = \"Redactie <redactie@example.org>\"\n\
         base_url = \"{BASE}\"\ntimezone = \"Asia/Tokyo\"\n\n[server]\nbind = \"127.0.0.1:0\"\n"
    ))
}

/// `subscribers show WHO --format json`, parsed.
fn show_json(app: &TestApp, who: &str) -> Value {
    let run = app
        .run(&["subscribers", "show", who, "--format", "json"])
        .ok();
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// `subscribers show WHO` as the table.
fn show_table(app: &TestApp, who: &str) -> String {
    app.run(&["subscribers", "show", who]).ok().stdout
}

/// The consents of a `show --format json`.
fn consents(shown: &Value) -> &Vec<Value> {
    shown["consent"].as_array().expect("a consent array")
}

/// `(from, to, source, detail)` of each change in a `show --format json`.
fn history(shown: &Value) -> Vec<(Value, String, String, Value)> {
    shown["history"]
        .as_array()
        .expect("a history array")
        .iter()
        .map(|h| {
            (
                h["from"].clone(),
                h["to"].as_str().expect("to").to_owned(),
                h["source"].as_str().expect("source").to_owned(),
                h["detail"].clone(),
            )
        })
        .collect()
}

fn in_tokyo(time: &Value) -> bool {
    time.as_str().is_some_and(|t| t.ends_with("+09:00"))
}

#[test]
fn add_with_and_without_basis_and_import_with_basis_are_shown_as_stated() {
    let app = app();
    app.run(&[
        "subscribers",
        "add",
        "anna@example.nl",
        "--list",
        "events",
        "--active",
        "--basis",
        CONGRESS,
    ])
    .ok();
    app.run(&["subscribers", "add", "bert@example.nl"]).ok();
    app.write(
        "leden.csv",
        "email,name,city\ncarla@example.nl,Carla,Gent\n",
    );
    app.run(&[
        "subscribers",
        "import",
        "leden.csv",
        "--basis",
        "ledenlijst vereniging 2026",
    ])
    .ok();

    let anna = show_json(&app, "anna@example.nl");
    assert_eq!(anna["status"], "active");
    assert_eq!(anna["lists"], serde_json::json!(["events"]));
    let consent = consents(&anna);
    assert_eq!(consent.len(), 1, "{anna:#}");
    assert_eq!(consent[0]["method"], "add");
    assert_eq!(consent[0]["list"], "events");
    assert_eq!(consent[0]["basis"], CONGRESS);
    assert_eq!(consent[0]["confirmed_at"], Value::Null);
    assert!(in_tokyo(&consent[0]["at"]), "{}", consent[0]["at"]);
    let table = show_table(&app, "anna@example.nl");
    assert!(
        table.contains(&format!(
            "subscribers add: list events, basis \"{CONGRESS}\""
        )),
        "{table}"
    );
    assert!(table.contains("not confirmed by the person"), "{table}");
    assert!(table.contains("consent (times in Asia/Tokyo):"), "{table}");

    let bert = show_json(&app, "bert@example.nl");
    assert_eq!(consents(&bert)[0]["method"], "add");
    assert_eq!(consents(&bert)[0]["basis"], Value::Null);
    let table = show_table(&app, "bert@example.nl");
    assert!(
        table.contains("subscribers add: list default, basis not stated"),
        "{table}"
    );

    let carla = show_json(&app, "carla@example.nl");
    assert_eq!(carla["name"], "Carla");
    assert_eq!(carla["attributes"], serde_json::json!({"city": "Gent"}));
    assert_eq!(consents(&carla)[0]["method"], "import");
    assert_eq!(consents(&carla)[0]["basis"], "ledenlijst vereniging 2026");
    let table = show_table(&app, "carla@example.nl");
    assert!(
        table.contains("subscribers import: basis \"ledenlijst vereniging 2026\""),
        "{table}"
    );
    assert!(table.contains("attributes  city=Gent"), "{table}");
    assert!(table.contains("suppressed  no"), "{table}");

    // A basis that is not one line is refused, and nothing is added.
    let bad = app.run(&[
        "subscribers",
        "add",
        "dirk@example.nl",
        "--basis",
        "twee\nregels",
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("--basis"), "{}", bad.stderr);
    assert_eq!(app.run(&["subscribers", "show", "dirk@example.nl"]).code, 2);
}

#[test]
fn show_lists_the_whole_status_history_in_order_with_time_and_source() {
    let app = app();
    app.write("leden.csv", "email\ncarla@example.nl\n");
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    app.run(&["subscribers", "add", "carla@example.nl", "--active"])
        .ok();
    with_store(&app, async |store| {
        store
            .set_status(
                &email("carla@example.nl"),
                postbode::domain::SubscriberStatus::Bounced,
                postbode::domain::ChangeSource::Bounce,
                Some("550 5.1.1 no such user"),
            )
            .await
            .expect("bounce");
    });
    let bounced = show_table(&app, "carla@example.nl");
    assert!(
        bounced.contains("suppressed  yes, bounced since"),
        "{bounced}"
    );
    app.run(&[
        "subscribers",
        "unsuppress",
        "carla@example.nl",
        "--reason",
        "mailbox werkt weer",
    ])
    .ok();
    app.run(&["subscribers", "unsubscribe", "carla@example.nl"])
        .ok();

    let shown = show_json(&app, "carla@example.nl");
    let s = |v: &str| Value::String(v.to_owned());
    assert_eq!(
        history(&shown),
        [
            (Value::Null, "pending".into(), "import".into(), Value::Null),
            (s("pending"), "active".into(), "cli".into(), Value::Null),
            (
                s("active"),
                "bounced".into(),
                "bounce".into(),
                s("550 5.1.1 no such user")
            ),
            (
                s("bounced"),
                "active".into(),
                "admin".into(),
                s("unsuppressed: mailbox werkt weer")
            ),
            (
                s("active"),
                "unsubscribed".into(),
                "cli".into(),
                Value::Null
            ),
        ]
    );
    let times: Vec<&str> = shown["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["at"].as_str().expect("time"))
        .collect();
    assert!(times.iter().all(|t| t.ends_with("+09:00")), "{times:?}");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(shown["suppression"]["reason"], "unsubscribed");
    assert_eq!(shown["suppression"]["lifted_by"], "person");
    // The import, then `add --active` activating the pending person.
    let methods: Vec<&Value> = consents(&shown).iter().map(|c| &c["method"]).collect();
    assert_eq!(methods, ["import", "add"]);

    let table = show_table(&app, "carla@example.nl");
    let rows: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("status history"))
        .skip(2)
        .collect();
    assert_eq!(rows.len(), 5, "{table}");
    for (row, (from, to, source)) in rows.iter().zip([
        ("-", "pending", "import"),
        ("pending", "active", "cli"),
        ("active", "bounced", "bounce"),
        ("bounced", "active", "admin"),
        ("active", "unsubscribed", "cli"),
    ]) {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[2..5], [from, to, source], "{row}");
    }
}

#[test]
fn show_of_an_unknown_address_fails_as_unsubscribe_does() {
    let app = app();
    let show = app.run(&["subscribers", "show", "niemand@example.nl"]);
    let unsubscribe = app.run(&["subscribers", "unsubscribe", "niemand@example.nl"]);
    assert_eq!(show.code, 2);
    assert_eq!(show.code, unsubscribe.code);
    assert_eq!(
        show.stderr.trim(),
        "postbode: error: no subscriber has the address niemand@example.nl"
    );
    assert_eq!(show.stderr, unsubscribe.stderr);
    assert_eq!(show.stdout, "");
}

/// Waits for the first mail in the outbox folder and reads it.
fn first_outbox_mail(app: &TestApp) -> Vec<u8> {
    let dir = app.path("outbox");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mails: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        if let Some(mail) = mails
            .iter()
            .find(|p| p.extension().is_some_and(|e| e == "eml"))
        {
            // Written beside and renamed, or complete once it has a body.
            let raw = std::fs::read(mail).expect("read mail");
            if raw.windows(4).any(|w| w == b"\r\n\r\n") {
                return raw;
            }
        }
        assert!(Instant::now() < deadline, "no mail in {}", dir.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_signup_on_the_form_and_its_confirmation_are_the_proof_of_consent() {
    let app = app();
    support::sending::copy_emails(&app);
    let server = Server::start(&app, &["serve"]);
    let thanks = post_form(
        server.port,
        "/subscribe",
        &[("Accept-Language", "en")],
        "email=zoe%40example.nl&name=Zo%C3%AB&website=",
    );
    assert_eq!(thanks.status, 200, "{}", thanks.body);
    // The form stores and mails after answering: once the mail is there,
    // so is the sign-up.
    let mail = first_outbox_mail(&app);

    let pending = show_json(&app, "zoe@example.nl");
    assert_eq!(pending["status"], "pending");
    let consent = consents(&pending);
    assert_eq!(consent.len(), 1, "{pending:#}");
    assert_eq!(consent[0]["method"], "form");
    assert_eq!(consent[0]["list"], "default");
    assert_eq!(consent[0]["language"], "en");
    // The network of 127.0.0.1, never the address itself.
    assert_eq!(consent[0]["client_network"], "127.0.0.0/24");
    assert_eq!(consent[0]["confirmed_at"], Value::Null);

    let confirm = link_path(&mail, BASE, "/confirm/").expect("a confirm link in the mail");
    let done = post_form(server.port, &confirm, &[], "");
    assert_eq!(done.status, 200, "{}", done.body);

    let confirmed = show_json(&app, "zoe@example.nl");
    assert_eq!(confirmed["status"], "active");
    let consent = consents(&confirmed);
    assert_eq!(consent.len(), 1, "{confirmed:#}");
    assert!(
        in_tokyo(&consent[0]["confirmed_at"]),
        "{}",
        consent[0]["confirmed_at"]
    );
    assert!(consent[0]["at"].as_str() <= consent[0]["confirmed_at"].as_str());
    let s = |v: &str| Value::String(v.to_owned());
    assert_eq!(
        history(&confirmed),
        [
            (Value::Null, "pending".into(), "page".into(), Value::Null),
            (s("pending"), "active".into(), "confirm".into(), Value::Null),
        ]
    );
    let table = show_table(&app, "zoe@example.nl");
    assert!(
        table.contains("subscribe form: list default, page in en, from network 127.0.0.0/24"),
        "{table}"
    );
    assert!(table.contains("confirmed by the person 20"), "{table}");
    server.stop();
    assert!(
        !app.database_holds("127.0.0.1"),
        "the raw client address is stored"
    );
}

#[test]
fn an_erased_person_leaves_no_consent_record() {
    let app = app();
    app.run(&["subscribers", "add", "blijft@example.nl"]).ok();
    app.run(&[
        "subscribers",
        "add",
        "weg@example.nl",
        "--active",
        "--basis",
        CONGRESS,
    ])
    .ok();
    let count = || {
        with_store(&app, async |store| {
            store.row_count("consents").await.expect("count")
        })
    };
    assert_eq!(count(), 2);

    app.run(&["subscribers", "remove", "weg@example.nl"]).ok();
    assert_eq!(count(), 1, "only the other person's record is left");
    let gone = app.run(&["subscribers", "show", "weg@example.nl"]);
    assert_eq!(gone.code, 2, "{}", gone.stdout);
    assert!(
        !app.database_holds(CONGRESS),
        "the basis is still in the database"
    );
}
