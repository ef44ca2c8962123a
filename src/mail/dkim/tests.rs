//! Unit tests for the signer. The independent check (dkimpy) lives in
//! `tests/mail_dkim.rs`; here a small verifier on ring (a dev-dependency,
//! not the aws-lc-rs that signs) checks the pieces fit, so a mistake shows
//! up even where Python is missing.

use ring::signature::{self, UnparsedPublicKey};

use super::*;
use crate::config::DkimSettings;

const RSA_PKCS1: &str = include_str!("testdata/rsa2048-pkcs1.pem");
const RSA_PKCS8: &str = include_str!("testdata/rsa2048-pkcs8.pem");
const ED25519_OPENSSL: &str = include_str!("testdata/ed25519-openssl.pem");
const RSA_1024: &str = include_str!("testdata/rsa1024-pkcs8.pem");

const MESSAGE: &[u8] = b"From: Redactie <redactie@example.org>\r\n\
To: =?utf-8?b?Wm/DqyBkJ0FuY29uYQ==?= <zoe@example.nl>\r\n\
Subject: =?utf-8?b?Vm9vcmJpaiBkZSBwaWxvdCDigJQgw6nDqW4gc3RhcA==?=\r\n \
=?utf-8?b?IHZlcmRlciDinJM=?=\r\n\
Date: Tue, 22 Sep 2026 10:00:00 +0000\r\n\
Message-ID: <pb.slug.42@example.org>\r\n\
X-Unsigned: not in h=\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Hallo  Zo\xc3\xab, \t\r\n\r\nTot ziens.\r\n\r\n\r\n";

fn signer(pem: &str) -> DkimSigner {
    DkimSigner::from_pem("example.org", "postbode", pem).unwrap_or_else(|e| panic!("{e}"))
}

fn at() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_790_000_000).unwrap_or_default()
}

fn sign(signer: &DkimSigner, message: &[u8]) -> Vec<u8> {
    signer
        .sign_at(message, at())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The DKIM-Signature field's tags, unfolded, whitespace removed from values.
fn tags_of(signed: &[u8]) -> Vec<(String, String)> {
    let Ok(fields) = fields::split(signed) else {
        panic!("signed message does not split")
    };
    let raw = String::from_utf8_lossy(fields.fields[0].raw).into_owned();
    let value = raw.split_once(':').map(|(_, v)| v).unwrap_or_default();
    value
        .split(';')
        .filter_map(|tag| tag.split_once('='))
        .map(|(k, v)| {
            let clean = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect();
            (clean(k), clean(v))
        })
        .collect()
}

fn tag(signed: &[u8], name: &str) -> String {
    tags_of(signed)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// A verifier in the way RFC 6376 §6.1.3 describes, built on the same
/// canonicalization code but on its own reading of the signed message.
fn verifies(signed: &[u8], signer: &DkimSigner) -> bool {
    let Ok(fields) = fields::split(signed) else {
        return false;
    };
    let dkim = fields.fields[0];
    if !dkim.name.eq_ignore_ascii_case(b"DKIM-Signature") {
        return false;
    }
    let mut body = Vec::new();
    if canonical::relaxed_body(fields.body, &mut body).is_err() {
        return false;
    }
    let bh = STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, &body));
    if tag(signed, "bh") != bh {
        return false;
    }
    let mut data = Vec::new();
    for name in tag(signed, "h").split(':') {
        // The DKIM-Signature field is first, so `last` skips over it.
        if let Some(field) = fields.fields[1..]
            .iter()
            .rev()
            .find(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
        {
            canonical::relaxed_header(field.raw, &mut data);
        }
    }
    // The signature field with the b= value (and its folding) removed.
    let raw = dkim.raw;
    let Some(b_start) = raw
        .windows(3)
        .rposition(|w| (w[0] == b' ' || w[0] == b'\t') && &w[1..] == b"b=")
    else {
        return false;
    };
    canonical::relaxed_header(&raw[..b_start + 3], &mut data);
    data.truncate(data.len() - 2);
    let Ok(sig) = STANDARD.decode(tag(signed, "b")) else {
        return false;
    };
    let public = signer.key.public_key_bytes();
    match &signer.key {
        SigningKey::Rsa { .. } => {
            UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &public)
                .verify(&data, &sig)
                .is_ok()
        }
        SigningKey::Ed25519(_) => {
            let hash = ring::digest::digest(&ring::digest::SHA256, &data);
            UnparsedPublicKey::new(&signature::ED25519, &public)
                .verify(hash.as_ref(), &sig)
                .is_ok()
        }
    }
}

#[test]
fn an_rsa_signature_verifies_and_names_the_algorithm() {
    let signer = signer(RSA_PKCS1);
    let signed = sign(&signer, MESSAGE);
    assert!(verifies(&signed, &signer));
    assert_eq!(tag(&signed, "a"), "rsa-sha256");
    assert_eq!(tag(&signed, "b").len(), 344, "RSA-2048 gives 256 bytes");
    assert!(signed.ends_with(MESSAGE));
}

#[test]
fn an_ed25519_signature_verifies_and_names_the_algorithm() {
    let signer = signer(ED25519_OPENSSL);
    let signed = sign(&signer, MESSAGE);
    assert!(verifies(&signed, &signer));
    assert_eq!(tag(&signed, "a"), "ed25519-sha256");
    assert_eq!(sign(&signer, MESSAGE), signed, "Ed25519 is deterministic");
}

#[test]
fn a_changed_body_or_header_no_longer_verifies() {
    for pem in [RSA_PKCS8, ED25519_OPENSSL] {
        let signer = signer(pem);
        let signed = sign(&signer, MESSAGE);
        let text = String::from_utf8_lossy(&signed).into_owned();
        let body_changed = text.replace("Tot ziens", "Tot ziens!");
        let header_changed = text.replace("Date: Tue", "Date: Wed");
        let unsigned_changed = text.replace("not in h=", "changed");
        assert!(!verifies(body_changed.as_bytes(), &signer));
        assert!(!verifies(header_changed.as_bytes(), &signer));
        assert!(verifies(unsigned_changed.as_bytes(), &signer));
    }
}

#[test]
fn whitespace_changes_relaxed_allows_still_verify() {
    let signer = signer(RSA_PKCS1);
    let signed = sign(&signer, MESSAGE);
    let text = String::from_utf8_lossy(&signed).into_owned();
    let respaced = text
        .replace("Message-ID: <pb", "message-id:   <pb")
        .replace("Hallo  Zo", "Hallo Zo")
        .replace("Tot ziens.\r\n", "Tot ziens.  \r\n\r\n");
    assert!(verifies(respaced.as_bytes(), &signer));
}

#[test]
fn only_present_headers_are_signed_in_the_fixed_order() {
    let signed = sign(&signer(ED25519_OPENSSL), MESSAGE);
    assert_eq!(
        tag(&signed, "h"),
        "From:To:Subject:Date:Message-ID:MIME-Version:Content-Type"
    );
    for (name, expected) in [
        ("v", "1"),
        ("c", "relaxed/relaxed"),
        ("d", "example.org"),
        ("s", "postbode"),
        ("t", "1790000000"),
    ] {
        assert_eq!(tag(&signed, name), expected, "{name}=");
    }
}

#[test]
fn the_signature_field_is_folded_to_78_columns_and_comes_first() {
    let signed = sign(&signer(RSA_PKCS1), MESSAGE);
    let text = String::from_utf8_lossy(&signed).into_owned();
    assert!(text.starts_with("DKIM-Signature: v=1; a=rsa-sha256;"));
    let header_end = text.find("\r\nFrom:").unwrap_or(0);
    assert!(header_end > 0);
    for line in text[..header_end].split("\r\n") {
        assert!(line.len() <= 78, "{line:?} is {} long", line.len());
    }
}

#[test]
fn the_body_hash_of_an_empty_body_is_that_of_nothing() {
    let signer = signer(ED25519_OPENSSL);
    for message in [
        &b"From: a@example.org\r\n\r\n"[..],
        b"From: a@example.org\r\n\r\n\r\n\r\n",
        b"From: a@example.org\r\n",
    ] {
        let signed = sign(&signer, message);
        assert_eq!(
            tag(&signed, "bh"),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert!(verifies(&signed, &signer));
    }
}

#[test]
fn pkcs1_and_pkcs8_of_one_key_load_as_the_same_key() {
    let a = signer(RSA_PKCS1);
    let b = signer(RSA_PKCS8);
    assert_eq!(a.key.public_key_bytes(), b.key.public_key_bytes());
    assert_eq!(sign(&a, MESSAGE), sign(&b, MESSAGE));
}

#[test]
fn keys_from_keygen_load_back() {
    let key = keygen(KeyKind::Ed25519, "example.org", "s").unwrap_or_else(|e| panic!("{e}"));
    let signer = signer(&key.pem);
    let p = key.dns_txt.rsplit("p=").next().unwrap_or_default();
    assert_eq!(STANDARD.encode(signer.key.public_key_bytes()), p);
    assert!(verifies(&sign(&signer, MESSAGE), &signer));
}

#[test]
fn a_loaded_key_gives_the_dns_record_keygen_printed() {
    // keygen encodes the public key with the rsa crate (RSA) or ring
    // (Ed25519); a loaded key with OpenSSL or ring: `dns check` compares
    // the two, so they must agree byte for byte.
    for kind in [KeyKind::Ed25519, KeyKind::Rsa2048] {
        let key = keygen(kind, "example.org", "s1").unwrap_or_else(|e| panic!("{e}"));
        let loaded =
            DkimSigner::from_pem("example.org", "s1", &key.pem).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.dns_name(), key.dns_name);
        assert_eq!(loaded.dns_txt().ok(), Some(key.dns_txt), "{kind:?}");
    }
    // And PKCS#1 files give the same record as PKCS#8 ones.
    assert_eq!(
        signer(RSA_PKCS1).dns_txt().ok(),
        signer(RSA_PKCS8).dns_txt().ok()
    );
}

#[test]
fn a_short_rsa_key_is_refused_with_advice() {
    match DkimSigner::from_pem("example.org", "s", RSA_1024) {
        Ok(_) => panic!("1024-bit key accepted"),
        Err(e) => {
            let e = e.to_string();
            assert!(e.contains("2048") && e.contains("keygen"), "{e}");
        }
    }
}

#[test]
fn messages_that_would_change_in_transit_are_refused() {
    let signer = signer(ED25519_OPENSSL);
    let cases: [(&[u8], &str); 4] = [
        (
            b"From: a@example.org\nSubject: x\n\nbody\n",
            "bare CR or LF",
        ),
        (b"From: a@example.org\r\n\r\nline\rend\r\n", "bare CR or LF"),
        (b"From: a@example.org\r\n\r\nline\nend\r\n", "body line 1"),
        (b"Subject: x\r\n\r\nbody\r\n", "no From"),
    ];
    for (message, expected) in cases {
        match signer.sign(message) {
            Ok(_) => panic!("{:?} was signed", String::from_utf8_lossy(message)),
            Err(e) => assert!(e.to_string().contains(expected), "{e}"),
        }
    }
}

#[test]
fn domains_and_selectors_that_could_inject_tags_are_refused() {
    for (domain, selector) in [
        ("example.org; s=evil", "s"),
        ("example.org", "s; d=evil.org"),
        ("example.org\r\nBcc: x", "s"),
        ("example", "s"),
        ("example.org", ""),
        ("bücher.example", "s"),
        ("example..org", "s"),
    ] {
        assert!(
            DkimSigner::from_pem(domain, selector, ED25519_OPENSSL).is_err(),
            "{domain:?} {selector:?}"
        );
    }
    assert!(DkimSigner::from_pem("mail.example.org", "pb_2026.x", ED25519_OPENSSL).is_ok());
}

#[test]
fn debug_output_shows_no_key() {
    let shown = format!("{:?}", signer(RSA_PKCS1));
    assert!(shown.contains("example.org") && shown.contains("rsa-sha256"));
    assert!(!shown.contains("BEGIN") && shown.len() < 200, "{shown}");
}

fn settings(domain: &str, selector: &str, file: &std::path::Path) -> DkimSettings {
    DkimSettings {
        domain: domain.into(),
        selector: selector.into(),
        private_key_file: file.to_path_buf(),
    }
}

#[test]
fn settings_without_a_domain_mean_no_signing() {
    let loaded = DkimSigner::from_settings(&DkimSettings::default());
    assert!(matches!(loaded, Ok(None)));
}

#[test]
fn settings_load_the_key_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("dkim.pem");
    std::fs::write(&path, ED25519_OPENSSL).unwrap_or_else(|e| panic!("{e}"));
    let loaded = DkimSigner::from_settings(&settings("example.org", "s", &path));
    assert!(
        matches!(&loaded, Ok(Some(s)) if s.algorithm() == "ed25519-sha256"),
        "{loaded:?}"
    );
}

#[test]
fn setting_errors_name_the_file_and_the_setting() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let missing = dir.path().join("missing.pem");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a key").unwrap_or_else(|e| panic!("{e}"));
    let cases = [
        (
            settings("example.org", "s", &missing),
            vec!["missing.pem", "dkim.private_key_file"],
        ),
        (
            settings("example.org", "s", &garbage),
            vec!["garbage.pem", "dkim.private_key_file", "BEGIN"],
        ),
        (settings("example.org", "", &garbage), vec!["dkim.selector"]),
        (
            settings("example.org", "s", std::path::Path::new("")),
            vec!["dkim.private_key_file"],
        ),
        (settings("example org", "s", &garbage), vec!["dkim.domain"]),
    ];
    for (s, expected) in cases {
        match DkimSigner::from_settings(&s) {
            Ok(_) => panic!("{s:?} accepted"),
            Err(e) => {
                let e = e.to_string();
                for part in expected {
                    assert!(e.contains(part), "{e:?} lacks {part:?}");
                }
            }
        }
    }
}

/// `cargo test --release --lib mail::dkim -- --ignored --nocapture`
#[test]
#[ignore = "timing; run in release mode"]
fn signing_takes_a_fraction_of_a_millisecond() {
    let f = crate::mail::message::tests::fixture();
    let (html, text) = crate::mail::message::tests::sample_issue();
    let outgoing = crate::mail::message::tests::outgoing(&f);
    let message = crate::mail::build(&crate::mail::Outgoing {
        html: &html,
        text: &text,
        ..outgoing
    })
    .unwrap_or_else(|e| panic!("{e}"));
    for pem in [RSA_PKCS1, ED25519_OPENSSL] {
        let signer = signer(pem);
        let rounds = 1000;
        let start = std::time::Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(sign(&signer, &message));
        }
        println!(
            "sign {}: {:?} per message of {} bytes",
            signer.algorithm(),
            start.elapsed() / rounds,
            message.len()
        );
    }
}

proptest::proptest! {
    #[test]
    fn signing_never_panics_and_whatever_it_signs_verifies(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        text in "[ -~\t\r\n\u{e9}]{0,300}",
        subject in "[ -~\t\u{e9}]{0,100}",
        lines in proptest::collection::vec("[ -~\t\u{e9}]{0,40}", 0..12),
    ) {
        let signer = signer(ED25519_OPENSSL);
        let with_from = format!("From: a@example.org\r\n{text}").into_bytes();
        let well_formed = format!(
            "From: a@example.org\r\nSubject: {subject}\r\n\r\n{}",
            lines.join("\r\n")
        )
        .into_bytes();
        let must_sign = well_formed.clone();
        proptest::prop_assert!(signer.sign_at(&must_sign, at()).is_ok());
        for message in [bytes, with_from, well_formed] {
            if let Ok(signed) = signer.sign_at(&message, at()) {
                proptest::prop_assert!(
                    verifies(&signed, &signer),
                    "{:?}",
                    String::from_utf8_lossy(&signed)
                );
            }
        }
    }
}

/// The b= values OpenSSL (RSA) and ring (Ed25519) gave for this message
/// before postbode signed with aws-lc-rs (2026-11-30). Both schemes are
/// deterministic, so the same key must give the very same bytes.
#[test]
fn signatures_are_byte_for_byte_those_of_the_earlier_libraries() {
    const RSA_B: &str = "fBLiSV6L8EhdbmQbkZ2D64OUfWIpoJRWkd8wBHK2JKzDQARLKMUv/WW6uQ4Y1C7ZrRpLMhhMcqOBjDSGlFE1U0U4HgCPWkuFYbT0an021vGHPZDvXee3oRbKJvn7W4wfuXFIyCgrb80vX4wOzg/fsa3WgLKF+LzidFOk7li46itKZ5TaotfjiywmEJenx/6EGc81il6rrlwrT2FuPHUS4THwLlw5txUCZsJlaCyZ5U1fvkkWVjEILisdFaiA9tKLXpBeEOh86lxZCzQITKpc50hDr1WDzyryuK8IXdeP3A7lztbGnDtccgEOo0t8XeVMggA4qGDt8+R/Ve4bu8RUQQ==";
    const ED25519_B: &str =
        "vdxnoQMAd7YXyThsFbqVzJUmmKBsMearLDYEXF+udm/oB2FTMdfYpaBnpAvs9Xv6ZbdzkDJjSVr9tkUaVfkfAw==";
    assert_eq!(tag(&sign(&signer(RSA_PKCS1), MESSAGE), "b"), RSA_B);
    assert_eq!(tag(&sign(&signer(RSA_PKCS8), MESSAGE), "b"), RSA_B);
    assert_eq!(
        tag(&sign(&signer(ED25519_OPENSSL), MESSAGE), "b"),
        ED25519_B
    );
}
