//! VERP: the envelope sender of each issue message names its delivery, so
//! a bounce report that comes back later proves which delivery it is about.
//!
//! With `[bounces] address = "bounces@example.org"`, delivery 42 goes out
//! with `MAIL FROM:<bounces+TAG@example.org>`. A mail server with
//! `recipient_delimiter = +` (or a catch-all) delivers everything sent to
//! that address back to `bounces@`, and `postbode bounces ingest` reads the
//! TAG from the report's recipient (or from the Return-Path in the returned
//! headers) to find the delivery.
//!
//! The TAG is 36 lowercase hex characters: 18 bytes, the delivery id masked
//! (8) and a MAC (10). It is made like the link tokens (`token.rs`), under
//! `secrets.token_key` with labels of its own, so it can never be replayed
//! as an unsubscribe or confirmation link, nor the other way round:
//!
//! - `mac = HMAC(key, "verp-tag" || id)[..10]`: 80 bits, so a forged report
//!   names a delivery with odds of 2^-80 per try. That is enough for an
//!   address one cannot try online at speed, and keeps the local part short
//!   (`bounces+` and 36 characters: 44 of the 64 SMTP allows).
//! - `masked = id XOR HMAC(key, "verp-mask" || mac)[..8]`: delivery ids
//!   count up, and the envelope sender is visible to every recipient (as
//!   Return-Path); in the clear it would tell anyone how much mail the list
//!   sends. Masked with a pad derived from the MAC (as in SIV), the tag
//!   looks random and still needs no table to check.
//!
//! Hex, not base64: mail servers and relays may lowercase a local part (and
//! some uppercase it), and hex reads the same either way. The few lines of
//! hex are written here rather than taken from a crate.
//!
//! Checking tries the current key, then `secrets.previous_token_key` while
//! it is accepted, so reports about mail sent before a key rotation still
//! match.

use std::fmt::Write as _;

use super::{MailError, TokenKey};
use crate::config::{BouncesSettings, Settings};
use crate::domain::EmailAddress;

const ID_LEN: usize = 8;
/// 80 bits of MAC.
const MAC_LEN: usize = 10;
const TAG_BYTES: usize = ID_LEN + MAC_LEN;
/// Characters in a tag: two hex digits a byte.
pub const TAG_LEN: usize = TAG_BYTES * 2;
/// The local part of an SMTP address is at most 64 characters; the base's
/// local part, `+` and the tag must fit.
pub const MAX_BASE_LOCAL_LEN: usize = 64 - 1 - TAG_LEN;
// The config loader checks `bounces.address` against its own copy.
const _: () = assert!(MAX_BASE_LOCAL_LEN == BouncesSettings::MAX_LOCAL_LEN);

const TAG_LABEL: &[u8] = b"verp-tag";
const MASK_LABEL: &[u8] = b"verp-mask";

/// The MAC-protected tag of one delivery: [`BounceTag::make`] and
/// [`BounceTag::verify`] without any address around it.
#[derive(Clone, Debug)]
pub struct BounceTag {
    key: TokenKey,
}

impl BounceTag {
    pub fn new(key: TokenKey) -> BounceTag {
        BounceTag { key }
    }

    /// The tag of `delivery_id`: 36 lowercase hex characters, always the
    /// same for the same delivery and key.
    pub fn make(&self, delivery_id: i64) -> String {
        let key = self.key.current();
        let id = delivery_id.to_be_bytes();
        let mac = key.mac(TAG_LABEL, &[&id]);
        let mac = &mac[..MAC_LEN];
        let pad = key.mac(MASK_LABEL, &[mac]);
        let mut raw = [0u8; TAG_BYTES];
        for (i, byte) in raw[..ID_LEN].iter_mut().enumerate() {
            *byte = id[i] ^ pad[i];
        }
        raw[ID_LEN..].copy_from_slice(mac);
        let mut out = String::with_capacity(TAG_LEN);
        for byte in raw {
            let _ = write!(out, "{byte:02x}");
        }
        out
    }

    /// The delivery id in a genuine tag (either case), checked now; `None`
    /// for anything else.
    pub fn verify(&self, tag: &str) -> Option<i64> {
        self.verify_at(tag, jiff::Timestamp::now().as_second())
    }

    /// As [`BounceTag::verify`], at `now_unix` (which decides whether the
    /// previous key is still accepted).
    pub fn verify_at(&self, tag: &str, now_unix: i64) -> Option<i64> {
        let raw = decode_hex(tag)?;
        let (masked, mac) = raw.split_at(ID_LEN);
        for key in self.key.accepted(now_unix) {
            let pad = key.mac(MASK_LABEL, &[mac]);
            let mut id = [0u8; ID_LEN];
            for (i, byte) in id.iter_mut().enumerate() {
                *byte = masked[i] ^ pad[i];
            }
            if key.verify(TAG_LABEL, &[&id], mac) {
                return Some(i64::from_be_bytes(id));
            }
        }
        None
    }
}

/// The envelope sender of every issue message when `[bounces] address` is
/// set: `LOCAL+TAG@DOMAIN` for the base address `LOCAL@DOMAIN`.
#[derive(Clone, Debug)]
pub struct VerpAddress {
    tags: BounceTag,
    local: String,
    domain: String,
}

impl VerpAddress {
    /// Refuses a base whose local part leaves no room for the tag.
    pub fn new(base: &EmailAddress, key: TokenKey) -> Result<VerpAddress, MailError> {
        let local = base.local_part();
        if local.len() > MAX_BASE_LOCAL_LEN {
            return Err(MailError::BounceAddress(format!(
                "the part before @ is {} characters long; with the 37 characters \
                 postbode adds (+ and a tag) it must stay within 64, so use at most \
                 {MAX_BASE_LOCAL_LEN}, e.g. bounces@{}",
                local.len(),
                base.domain()
            )));
        }
        Ok(VerpAddress {
            tags: BounceTag::new(key),
            local: local.to_owned(),
            domain: base.domain().to_owned(),
        })
    }

    /// From `[bounces] address` and `[secrets]` (with the previous token
    /// key, for checking); `None` when no bounce address is set.
    pub fn from_settings(settings: &Settings) -> Result<Option<VerpAddress>, MailError> {
        let Some(base) = settings.bounces.address() else {
            return Ok(None);
        };
        let key = TokenKey::from_settings(&settings.secrets)?;
        VerpAddress::new(&base, key).map(Some)
    }

    /// `LOCAL+TAG@DOMAIN`, the envelope sender for `delivery_id`.
    pub fn make(&self, delivery_id: i64) -> String {
        format!(
            "{}+{}@{}",
            self.local,
            self.tags.make(delivery_id),
            self.domain
        )
    }

    /// The delivery a VERP address names: takes a whole address
    /// (`bounces+TAG@example.org`, with or without angle brackets) or its
    /// local part (`bounces+TAG`), in any case. The MAC is the proof; the
    /// part before `+` and the domain are not checked, because relays
    /// rewrite them. `None` for anything without a genuine tag.
    pub fn verify(&self, address: &str) -> Option<i64> {
        self.verify_at(address, jiff::Timestamp::now().as_second())
    }

    /// As [`VerpAddress::verify`], at `now_unix`.
    pub fn verify_at(&self, address: &str, now_unix: i64) -> Option<i64> {
        let address = address.trim();
        let address = address
            .strip_prefix('<')
            .and_then(|a| a.strip_suffix('>'))
            .unwrap_or(address);
        let local = address.rsplit_once('@').map_or(address, |(local, _)| local);
        let (_, tag) = local.rsplit_once('+')?;
        self.tags.verify_at(tag, now_unix)
    }

    /// The tags alone.
    pub fn tags(&self) -> &BounceTag {
        &self.tags
    }
}

/// Exactly [`TAG_BYTES`] bytes from [`TAG_LEN`] hex digits of either case.
fn decode_hex(tag: &str) -> Option<[u8; TAG_BYTES]> {
    let digits = tag.as_bytes();
    if digits.len() != TAG_LEN {
        return None;
    }
    let mut raw = [0u8; TAG_BYTES];
    for (byte, pair) in raw.iter_mut().zip(digits.chunks_exact(2)) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        *byte = u8::try_from(high * 16 + low).ok()?;
    }
    Some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &str = "0123456789abcdef-test-key";
    const OLD_KEY: &str = "the-old-key-before-rotation-0123";

    fn key() -> TokenKey {
        TokenKey::new(KEY).unwrap_or_else(|e| panic!("{e}"))
    }

    fn verp(key: TokenKey) -> VerpAddress {
        let base = EmailAddress::parse("bounces@example.org").unwrap_or_else(|e| panic!("{e}"));
        VerpAddress::new(&base, key).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn an_address_round_trips_and_fits_smtp() {
        let verp = verp(key());
        for id in [0, 1, 42, 1_000_000, -1, i64::MIN, i64::MAX] {
            let address = verp.make(id);
            let (local, domain) = address.rsplit_once('@').unwrap_or_default();
            assert_eq!(domain, "example.org");
            assert!(local.starts_with("bounces+"), "{address}");
            assert!(local.len() <= 64, "{address}");
            let tag = &local["bounces+".len()..];
            assert_eq!(tag.len(), TAG_LEN);
            assert!(
                tag.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "{tag}"
            );
            assert!(EmailAddress::parse(&address).is_ok(), "{address}");
            assert_eq!(verp.verify(&address), Some(id));
            assert_eq!(verp.verify(local), Some(id));
            assert_eq!(verp.verify(&format!("<{address}>")), Some(id));
            assert_eq!(verp.tags().verify(tag), Some(id));
            assert_eq!(verp.make(id), address, "deterministic");
        }
    }

    #[test]
    fn a_relay_that_changes_the_case_does_not_break_the_tag() {
        let verp = verp(key());
        let address = verp.make(4711);
        assert_eq!(verp.verify(&address.to_uppercase()), Some(4711));
        assert_eq!(verp.verify(&address.to_lowercase()), Some(4711));
    }

    #[test]
    fn the_delivery_id_is_not_in_the_clear() {
        let verp = verp(key());
        let tags: Vec<String> = (1..=3).map(|id| verp.tags().make(id)).collect();
        for tag in &tags {
            // The plain big-endian id would start with 14 zeros.
            assert!(!tag.starts_with("00000000000000"), "{tag}");
        }
        // Consecutive ids share no visible prefix beyond chance.
        assert_ne!(tags[0][..8], tags[1][..8]);
        assert_ne!(tags[1][..8], tags[2][..8]);
    }

    #[test]
    fn a_changed_or_truncated_or_extended_tag_is_refused() {
        let verp = verp(key());
        let tag = verp.tags().make(123_456);
        for i in 0..tag.len() {
            let mut bytes = tag.clone().into_bytes();
            bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
            let forged = String::from_utf8(bytes).unwrap_or_default();
            assert_eq!(verp.tags().verify(&forged), None, "{forged}");
            assert_eq!(verp.verify(&format!("bounces+{forged}@example.org")), None);
        }
        assert_eq!(verp.tags().verify(&tag[..TAG_LEN - 1]), None);
        assert_eq!(verp.tags().verify(&tag[..TAG_LEN - 2]), None);
        assert_eq!(verp.tags().verify(&format!("{tag}0")), None);
        assert_eq!(verp.tags().verify(""), None);
        assert_eq!(verp.verify("bounces@example.org"), None);
        assert_eq!(verp.verify(&format!("bounces-{tag}@example.org")), None);
        assert_eq!(verp.verify(&format!("bounces+{tag}x@example.org")), None);
    }

    #[test]
    fn a_tag_of_another_key_is_refused_and_a_previous_key_only_until_its_deadline() {
        let other = TokenKey::new("another key of enough length").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(verp(key()).verify(&verp(other).make(9)), None);

        let old = verp(TokenKey::new(OLD_KEY).unwrap_or_else(|e| panic!("{e}")));
        let deadline = 1_800_000_000;
        let rotated = verp(
            key()
                .with_previous(OLD_KEY, Some(deadline))
                .unwrap_or_else(|e| panic!("{e}")),
        );
        let sent_before = old.make(9);
        assert_eq!(rotated.verify_at(&sent_before, deadline), Some(9));
        assert_eq!(rotated.verify_at(&sent_before, deadline + 1), None);
        // New tags are made with the new key.
        assert_eq!(rotated.make(9), verp(key()).make(9));
        assert_eq!(rotated.verify_at(&rotated.make(9), deadline + 1), Some(9));
    }

    #[test]
    fn a_tag_is_never_a_link_token_and_no_link_token_is_a_tag() {
        let key = key();
        let tags = BounceTag::new(key.clone());
        // The same MAC input under another label gives another MAC.
        let id = 77i64.to_be_bytes();
        let as_tag = key.current().mac(TAG_LABEL, &[&id]);
        let as_link = key.current().mac(b"unsubscribe", &[&id]);
        assert_ne!(as_tag[..MAC_LEN], as_link[..MAC_LEN]);
        // A token is not shaped like a tag, whatever its case.
        let token = key.unsubscribe_token(77, None);
        assert_eq!(tags.verify(&token), None);
        assert_eq!(tags.verify(&token.to_lowercase()), None);
        assert_eq!(key.unsubscribe_id(&tags.make(77)), None);
    }

    #[test]
    fn a_base_with_a_long_local_part_is_refused_with_the_reason() {
        let long = format!("{}@example.org", "b".repeat(MAX_BASE_LOCAL_LEN + 1));
        let base = EmailAddress::parse(&long).unwrap_or_else(|e| panic!("{e}"));
        let error = VerpAddress::new(&base, key())
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert!(
            matches!(&error, Err(m) if m.contains("bounces.address") && m.contains("64")),
            "{error:?}"
        );
        let fits = format!("{}@example.org", "b".repeat(MAX_BASE_LOCAL_LEN));
        let base = EmailAddress::parse(&fits).unwrap_or_else(|e| panic!("{e}"));
        let verp = VerpAddress::new(&base, key()).unwrap_or_else(|e| panic!("{e}"));
        let address = verp.make(i64::MAX);
        assert_eq!(address.rsplit_once('@').unwrap_or_default().0.len(), 64);
        assert!(EmailAddress::parse(&address).is_ok());
        assert_eq!(verp.verify(&address), Some(i64::MAX));
    }

    proptest! {
        #[test]
        fn every_id_round_trips(id in any::<i64>()) {
            let verp = verp(key());
            prop_assert_eq!(verp.verify(&verp.make(id)), Some(id));
        }

        #[test]
        fn random_tags_of_the_right_shape_are_refused(tag in "[0-9a-fA-F]{36}") {
            prop_assert_eq!(verp(key()).tags().verify(&tag), None);
        }

        #[test]
        fn verify_never_panics(s in any::<String>()) {
            let _ = verp(key()).verify(&s);
        }
    }
}
