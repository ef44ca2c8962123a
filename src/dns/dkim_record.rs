//! The DKIM check: the TXT record at `selector._domainkey.domain` must be
//! one DKIM key record (RFC 6376 §3.6.1) holding the public half of
//! `dkim.private_key_file`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::finding::{Finding, TxtRecord, Verdict};

/// The signing key as DNS should publish it.
#[derive(Debug, Clone)]
pub struct ExpectedKey {
    /// `selector._domainkey.domain`, and the record `dkim keygen` prints.
    pub record: TxtRecord,
    /// `rsa` or `ed25519`.
    pub kind: &'static str,
    /// What `p=` must decode to.
    pub public_key: Vec<u8>,
    /// The private key file, named in the messages.
    pub key_file: String,
}

/// Judges the TXT records found at the DKIM name.
pub fn check(expected: &ExpectedKey, found: &[String]) -> Finding {
    let name = expected.record.name.as_str();
    let fail = |message: String| {
        Finding::new("DKIM", name, Verdict::Fail, message).publish(expected.record.clone())
    };
    let record = match found {
        [] => {
            return fail(format!(
                "no DKIM record, so receivers cannot verify the signatures; publish the \
                 public key of {}",
                expected.key_file
            ));
        }
        [one] => one,
        many => {
            return fail(format!(
                "{} TXT records where verifiers expect one; keep only this one",
                many.len()
            ));
        }
    };
    let tags = match tags(record) {
        Ok(tags) => tags,
        Err(reason) => return fail(format!("the record does not parse ({reason}); replace it")),
    };
    let tag = |name: &str| {
        tags.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(v) = tag("v").filter(|v| *v != "DKIM1") {
        return fail(format!("the record says v={v}, not v=DKIM1; replace it"));
    }
    let k = tag("k").unwrap_or("rsa");
    if !k.eq_ignore_ascii_case(expected.kind) {
        return fail(format!(
            "the record is for a k={k} key, but {} holds a k={} key; publish its record",
            expected.key_file, expected.kind
        ));
    }
    if let Some(h) = tag("h").filter(|h| !listed(h, &["sha256"])) {
        return fail(format!(
            "the record allows only h={h}, but postbode signs with sha256; publish it without h="
        ));
    }
    if let Some(service) = tag("s").filter(|s| !listed(s, &["*", "email"])) {
        return fail(format!(
            "the record is for s={service}, not for email; publish it without s="
        ));
    }
    let Some(p) = tag("p").map(|p| p.split_whitespace().collect::<String>()) else {
        return fail("the record has no p= (public key); publish the whole record".into());
    };
    if p.is_empty() {
        return fail("the record's p= is empty: the key is revoked (RFC 6376 §3.6.1)".into());
    }
    let Ok(published) = STANDARD.decode(&p) else {
        return fail("the record's p= is not valid base64 (cut off?); publish it again".into());
    };
    if !same_key(expected, &published) {
        return fail(format!(
            "the published key is another key, not the public half of {}: every signature \
             fails. Publish this record (or point dkim.private_key_file at the key that \
             belongs to the published one)",
            expected.key_file
        ));
    }
    if tag("t").is_some_and(|t| t.split(':').any(|f| f.trim() == "y")) {
        return Finding::new(
            "DKIM",
            name,
            Verdict::Warn,
            "the key matches, but t=y says the domain is testing DKIM, so receivers may \
             ignore the signature; drop t=y",
        );
    }
    Finding::new(
        "DKIM",
        name,
        Verdict::Ok,
        format!("the published key matches {}", expected.key_file),
    )
}

/// Whether `published` (p= decoded) is our key. For RSA, DNS should hold
/// the SubjectPublicKeyInfo, but some guides publish the bare PKCS#1
/// RSAPublicKey, which most verifiers accept too: that is the end of the
/// SubjectPublicKeyInfo (its BIT STRING's content after the unused-bits
/// byte), so it matches as a suffix.
fn same_key(expected: &ExpectedKey, published: &[u8]) -> bool {
    published == expected.public_key.as_slice()
        || (expected.kind == "rsa"
            && published.len() > 64
            && expected.public_key.ends_with(published))
}

/// Whether the colon-separated list `value` (h=, s=) holds one of `wanted`.
fn listed(value: &str, wanted: &[&str]) -> bool {
    value
        .split(':')
        .any(|item| wanted.iter().any(|w| item.trim().eq_ignore_ascii_case(w)))
}

/// `tag=value` pairs separated by `;` (RFC 6376 §3.2), names as written.
fn tags(record: &str) -> Result<Vec<(&str, String)>, String> {
    record
        .split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| match t.split_once('=') {
            Some((name, value)) => Ok((name.trim(), value.trim().to_owned())),
            None => Err(format!("{t:?} is not tag=value")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> ExpectedKey {
        ExpectedKey {
            record: TxtRecord::new("s1._domainkey.example.org", "v=DKIM1; k=ed25519; p=AAEC"),
            kind: "ed25519",
            public_key: vec![0, 1, 2],
            key_file: "dkim-s1.pem".into(),
        }
    }

    #[test]
    fn the_matching_key_passes_whatever_the_spacing() {
        let f = check(&expected(), &["v=DKIM1;k=ed25519 ; p= AA EC".into()]);
        assert_eq!(f.verdict, Verdict::Ok, "{f:?}");
    }

    #[test]
    fn another_key_fails_with_the_record_to_publish() {
        let f = check(&expected(), &["v=DKIM1; k=ed25519; p=AAED".into()]);
        assert_eq!(f.verdict, Verdict::Fail);
        assert!(f.message.contains("another key"), "{}", f.message);
        assert_eq!(f.publish, Some(expected().record));
    }

    #[test]
    fn missing_revoked_doubled_and_wrong_kind_fail() {
        for found in [
            vec![],
            vec!["v=DKIM1; k=ed25519; p=".to_owned()],
            vec!["v=DKIM1; k=ed25519; p=AAEC".to_owned(); 2],
            vec!["v=DKIM1; p=AAEC".to_owned()],
            vec!["v=spf1 -all".to_owned()],
        ] {
            assert_eq!(
                check(&expected(), &found).verdict,
                Verdict::Fail,
                "{found:?}"
            );
        }
    }

    #[test]
    fn a_record_for_other_hashes_or_services_fails() {
        for record in [
            "v=DKIM1; k=ed25519; h=sha1; p=AAEC",
            "v=DKIM1; k=ed25519; s=tlsrpt; p=AAEC",
        ] {
            assert_eq!(
                check(&expected(), &[record.into()]).verdict,
                Verdict::Fail,
                "{record}"
            );
        }
        let fine = "v=DKIM1; k=ed25519; h=sha1:sha256; s=email; p=AAEC";
        assert_eq!(check(&expected(), &[fine.into()]).verdict, Verdict::Ok);
    }

    #[test]
    fn testing_mode_warns() {
        let f = check(&expected(), &["v=DKIM1; k=ed25519; t=y; p=AAEC".into()]);
        assert_eq!(f.verdict, Verdict::Warn);
    }
}
