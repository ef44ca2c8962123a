//! Tokens for the links in a mail: one-click unsubscribe (`/u/TOKEN`) and,
//! later, double opt-in confirmation.
//!
//! A token is the subscriber's id plus a truncated HMAC-SHA256 over it, keyed
//! with `secrets.token_key`. That makes tokens:
//! - stateless: nothing is stored per mail, so a list of a million costs no
//!   table of a million tokens;
//! - unforgeable without the key, and checked in constant time;
//! - free of personal data: they carry the numeric id only, never the address;
//! - stable: the same subscriber gets the same unsubscribe link in every
//!   issue, so a link in an old mail keeps working until the key changes.
//!
//! Each kind of token MACs a different label (`unsubscribe`, `confirm`), so
//! one can never be replayed as the other.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::MailError;

type HmacSha256 = Hmac<Sha256>;

/// Shorter keys are guessable offline from one token.
const MIN_KEY_LEN: usize = 16;
/// 128 bits of MAC: forging one by trial takes 2^128 requests.
const MAC_LEN: usize = 16;
const ID_LEN: usize = 8;
const TIME_LEN: usize = 8;

const UNSUBSCRIBE_LABEL: &[u8] = b"unsubscribe";
const CONFIRM_LABEL: &[u8] = b"confirm";

/// A confirmation issued this far in the future (clock skew between hosts)
/// is still accepted.
const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// The HMAC key for all link tokens, from `secrets.token_key`.
///
/// Holds the keyed HMAC state rather than the key bytes, so each token costs
/// two SHA-256 compressions and no key schedule. Debug never shows it.
#[derive(Clone)]
pub struct TokenKey {
    mac: HmacSha256,
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(<secret>)")
    }
}

impl TokenKey {
    /// Takes the configured `secrets.token_key` as it is (its UTF-8 bytes).
    /// Rejects keys shorter than 16 bytes.
    pub fn new(key: &str) -> Result<TokenKey, MailError> {
        if key.len() < MIN_KEY_LEN {
            return Err(MailError::TokenKeyTooShort {
                len: key.len(),
                min: MIN_KEY_LEN,
            });
        }
        // HMAC takes keys of any length; the error branch cannot happen, but
        // mapping it keeps this function total.
        let mac = HmacSha256::new_from_slice(key.as_bytes()).map_err(|_| {
            MailError::TokenKeyTooShort {
                len: key.len(),
                min: MIN_KEY_LEN,
            }
        })?;
        Ok(TokenKey { mac })
    }

    /// The token for the one-click unsubscribe link of `subscriber_id`:
    /// base64url (no padding) of the 8-byte big-endian id and the first 16
    /// bytes of HMAC-SHA256(key, "unsubscribe" || id). Always 32 characters.
    pub fn unsubscribe_token(&self, subscriber_id: i64) -> String {
        let id = subscriber_id.to_be_bytes();
        let tag = self.tag(UNSUBSCRIBE_LABEL, &[&id]);
        let mut raw = [0u8; ID_LEN + MAC_LEN];
        raw[..ID_LEN].copy_from_slice(&id);
        raw[ID_LEN..].copy_from_slice(&tag[..MAC_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The subscriber id in a genuine unsubscribe token; `None` for anything
    /// else (wrong length, bad characters, forged or from another key).
    pub fn verify_unsubscribe(&self, token: &str) -> Option<i64> {
        let raw: [u8; ID_LEN + MAC_LEN] = decode_fixed(token)?;
        let (id, tag) = raw.split_at(ID_LEN);
        self.check(UNSUBSCRIBE_LABEL, &[id], tag)?;
        Some(i64::from_be_bytes(id.try_into().ok()?))
    }

    /// The token for a double opt-in confirmation link: like the unsubscribe
    /// token, but with the issue time inside and MACed, so it can expire.
    /// Always 43 characters.
    pub fn confirm_token(&self, subscriber_id: i64, issued_at_unix: i64) -> String {
        let id = subscriber_id.to_be_bytes();
        let issued = issued_at_unix.to_be_bytes();
        let tag = self.tag(CONFIRM_LABEL, &[&id, &issued]);
        let mut raw = [0u8; ID_LEN + TIME_LEN + MAC_LEN];
        raw[..ID_LEN].copy_from_slice(&id);
        raw[ID_LEN..ID_LEN + TIME_LEN].copy_from_slice(&issued);
        raw[ID_LEN + TIME_LEN..].copy_from_slice(&tag[..MAC_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The subscriber id in a genuine confirmation token issued at most
    /// `max_age_secs` before `now_unix` (and not more than five minutes after
    /// it, for clock skew between hosts); `None` otherwise.
    pub fn verify_confirm(&self, token: &str, now_unix: i64, max_age_secs: u64) -> Option<i64> {
        let raw: [u8; ID_LEN + TIME_LEN + MAC_LEN] = decode_fixed(token)?;
        let (id, rest) = raw.split_at(ID_LEN);
        let (issued, tag) = rest.split_at(TIME_LEN);
        self.check(CONFIRM_LABEL, &[id, issued], tag)?;
        let issued = i64::from_be_bytes(issued.try_into().ok()?);
        let age = now_unix.checked_sub(issued)?;
        let max_age = i64::try_from(max_age_secs).unwrap_or(i64::MAX);
        if age > max_age || age < -MAX_CLOCK_SKEW_SECS {
            return None;
        }
        Some(i64::from_be_bytes(id.try_into().ok()?))
    }

    fn keyed(&self, label: &[u8], parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(label);
        for part in parts {
            mac.update(part);
        }
        mac
    }

    fn tag(&self, label: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        self.keyed(label, parts).finalize().into_bytes().into()
    }

    /// Constant-time comparison of the truncated tag (hmac's own check).
    fn check(&self, label: &[u8], parts: &[&[u8]], tag: &[u8]) -> Option<()> {
        self.keyed(label, parts).verify_truncated_left(tag).ok()
    }
}

/// Decodes base64url without padding into exactly `N` bytes. The length is
/// checked before decoding, so hostile input never allocates much.
fn decode_fixed<const N: usize>(token: &str) -> Option<[u8; N]> {
    if token.len() != (N * 4).div_ceil(3) {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &str = "0123456789abcdef-test-key";

    fn key() -> TokenKey {
        match TokenKey::new(KEY) {
            Ok(key) => key,
            Err(error) => panic!("test key rejected: {error}"),
        }
    }

    #[test]
    fn a_short_key_is_rejected_with_the_setting_named() {
        let error = TokenKey::new("too short")
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert!(
            matches!(&error, Err(m) if m.contains("secrets.token_key") && m.contains("16")),
            "{error:?}"
        );
        assert!(TokenKey::new("exactly16bytes!!").is_ok());
    }

    #[test]
    fn debug_output_does_not_show_the_key() {
        let shown = format!("{:?}", key());
        assert!(!shown.contains("0123456789"), "{shown}");
    }

    #[test]
    fn an_unsubscribe_token_round_trips_for_any_id() {
        let key = key();
        for id in [0, 1, 42, -1, i64::MIN, i64::MAX, 1_234_567_890] {
            let token = key.unsubscribe_token(id);
            assert_eq!(token.len(), 32);
            assert!(
                token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
            assert_eq!(key.verify_unsubscribe(&token), Some(id), "{token}");
        }
    }

    #[test]
    fn the_token_layout_is_id_then_truncated_hmac() {
        let token = key().unsubscribe_token(7);
        let raw = URL_SAFE_NO_PAD.decode(&token).unwrap_or_default();
        assert_eq!(&raw[..8], &7i64.to_be_bytes());
        let mut mac = HmacSha256::new_from_slice(KEY.as_bytes()).unwrap_or_else(|_| panic!());
        mac.update(b"unsubscribe");
        mac.update(&7i64.to_be_bytes());
        let full = mac.finalize().into_bytes();
        assert_eq!(&raw[8..], &full[..16]);
    }

    #[test]
    fn tokens_are_stable_and_differ_per_subscriber_and_key() {
        let key = key();
        assert_eq!(key.unsubscribe_token(5), key.unsubscribe_token(5));
        assert_ne!(key.unsubscribe_token(5), key.unsubscribe_token(6));
        let other = TokenKey::new("another key of enough length").unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(key.unsubscribe_token(5), other.unsubscribe_token(5));
        assert_eq!(other.verify_unsubscribe(&key.unsubscribe_token(5)), None);
    }

    #[test]
    fn a_token_with_any_changed_character_is_refused() {
        let key = key();
        let token = key.unsubscribe_token(12345);
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let forged = String::from_utf8(bytes).unwrap_or_default();
            assert_eq!(key.verify_unsubscribe(&forged), None, "{forged}");
        }
        assert_eq!(key.verify_unsubscribe(&token[..31]), None);
        assert_eq!(key.verify_unsubscribe(&format!("{token}A")), None);
        assert_eq!(key.verify_unsubscribe(""), None);
    }

    #[test]
    fn a_token_of_one_kind_is_not_accepted_as_the_other() {
        let key = key();
        let confirm = key.confirm_token(9, 1_000);
        let unsubscribe = key.unsubscribe_token(9);
        assert_eq!(key.verify_unsubscribe(&confirm), None);
        assert_eq!(key.verify_confirm(&unsubscribe, 1_000, 3600), None);
        // Same length input for both kinds, to rule out a length check
        // doing the work the label should do.
        assert_eq!(key.verify_unsubscribe(&confirm[..32]), None);
    }

    #[test]
    fn a_confirm_token_expires() {
        let key = key();
        let token = key.confirm_token(77, 1_700_000_000);
        assert_eq!(token.len(), 43);
        assert_eq!(key.verify_confirm(&token, 1_700_000_000, 3600), Some(77));
        assert_eq!(key.verify_confirm(&token, 1_700_003_600, 3600), Some(77));
        assert_eq!(key.verify_confirm(&token, 1_700_003_601, 3600), None);
        // Issued a little in the future: clock skew, accepted.
        assert_eq!(key.verify_confirm(&token, 1_699_999_800, 3600), Some(77));
        assert_eq!(key.verify_confirm(&token, 1_699_999_000, 3600), None);
        assert_eq!(key.verify_confirm(&token, i64::MIN, u64::MAX), None);
        assert_eq!(key.verify_confirm(&token, i64::MAX, u64::MAX), Some(77));
    }

    #[test]
    fn a_confirm_token_with_a_changed_time_is_refused() {
        let key = key();
        let token = key.confirm_token(77, 1_700_000_000);
        let mut raw = URL_SAFE_NO_PAD.decode(&token).unwrap_or_default();
        raw[15] ^= 1;
        let forged = URL_SAFE_NO_PAD.encode(&raw);
        assert_eq!(key.verify_confirm(&forged, 1_700_000_000, 3600), None);
    }

    proptest! {
        #[test]
        fn verify_never_panics_on_any_string(s in any::<String>()) {
            let key = key();
            let _ = key.verify_unsubscribe(&s);
            let _ = key.verify_confirm(&s, 0, 60);
        }

        #[test]
        fn verify_refuses_random_tokens_of_the_right_shape(
            s in "[A-Za-z0-9_-]{32}",
            t in "[A-Za-z0-9_-]{43}",
        ) {
            let key = key();
            prop_assert_eq!(key.verify_unsubscribe(&s), None);
            prop_assert_eq!(key.verify_confirm(&t, 0, u64::MAX), None);
        }

        #[test]
        fn every_id_round_trips(id in any::<i64>(), at in any::<i64>()) {
            let key = key();
            prop_assert_eq!(key.verify_unsubscribe(&key.unsubscribe_token(id)), Some(id));
            prop_assert_eq!(key.verify_confirm(&key.confirm_token(id, at), at, 0), Some(id));
        }
    }
}
