//! The one crypto library: aws-lc-rs, for every hash, MAC and signature
//! postbode makes and for rustls' TLS (SMTP, IMAP, the SES webhook's
//! HTTPS fetches).
//!
//! One library instead of four (OpenSSL, ring, the `rsa` crate, RustCrypto's
//! `hmac`/`sha2`): one set of audits to follow, no system libssl to link,
//! and its RSA signs as fast as OpenSSL's and about twice as fast as ring's
//! (BENCHMARKS.md), which matters because a DKIM signature is most of a
//! message's CPU cost. DKIM's keys live in `mail/dkim/`; this file holds the
//! small pieces everything else shares.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::{constant_time, digest, hmac};
use tokio_rustls::rustls::crypto::CryptoProvider;

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}

/// An HMAC-SHA256 key, its inner and outer pads computed once, so each MAC
/// costs two compressions plus the data and no key schedule. Debug never
/// shows it.
#[derive(Clone)]
pub struct HmacSha256(hmac::Key);

impl fmt::Debug for HmacSha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacSha256(<secret>)")
    }
}

impl HmacSha256 {
    /// HMAC takes keys of any length; callers check their own minimum.
    pub fn new(key: &[u8]) -> HmacSha256 {
        HmacSha256(hmac::Key::new(hmac::HMAC_SHA256, key))
    }

    /// HMAC-SHA256(key, parts joined), without copying them together.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut context = hmac::Context::with_key(&self.0);
        for part in parts {
            context.update(part);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(context.sign().as_ref());
        out
    }

    /// Whether `tag` is the first `tag.len()` bytes of the MAC of `parts`,
    /// compared in constant time. An empty or over-long tag never matches.
    pub fn verify_truncated(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        let full = self.mac(parts);
        !tag.is_empty()
            && tag.len() <= full.len()
            && constant_time::verify_slices_are_equal(&full[..tag.len()], tag).is_ok()
    }
}

/// Two byte strings' equality in time that depends on their lengths only
/// (tokens, signatures a sender computed).
pub fn equal_in_constant_time(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// rustls' provider on aws-lc-rs, named outright for every TLS client
/// postbode builds (lettre picks it by its `aws-lc-rs` feature): the test
/// build also has ring in the tree, and with two providers rustls picks
/// none by itself.
pub fn tls_provider() -> Arc<CryptoProvider> {
    Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::hmac::Mac as _;

    #[test]
    fn sha256_of_nothing_and_of_abc_are_the_published_values() {
        let hex = |b: [u8; 32]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hmac_of_parts_is_the_hmac_crates_of_the_joined_bytes() {
        for key in [&b"k"[..], b"0123456789abcdef-test-key", &[7u8; 100]] {
            let mine = HmacSha256::new(key).mac(&[b"unsubscribe", &42i64.to_be_bytes(), b""]);
            // RustCrypto's `hmac`, what postbode used before (now a
            // dev-dependency only), as the independent check.
            let mut oracle = ::hmac::Hmac::<sha2::Sha256>::new_from_slice(key)
                .unwrap_or_else(|_| panic!("any key length"));
            oracle.update(b"unsubscribe\0\0\0\0\0\0\0\x2a");
            assert_eq!(mine[..], oracle.finalize().into_bytes()[..]);
        }
    }

    #[test]
    fn truncated_tags_match_only_the_right_prefix() {
        let key = HmacSha256::new(b"0123456789abcdef");
        let full = key.mac(&[b"x"]);
        assert!(key.verify_truncated(&[b"x"], &full[..16]));
        assert!(key.verify_truncated(&[b"x"], &full));
        assert!(!key.verify_truncated(&[b"y"], &full[..16]));
        assert!(!key.verify_truncated(&[b"x"], &full[1..17]));
        assert!(!key.verify_truncated(&[b"x"], &[]));
        assert!(!key.verify_truncated(&[b"x"], &[full.as_slice(), b"!"].concat()));
        assert!(!format!("{key:?}").contains("0123"));
    }
}
