//! Messages from `mail::build`, signed by `mail::DkimSigner`, checked by
//! parsers that share no code with postbode: Python's dkimpy verifies the
//! DKIM signatures (RSA and Ed25519) and Python's standard `email` package
//! parses the headers and parts.
//!
//! Needs `python3` with dkimpy and PyNaCl (`pip install dkimpy pynacl`).
//! Without them each test is skipped with a line saying so, unless
//! POSTBODE_REQUIRE_ALL_TESTS=1, when it fails (tests/support/outside.rs).

#[path = "support/outside.rs"]
mod outside;

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use postbode::domain::{EmailAddress, Mailbox, SubscriberName};
use postbode::mail::{self, DkimSigner, GeneratedKey, KeyKind, Outgoing};
use serde_json::Value;

const DOMAIN: &str = "example.org";
const SUBJECT: &str = "Voorbij de pilot — één stap verder ✓";
const FROM: &str = "Redactie Één <redactie@example.org>";
const REPLY_TO: &str = "Jan de Vries <jan@example.org>";
const TO: &str = "zoe@example.nl";
const TO_NAME: &str = "Zoë d'Ancona";
const LIST_NAME: &str = "Inspiratie-nieuwsbrief Één";
const LIST_ID: &str = "nieuwsbrief.example.org";
const UNSUBSCRIBE: &str = "https://nieuws.example.org/u/AAAAAAAAACpXbqzVkVx4L0iUqHl2bGQ5";
const ARCHIVE: &str = "https://nieuws.example.org/archive";
const FEEDBACK: &str = "2026-10-voorbij-de-pilot:nieuws:postbode";
/// 2026-10-06T08:30:00Z
const DATE: i64 = 1_791_275_400;

const TEXT: &str = "Beste Zoë,\n\nVoorbij de pilot — één stap verder ✓.\n\
    Een heel lange regel die langer is dan zesenzeventig tekens, zodat quoted-printable hem moet afbreken.\n\
    \n  Ingesprongen regel met  dubbele  spaties en een tab\there.\n\nTot ziens.\n";
const HTML: &str = "<!doctype html>\n<html lang=\"nl\"><body>\n\
    <p>Beste Zoë,</p>\n<p>Voorbij de pilot &mdash; één stap verder ✓.</p>\n\
    <p style=\"margin:0 0 16px 0;font-family:Georgia,serif\">Een heel lange regel die langer is dan zesenzeventig tekens, zodat het moet afbreken.</p>\n\
    <p>Tot ziens.</p>\n</body></html>\n";

/// Reads the message at argv[1], verifies it with dkimpy against the TXT
/// record in argv[2], parses it with the stdlib and prints what it found.
const PYTHON: &str = r#"
import sys, json, email, email.policy, dkim
data = open(sys.argv[1], 'rb').read()
txt = sys.argv[2].encode()
queried = []
def dnsfunc(name, timeout=5):
    queried.append(name.decode())
    return txt
ok = dkim.verify(data, dnsfunc=dnsfunc)
msg = email.message_from_bytes(data, policy=email.policy.default)
def addresses(name):
    h = msg[name]
    return None if h is None else [[a.display_name, a.addr_spec] for a in h.addresses]
names = ['Subject', 'Message-ID', 'MIME-Version', 'List-Id', 'List-Unsubscribe',
         'List-Unsubscribe-Post', 'List-Archive', 'Feedback-ID', 'DKIM-Signature']
out = {
    'dkim': bool(ok),
    'queried': queried,
    'headers': {n: (None if msg[n] is None else str(msg[n])) for n in names},
    'counts': {n: len(msg.get_all(n) or []) for n in names + ['From', 'To', 'Reply-To', 'Date']},
    'from': addresses('From'),
    'to': addresses('To'),
    'reply_to': addresses('Reply-To'),
    'date': msg['Date'].datetime.timestamp() if msg['Date'] else None,
    'content_type': msg.get_content_type(),
    'parts': [[p.get_content_type(), p.get_content_charset(), p.get_content()]
              for p in msg.iter_parts()],
    'defects': [str(d) for d in msg.defects]
               + [str(d) for p in msg.iter_parts() for d in p.defects],
}
print(json.dumps(out))
"#;

/// True when python3 can verify DKIM here; otherwise skipped, or failed
/// under POSTBODE_REQUIRE_ALL_TESTS=1 (tests/support/outside.rs).
fn python_can_verify(kind: KeyKind) -> bool {
    match kind {
        KeyKind::Rsa2048 => outside::python_with(&["dkim"], "pip install dkimpy"),
        // PyNaCl for Ed25519.
        KeyKind::Ed25519 => outside::python_with(&["dkim", "nacl"], "pip install dkimpy pynacl"),
    }
    .is_some()
}

/// Keys are made once per test run: RSA generation is slow in debug builds.
fn key(kind: KeyKind) -> &'static GeneratedKey {
    static RSA: OnceLock<GeneratedKey> = OnceLock::new();
    static ED25519: OnceLock<GeneratedKey> = OnceLock::new();
    let (cell, selector) = match kind {
        KeyKind::Rsa2048 => (&RSA, "rsa2026"),
        KeyKind::Ed25519 => (&ED25519, "ed2026"),
    };
    cell.get_or_init(|| {
        mail::keygen(kind, DOMAIN, selector).unwrap_or_else(|e| panic!("keygen {kind:?}: {e}"))
    })
}

fn signer(kind: KeyKind) -> DkimSigner {
    let key = key(kind);
    let selector = key.dns_name.split('.').next().unwrap_or_default();
    DkimSigner::from_pem(DOMAIN, selector, &key.pem).unwrap_or_else(|e| panic!("{e}"))
}

fn parsed<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// The Message-ID of the message every test sends.
fn issue_message_id() -> String {
    let key = parsed(mail::TokenKey::new("0123456789abcdef-test-key"));
    mail::message_id(&key, "2026-10-voorbij-de-pilot", 42, "example.org")
}

/// The message every test sends: non-ASCII names, subject and bodies.
fn built_message() -> Vec<u8> {
    let from = parsed(Mailbox::parse(FROM));
    let reply_to = parsed(Mailbox::parse(REPLY_TO));
    let to = parsed(EmailAddress::parse(TO));
    let to_name = parsed(SubscriberName::parse(TO_NAME));
    let message_id = issue_message_id();
    parsed(mail::build(&Outgoing {
        from: &from,
        reply_to: &reply_to,
        to: &to,
        to_name: Some(&to_name),
        subject: SUBJECT,
        message_id: &message_id,
        date: parsed(jiff::Timestamp::from_second(DATE)),
        list_id: LIST_ID,
        list_name: LIST_NAME,
        unsubscribe_url: UNSUBSCRIBE,
        archive_url: ARCHIVE,
        feedback_id: FEEDBACK,
        html: HTML,
        text: TEXT,
    }))
}

/// Runs the Python checker on `message` with `txt` as the DNS record.
fn python_report(message: &[u8], txt: &str) -> Value {
    let dir = parsed(tempfile::tempdir());
    let path = dir.path().join("message.eml");
    parsed(std::fs::write(&path, message));
    run_python(&path, txt)
}

fn run_python(path: &Path, txt: &str) -> Value {
    let output = parsed(
        Command::new("python3")
            .arg("-c")
            .arg(PYTHON)
            .arg(path)
            .arg(txt)
            .output(),
    );
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    parsed(serde_json::from_slice(&output.stdout))
}

fn unix_lines(s: &str) -> String {
    s.replace("\r\n", "\n")
}

fn check_signed_message_with_python(kind: KeyKind) {
    if !python_can_verify(kind) {
        return;
    }
    let key = key(kind);
    let signed = parsed(signer(kind).sign(&built_message()));
    let report = python_report(&signed, &key.dns_txt);

    assert_eq!(
        report["dkim"], true,
        "dkimpy rejected the signature: {report:#}"
    );
    assert_eq!(report["queried"][0], format!("{}.", key.dns_name));
    assert_eq!(report["defects"], serde_json::json!([]), "{report:#}");

    let headers = &report["headers"];
    let expected_headers = [
        ("Subject", SUBJECT.to_owned()),
        ("Message-ID", issue_message_id()),
        ("MIME-Version", "1.0".to_owned()),
        ("List-Id", format!("{LIST_NAME} <{LIST_ID}>")),
        ("List-Unsubscribe", format!("<{UNSUBSCRIBE}>")),
        (
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click".to_owned(),
        ),
        ("List-Archive", format!("<{ARCHIVE}>")),
        ("Feedback-ID", FEEDBACK.to_owned()),
    ];
    for (name, expected) in expected_headers {
        assert_eq!(headers[name], expected.as_str(), "{name}");
    }
    for (name, count) in report["counts"].as_object().into_iter().flatten() {
        assert_eq!(count, 1, "{name} should appear exactly once");
    }
    assert_eq!(
        report["from"],
        serde_json::json!([["Redactie Één", "redactie@example.org"]])
    );
    assert_eq!(report["to"], serde_json::json!([[TO_NAME, TO]]));
    assert_eq!(
        report["reply_to"],
        serde_json::json!([["Jan de Vries", "jan@example.org"]])
    );
    assert_eq!(report["date"].as_f64(), Some(DATE as f64));

    assert_eq!(report["content_type"], "multipart/alternative");
    let parts = report["parts"].as_array().cloned().unwrap_or_default();
    assert_eq!(parts.len(), 2, "{report:#}");
    assert_eq!(parts[0][0], "text/plain");
    assert_eq!(parts[0][1], "utf-8");
    assert_eq!(unix_lines(parts[0][2].as_str().unwrap_or_default()), TEXT);
    assert_eq!(parts[1][0], "text/html");
    assert_eq!(parts[1][1], "utf-8");
    assert_eq!(unix_lines(parts[1][2].as_str().unwrap_or_default()), HTML);
}

#[test]
fn an_rsa_signed_message_verifies_with_dkimpy_and_parses_with_python_email() {
    check_signed_message_with_python(KeyKind::Rsa2048);
}

#[test]
fn an_ed25519_signed_message_verifies_with_dkimpy_and_parses_with_python_email() {
    check_signed_message_with_python(KeyKind::Ed25519);
}

#[test]
fn a_tampered_body_fails_verification() {
    for kind in [KeyKind::Rsa2048, KeyKind::Ed25519] {
        if !python_can_verify(kind) {
            continue;
        }
        let signed = parsed(signer(kind).sign(&built_message()));
        let text = String::from_utf8_lossy(&signed).into_owned();
        assert!(
            text.contains("Tot ziens."),
            "the body is not where the test expects it"
        );
        let tampered = text.replacen("Tot ziens.", "Tot ziens!", 1);
        let report = python_report(tampered.as_bytes(), &key(kind).dns_txt);
        assert_eq!(report["dkim"], false, "{kind:?}: tampered body verified");
    }
}

#[test]
fn a_tampered_header_fails_verification() {
    for kind in [KeyKind::Rsa2048, KeyKind::Ed25519] {
        if !python_can_verify(kind) {
            continue;
        }
        let signed = parsed(signer(kind).sign(&built_message()));
        let text = String::from_utf8_lossy(&signed).into_owned();
        let tampered = text.replacen(
            UNSUBSCRIBE,
            "https://evil.example.net/u/AAAAAAAAACpXbqzVkVx4",
            1,
        );
        assert_ne!(tampered, text);
        let report = python_report(tampered.as_bytes(), &key(kind).dns_txt);
        assert_eq!(report["dkim"], false, "{kind:?}: tampered header verified");
    }
}

#[test]
fn a_signature_does_not_verify_against_another_key() {
    if !python_can_verify(KeyKind::Ed25519) {
        return;
    }
    let signed = parsed(signer(KeyKind::Ed25519).sign(&built_message()));
    let other = parsed(mail::keygen(KeyKind::Ed25519, DOMAIN, "ed2026"));
    let report = python_report(&signed, &other.dns_txt);
    assert_eq!(report["dkim"], false);
}

/// Canonicalization corner cases, checked against dkimpy's own: folded and
/// oddly spaced headers, tabs and trailing spaces in the body, trailing
/// empty lines, an empty body.
#[test]
fn hand_written_messages_with_awkward_whitespace_verify_with_dkimpy() {
    if !python_can_verify(KeyKind::Ed25519) {
        return;
    }
    let messages: [&[u8]; 5] = [
        b"From: a@example.org\r\nSubject: x\r\n\r\n",
        b"From: a@example.org\r\n",
        b"From: a@example.org\r\n\r\n\r\n\r\n",
        b"FROM:  a@example.org \t\r\nSubject:\tone\r\n \t two  \r\n\tthree\r\nTo:b@example.org\r\n\r\n\
          \t leading tab\r\ntrailing   \t\r\n  \r\ninner\t\tspaces  here\r\n\r\n \r\n\r\n",
        b"From: a@example.org\r\nContent-Type: text/plain\r\n\r\nno final line end",
    ];
    let signer = signer(KeyKind::Ed25519);
    for message in messages {
        let signed = parsed(signer.sign(message));
        let report = python_report(&signed, &key(KeyKind::Ed25519).dns_txt);
        assert_eq!(
            report["dkim"],
            true,
            "dkimpy rejected:\n{}",
            String::from_utf8_lossy(&signed)
        );
    }
}
