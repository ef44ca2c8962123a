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
    match published_key(expected, found) {
        Err(message) => {
            Finding::new("DKIM", name, Verdict::Fail, message).publish(expected.record.clone())
        }
        Ok(Published::Testing) => Finding::new(
            "DKIM",
            name,
            Verdict::Warn,
            "the key matches, but t=y says the domain is testing DKIM, so receivers may \
             ignore the signature; drop t=y",
        ),
        Ok(Published::Ready) => Finding::new(
            "DKIM",
            name,
            Verdict::Ok,
            format!("the published key matches {}", expected.key_file),
        ),
    }
}

/// A published record that holds our key.
enum Published {
    Ready,
    /// t=y: receivers may ignore the signature.
    Testing,
}

/// Whether `found` is one DKIM record holding our key; else why not, the
/// message of a failing finding.
fn published_key(expected: &ExpectedKey, found: &[String]) -> Result<Published, String> {
    let record = match found {
        [] => {
            return Err(format!(
                "no DKIM record, so receivers cannot verify the signatures; publish the \
                 public key of {}",
                expected.key_file
            ));
        }
        [one] => one,
        many => {
            return Err(format!(
                "{} TXT records where verifiers expect one; keep only this one",
                many.len()
            ));
        }
    };
    let tags = tags(record)
        .map_err(|reason| format!("the record does not parse ({reason}); replace it"))?;
    let tag = |name: &str| {
        tags.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    };
    check_usable(expected, &tag)?;
    let published = public_key(tag("p"))?;
    if !same_key(expected, &published) {
        return Err(format!(
            "the published key is another key, not the public half of {}: every signature \
             fails. Publish this record (or point dkim.private_key_file at the key that \
             belongs to the published one)",
            expected.key_file
        ));
    }
    if tag("t").is_some_and(|t| t.split(':').any(|f| f.trim() == "y")) {
        return Ok(Published::Testing);
    }
    Ok(Published::Ready)
}

/// The tags that decide whether a verifier may use the record for our
/// signatures at all: v=, k=, h= and s=.
fn check_usable<'a>(
    expected: &ExpectedKey,
    tag: &impl Fn(&str) -> Option<&'a str>,
) -> Result<(), String> {
    if let Some(v) = tag("v").filter(|v| *v != "DKIM1") {
        return Err(format!("the record says v={v}, not v=DKIM1; replace it"));
    }
    let k = tag("k").unwrap_or("rsa");
    if !k.eq_ignore_ascii_case(expected.kind) {
        return Err(format!(
            "the record is for a k={k} key, but {} holds a k={} key; publish its record",
            expected.key_file, expected.kind
        ));
    }
    if let Some(h) = tag("h").filter(|h| !listed(h, &["sha256"])) {
        return Err(format!(
            "the record allows only h={h}, but postbode signs with sha256; publish it without h="
        ));
    }
    if let Some(service) = tag("s").filter(|s| !listed(s, &["*", "email"])) {
        return Err(format!(
            "the record is for s={service}, not for email; publish it without s="
        ));
    }
    Ok(())
}

/// The key in p=, decoded; folded whitespace inside it is dropped.
fn public_key(p: Option<&str>) -> Result<Vec<u8>, String> {
    let Some(p) = p.map(|p| p.split_whitespace().collect::<String>()) else {
        return Err("the record has no p= (public key); publish the whole record".into());
    };
    if p.is_empty() {
        return Err("the record's p= is empty: the key is revoked (RFC 6376 §3.6.1)".into());
    }
    STANDARD
        .decode(&p)
        .map_err(|_| "the record's p= is not valid base64 (cut off?); publish it again".into())
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
