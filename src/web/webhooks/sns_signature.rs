//! Amazon SNS message signatures: the string SNS signs, the rule for where
//! its signing certificate may come from, and the check of the signature
//! with the certificate's RSA key (ring).
//!
//! SNS signs, with the key of the certificate at `SigningCertURL`, the
//! lines `NAME\nVALUE\n` of a fixed list of fields in a fixed order
//! (Notification: Message, MessageId, Subject if present, Timestamp,
//! TopicArn, Type; the confirmations: Message, MessageId, SubscribeURL,
//! Timestamp, Token, TopicArn, Type). `SignatureVersion` 1 is RSA with
//! SHA-1, 2 is RSA with SHA-256. Anyone can make a certificate, so the URL
//! decides whom we trust: https on `sns.REGION.amazonaws.com[.cn]` (TLS
//! proves the host), or a host the operator listed.

use axum::http::Uri;
use serde::Deserialize;

/// An SNS HTTP(S) message, as posted: the fields that are signed and the
/// signature. Unknown fields (`UnsubscribeURL`, attributes) are ignored.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Envelope {
    #[serde(rename = "Type")]
    pub kind: String,
    pub message_id: String,
    pub topic_arn: String,
    pub subject: Option<String>,
    pub message: String,
    pub timestamp: String,
    pub signature_version: String,
    pub signature: String,
    #[serde(rename = "SigningCertURL")]
    pub signing_cert_url: String,
    #[serde(rename = "SubscribeURL")]
    pub subscribe_url: Option<String>,
    pub token: Option<String>,
}

/// Why a message is refused (a 401).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("message type {0:?} is not one SNS signs")]
    UnknownType(String),
    #[error("a {0} lacks the field {1}")]
    MissingField(&'static str, &'static str),
    #[error("signature version {0:?} is neither 1 nor 2")]
    UnknownVersion(String),
    #[error("the signature is not base64")]
    BadEncoding,
    #[error("the URL {0:?} is not on a trusted SNS host")]
    UntrustedUrl(String),
    #[error("the certificate: {0}")]
    BadCertificate(String),
    #[error("the signature does not verify")]
    Forged,
}

/// The string SNS signs for `envelope`.
pub fn canonical(envelope: &Envelope) -> Result<String, Refusal> {
    let mut out = String::with_capacity(envelope.message.len() + 512);
    let mut line = |name: &str, value: &str| {
        out.push_str(name);
        out.push('\n');
        out.push_str(value);
        out.push('\n');
    };
    match envelope.kind.as_str() {
        "Notification" => {
            line("Message", &envelope.message);
            line("MessageId", &envelope.message_id);
            if let Some(subject) = &envelope.subject {
                line("Subject", subject);
            }
            line("Timestamp", &envelope.timestamp);
            line("TopicArn", &envelope.topic_arn);
            line("Type", &envelope.kind);
        }
        kind @ ("SubscriptionConfirmation" | "UnsubscribeConfirmation") => {
            let kind_name = if kind == "SubscriptionConfirmation" {
                "SubscriptionConfirmation"
            } else {
                "UnsubscribeConfirmation"
            };
            let subscribe_url = envelope
                .subscribe_url
                .as_deref()
                .ok_or(Refusal::MissingField(kind_name, "SubscribeURL"))?;
            let token = envelope
                .token
                .as_deref()
                .ok_or(Refusal::MissingField(kind_name, "Token"))?;
            line("Message", &envelope.message);
            line("MessageId", &envelope.message_id);
            line("SubscribeURL", subscribe_url);
            line("Timestamp", &envelope.timestamp);
            line("Token", token);
            line("TopicArn", &envelope.topic_arn);
            line("Type", &envelope.kind);
        }
        other => return Err(Refusal::UnknownType(other.to_owned())),
    }
    Ok(out)
}

/// Where certificates and confirmations may be fetched from.
#[derive(Clone, Debug, Default)]
pub struct TrustedHosts {
    /// `webhooks.ses_cert_hosts`, lowercased: `host` or `host:port`.
    extra: Vec<String>,
}

impl TrustedHosts {
    pub fn new(extra: &[String]) -> TrustedHosts {
        TrustedHosts {
            extra: extra.iter().map(|h| h.to_ascii_lowercase()).collect(),
        }
    }

    /// `url`, when it may be fetched: https on an SNS host or a listed
    /// one, or http on a listed loopback host; no user name, no fragment.
    pub fn check(&self, url: &str) -> Result<Uri, Refusal> {
        let refuse = || Refusal::UntrustedUrl(url.to_owned());
        let uri: Uri = url.parse().map_err(|_| refuse())?;
        let authority = uri
            .authority()
            .ok_or_else(refuse)?
            .as_str()
            .to_ascii_lowercase();
        if authority.contains('@') || url.contains('#') {
            return Err(refuse());
        }
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        let listed = self.extra.contains(&authority);
        let trusted = match uri.scheme_str() {
            Some("https") => listed || (uri.port().is_none() && is_sns_host(&host)),
            Some("http") => listed && is_loopback(&host),
            _ => false,
        };
        if trusted { Ok(uri) } else { Err(refuse()) }
    }
}

/// `sns.REGION.amazonaws.com` or `sns.REGION.amazonaws.com.cn`.
fn is_sns_host(host: &str) -> bool {
    let Some(rest) = host.strip_prefix("sns.") else {
        return false;
    };
    let region = rest
        .strip_suffix(".amazonaws.com")
        .or_else(|| rest.strip_suffix(".amazonaws.com.cn"));
    region.is_some_and(|r| {
        !r.is_empty()
            && r.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    })
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Checks that `envelope` was signed by the key in `public_key` (a PKCS#1
/// RSAPublicKey, as [`public_key_of`] gives).
pub fn verify(envelope: &Envelope, public_key: &[u8]) -> Result<(), Refusal> {
    use aws_lc_rs::signature::{self, UnparsedPublicKey};
    use base64::Engine as _;
    let algorithm: &dyn signature::VerificationAlgorithm = match envelope.signature_version.as_str()
    {
        "1" => &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        "2" => &signature::RSA_PKCS1_2048_8192_SHA256,
        other => return Err(Refusal::UnknownVersion(other.to_owned())),
    };
    let text = canonical(envelope)?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(envelope.signature.trim())
        .map_err(|_| Refusal::BadEncoding)?;
    UnparsedPublicKey::new(algorithm, public_key)
        .verify(text.as_bytes(), &signature)
        .map_err(|_| Refusal::Forged)
}

/// The RSA public key of the PEM certificate `pem`, when the certificate is
/// valid at `now_unix` and its key is RSA.
pub fn public_key_of(pem: &[u8], now_unix: u64) -> Result<Vec<u8>, Refusal> {
    use x509_cert::der::DecodePem as _;
    let bad = |why: &str| Refusal::BadCertificate(why.to_owned());
    let cert = x509_cert::Certificate::from_pem(pem).map_err(|_| bad("not a PEM certificate"))?;
    let tbs = &cert.tbs_certificate;
    let from = tbs.validity.not_before.to_unix_duration().as_secs();
    let until = tbs.validity.not_after.to_unix_duration().as_secs();
    if now_unix < from || now_unix > until {
        return Err(bad("not valid now"));
    }
    let spki = &tbs.subject_public_key_info;
    // rsaEncryption (RFC 8017)
    const RSA: x509_cert::spki::ObjectIdentifier =
        x509_cert::spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    if spki.algorithm.oid != RSA {
        return Err(bad("its key is not RSA"));
    }
    spki.subject_public_key
        .as_bytes()
        .map(<[u8]>::to_vec)
        .ok_or_else(|| bad("its key is not whole bytes"))
}

#[cfg(test)]
mod tests;
