// Signed with RustCrypto's HMAC (a dev-dependency): a second
// implementation, not the aws-lc-rs one that checks.
use hmac::{Hmac, Mac as _};
use serde_json::json;
use sha2::Sha256;

use super::*;
use crate::bounces::{Kind, classify};

const KEY: &str = "key-0123456789abcdef0123456789abcdef";

fn signed(timestamp: i64, token: &str) -> Signature {
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY.as_bytes()).expect("key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(token.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Signature {
        timestamp: timestamp.to_string(),
        token: token.into(),
        signature: hex,
    }
}

#[test]
fn a_fresh_signature_under_the_key_verifies_and_anything_else_does_not() {
    let key = MailgunKey::new(&SecretString::from(KEY)).expect("set");
    let now = 1_800_000_000;
    assert_eq!(key.verify(&signed(now, "tok"), now), Ok(()));
    assert_eq!(key.verify(&signed(now - 299, "tok"), now), Ok(()));
    assert!(key.verify(&signed(now - 301, "tok"), now).is_err(), "stale");
    assert!(
        key.verify(&signed(now + 301, "tok"), now).is_err(),
        "future"
    );

    let mut other_token = signed(now, "tok");
    other_token.token = "tok2".into();
    assert!(key.verify(&other_token, now).is_err());
    let mut flipped = signed(now, "tok");
    flipped.signature.replace_range(
        0..1,
        if flipped.signature.starts_with('0') {
            "1"
        } else {
            "0"
        },
    );
    assert!(key.verify(&flipped, now).is_err());
    let mut short = signed(now, "tok");
    short.signature.truncate(10);
    assert!(key.verify(&short, now).is_err());
    let mut not_hex = signed(now, "tok");
    not_hex.signature = "zz".repeat(32);
    assert!(key.verify(&not_hex, now).is_err());

    let other = MailgunKey::new(&SecretString::from("another-key")).expect("set");
    assert!(other.verify(&signed(now, "tok"), now).is_err());
    assert!(MailgunKey::new(&SecretString::from("  ")).is_none());
    assert!(!format!("{key:?}").contains(KEY));
}

fn failed(severity: &str, status: serde_json::Value) -> serde_json::Value {
    json!({
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "event": "failed",
        "severity": severity,
        "recipient": "lezer1@example.nl",
        "envelope": {"sender": "bounces+0123abcd@example.org", "targets": "lezer1@example.nl"},
        "message": {"headers": {"message-id": "pb.abc@example.org"}},
        "delivery-status": status
    })
}

fn kind_and_code(event: &serde_json::Value) -> (Kind, String) {
    let class = classify(&report(event).expect("an event with an id"));
    (class.kind, class.code)
}

#[test]
fn failed_events_map_onto_dsn_codes_and_complaints_onto_abuse() {
    let event = failed(
        "permanent",
        json!({"code": 550, "enhanced-code": "5.1.1", "message": "no such user"}),
    );
    let read = report(&event).expect("read");
    assert_eq!(read.key, "mailgun:G9Bn5sl1TC6nu79C8C0bwg");
    assert_eq!(read.returned_senders, ["bounces+0123abcd@example.org"]);
    assert_eq!(read.message_ids, ["pb.abc@example.org"]);
    assert_eq!(kind_and_code(&event), (Kind::Hard, "5.1.1".into()));

    let bare_550 = failed(
        "permanent",
        json!({"code": 550, "message": "mailbox unavailable"}),
    );
    assert_eq!(kind_and_code(&bare_550), (Kind::Hard, "5.1.1".into()));
    let policy = failed("permanent", json!({"code": 554, "enhanced-code": "5.7.1"}));
    assert_eq!(kind_and_code(&policy), (Kind::Failed, "5.7.1".into()));
    let suppressed = failed("permanent", json!({"code": 605}));
    assert_eq!(kind_and_code(&suppressed).0, Kind::Failed);
    let temporary = failed("temporary", json!({"code": 452, "enhanced-code": "4.2.2"}));
    assert_eq!(kind_and_code(&temporary).0, Kind::Soft);
    let temporary_5xx = failed("temporary", json!({"code": 552, "enhanced-code": "5.2.2"}));
    assert_eq!(kind_and_code(&temporary_5xx).0, Kind::Soft);

    let mut complained = failed("", json!({}));
    complained["event"] = json!("complained");
    assert_eq!(
        kind_and_code(&complained),
        (Kind::Complaint, "abuse".into())
    );
    for other in ["delivered", "opened", "clicked", "unsubscribed", "accepted"] {
        let mut event = failed("", json!({}));
        event["event"] = json!(other);
        assert!(!kind_and_code(&event).0.acts(), "{other}");
    }
    assert!(report(&json!({"event": "failed"})).is_none(), "no id");
}
