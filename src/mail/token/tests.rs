//! Unit tests of [`super`], in a file of their own to keep the module short.

use super::*;
use hmac::Mac as _;
use proptest::prelude::*;

/// RustCrypto's HMAC, which made the tokens before aws-lc-rs did: the
/// independent check of the layout (a dev-dependency only).
type Oracle = hmac::Hmac<sha2::Sha256>;

const KEY: &str = "0123456789abcdef-test-key";

/// The checks as they were before link salts: for a subscriber stored
/// without one.
impl TokenKey {
    fn check_unsubscribe_unsalted(&self, token: &str) -> Option<i64> {
        self.check_unsubscribe(token, SaltLookup::Unsalted, 0)
    }

    fn check_unsubscribe_at_unsalted(&self, token: &str, now_unix: i64) -> Option<i64> {
        self.check_unsubscribe(token, SaltLookup::Unsalted, now_unix)
    }

    fn check_confirm_unsalted(&self, token: &str, now_unix: i64, max_age: u64) -> Option<i64> {
        self.check_confirm(token, SaltLookup::Unsalted, now_unix, max_age)
            .map(|link| link.subscriber_id)
    }
}

fn salt(byte: u8) -> LinkSalt {
    LinkSalt::from_bytes(&[byte; 16]).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_salted_unsubscribe_token_works_only_for_the_salt_it_was_made_with() {
    let key = key();
    let (mine, theirs) = (salt(1), salt(2));
    let token = key.unsubscribe_token(42, Some(&mine));
    assert_eq!(token.len(), 32);
    assert_eq!(key.unsubscribe_id(&token), Some(42));
    assert_eq!(
        key.check_unsubscribe(&token, SaltLookup::Salted(mine), 0),
        Some(42)
    );
    // Someone else with the same id: another salt, or none.
    assert_eq!(
        key.check_unsubscribe(&token, SaltLookup::Salted(theirs), 0),
        None
    );
    assert_eq!(key.check_unsubscribe(&token, SaltLookup::Unsalted, 0), None);
    assert_eq!(key.check_unsubscribe(&token, SaltLookup::Nobody, 0), None);
}

#[test]
fn an_old_salt_less_unsubscribe_link_works_only_for_an_unsalted_subscriber() {
    let key = key();
    let mine = salt(1);
    let old = key.unsubscribe_token(42, None);
    assert_ne!(old, key.unsubscribe_token(42, Some(&mine)));
    assert_eq!(
        key.check_unsubscribe(&old, SaltLookup::Salted(mine), 0),
        None
    );
    assert_eq!(
        key.check_unsubscribe(&old, SaltLookup::Unsalted, 0),
        Some(42)
    );
    assert_eq!(key.check_unsubscribe(&old, SaltLookup::Nobody, 0), None);
}

#[test]
fn a_salted_confirm_token_works_only_for_the_salt_it_was_made_with() {
    let key = key();
    let (mine, theirs) = (salt(1), salt(2));
    let confirm = key.confirm_token(42, Some(&mine), 1_000, 17);
    assert_eq!(confirm.len(), 54);
    assert_eq!(key.confirm_id(&confirm), Some(42));
    assert_eq!(
        key.check_confirm(&confirm, SaltLookup::Salted(mine), 1_000, 60),
        Some(ConfirmLink {
            subscriber_id: 42,
            issued_at: 1_000,
            after_change: Some(17)
        })
    );
    assert_eq!(
        key.check_confirm(&confirm, SaltLookup::Salted(theirs), 1_000, 60),
        None
    );
    assert_eq!(
        key.check_confirm(&confirm, SaltLookup::Unsalted, 1_000, 60),
        None
    );
    assert_eq!(
        key.check_confirm(&confirm, SaltLookup::Nobody, 1_000, 60),
        None
    );
}

#[test]
fn an_old_salt_less_confirm_link_never_works_for_a_salted_subscriber() {
    let key = key();
    let old_confirm = key.confirm_token(42, None, 1_000, 0);
    assert_eq!(
        key.check_confirm(&old_confirm, SaltLookup::Salted(salt(1)), 1_000, 60),
        None
    );
}

/// A link from before links carried the last change: 43 characters, no
/// salt.
#[test]
fn a_legacy_confirm_link_works_for_unsalted_subscribers_only() {
    let key = key();
    let legacy = key.legacy_confirm_token(42, 1_000);
    assert_eq!(legacy.len(), 43);
    assert_eq!(key.confirm_id(&legacy), Some(42));
    assert_eq!(
        key.check_confirm(&legacy, SaltLookup::Unsalted, 1_000, 60),
        Some(ConfirmLink {
            subscriber_id: 42,
            issued_at: 1_000,
            after_change: None
        })
    );
    assert_eq!(
        key.check_confirm(&legacy, SaltLookup::Salted(salt(1)), 1_000, 60),
        None
    );
    assert_eq!(
        key.check_confirm(&legacy, SaltLookup::Nobody, 1_000, 60),
        None
    );
}

#[test]
fn the_last_change_in_a_confirm_link_is_under_the_mac() {
    let key = key();
    let mine = salt(1);
    let confirm = key.confirm_token(42, Some(&mine), 1_000, 17);
    let mut raw = URL_SAFE_NO_PAD.decode(&confirm).unwrap_or_default();
    raw[23] ^= 1;
    let moved = URL_SAFE_NO_PAD.encode(&raw);
    assert_eq!(
        key.check_confirm(&moved, SaltLookup::Salted(mine), 1_000, 60),
        None
    );
}

#[test]
fn a_confirm_token_cut_to_the_unsubscribe_length_is_no_unsubscribe_token() {
    let key = key();
    let mine = salt(1);
    let confirm = key.confirm_token(42, Some(&mine), 1_000, 17);
    assert_eq!(
        key.check_unsubscribe(&confirm[..32], SaltLookup::Salted(mine), 0),
        None
    );
}

#[test]
fn the_salted_layout_is_id_then_truncated_hmac_over_label_id_and_salt() {
    let token = key().unsubscribe_token(7, Some(&salt(9)));
    let raw = URL_SAFE_NO_PAD.decode(&token).unwrap_or_default();
    assert_eq!(&raw[..8], &7i64.to_be_bytes());
    let mut mac = Oracle::new_from_slice(KEY.as_bytes()).unwrap_or_else(|_| panic!());
    mac.update(b"unsubscribe");
    mac.update(&7i64.to_be_bytes());
    mac.update(&[9; 16]);
    let full = mac.finalize().into_bytes();
    assert_eq!(&raw[8..], &full[..16]);
}

#[test]
fn ids_of_malformed_tokens_are_none() {
    let key = key();
    assert_eq!(key.unsubscribe_id(""), None);
    assert_eq!(key.unsubscribe_id("not-a-token"), None);
    assert_eq!(key.confirm_id(&key.unsubscribe_token(1, None)), None);
    assert_eq!(key.unsubscribe_id(&key.confirm_token(1, None, 0, 0)), None);
}

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
        let token = key.unsubscribe_token(id, None);
        assert_eq!(token.len(), 32);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(key.check_unsubscribe_unsalted(&token), Some(id), "{token}");
    }
}

#[test]
fn the_token_layout_is_id_then_truncated_hmac() {
    let token = key().unsubscribe_token(7, None);
    let raw = URL_SAFE_NO_PAD.decode(&token).unwrap_or_default();
    assert_eq!(&raw[..8], &7i64.to_be_bytes());
    let mut mac = Oracle::new_from_slice(KEY.as_bytes()).unwrap_or_else(|_| panic!());
    mac.update(b"unsubscribe");
    mac.update(&7i64.to_be_bytes());
    let full = mac.finalize().into_bytes();
    assert_eq!(&raw[8..], &full[..16]);
}

#[test]
fn tokens_are_stable_and_differ_per_subscriber_and_key() {
    let key = key();
    assert_eq!(
        key.unsubscribe_token(5, None),
        key.unsubscribe_token(5, None)
    );
    assert_ne!(
        key.unsubscribe_token(5, None),
        key.unsubscribe_token(6, None)
    );
    let other = TokenKey::new("another key of enough length").unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(
        key.unsubscribe_token(5, None),
        other.unsubscribe_token(5, None)
    );
    assert_eq!(
        other.check_unsubscribe_unsalted(&key.unsubscribe_token(5, None)),
        None
    );
}

#[test]
fn a_token_with_any_changed_character_is_refused() {
    let key = key();
    let token = key.unsubscribe_token(12345, None);
    for i in 0..token.len() {
        let mut bytes = token.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(bytes).unwrap_or_default();
        assert_eq!(key.check_unsubscribe_unsalted(&forged), None, "{forged}");
    }
    assert_eq!(key.check_unsubscribe_unsalted(&token[..31]), None);
    assert_eq!(key.check_unsubscribe_unsalted(&format!("{token}A")), None);
    assert_eq!(key.check_unsubscribe_unsalted(""), None);
}

#[test]
fn a_token_of_one_kind_is_not_accepted_as_the_other() {
    let key = key();
    let confirm = key.confirm_token(9, None, 1_000, 0);
    let unsubscribe = key.unsubscribe_token(9, None);
    assert_eq!(key.check_unsubscribe_unsalted(&confirm), None);
    assert_eq!(key.check_confirm_unsalted(&unsubscribe, 1_000, 3600), None);
    // Same length input for both kinds, to rule out a length check
    // doing the work the label should do.
    assert_eq!(key.check_unsubscribe_unsalted(&confirm[..32]), None);
}

#[test]
fn a_confirm_token_expires() {
    let key = key();
    let token = key.confirm_token(77, None, 1_700_000_000, 0);
    assert_eq!(token.len(), 54);
    assert_eq!(
        key.check_confirm_unsalted(&token, 1_700_000_000, 3600),
        Some(77)
    );
    assert_eq!(
        key.check_confirm_unsalted(&token, 1_700_003_600, 3600),
        Some(77)
    );
    assert_eq!(
        key.check_confirm_unsalted(&token, 1_700_003_601, 3600),
        None
    );
    // Issued a little in the future: clock skew, accepted.
    assert_eq!(
        key.check_confirm_unsalted(&token, 1_699_999_800, 3600),
        Some(77)
    );
    assert_eq!(
        key.check_confirm_unsalted(&token, 1_699_999_000, 3600),
        None
    );
    assert_eq!(key.check_confirm_unsalted(&token, i64::MIN, u64::MAX), None);
    assert_eq!(
        key.check_confirm_unsalted(&token, i64::MAX, u64::MAX),
        Some(77)
    );
}

#[test]
fn a_confirm_token_with_a_changed_time_is_refused() {
    let key = key();
    let token = key.confirm_token(77, None, 1_700_000_000, 0);
    let mut raw = URL_SAFE_NO_PAD.decode(&token).unwrap_or_default();
    raw[15] ^= 1;
    let forged = URL_SAFE_NO_PAD.encode(&raw);
    assert_eq!(
        key.check_confirm_unsalted(&forged, 1_700_000_000, 3600),
        None
    );
}

const OLD_KEY: &str = "the-old-key-before-rotation-0123";

#[test]
fn after_rotation_an_old_token_works_until_the_deadline_and_new_tokens_use_the_new_key() {
    let old = TokenKey::new(OLD_KEY).unwrap_or_else(|e| panic!("{e}"));
    let deadline = 1_800_000_000;
    let rotated = key()
        .with_previous(OLD_KEY, Some(deadline))
        .unwrap_or_else(|e| panic!("{e}"));
    let old_link = old.unsubscribe_token(42, None);
    assert_eq!(
        rotated.check_unsubscribe_at_unsalted(&old_link, deadline - 1),
        Some(42)
    );
    assert_eq!(
        rotated.check_unsubscribe_at_unsalted(&old_link, deadline),
        Some(42)
    );
    assert_eq!(
        rotated.check_unsubscribe_at_unsalted(&old_link, deadline + 1),
        None
    );
    let old_confirm = old.confirm_token(42, None, deadline - 60, 0);
    assert_eq!(
        rotated.check_confirm_unsalted(&old_confirm, deadline, 3600),
        Some(42)
    );
    assert_eq!(
        rotated.check_confirm_unsalted(&old_confirm, deadline + 1, 3600),
        None
    );

    // New tokens are made with the new key only.
    assert_eq!(
        rotated.unsubscribe_token(42, None),
        key().unsubscribe_token(42, None)
    );
    assert_ne!(rotated.unsubscribe_token(42, None), old_link);
    assert_eq!(
        old.check_unsubscribe_at_unsalted(&rotated.unsubscribe_token(42, None), 0),
        None
    );
    assert_eq!(
        rotated.check_unsubscribe_at_unsalted(&rotated.unsubscribe_token(42, None), deadline + 1),
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
        rotated.check_unsubscribe_at_unsalted(&old.unsubscribe_token(7, None), i64::MAX),
        Some(7)
    );
    let other = TokenKey::new("a-third-key-never-configured").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        rotated.check_unsubscribe_at_unsalted(&other.unsubscribe_token(7, None), 0),
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
        let _ = key.check_unsubscribe_unsalted(&s);
        let _ = key.check_confirm_unsalted(&s, 0, 60);
    }

    #[test]
    fn verify_refuses_random_tokens_of_the_right_shape(
        s in "[A-Za-z0-9_-]{32}",
        t in "[A-Za-z0-9_-]{54}",
    ) {
        let key = key();
        prop_assert_eq!(key.check_unsubscribe_unsalted(&s), None);
        prop_assert_eq!(key.check_confirm_unsalted(&t, 0, u64::MAX), None);
    }

    #[test]
    fn every_id_round_trips_with_any_salt(id in any::<i64>(), at in any::<i64>(), b in any::<u8>()) {
        let key = key();
        let salted = salt(b);
        prop_assert_eq!(
            key.check_unsubscribe(&key.unsubscribe_token(id, Some(&salted)), SaltLookup::Salted(salted), 0),
            Some(id)
        );
        prop_assert_eq!(
            key.check_confirm(&key.confirm_token(id, Some(&salted), at, id), SaltLookup::Salted(salted), at, 0),
            Some(ConfirmLink { subscriber_id: id, issued_at: at, after_change: Some(id) })
        );
        prop_assert_eq!(key.check_unsubscribe_unsalted(&key.unsubscribe_token(id, None)), Some(id));
        prop_assert_eq!(key.check_confirm_unsalted(&key.confirm_token(id, None, at, 0), at, 0), Some(id));
    }
}

/// Tokens, a Message-ID and a VERP tag made with the hmac crate before
/// postbode moved to aws-lc-rs (2026-11-30): links in mail already sent
/// must keep working, so the bytes may never change.
#[test]
fn links_ids_and_tags_made_before_the_crypto_library_changed_are_made_the_same() {
    let key = key();
    let salted = "AAAAAAAAACr2hScvohVHra6qt_a7an1E";
    assert_eq!(key.unsubscribe_token(42, Some(&salt(1))), salted);
    assert_eq!(
        key.check_unsubscribe(salted, SaltLookup::Salted(salt(1)), 0),
        Some(42)
    );
    let plain = "AAAAAAAAACpCqGOTcWwHqCqKeqS1huNS";
    assert_eq!(key.unsubscribe_token(42, None), plain);
    assert_eq!(key.check_unsubscribe_unsalted(plain), Some(42));
    let confirm = "AAAAAAAAACoAAAAAarE7gAAAAAAAAAAReO9n6XjPb201aYtE1-Izsg";
    assert_eq!(
        key.confirm_token(42, Some(&salt(1)), 1_790_000_000, 17),
        confirm
    );
    assert_eq!(
        crate::mail::message_id::message_id(&key, "2026-10-voorbij-de-pilot", 42, "example.org"),
        "<pb.cc75d945fb4732b8e7f5f90c4b612a81@example.org>"
    );
    let tags = crate::mail::verp::BounceTag::new(key.clone());
    assert_eq!(tags.make(42), "a7210493b965ae9c51438eeafb7a3f74136b");
}
