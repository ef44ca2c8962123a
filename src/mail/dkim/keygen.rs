//! `postbode dkim keygen`: a new signing key and the DNS record that
//! publishes its public half.
//!
//! Both kinds come from aws-lc-rs and are written as PKCS#8 PEM, which
//! [`super::DkimSigner::from_pem`] and OpenSSL read, both as PKCS#8 v1
//! (what `openssl genpkey` writes): OpenSSL 3.0 refuses the v2 form of an
//! Ed25519 key that aws-lc-rs and ring write by default.

use std::fmt;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use x509_cert::der::pem::{LineEnding, encode_string};

use super::{check_dns_label, valid_domain, valid_selector};
use crate::mail::MailError;

/// Which kind of key to make.
///
/// RSA-2048 is what every receiver verifies. Ed25519 (RFC 8463) is smaller
/// and faster, but several large mailbox providers still do not verify it,
/// so on its own it leaves mail effectively unsigned there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa2048,
    Ed25519,
}

impl KeyKind {
    /// `rsa` (or `rsa2048`) and `ed25519`, as typed on the command line.
    pub fn parse(s: &str) -> Result<KeyKind, MailError> {
        match s.to_ascii_lowercase().as_str() {
            "rsa" | "rsa2048" | "rsa-2048" => Ok(KeyKind::Rsa2048),
            "ed25519" => Ok(KeyKind::Ed25519),
            _ => Err(MailError::Keygen(format!(
                "unknown key type {s:?}; use `rsa` (works everywhere) or `ed25519`"
            ))),
        }
    }
}

/// A new private key and its DNS record.
#[derive(Clone)]
pub struct GeneratedKey {
    /// The private key, PKCS#8 PEM. Store it readable only by postbode.
    pub pem: String,
    /// Where the record goes: `selector._domainkey.domain`.
    pub dns_name: String,
    /// The TXT record's text: `v=DKIM1; k=rsa; p=...` or `k=ed25519`.
    pub dns_txt: String,
}

/// Never prints the private key.
impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("pem", &"<secret>")
            .field("dns_name", &self.dns_name)
            .field("dns_txt", &self.dns_txt)
            .finish()
    }
}

impl GeneratedKey {
    /// The record as a zone-file line. DNS text strings hold at most 255
    /// bytes, and an RSA-2048 record is longer, so the text is split into
    /// several quoted strings, which resolvers join again.
    pub fn zone_file_record(&self) -> String {
        zone_file_txt(&self.dns_name, &self.dns_txt)
    }
}

/// A TXT record as a zone-file line, its text split into quoted strings of
/// at most 250 bytes (DNS allows 255 per string; resolvers join them).
pub fn zone_file_txt(name: &str, text: &str) -> String {
    let strings: Vec<String> = text
        .as_bytes()
        .chunks(250)
        .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
        .collect();
    if strings.len() == 1 {
        format!("{name}. IN TXT {}", strings[0])
    } else {
        format!("{name}. IN TXT ( {} )", strings.join(" "))
    }
}

/// Makes a new key for `selector._domainkey.domain`.
///
/// RSA generation searches for primes: about 0.1 s here, varying with luck.
pub fn keygen(kind: KeyKind, domain: &str, selector: &str) -> Result<GeneratedKey, MailError> {
    check_dns_label("dkim.domain", domain, valid_domain)?;
    check_dns_label("dkim.selector", selector, valid_selector)?;
    let (pem, k, public) = match kind {
        KeyKind::Rsa2048 => rsa_2048()?,
        KeyKind::Ed25519 => ed25519()?,
    };
    Ok(GeneratedKey {
        pem,
        dns_name: format!("{selector}._domainkey.{domain}"),
        dns_txt: format!("v=DKIM1; k={k}; p={}", STANDARD.encode(public)),
    })
}

/// PKCS#8 PEM, and the SubjectPublicKeyInfo DER that p= holds for RSA
/// (RFC 6376 §3.6.1).
fn rsa_2048() -> Result<(String, &'static str, Vec<u8>), MailError> {
    let failed = |what: &str| MailError::Keygen(what.to_owned());
    let key =
        RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| failed("RSA key generation failed"))?;
    let private = key
        .as_der()
        .map_err(|_| failed("encoding the RSA private key failed"))?;
    let public = key
        .public_key()
        .as_der()
        .map_err(|_| failed("encoding the RSA public key failed"))?;
    Ok((
        pem("RSA", private.as_ref())?,
        "rsa",
        public.as_ref().to_vec(),
    ))
}

/// PKCS#8 PEM, and the raw 32-byte public key that p= holds for Ed25519
/// (RFC 8463 §4).
fn ed25519() -> Result<(String, &'static str, Vec<u8>), MailError> {
    let document = Ed25519KeyPair::generate_pkcs8v1(&SystemRandom::new())
        .map_err(|_| MailError::Keygen("the system random generator failed".into()))?;
    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(document.as_ref())
        .map_err(|e| MailError::Keygen(format!("aws-lc-rs refused its own new key: {e}")))?;
    let public = pair.public_key().as_ref().to_vec();
    Ok((pem("Ed25519", document.as_ref())?, "ed25519", public))
}

/// `-----BEGIN PRIVATE KEY-----`, base64 in lines of 64, LF line ends.
fn pem(kind: &str, der: &[u8]) -> Result<String, MailError> {
    encode_string("PRIVATE KEY", LineEnding::LF, der)
        .map_err(|e| MailError::Keygen(format!("writing the {kind} key as PEM failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ed25519_key_has_a_raw_32_byte_public_key_in_dns() {
        let key = keygen(KeyKind::Ed25519, "example.org", "ed1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(key.dns_name, "ed1._domainkey.example.org");
        let p = key
            .dns_txt
            .strip_prefix("v=DKIM1; k=ed25519; p=")
            .unwrap_or_default();
        assert_eq!(STANDARD.decode(p).map(|b| b.len()), Ok(32));
        assert!(key.pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(!format!("{key:?}").contains("BEGIN"));
    }

    /// OpenSSL (a dev-dependency) as the independent reader: operators
    /// inspect and convert keys with it.
    #[test]
    fn openssl_reads_both_kinds_of_new_key() {
        for (kind, id) in [
            (KeyKind::Ed25519, openssl::pkey::Id::ED25519),
            (KeyKind::Rsa2048, openssl::pkey::Id::RSA),
        ] {
            let key = keygen(kind, "example.org", "s").unwrap_or_else(|e| panic!("{e}"));
            let read = openssl::pkey::PKey::private_key_from_pem(key.pem.as_bytes())
                .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert_eq!(read.id(), id);
            if kind == KeyKind::Rsa2048 {
                assert_eq!(read.bits(), 2048);
            }
        }
    }

    #[test]
    fn bad_names_are_refused_before_any_work() {
        assert!(keygen(KeyKind::Rsa2048, "example.org", "a;b").is_err());
        assert!(keygen(KeyKind::Rsa2048, "exa mple.org", "s").is_err());
        assert!(keygen(KeyKind::Rsa2048, "", "s").is_err());
    }

    #[test]
    fn key_kinds_parse_from_the_command_line() {
        assert_eq!(KeyKind::parse("RSA").ok(), Some(KeyKind::Rsa2048));
        assert_eq!(KeyKind::parse("ed25519").ok(), Some(KeyKind::Ed25519));
        assert!(KeyKind::parse("dsa").is_err());
    }

    #[test]
    fn long_records_are_split_into_dns_strings() {
        let key = GeneratedKey {
            pem: String::new(),
            dns_name: "s._domainkey.example.org".into(),
            dns_txt: format!("v=DKIM1; k=rsa; p={}", "A".repeat(392)),
        };
        let line = key.zone_file_record();
        assert!(line.starts_with("s._domainkey.example.org. IN TXT ( \""));
        assert_eq!(line.matches('"').count(), 4, "{line}");
    }
}
