//! Tokens for the links in a mail: one-click unsubscribe (`/u/TOKEN`) and,
//! later, double opt-in confirmation.
//!
//! A token is the subscriber's id plus a truncated HMAC-SHA256 over it and
//! the subscriber's link salt (16 random bytes the database gave them),
//! keyed with `secrets.token_key`. The salt is what an id cannot pass on:
//! were an id ever given to someone else, their salt differs, so an old
//! link matches nobody. People stored before salts existed have none; their
//! tokens are MACed over the id alone, as before, so links in mail already
//! sent keep working, and a salted subscriber never accepts that form.
//! Checking a token therefore needs the store ([`super::links`]): the id
//! in the token says whose salt to look up. That makes tokens:
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
use secrecy::ExposeSecret;

use super::MailError;
use crate::config::SecretsSettings;
use crate::crypto::HmacSha256;
use crate::domain::{ConfirmLink, LinkSalt, SaltLookup};

/// Shorter keys are guessable offline from one token.
const MIN_KEY_LEN: usize = 16;
/// 128 bits of MAC: forging one by trial takes 2^128 requests.
const MAC_LEN: usize = 16;
const ID_LEN: usize = 8;
const TIME_LEN: usize = 8;
const CHANGE_LEN: usize = 8;
/// A confirmation token's bytes: id, time, last change, MAC.
const CONFIRM_LEN: usize = ID_LEN + TIME_LEN + CHANGE_LEN + MAC_LEN;
/// The same before links carried the last change: id, time, MAC.
const LEGACY_CONFIRM_LEN: usize = ID_LEN + TIME_LEN + MAC_LEN;

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
        let mac = HmacSha256::new(key.as_bytes());
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
        let mac = HmacSha256::new(previous.as_bytes());
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

    /// The token for the one-click unsubscribe link of `subscriber_id`
    /// with link salt `salt`: base64url (no padding) of the 8-byte
    /// big-endian id and the first 16 bytes of HMAC-SHA256(key,
    /// "unsubscribe" || id || salt). Always 32 characters. Without a salt
    /// (someone stored before salts existed) the MAC is over
    /// "unsubscribe" || id, as it always was, so their links keep working.
    pub fn unsubscribe_token(&self, subscriber_id: i64, salt: Option<&LinkSalt>) -> String {
        let id = subscriber_id.to_be_bytes();
        let tag = self.tag(UNSUBSCRIBE_LABEL, &with_salt(&[&id], salt));
        let mut raw = [0u8; ID_LEN + MAC_LEN];
        raw[..ID_LEN].copy_from_slice(&id);
        raw[ID_LEN..].copy_from_slice(&tag[..MAC_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The id an unsubscribe token names, before anything is checked: the
    /// subscriber whose salt [`TokenKey::check_unsubscribe`] needs. `None`
    /// when it is not even shaped like a token.
    pub fn unsubscribe_id(&self, token: &str) -> Option<i64> {
        let raw: [u8; ID_LEN + MAC_LEN] = decode_fixed(token)?;
        Some(i64::from_be_bytes(raw[..ID_LEN].try_into().ok()?))
    }

    /// The subscriber id in a genuine unsubscribe token, checked against
    /// what the store knows of that id (`salt`) at `now_unix` (which
    /// decides whether the previous key is still accepted); `None` for
    /// anything else: wrong length, bad characters, forged, from another
    /// key, made for someone else who had the id, or naming nobody.
    ///
    /// A salted subscriber accepts only MACs with their salt, an unsalted
    /// one only the old form. For nobody the MAC is computed all the same,
    /// with a dummy salt, so an unknown id costs what a known one does.
    pub fn check_unsubscribe(&self, token: &str, salt: SaltLookup, now_unix: i64) -> Option<i64> {
        let raw: [u8; ID_LEN + MAC_LEN] = decode_fixed(token)?;
        let (id, tag) = raw.split_at(ID_LEN);
        let (salt, known) = salt_to_check(salt);
        let checked = self.check(
            UNSUBSCRIBE_LABEL,
            &with_salt(&[id], salt.as_ref()),
            tag,
            now_unix,
        );
        checked.filter(|()| known)?;
        Some(i64::from_be_bytes(id.try_into().ok()?))
    }

    /// The token for a double opt-in confirmation link: the id, the time it
    /// is issued (so it expires) and the id of the person's last status
    /// change now (so it works once: see [`ConfirmLink::after_change`]),
    /// then the first 16 bytes of HMAC-SHA256(key, "confirm" || id ||
    /// issued || change || salt). Always 54 characters.
    pub fn confirm_token(
        &self,
        subscriber_id: i64,
        salt: Option<&LinkSalt>,
        issued_at_unix: i64,
        after_change: i64,
    ) -> String {
        let id = subscriber_id.to_be_bytes();
        let issued = issued_at_unix.to_be_bytes();
        let change = after_change.to_be_bytes();
        let tag = self.tag(CONFIRM_LABEL, &with_salt(&[&id, &issued, &change], salt));
        let mut raw = [0u8; CONFIRM_LEN];
        raw[..ID_LEN].copy_from_slice(&id);
        raw[ID_LEN..ID_LEN + TIME_LEN].copy_from_slice(&issued);
        raw[ID_LEN + TIME_LEN..ID_LEN + TIME_LEN + CHANGE_LEN].copy_from_slice(&change);
        raw[ID_LEN + TIME_LEN + CHANGE_LEN..].copy_from_slice(&tag[..MAC_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The id a confirmation token names, before anything is checked (see
    /// [`TokenKey::unsubscribe_id`]); either form, current or from before
    /// links carried the last change.
    pub fn confirm_id(&self, token: &str) -> Option<i64> {
        let id: [u8; ID_LEN] = match decode_fixed::<CONFIRM_LEN>(token) {
            Some(raw) => raw[..ID_LEN].try_into().ok()?,
            None => decode_fixed::<LEGACY_CONFIRM_LEN>(token)?[..ID_LEN]
                .try_into()
                .ok()?,
        };
        Some(i64::from_be_bytes(id))
    }

    /// What a genuine confirmation token says, checked against `salt` as
    /// [`TokenKey::check_unsubscribe`] does, when it was issued at most
    /// `max_age_secs` before `now_unix` (and not more than five minutes
    /// after it, for clock skew between hosts); `None` otherwise. A token
    /// of the form from before links carried the last change (43
    /// characters, no salt) is accepted for unsalted subscribers only.
    pub fn check_confirm(
        &self,
        token: &str,
        salt: SaltLookup,
        now_unix: i64,
        max_age_secs: u64,
    ) -> Option<ConfirmLink> {
        let (salt_used, known) = salt_to_check(salt);
        let (id, issued, after_change) = if let Some(raw) = decode_fixed::<CONFIRM_LEN>(token) {
            let (id, rest) = raw.split_at(ID_LEN);
            let (issued, rest) = rest.split_at(TIME_LEN);
            let (change, tag) = rest.split_at(CHANGE_LEN);
            let parts = with_salt(&[id, issued, change], salt_used.as_ref());
            self.check(CONFIRM_LABEL, &parts, tag, now_unix)
                .filter(|()| known)?;
            (
                id.try_into().ok()?,
                issued.try_into().ok()?,
                Some(change.try_into().ok()?),
            )
        } else {
            let raw: [u8; LEGACY_CONFIRM_LEN] = decode_fixed(token)?;
            let (id, rest) = raw.split_at(ID_LEN);
            let (issued, tag) = rest.split_at(TIME_LEN);
            // The old form has no salt: only an unsalted subscriber's.
            let (salt_used, known) = match salt {
                SaltLookup::Unsalted => (None, true),
                _ => (salt_used, false),
            };
            let parts = with_salt(&[id, issued], salt_used.as_ref());
            self.check(CONFIRM_LABEL, &parts, tag, now_unix)
                .filter(|()| known)?;
            (id.try_into().ok()?, issued.try_into().ok()?, None)
        };
        let issued = i64::from_be_bytes(issued);
        let age = now_unix.checked_sub(issued)?;
        let max_age = i64::try_from(max_age_secs).unwrap_or(i64::MAX);
        if age > max_age || age < -MAX_CLOCK_SKEW_SECS {
            return None;
        }
        Some(ConfirmLink {
            subscriber_id: i64::from_be_bytes(id),
            issued_at: issued,
            after_change: after_change.map(i64::from_be_bytes),
        })
    }

    /// A confirmation token of the form before links carried the last
    /// change: for tests of what mail sent then still does.
    #[doc(hidden)]
    pub fn legacy_confirm_token(&self, subscriber_id: i64, issued_at_unix: i64) -> String {
        let id = subscriber_id.to_be_bytes();
        let issued = issued_at_unix.to_be_bytes();
        let tag = self.tag(CONFIRM_LABEL, &[&id, &issued]);
        let mut raw = [0u8; LEGACY_CONFIRM_LEN];
        raw[..ID_LEN].copy_from_slice(&id);
        raw[ID_LEN..ID_LEN + TIME_LEN].copy_from_slice(&issued);
        raw[ID_LEN + TIME_LEN..].copy_from_slice(&tag[..MAC_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The current key, for the other MACs made under `secrets.token_key`
    /// with labels of their own (VERP tags, Message-IDs: `verp.rs`,
    /// `message_id.rs`).
    pub(super) fn current(&self) -> MacKey<'_> {
        MacKey(&self.mac)
    }

    /// The keys a MAC is checked under at `now_unix`: the current one, then
    /// the previous one while it is accepted.
    pub(super) fn accepted(&self, now_unix: i64) -> impl Iterator<Item = MacKey<'_>> {
        let previous = self
            .previous
            .as_ref()
            .filter(|p| p.until_unix.is_none_or(|until| now_unix <= until))
            .map(|p| MacKey(&p.mac));
        std::iter::once(self.current()).chain(previous)
    }

    fn tag(&self, label: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        MacKey(&self.mac).mac(label, parts)
    }

    /// Constant-time comparison of the truncated tag,
    /// under the current key, then under the previous one while it is
    /// accepted at `now_unix`. Trying the second key only after the first
    /// fails tells a timing observer at most which key made a genuine
    /// token, nothing about the keys.
    fn check(&self, label: &[u8], parts: &[&[u8]], tag: &[u8], now_unix: i64) -> Option<()> {
        if MacKey(&self.mac).verify(label, parts, tag) {
            return Some(());
        }
        let previous = self.previous.as_ref()?;
        if previous.until_unix.is_some_and(|until| now_unix > until) {
            return None;
        }
        MacKey(&previous.mac)
            .verify(label, parts, tag)
            .then_some(())
    }
}

/// One of the token keys, lent to a sibling module that MACs its own label.
/// Every label starts with a different byte (`unsubscribe`, `confirm`,
/// `verp-tag`, `verp-mask`, `message-id`), or, for the two VERP ones,
/// neither is a prefix of the other, so no MAC of one kind is ever a MAC
/// of another.
#[derive(Clone, Copy)]
pub(super) struct MacKey<'a>(&'a HmacSha256);

impl MacKey<'_> {
    /// HMAC-SHA256(key, label || parts...).
    pub(super) fn mac(self, label: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        self.0.mac(&labelled(label, parts))
    }

    /// Whether `tag` is the start of [`MacKey::mac`], compared in constant
    /// time. An empty tag never matches.
    pub(super) fn verify(self, label: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
        self.0.verify_truncated(&labelled(label, parts), tag)
    }
}

/// `parts`, then the salt's bytes when there is one.
fn with_salt<'a>(parts: &[&'a [u8]], salt: Option<&'a LinkSalt>) -> Vec<&'a [u8]> {
    let mut all = parts.to_vec();
    all.extend(salt.map(|s| s.as_bytes().as_slice()));
    all
}

/// The salt a MAC is checked with, and whether the id names anyone. For
/// nobody, a dummy salt: the same work, a certain mismatch (the answer is
/// refused whatever the MAC says).
fn salt_to_check(salt: SaltLookup) -> (Option<LinkSalt>, bool) {
    match salt {
        SaltLookup::Salted(salt) => (Some(salt), true),
        SaltLookup::Unsalted => (None, true),
        SaltLookup::Nobody => (LinkSalt::from_bytes(&[0; LinkSalt::LEN]).ok(), false),
    }
}

/// `label`, then `parts`: what a MAC covers, as one list of pieces.
fn labelled<'a>(label: &'a [u8], parts: &[&'a [u8]]) -> Vec<&'a [u8]> {
    let mut all = Vec::with_capacity(parts.len() + 1);
    all.push(label);
    all.extend_from_slice(parts);
    all
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
mod tests;
