//! DKIM signing (RFC 6376, with Ed25519 from RFC 8463), written by hand on
//! aws-lc-rs, postbode's one crypto library (`crate::crypto`).
//!
//! Why not a crate: lettre's `dkim` feature signs with the RustCrypto `rsa`
//! crate, 1.0 to 1.6 ms per RSA-2048 signature on the 2-core machine this
//! was written on, which caps a core at 600 to 1000 messages a second before
//! any other work; `mail-auth` brings a DNS resolver we have no use for when
//! only signing. aws-lc-rs signs RSA-2048 with its assembly code in about
//! 0.35 ms on the same machine, as fast as OpenSSL and twice as fast as ring
//! (BENCHMARKS.md; the ignored test `signing_takes_a_fraction_of_a_millisecond`
//! in `dkim/tests.rs` times postbode's own signing). What is left to write is
//! small: relaxed canonicalization, choosing the headers, and the header
//! field itself, each in its own file under `dkim/`:
//!
//! - `fields.rs`: split a message into header fields and body;
//! - `canonical.rs`: relaxed canonicalization (RFC 6376 §3.4.2, §3.4.4);
//! - `signature_header.rs`: the DKIM-Signature field, folded to 78 columns;
//! - `private_key.rs`: PEM (PKCS#8 RSA or Ed25519, PKCS#1 RSA) to key pairs;
//! - `keygen.rs`: new keys and their DNS records.
//!
//! `tests/mail_dkim.rs` checks the result with an independent verifier
//! (Python's dkimpy).

pub(super) mod canonical;
pub(super) mod fields;
mod keygen;
mod private_key;
mod signature_header;

use std::fmt;

use aws_lc_rs::rand::SystemRandom;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

pub use keygen::{GeneratedKey, KeyKind, keygen, zone_file_txt};

use super::MailError;
use crate::config::DkimSettings;
use private_key::SigningKey;
use signature_header::Tags;

/// The headers signed, in this order, when the message has them. They are
/// the ones a forger would want to change (who, what, when, where replies
/// and unsubscribes go) plus the MIME structure. Each is signed once, its
/// last instance (RFC 6376 §5.4.2).
pub const SIGNED_HEADERS: [&str; 13] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Archive",
    "Feedback-ID",
    "MIME-Version",
    "Content-Type",
];

/// Signs messages for one domain and selector with one private key.
/// Cheap to share between tasks (`Send + Sync`); load it once at start.
pub struct DkimSigner {
    domain: String,
    selector: String,
    key: SigningKey,
    rng: SystemRandom,
}

/// Shows where signatures point, never the key.
impl fmt::Debug for DkimSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DkimSigner")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("algorithm", &self.key.algorithm())
            .finish_non_exhaustive()
    }
}

impl DkimSigner {
    /// A signer for `d=domain`, `s=selector` with the PEM private key:
    /// PKCS#8 (`BEGIN PRIVATE KEY`, RSA or Ed25519) or PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`). RSA keys must have 2048 to 4096 bits.
    pub fn from_pem(domain: &str, selector: &str, pem: &str) -> Result<DkimSigner, MailError> {
        Self::load(domain, selector, pem, "the DKIM private key")
    }

    /// The signer the `[dkim]` settings describe, or `None` when signing is
    /// off (`dkim.domain` empty). Reads `dkim.private_key_file`.
    pub fn from_settings(s: &DkimSettings) -> Result<Option<DkimSigner>, MailError> {
        if !s.enabled() {
            return Ok(None);
        }
        if s.selector.is_empty() {
            return Err(MailError::DkimSetting {
                setting: "dkim.selector",
                reason: "is empty, but dkim.domain is set; set it to the selector of your DNS \
                         record (the part before `._domainkey`), or empty dkim.domain to send \
                         unsigned"
                    .into(),
            });
        }
        if s.private_key_file.as_os_str().is_empty() {
            return Err(MailError::DkimSetting {
                setting: "dkim.private_key_file",
                reason: "is empty, but dkim.domain is set; set it to the PEM file \
                         `postbode dkim keygen` wrote"
                    .into(),
            });
        }
        let path = &s.private_key_file;
        let pem = std::fs::read_to_string(path).map_err(|source| MailError::DkimKeyFile {
            path: path.clone(),
            source,
        })?;
        let origin = format!("{} (dkim.private_key_file)", path.display());
        Self::load(&s.domain, &s.selector, &pem, &origin).map(Some)
    }

    fn load(
        domain: &str,
        selector: &str,
        pem: &str,
        origin: &str,
    ) -> Result<DkimSigner, MailError> {
        check_dns_label("dkim.domain", domain, valid_domain)?;
        check_dns_label("dkim.selector", selector, valid_selector)?;
        Ok(DkimSigner {
            domain: domain.to_owned(),
            selector: selector.to_owned(),
            key: SigningKey::from_pem(pem, origin)?,
            rng: SystemRandom::new(),
        })
    }

    /// The signing domain (d=).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The selector (s=).
    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// `rsa-sha256` or `ed25519-sha256` (a=).
    pub fn algorithm(&self) -> &'static str {
        self.key.algorithm()
    }

    /// Where the public key belongs in DNS: `selector._domainkey.domain`.
    pub fn dns_name(&self) -> String {
        format!("{}._domainkey.{}", self.selector, self.domain)
    }

    /// The key's `k=` (`rsa` or `ed25519`) and the public key bytes that
    /// the DNS record's `p=` must hold (base64-decoded).
    pub fn dns_public_key(&self) -> Result<(&'static str, Vec<u8>), MailError> {
        self.key.dns_public_key()
    }

    /// The TXT record to publish at [`Self::dns_name`], as `dkim keygen`
    /// prints it: `v=DKIM1; k=rsa; p=...`.
    pub fn dns_txt(&self) -> Result<String, MailError> {
        let (k, public) = self.dns_public_key()?;
        Ok(format!("v=DKIM1; k={k}; p={}", STANDARD.encode(public)))
    }

    /// Returns `message` with a `DKIM-Signature:` header field in front,
    /// signed now (t=). The message must have CRLF line ends throughout and
    /// a From field, as [`crate::mail::build`] writes it.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, MailError> {
        self.sign_at(message, jiff::Timestamp::now())
    }

    /// [`Self::sign`] with the signing time given, for reproducible output
    /// (Ed25519 signatures are deterministic; RSA ones are too, for PKCS#1
    /// v1.5, although aws-lc-rs blinds the computation).
    pub fn sign_at(&self, message: &[u8], time: jiff::Timestamp) -> Result<Vec<u8>, MailError> {
        let parsed = fields::split(message)?;

        let mut canonical = Vec::with_capacity(parsed.body.len() + 64);
        canonical::relaxed_body(parsed.body, &mut canonical)
            .map_err(|line| fields::bare_line_end(format!("body line {line}")))?;
        let body_hash = STANDARD.encode(crate::crypto::sha256(&canonical));

        canonical.clear();
        let mut signed = Vec::with_capacity(SIGNED_HEADERS.len());
        for name in SIGNED_HEADERS {
            if let Some(field) = parsed.last(name) {
                canonical::relaxed_header(field.raw, &mut canonical);
                signed.push(name);
            }
        }
        let header = self.signature_field(canonical, &signed, &body_hash, time)?;

        let mut out = Vec::with_capacity(header.len() + message.len());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(message);
        Ok(out)
    }
}

impl DkimSigner {
    /// The DKIM-Signature field (with its CRLF) for a message whose signed
    /// header fields, in relaxed form and in the order of `signed`, are in
    /// `canonical`, and whose relaxed body hashes to `body_hash` (base64).
    /// [`Self::sign_at`] and the compiled messages of `mail::compiled`
    /// both end here.
    pub(crate) fn signature_field(
        &self,
        mut canonical: Vec<u8>,
        signed: &[&str],
        body_hash: &str,
        time: jiff::Timestamp,
    ) -> Result<String, MailError> {
        if signed.first() != Some(&"From") {
            return Err(MailError::DkimMessage(
                "the message has no From header, which DKIM must sign (RFC 6376 §5.4)".into(),
            ));
        }
        let (mut header, last_line) = signature_header::unsigned(&Tags {
            algorithm: self.key.algorithm(),
            domain: &self.domain,
            selector: &self.selector,
            timestamp: time.as_second().max(0),
            signed_headers: signed,
            body_hash,
        });
        // The signature field itself is signed with an empty b= and without
        // its final CRLF (RFC 6376 §3.7).
        canonical::relaxed_header(header.as_bytes(), &mut canonical);
        canonical.truncate(canonical.len().saturating_sub(2));
        let signature = self.key.sign(&canonical, &self.rng)?;
        signature_header::finish(&mut header, last_line, &STANDARD.encode(signature));
        Ok(header)
    }
}

/// Refuses values that would break the DKIM-Signature field or the DNS
/// name `selector._domainkey.domain`.
fn check_dns_label(
    setting: &'static str,
    value: &str,
    valid: fn(&str) -> bool,
) -> Result<(), MailError> {
    if valid(value) {
        return Ok(());
    }
    let reason = if value.is_empty() {
        "is empty".to_owned()
    } else {
        format!("{value:?} is not a valid DNS name")
    };
    Err(MailError::DkimSetting {
        setting,
        reason: format!(
            "{reason}; use letters, digits, dashes and dots (international domains in \
             punycode, like xn--bcher-kva.example)"
        ),
    })
}

fn dns_labels_ok(s: &str, extra: impl Fn(u8) -> bool) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || extra(b))
        })
}

/// A domain name with at least one dot.
fn valid_domain(s: &str) -> bool {
    s.contains('.') && dns_labels_ok(s, |_| false)
}

/// A selector: one or more DNS labels; `_` is allowed, as DNS permits it
/// in TXT owner names.
fn valid_selector(s: &str) -> bool {
    dns_labels_ok(s, |b| b == b'_')
}

#[cfg(test)]
mod tests;
