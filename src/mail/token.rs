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
//!
//! Rotation: tokens are always made with the current key. A previous key
//! (`secrets.previous_token_key`) is still accepted until its deadline
//! (`secrets.previous_token_key_until`), so links in mail sent before the
//! rotation keep working for a while.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use super::MailError;
use crate::config::SecretsSettings;

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
    /// The key before the last rotation: checked, never used to make tokens.
    previous: Option<PreviousKey>,
}

#[derive(Clone)]
struct PreviousKey {
    mac: HmacSha256,
    /// Unix seconds after which it is refused; `None`: no deadline.
    until_unix: Option<i64>,
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
        let too_short = || MailError::TokenKeyTooShort {
            len: key.len(),
            min: MIN_KEY_LEN,
        };
        if key.len() < MIN_KEY_LEN {
            return Err(too_short());
        }
        // HMAC takes keys of any length; the error branch cannot happen, but
        // mapping it keeps this function total.
        let mac = HmacSha256::new_from_slice(key.as_bytes()).map_err(|_| too_short())?;
        Ok(TokenKey {
            mac,
            previous: None,
        })
    }

    /// Also accepts tokens made with `previous` (the key before a
    /// rotation) until `until_unix` (inclusive; `None`: no deadline).
    /// Rejects a previous key shorter than 16 bytes, like [`TokenKey::new`].
    pub fn with_previous(
        mut self,
        previous: &str,
        until_unix: Option<i64>,
    ) -> Result<TokenKey, MailError> {
        let too_short = || MailError::PreviousTokenKeyTooShort {
            len: previous.len(),
            min: MIN_KEY_LEN,
        };
        if previous.len() < MIN_KEY_LEN {
            return Err(too_short());
        }
        let mac = HmacSha256::new_from_slice(previous.as_bytes()).map_err(|_| too_short())?;
        self.previous = Some(PreviousKey { mac, until_unix });
        Ok(self)
    }

    /// The keys from `[secrets]`: `token_key`, plus `previous_token_key`
    /// until `previous_token_key_until` when it is set.
    pub fn from_settings(secrets: &SecretsSettings) -> Result<TokenKey, MailError> {
        let key = TokenKey::new(secrets.token_key.expose_secret())?;
        let previous = secrets.previous_token_key.expose_secret();
        if previous.is_empty() {
            return Ok(key);
        }
        // The config loader has checked the deadline already; a bad one
        // here would be a bug, and refusing the old key is the safe side.
        let until = secrets
            .previous_token_key_until()
            .map_err(|_| MailError::PreviousTokenKeyUntil)?;
        key.with_previous(previous, until.map(|t| t.as_second()))
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
        self.verify_unsubscribe_at(token, jiff::Timestamp::now().as_second())
    }

    /// Like [`TokenKey::verify_unsubscribe`] at the time `now_unix`, which
    /// decides whether the previous key is still accepted.
    pub fn verify_unsubscribe_at(&self, token: &str, now_unix: i64) -> Option<i64> {
        let raw: [u8; ID_LEN + MAC_LEN] = decode_fixed(token)?;
        let (id, tag) = raw.split_at(ID_LEN);
        self.check(UNSUBSCRIBE_LABEL, &[id], tag, now_unix)?;
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
        self.verify_confirm_issued(token, now_unix, max_age_secs)
            .map(|(id, _)| id)
    }

    /// Like [`TokenKey::verify_confirm`], with the time the link was
    /// issued (Unix seconds): a link older than the person's last status
    /// change is stale.
    pub fn verify_confirm_issued(
        &self,
        token: &str,
        now_unix: i64,
        max_age_secs: u64,
    ) -> Option<(i64, i64)> {
        let raw: [u8; ID_LEN + TIME_LEN + MAC_LEN] = decode_fixed(token)?;
        let (id, rest) = raw.split_at(ID_LEN);
        let (issued, tag) = rest.split_at(TIME_LEN);
        self.check(CONFIRM_LABEL, &[id, issued], tag, now_unix)?;
        let issued = i64::from_be_bytes(issued.try_into().ok()?);
        let age = now_unix.checked_sub(issued)?;
        let max_age = i64::try_from(max_age_secs).unwrap_or(i64::MAX);
        if age > max_age || age < -MAX_CLOCK_SKEW_SECS {
            return None;
        }
        Some((i64::from_be_bytes(id.try_into().ok()?), issued))
    }

    fn tag(&self, label: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        keyed(&self.mac, label, parts)
            .finalize()
            .into_bytes()
            .into()
    }

    /// Constant-time comparison of the truncated tag (hmac's own check),
    /// under the current key, then under the previous one while it is
    /// accepted at `now_unix`. Trying the second key only after the first
    /// fails tells a timing observer at most which key made a genuine
    /// token, nothing about the keys.
    fn check(&self, label: &[u8], parts: &[&[u8]], tag: &[u8], now_unix: i64) -> Option<()> {
        if keyed(&self.mac, label, parts)
            .verify_truncated_left(tag)
            .is_ok()
        {
            return Some(());
        }
        let previous = self.previous.as_ref()?;
        if previous.until_unix.is_some_and(|until| now_unix > until) {
            return None;
        }
        keyed(&previous.mac, label, parts)
            .verify_truncated_left(tag)
            .ok()
    }
}

fn keyed(key: &HmacSha256, label: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    let mut mac = key.clone();
    mac.update(label);
    for part in parts {
        mac.update(part);
    }
    mac
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

    const OLD_KEY: &str = "the-old-key-before-rotation-0123";

    #[test]
    fn after_rotation_an_old_token_works_until_the_deadline_and_new_tokens_use_the_new_key() {
        let old = TokenKey::new(OLD_KEY).unwrap_or_else(|e| panic!("{e}"));
        let deadline = 1_800_000_000;
        let rotated = key()
            .with_previous(OLD_KEY, Some(deadline))
            .unwrap_or_else(|e| panic!("{e}"));
        let old_link = old.unsubscribe_token(42);
        assert_eq!(
            rotated.verify_unsubscribe_at(&old_link, deadline - 1),
            Some(42)
        );
        assert_eq!(rotated.verify_unsubscribe_at(&old_link, deadline), Some(42));
        assert_eq!(rotated.verify_unsubscribe_at(&old_link, deadline + 1), None);
        let old_confirm = old.confirm_token(42, deadline - 60);
        assert_eq!(
            rotated.verify_confirm(&old_confirm, deadline, 3600),
            Some(42)
        );
        assert_eq!(
            rotated.verify_confirm(&old_confirm, deadline + 1, 3600),
            None
        );

        // New tokens are made with the new key only.
        assert_eq!(rotated.unsubscribe_token(42), key().unsubscribe_token(42));
        assert_ne!(rotated.unsubscribe_token(42), old_link);
        assert_eq!(
            old.verify_unsubscribe_at(&rotated.unsubscribe_token(42), 0),
            None
        );
        assert_eq!(
            rotated.verify_unsubscribe_at(&rotated.unsubscribe_token(42), deadline + 1),
            Some(42)
        );
    }

    #[test]
    fn a_previous_key_without_a_deadline_stays_accepted_and_a_third_key_never_is() {
        let rotated = key()
            .with_previous(OLD_KEY, None)
            .unwrap_or_else(|e| panic!("{e}"));
        let old = TokenKey::new(OLD_KEY).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            rotated.verify_unsubscribe_at(&old.unsubscribe_token(7), i64::MAX),
            Some(7)
        );
        let other = TokenKey::new("a-third-key-never-configured").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            rotated.verify_unsubscribe_at(&other.unsubscribe_token(7), 0),
            None
        );
    }

    #[test]
    fn a_short_previous_key_is_rejected_with_its_setting_named() {
        let error = key()
            .with_previous("short", None)
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert!(
            matches!(&error, Err(m) if m.contains("secrets.previous_token_key")),
            "{error:?}"
        );
    }

    #[test]
    fn debug_output_does_not_show_the_previous_key() {
        let rotated = key()
            .with_previous(OLD_KEY, None)
            .unwrap_or_else(|e| panic!("{e}"));
        let shown = format!("{rotated:?}");
        assert!(!shown.contains("old-key"), "{shown}");
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
