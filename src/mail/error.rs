//! The one error type of the `mail` module. Every message says what is wrong
//! and what to do about it, and none of them repeats a secret (the token key,
//! a private key) or a subscriber's address.

use std::path::PathBuf;

/// Why a token key, a message, a DKIM key or a signature could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// `secrets.token_key` is too short to make unguessable links.
    #[error(
        "secrets.token_key is {len} bytes long, but it must be at least {min} bytes; \
         set it to a long random string (for example the output of `openssl rand -base64 32`). \
         Changing it invalidates the unsubscribe links in mails already sent"
    )]
    TokenKeyTooShort { len: usize, min: usize },

    /// `secrets.previous_token_key` is set but too short.
    #[error(
        "secrets.previous_token_key is {len} bytes long, but it must be at least {min} bytes; \
         it should be the token_key used before the rotation"
    )]
    PreviousTokenKeyTooShort { len: usize, min: usize },

    /// `secrets.previous_token_key_until` is not a time.
    #[error(
        "secrets.previous_token_key_until must be an RFC 3339 time like 2027-01-31T00:00:00Z, or empty"
    )]
    PreviousTokenKeyUntil,

    /// `bounces.address` cannot carry a VERP tag.
    #[error("bounces.address: {0}")]
    BounceAddress(String),

    /// A value would break or extend a header if it were written as given.
    /// This is a bug or hostile input upstream: the domain types and the
    /// config loader should not let such a value through.
    #[error("cannot write the {header} header: {reason}")]
    Header {
        header: &'static str,
        reason: String,
    },

    /// lettre refused an address that `domain::EmailAddress` accepted.
    #[error("cannot write the {header} header: lettre rejects the address ({source})")]
    Address {
        header: &'static str,
        #[source]
        source: lettre::address::AddressError,
    },

    /// lettre could not assemble the message.
    #[error("cannot assemble the message: {0}")]
    Build(#[from] lettre::error::Error),

    /// A DKIM setting is missing or malformed.
    #[error("{setting}: {reason}")]
    DkimSetting {
        setting: &'static str,
        reason: String,
    },

    /// The DKIM key file could not be read.
    #[error(
        "cannot read the DKIM key file {path} (setting dkim.private_key_file): {source}; \
         check the path (relative paths are relative to the config file's folder) \
         and that postbode may read it"
    )]
    DkimKeyFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The PEM text does not hold a private key DKIM signing can use.
    /// `origin` names where it came from (the file and setting, or "the PEM text").
    #[error("{origin}: {reason}")]
    DkimKey { origin: String, reason: String },

    /// The message given to the signer is not a well-formed RFC 5322 message.
    #[error("cannot DKIM-sign the message: {0}")]
    DkimMessage(String),

    /// The signing operation itself failed (ring reports no detail).
    #[error(
        "DKIM signing failed inside ring; the key may be unusable: generate a new one with `postbode dkim keygen`"
    )]
    DkimSign,

    /// Generating a key pair or writing it as PEM failed.
    #[error("cannot generate a DKIM key: {0}")]
    Keygen(String),
}
