//! The Message-ID of an issue's mail to one subscriber (and of a system
//! mail to one person).
//!
//! It is derived, not random: the same issue and subscriber always give the
//! same id. When a crash makes the dispatcher send a message a second time,
//! both copies carry one Message-ID and mail clients show them as one
//! (DESIGN.md, "Guarantees").
//!
//! It is a MAC, not the ids themselves: `<pb.{hex}@{domain}>` with the
//! first 16 bytes of HMAC-SHA256(`secrets.token_key`, "message-id" ||
//! issue || subscriber id) in lowercase hex. Ids in the clear would let a
//! recipient count the list (subscriber ids go up one by one) and guess the
//! Message-ID of someone else's copy; a MAC gives neither. Its label is its
//! own (see `token.rs`), so it is never a link token. A bounce report that
//! quotes it is matched to its delivery by the `message_id` the deliveries
//! table keeps (`Store::delivery_by_message_id`): 128 bits nobody outside
//! can make up.
//!
//! Made with the current key only: after a key rotation, a message re-sent
//! after a crash gets a new id. Rotations are rare and a crash in the same
//! minute rarer still; mail clients then show two copies, nothing worse.

use std::fmt::Write as _;

use super::TokenKey;

const LABEL: &[u8] = b"message-id";
/// 128 bits of MAC.
const MAC_LEN: usize = 16;

/// `<pb.{32 hex digits}@{domain}>`, for example
/// `<pb.5f0c…e1@example.org>`, for the mail `issue` (an issue's slug, or a
/// system mail's kind and time) to `subscriber_id`.
///
/// `domain` is the From address's domain, so the id points at the sender.
/// It is already clean when it comes from `domain::EmailAddress::domain`;
/// any other character is replaced by `-` anyway, so the result is always a
/// valid `msg-id` and can never break the header it goes into.
pub fn message_id(key: &TokenKey, issue: &str, subscriber_id: i64, domain: &str) -> String {
    let length = u64::try_from(issue.len()).unwrap_or(u64::MAX).to_be_bytes();
    let mac = key.current().mac(
        LABEL,
        &[&length, issue.as_bytes(), &subscriber_id.to_be_bytes()],
    );
    let domain: String = domain
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let domain = domain.trim_matches('.');
    let domain = if domain.is_empty() { "invalid" } else { domain };
    let mut id = String::with_capacity(4 + 2 * MAC_LEN + 2 + domain.len());
    id.push_str("<pb.");
    for byte in &mac[..MAC_LEN] {
        let _ = write!(id, "{byte:02x}");
    }
    let _ = write!(id, "@{domain}>");
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TokenKey {
        TokenKey::new("0123456789abcdef-test-key").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_id_is_nothing_but_the_mac_under_the_domain() {
        // RustCrypto's HMAC (a dev-dependency), what made the ids before
        // aws-lc-rs: the independent check.
        use hmac::{Hmac, Mac};
        let id = message_id(&key(), "2026-10-voorbij-de-pilot", 42, "example.org");
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"0123456789abcdef-test-key")
            .unwrap_or_else(|_| panic!());
        mac.update(b"message-id");
        mac.update(&24u64.to_be_bytes());
        mac.update(b"2026-10-voorbij-de-pilot");
        mac.update(&42i64.to_be_bytes());
        let full = mac.finalize().into_bytes();
        let hex: String = full[..16].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(id, format!("<pb.{hex}@example.org>"));
    }

    #[test]
    fn the_same_inputs_give_the_same_id_and_others_another() {
        let key = key();
        let id = message_id(&key, "nov", 7, "example.org");
        assert_eq!(id, message_id(&key, "nov", 7, "example.org"));
        assert_ne!(id, message_id(&key, "nov", 8, "example.org"));
        assert_ne!(id, message_id(&key, "dec", 7, "example.org"));
        // The issue's length is under the MAC: no shifting of characters
        // between issue and subscriber gives the same input.
        assert_ne!(
            message_id(&key, "a", 0x0100, "example.org"),
            message_id(&key, "a\u{1}", 0, "example.org")
        );
        let other = TokenKey::new("another key of enough length").unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(id, message_id(&other, "nov", 7, "example.org"));
    }

    #[test]
    fn consecutive_subscribers_give_ids_in_no_order() {
        let key = key();
        let ids: Vec<String> = (1..=50)
            .map(|n| message_id(&key, "nov", n, "example.org"))
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_ne!(sorted, ids, "ids sort in subscriber order");
        sorted.dedup();
        assert_eq!(sorted.len(), 50);
    }

    #[test]
    fn unexpected_characters_cannot_break_the_header() {
        let id = message_id(&key(), "a>b\r\nBcc: x", -3, "ex ample.org>\n");
        assert!(id.ends_with("@ex-ample.org-->"), "{id}");
        assert!(
            id[1..id.len() - 1]
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '<' && c != '>')
        );
        assert!(message_id(&key(), "x", 1, "").ends_with("@invalid>"));
    }
}
