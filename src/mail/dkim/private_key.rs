//! Reading a DKIM private key from PEM into an aws-lc-rs key pair.
//!
//! Accepted: PKCS#8 (`BEGIN PRIVATE KEY`) holding RSA or Ed25519, and PKCS#1
//! (`BEGIN RSA PRIVATE KEY`), which older `openssl genrsa` and many DKIM
//! guides produce. Everything else gets an error that says what the file is
//! and how to get a usable key.

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use x509_cert::der::{Reader as _, SliceReader};
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier};

use crate::mail::MailError;

const RSA_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const ED25519_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const EC_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const RSA_PSS_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");

const KEYGEN_HINT: &str = "generate a new key with `postbode dkim keygen`";

/// A key pair to sign with, from aws-lc-rs, which also checks it on load
/// (RSA: 2048 to 8192 bits, consistent components). Its assembly RSA signs
/// about as fast as OpenSSL's and twice as fast as ring's (BENCHMARKS.md),
/// and signing is most of a message's CPU cost.
pub(crate) enum SigningKey {
    Rsa(Box<RsaKeyPair>),
    Ed25519(Ed25519KeyPair),
}

impl SigningKey {
    /// Parses a PEM private key. `origin` names the source for errors (the
    /// file and setting, or "the PEM text").
    pub fn from_pem(pem: &str, origin: &str) -> Result<SigningKey, MailError> {
        let error = |reason: String| MailError::DkimKey {
            origin: origin.to_owned(),
            reason,
        };
        let (label, der) = decode_pem(pem).map_err(|reason| error(reason.to_owned()))?;
        match label {
            "PRIVATE KEY" => from_pkcs8(&der).map_err(error),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der)
                .map(|key| SigningKey::Rsa(Box::new(key)))
                .map_err(|e| error(rsa_rejected(&e))),
            "ENCRYPTED PRIVATE KEY" => Err(error(
                "the key is encrypted with a passphrase; write a decrypted copy with \
                 `openssl pkey -in KEY -out KEY.plain` and point dkim.private_key_file at it"
                    .into(),
            )),
            "EC PRIVATE KEY" => Err(error(format!(
                "this is an elliptic-curve (ECDSA) key, which DKIM does not use; {KEYGEN_HINT}"
            ))),
            "PUBLIC KEY" | "RSA PUBLIC KEY" => Err(error(
                "this is a public key; DKIM signing needs the private key \
                 (the public key goes into DNS)"
                    .into(),
            )),
            other => Err(error(format!(
                "the PEM block is a {other:?}, not a private key; {KEYGEN_HINT}"
            ))),
        }
    }

    /// The a= value.
    pub fn algorithm(&self) -> &'static str {
        match self {
            SigningKey::Rsa(_) => "rsa-sha256",
            SigningKey::Ed25519(_) => "ed25519-sha256",
        }
    }

    /// Signs the canonicalized header data: RSASSA-PKCS1-v1_5 over its
    /// SHA-256 (RFC 6376 §3.3.1), or Ed25519 over its SHA-256 (RFC 8463 §3:
    /// PureEdDSA applied to the hash, not to the data).
    pub fn sign(&self, data: &[u8], rng: &SystemRandom) -> Result<Vec<u8>, MailError> {
        match self {
            SigningKey::Rsa(key) => {
                let mut out = vec![0; key.public_modulus_len()];
                key.sign(&signature::RSA_PKCS1_SHA256, rng, data, &mut out)
                    .map_err(|_| MailError::DkimSign)?;
                Ok(out)
            }
            SigningKey::Ed25519(key) => {
                let hash = crate::crypto::sha256(data);
                Ok(key.sign(&hash).as_ref().to_vec())
            }
        }
    }

    /// The key's `k=` and the public key as a DKIM DNS record's `p=` holds
    /// it: the SubjectPublicKeyInfo DER for RSA (RFC 6376 §3.6.1), the raw
    /// 32 bytes for Ed25519 (RFC 8463 §4). For `dns check`, which compares
    /// it with what DNS publishes.
    pub fn dns_public_key(&self) -> Result<(&'static str, Vec<u8>), MailError> {
        match self {
            SigningKey::Rsa(key) => key
                .public_key()
                .as_der()
                .map(|der| ("rsa", der.as_ref().to_vec()))
                .map_err(|_| MailError::DkimMessage("cannot encode the RSA public key".into())),
            SigningKey::Ed25519(key) => Ok(("ed25519", key.public_key().as_ref().to_vec())),
        }
    }

    /// The public key as verifiers take it: the PKCS#1 RSAPublicKey for
    /// RSA (DNS holds it wrapped in a SubjectPublicKeyInfo), the raw 32
    /// bytes for Ed25519 (exactly what DNS holds).
    #[cfg(test)]
    pub fn public_key_bytes(&self) -> Vec<u8> {
        match self {
            SigningKey::Rsa(key) => key.public_key().as_ref().to_vec(),
            SigningKey::Ed25519(key) => key.public_key().as_ref().to_vec(),
        }
    }
}

fn from_pkcs8(der: &[u8]) -> Result<SigningKey, String> {
    let oid = pkcs8_algorithm(der)
        .map_err(|e| format!("the PRIVATE KEY block is not valid PKCS#8 ({e}); {KEYGEN_HINT}"))?;
    if oid == RSA_OID {
        RsaKeyPair::from_pkcs8(der)
            .map(|key| SigningKey::Rsa(Box::new(key)))
            .map_err(|e| rsa_rejected(&e))
    } else if oid == ED25519_OID {
        // "maybe_unchecked" accepts PKCS#8 v1 without the public key, which
        // is what `openssl genpkey -algorithm ed25519` writes.
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map(SigningKey::Ed25519)
            .map_err(|e| format!("the Ed25519 key is not usable ({e}); {KEYGEN_HINT}"))
    } else if oid == EC_OID {
        Err(format!(
            "this is an elliptic-curve (ECDSA) key, which DKIM does not use; {KEYGEN_HINT}"
        ))
    } else if oid == RSA_PSS_OID {
        Err(format!(
            "this is an RSA-PSS key; DKIM needs a plain RSA key (rsaEncryption); {KEYGEN_HINT}"
        ))
    } else {
        Err(format!(
            "the key's algorithm ({oid}) is neither RSA nor Ed25519; {KEYGEN_HINT}"
        ))
    }
}

/// The algorithm of a PKCS#8 PrivateKeyInfo (RFC 5208 §5: version, then
/// the AlgorithmIdentifier, then the key), so an unusable key can be named.
fn pkcs8_algorithm(der: &[u8]) -> Result<ObjectIdentifier, x509_cert::der::Error> {
    let mut reader = SliceReader::new(der)?;
    let oid = reader.sequence(|inner| {
        let _version: u8 = inner.decode()?;
        let algorithm: AlgorithmIdentifierOwned = inner.decode()?;
        inner.read_slice(inner.remaining_len())?;
        Ok(algorithm.oid)
    })?;
    reader.finish(oid)
}

fn rsa_rejected(e: &aws_lc_rs::error::KeyRejected) -> String {
    match e.to_string().as_str() {
        "TooSmall" => format!(
            "the RSA key is shorter than 2048 bits, which receivers no longer trust; {KEYGEN_HINT}"
        ),
        "TooLarge" => format!("the RSA key is longer than 8192 bits; {KEYGEN_HINT}"),
        other => format!("this RSA key is not usable ({other}); {KEYGEN_HINT}"),
    }
}

/// The label and bytes of the first PEM block in `pem`.
///
/// Written by hand rather than with `pem-rfc7468` (already in the tree
/// through `x509-cert`), because that parser is strict by design: it refuses
/// lines wrapped at 76 columns, text before the block, and CRLF files
/// edited on Windows, all of which turn up in real key files.
fn decode_pem(pem: &str) -> Result<(&str, Vec<u8>), &'static str> {
    const NOT_PEM: &str = "no `-----BEGIN ... PRIVATE KEY-----` line found; the file should be a \
                           PEM private key as `postbode dkim keygen` or openssl writes it";
    let start = pem.find("-----BEGIN ").ok_or(NOT_PEM)?;
    let rest = &pem[start + "-----BEGIN ".len()..];
    let label_end = rest.find("-----").ok_or(NOT_PEM)?;
    let label = &rest[..label_end];
    let body = &rest[label_end + "-----".len()..];
    let end_marker = format!("-----END {label}-----");
    let body_end = body
        .find(&end_marker)
        .ok_or("the PEM block has no matching -----END ...----- line; the file may be cut off")?;
    let base64: String = body[..body_end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if base64.contains(':') {
        return Err(
            "the PEM block has headers (Proc-Type/DEK-Info): the key is encrypted; \
                    decrypt it with `openssl pkey -in KEY -out KEY.plain`",
        );
    }
    let der = STANDARD
        .decode(base64)
        .map_err(|_| "the PEM block's base64 text is damaged")?;
    Ok((label, der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_are_found_in_surrounding_text_and_any_wrapping() {
        let pem = "comment\r\n-----BEGIN TEST-----\r\nAAEC\r\nAwQ=\r\n-----END TEST-----\r\n";
        assert_eq!(decode_pem(pem), Ok(("TEST", vec![0, 1, 2, 3, 4])));
    }

    #[test]
    fn broken_pem_is_refused_with_a_reason() {
        assert!(decode_pem("").is_err());
        assert!(decode_pem("-----BEGIN X-----\nAAEC\n").is_err());
        assert!(decode_pem("-----BEGIN X-----\n!!!!\n-----END X-----\n").is_err());
    }

    #[test]
    fn other_pem_blocks_get_a_helpful_error() {
        let cases = [
            ("ENCRYPTED PRIVATE KEY", "passphrase"),
            ("EC PRIVATE KEY", "elliptic-curve"),
            ("PUBLIC KEY", "public key"),
            ("CERTIFICATE", "not a private key"),
        ];
        for (label, expected) in cases {
            let pem = format!("-----BEGIN {label}-----\nAAEC\n-----END {label}-----\n");
            match SigningKey::from_pem(&pem, "key.pem") {
                Ok(_) => panic!("{label} accepted"),
                Err(e) => {
                    let e = e.to_string();
                    assert!(e.starts_with("key.pem: ") && e.contains(expected), "{e}");
                }
            }
        }
    }

    #[test]
    fn garbage_in_a_private_key_block_is_refused() {
        let pem = "-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n";
        assert!(SigningKey::from_pem(pem, "x").is_err());
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nAAEC\n-----END RSA PRIVATE KEY-----\n";
        assert!(SigningKey::from_pem(pem, "x").is_err());
    }
}
