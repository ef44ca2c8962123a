//! The signed provider webhooks of `postbode serve`, end to end: a real
//! send (VERP on), the real server on a loopback port, SNS messages signed
//! with a key and certificate this test makes (served on loopback by
//! `support::sns`), and Mailgun webhooks signed with HMAC. A signed event
//! changes exactly the subscriber it proves, once; a forged, tampered or
//! foreign one gets 401 and changes nothing. On SQLite, or on PostgreSQL
//! with `POSTBODE_TEST_BACKEND=postgres`.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use support::db::status_log;
use support::http::{Response, Server, request};
use support::received::Mail;
use support::sending::{app_sending_to, queue, subscribers};
use support::smtp::TestSmtp;
use support::sns::Sns;
use support::{TestApp, email, with_store};

const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:postbode-bounces";
const MAILGUN_KEY: &str = "mailgun-test-signing-key-0123456789";

/// One delivery as it left: its envelope sender and its Message-ID.
struct Sent {
    sender: String,
    message_id: String,
}

/// An app that sent the sample issue to `lezer0..lezer2@example.nl` from
/// `bounces+TAG@example.org`, with `webhooks` as its `[webhooks]`, and
/// `serve` running.
fn sent(webhooks: &str) -> (TestApp, Server, HashMap<String, Sent>) {
    let smtp = TestSmtp::start();
    let app = app_sending_to(
        &smtp.url(),
        &format!(
            "rate_per_second = 1000\n\n[bounces]\naddress = \"bounces@example.org\"\n\n[webhooks]\n{webhooks}\n"
        ),
    );
    subscribers(&app, 3);
    queue(&app);
    app.run(&["send"]).ok();
    let mut sent = HashMap::new();
    for m in smtp.wait_for(3, Duration::from_secs(10)) {
        let mail = Mail::parse(&m.data);
        let message_id = mail.header("Message-ID").expect("Message-ID").trim();
        let message_id = message_id.to_owned();
        assert!(m.from.starts_with("bounces+"), "{}", m.from);
        let sender = m.from.clone();
        sent.insert(m.to[0].clone(), Sent { sender, message_id });
    }
    let server = Server::start(&app, &["serve"]);
    (app, server, sent)
}

fn ses_app(sns: &Sns) -> (TestApp, Server, HashMap<String, Sent>) {
    sent(&format!(
        "ses_topic_arns = [\"{TOPIC}\"]\nses_cert_hosts = [\"{}\"]\n",
        sns.host()
    ))
}

fn status(app: &TestApp, who: &str) -> String {
    with_store(app, async |store| {
        let found = store.find_subscriber(&email(who)).await.expect("find");
        found.expect("known").status.as_str().to_owned()
    })
}

fn statuses(app: &TestApp) -> Vec<String> {
    (0..3)
        .map(|i| status(app, &format!("lezer{i}@example.nl")))
        .collect()
}

/// The statuses of the three, or a failure with the server's log.
#[track_caller]
fn expect_statuses(app: &TestApp, server: &Server, want: [&str; 3]) {
    let got = statuses(app);
    assert_eq!(got, want, "server log:\n{}", server.log().join("\n"));
}

fn post(server: &Server, path: &str, body: &Value) -> Response {
    let headers = [("Content-Type", "text/plain; charset=UTF-8")];
    request(
        server.port,
        "POST",
        path,
        &headers,
        body.to_string().as_bytes(),
    )
}

/// An SES notification (identity notification shape) of a permanent
/// bounce of `to`, sent from `source` with Message-ID `message_id`.
fn ses_bounce(to: &str, source: &str, message_id: &str) -> String {
    json!({
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [{
                "emailAddress": to,
                "action": "failed",
                "status": "5.1.1",
                "diagnosticCode": "smtp; 550 5.1.1 user unknown"
            }],
            "timestamp": "2026-10-01T10:00:05.000Z",
            "feedbackId": "0100018f-bounce"
        },
        "mail": {
            "timestamp": "2026-10-01T10:00:00.000Z",
            "source": source,
            "messageId": "0100018f-ses-id",
            "destination": [to],
            "commonHeaders": {"messageId": message_id, "subject": "Nieuws"}
        }
    })
    .to_string()
}

/// The same for a complaint (event-publishing shape) of type abuse.
fn ses_complaint(to: &str, source: &str, message_id: &str) -> String {
    json!({
        "eventType": "Complaint",
        "complaint": {
            "complainedRecipients": [{"emailAddress": to}],
            "complaintFeedbackType": "abuse",
            "timestamp": "2026-10-01T11:00:00.000Z",
            "feedbackId": "0100018f-complaint"
        },
        "mail": {
            "source": source,
            "messageId": "0100018f-ses-id-2",
            "destination": [to],
            "commonHeaders": {"messageId": message_id}
        }
    })
    .to_string()
}

const UNKNOWN_ID: &str = "<5d41402abc4b2a76b9719d911017c592@example.org>";

#[test]
fn a_signed_ses_bounce_and_complaint_change_exactly_the_subscribers_they_prove_once() {
    let sns = Sns::start();
    let (app, server, sent) = ses_app(&sns);
    let [a, b, c] = [
        "lezer0@example.nl",
        "lezer1@example.nl",
        "lezer2@example.nl",
    ];

    // Proven by the VERP envelope sender alone (a Message-ID never sent).
    let bounce = sns.notification(TOPIC, "sns-1", &ses_bounce(b, &sent[b].sender, UNKNOWN_ID));
    let response = post(&server, "/webhooks/ses", &bounce);
    assert_eq!(response.status, 200, "{}", response.body);
    expect_statuses(&app, &server, ["active", "bounced", "active"]);
    let log = status_log(&app, b);
    let last = log.last().expect("a change");
    assert_eq!(last.source, "bounce");
    assert!(
        last.detail.as_deref().unwrap_or_default().contains("5.1.1"),
        "{last:?}"
    );

    // The same event again (SNS retries): nothing more.
    let again = post(&server, "/webhooks/ses", &bounce);
    assert_eq!(again.status, 200);
    assert_eq!(status_log(&app, b).len(), log.len());

    // Proven by postbode's Message-ID alone (the sender is not VERP).
    let complaint = sns.notification(
        TOPIC,
        "sns-2",
        &ses_complaint(c, "redactie@example.org", &sent[c].message_id),
    );
    assert_eq!(post(&server, "/webhooks/ses", &complaint).status, 200);
    assert_eq!(
        statuses(&app),
        ["active", "bounced", "complained"],
        "{:#?}",
        server.log()
    );

    // Signed, but proving nothing: 200, so SNS stops, and no change.
    let forged_tag = format!("bounces+{}@example.org", "0".repeat(36));
    let unproven = sns.notification(TOPIC, "sns-3", &ses_bounce(a, &forged_tag, UNKNOWN_ID));
    assert_eq!(post(&server, "/webhooks/ses", &unproven).status, 200);
    expect_statuses(&app, &server, ["active", "bounced", "complained"]);
    std::thread::sleep(Duration::from_millis(200));
    let logged = server.log().join("\n");
    assert!(logged.contains("unmatched"), "{logged}");
    assert!(!logged.contains(a), "the log names nobody: {logged}");

    // The certificate was fetched once for the three messages.
    let fetched = sns.fetched();
    assert_eq!(fetched, [support::sns::CERT_PATH], "{fetched:?}");
    // No Mailgun key: that route is off.
    assert_eq!(post(&server, "/webhooks/mailgun", &json!({})).status, 404);
}

#[test]
fn forged_tampered_foreign_and_unknown_ses_messages_get_401_and_change_nothing() {
    let sns = Sns::start();
    let (app, server, sent) = ses_app(&sns);
    let who = "lezer1@example.nl";
    let event = ses_bounce(who, &sent[who].sender, &sent[who].message_id);
    let refused = |envelope: &Value, what: &str| {
        let response = post(&server, "/webhooks/ses", envelope);
        assert_eq!(response.status, 401, "{what}: {}", response.body);
    };

    // Signed by another key, naming our certificate.
    let forger = Sns::start();
    let mut forged = forger.notification(TOPIC, "sns-f1", &event);
    forged["SigningCertURL"] = json!(sns.cert_url());
    refused(&forged, "forged signature");

    // A genuine message about someone else, its Message changed after signing.
    let other = "lezer0@example.nl";
    let mut tampered = sns.notification(
        TOPIC,
        "sns-f2",
        &ses_bounce(other, "redactie@example.org", UNKNOWN_ID),
    );
    tampered["Message"] = json!(event);
    refused(&tampered, "tampered Message");

    // Signed and verifiable, but its certificate on a host nobody listed.
    let mut foreign = forger.notification(TOPIC, "sns-f3", &event);
    foreign["SigningCertURL"] = json!(forger.cert_url());
    refused(&foreign, "certificate on a foreign host");
    assert!(forger.fetched().is_empty(), "{:?}", forger.fetched());
    let mut outside = sns.notification(TOPIC, "sns-f4", &event);
    outside["SigningCertURL"] = json!("https://sns.eu-west-1.amazonaws.com.evil.example/x.pem");
    refused(&outside, "certificate outside amazonaws.com");

    // Genuinely signed, on a topic not in webhooks.ses_topic_arns.
    let unknown_topic =
        sns.notification("arn:aws:sns:eu-west-1:123456789012:other", "sns-f5", &event);
    refused(&unknown_topic, "unknown topic");

    // No signature at all; not even JSON.
    let mut unsigned = sns.notification(TOPIC, "sns-f6", &event);
    unsigned
        .as_object_mut()
        .expect("object")
        .remove("Signature");
    refused(&unsigned, "unsigned");
    let garbage = request(server.port, "POST", "/webhooks/ses", &[], b"hello");
    assert_eq!(garbage.status, 401);

    expect_statuses(&app, &server, ["active", "active", "active"]);
    assert_eq!(status_log(&app, who).len(), 1, "only the import");

    // The same event, genuinely signed, does apply: the refusals were
    // about the signatures, not the event.
    let genuine = sns.notification(TOPIC, "sns-ok", &event);
    let response = post(&server, "/webhooks/ses", &genuine);
    assert_eq!(response.status, 200, "{:?}", server.log());
    expect_statuses(&app, &server, ["active", "bounced", "active"]);
}

#[test]
fn a_signed_subscription_confirmation_is_confirmed_and_a_forged_one_is_not() {
    let sns = Sns::start();
    let (_app, server, _sent) = ses_app(&sns);
    let forger = Sns::start();
    let mut forged = forger.confirmation(TOPIC, "/?Action=ConfirmSubscription&Token=forged");
    forged["SigningCertURL"] = json!(sns.cert_url());
    assert_eq!(post(&server, "/webhooks/ses", &forged).status, 401);
    assert!(
        !sns.fetched().iter().any(|p| p.contains("Confirm")),
        "{:?}",
        sns.fetched()
    );

    let path = "/?Action=ConfirmSubscription&Token=2336412f37";
    let response = post(&server, "/webhooks/ses", &sns.confirmation(TOPIC, path));
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(
        sns.fetched().iter().any(|p| p == path),
        "{:?}",
        sns.fetched()
    );
}

/// A Mailgun webhook body for `event`, signed at `timestamp` with `key`.
fn mailgun(event: Value, timestamp: i64, key: &str) -> Value {
    let token = format!(
        "token-{timestamp}-{}",
        event["id"].as_str().unwrap_or_default()
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(token.as_bytes());
    let signature: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    json!({
        "signature": {"timestamp": timestamp.to_string(), "token": token, "signature": signature},
        "event-data": event
    })
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

#[test]
fn a_mailgun_event_applies_with_a_good_signature_and_not_with_a_bad_or_stale_one() {
    let (app, server, sent) = sent(&format!("mailgun_signing_key = \"{MAILGUN_KEY}\"\n"));
    let [a, b, c] = [
        "lezer0@example.nl",
        "lezer1@example.nl",
        "lezer2@example.nl",
    ];
    let failed = |id: &str, who: &str| {
        json!({
            "id": id,
            "event": "failed",
            "severity": "permanent",
            "recipient": who,
            "envelope": {"sender": sent[who].sender, "targets": who},
            "message": {"headers": {"message-id": "unknown@example.org"}},
            "delivery-status": {"code": 550, "message": "mailbox unavailable"}
        })
    };

    let refused = |body: &Value, what: &str| {
        let response = post(&server, "/webhooks/mailgun", body);
        assert_eq!(response.status, 401, "{what}: {}", response.body);
    };
    refused(
        &mailgun(failed("mg-1", a), now(), "another key"),
        "wrong key",
    );
    let mut changed = mailgun(failed("mg-1", a), now(), MAILGUN_KEY);
    changed["signature"]["token"] = json!("another token");
    refused(&changed, "token changed after signing");
    refused(
        &mailgun(failed("mg-1", a), now() - 600, MAILGUN_KEY),
        "stale",
    );
    refused(&json!({"event-data": failed("mg-1", a)}), "unsigned");
    expect_statuses(&app, &server, ["active", "active", "active"]);

    let good = mailgun(failed("mg-2", b), now(), MAILGUN_KEY);
    let response = post(&server, "/webhooks/mailgun", &good);
    assert_eq!(response.status, 200, "{}", response.body);
    expect_statuses(&app, &server, ["active", "bounced", "active"]);
    let changes = status_log(&app, b).len();
    assert_eq!(post(&server, "/webhooks/mailgun", &good).status, 200);
    assert_eq!(
        status_log(&app, b).len(),
        changes,
        "a repeat changes nothing"
    );

    let complained = json!({
        "id": "mg-3",
        "event": "complained",
        "recipient": c,
        "message": {"headers": {"message-id": sent[c].message_id.trim_matches(['<', '>'])}}
    });
    let response = post(
        &server,
        "/webhooks/mailgun",
        &mailgun(complained, now(), MAILGUN_KEY),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    expect_statuses(&app, &server, ["active", "bounced", "complained"]);
    // No SES topic: that route is off.
    assert_eq!(post(&server, "/webhooks/ses", &json!({})).status, 404);
}

#[test]
fn a_bad_topic_arn_or_certificate_host_is_named_with_its_key_and_a_list_may_come_from_the_environment()
 {
    let app = TestApp::with_config("\n[webhooks]\nses_topic_arns = [\"postbode-bounces\"]\n");
    let run = app.run(&["issue", "status"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("webhooks.ses_topic_arns"),
        "{}",
        run.stderr
    );

    let app =
        TestApp::with_config("\n[webhooks]\nses_cert_hosts = [\"https://sns.example/x.pem\"]\n");
    let run = app.run(&["issue", "status"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("webhooks.ses_cert_hosts"),
        "{}",
        run.stderr
    );

    let app = TestApp::new();
    let list = format!("{TOPIC}, {TOPIC}2");
    let settings = postbode::config::load_from(
        Some(&app.path("postbode.toml")),
        &[("POSTBODE_WEBHOOKS__SES_TOPIC_ARNS".to_owned(), list)].into(),
    )
    .expect("valid");
    assert_eq!(
        settings.webhooks.ses_topic_arns.0,
        [TOPIC.to_owned(), format!("{TOPIC}2")]
    );
    let run = app.run_with_env(
        &["issue", "status"],
        &[("POSTBODE_WEBHOOKS__SES_TOPIC_ARNS", "not-an-arn")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("POSTBODE_WEBHOOKS__SES_TOPIC_ARNS"),
        "{}",
        run.stderr
    );
}
