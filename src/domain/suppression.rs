//! The suppression list's vocabulary: why an address may not be added
//! again, and the keyed hash it is kept under.
//!
//! When someone is erased, unsubscribes, hard-bounces or complains, the
//! store keeps HMAC-SHA256(`secrets.suppression_key`, normalised address)
//! with the reason and the date. The list holds no readable addresses: a
//! hash can only be matched by hashing an address one already has, with
//! the key. The key is never rotated (the list has no addresses to hash
//! again), so it must be backed up with the database: without it, nothing
//! on the list matches any more.

use std::fmt;

use aws_lc_rs::hmac;

use super::{EmailAddress, NormalisedMailbox, ParseError, SubscriberStatus};

/// Shorter keys are guessable offline from the list.
const MIN_KEY_LEN: usize = 16;

/// Why an address is on the suppression list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SuppressionReason {
    /// Erased (`subscribers remove`).
    Erased,
    /// Unsubscribed, by any source.
    Unsubscribed,
    /// A hard bounce: the address does not exist.
    Bounced,
    /// A spam complaint.
    Complained,
}

impl SuppressionReason {
    pub const ALL: [Self; 4] = [
        Self::Erased,
        Self::Unsubscribed,
        Self::Bounced,
        Self::Complained,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Erased => "erased",
            Self::Unsubscribed => "unsubscribed",
            Self::Bounced => "bounced",
            Self::Complained => "complained",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| ParseError::new("unknown suppression reason"))
    }

    /// True when only the person can lift it (by subscribing again with
    /// double opt-in); otherwise only an admin can (`unsuppress`).
    pub fn lifted_by_person(self) -> bool {
        matches!(self, Self::Erased | Self::Unsubscribed)
    }

    /// The reason someone who now has `status` is suppressed; `None` for
    /// pending and active people.
    pub fn for_status(status: SubscriberStatus) -> Option<Self> {
        match status {
            SubscriberStatus::Pending | SubscriberStatus::Active => None,
            SubscriberStatus::Unsubscribed => Some(Self::Unsubscribed),
            SubscriberStatus::Bounced => Some(Self::Bounced),
            SubscriberStatus::Complained => Some(Self::Complained),
        }
    }

    /// The reason kept for someone erased while they had `status`: a
    /// bounce or complaint stays what it was (only an admin lifts it).
    pub fn for_erasure(status: SubscriberStatus) -> Self {
        match Self::for_status(status) {
            Some(reason) if !reason.lifted_by_person() => reason,
            _ => Self::Erased,
        }
    }
}

impl fmt::Display for SuppressionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `secrets.suppression_key`, ready to hash addresses. Debug never shows it.
/// aws-lc-rs directly rather than `crate::crypto`, which holds the same
/// HMAC: the domain imports nothing from the crate.
#[derive(Clone)]
pub struct SuppressionKey(hmac::Key);

impl fmt::Debug for SuppressionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SuppressionKey(<secret>)")
    }
}

impl SuppressionKey {
    /// Takes the configured key as it is (its UTF-8 bytes); at least 16
    /// bytes.
    pub fn parse(key: &str) -> Result<Self, ParseError> {
        if key.len() < MIN_KEY_LEN {
            return Err(ParseError::new(format!(
                "it is {} bytes long and must be at least {MIN_KEY_LEN}",
                key.len()
            )));
        }
        Ok(SuppressionKey(hmac::Key::new(
            hmac::HMAC_SHA256,
            key.as_bytes(),
        )))
    }

    /// The hash an address is kept under: HMAC-SHA256 of its normalised
    /// form, case folded ([`EmailAddress::key`]), as the store compares
    /// addresses.
    pub fn hash(&self, address: &EmailAddress) -> AddressHash {
        self.keyed(b"suppression\0", address.key().as_bytes())
    }

    /// The hash the public pages count mails to `mailbox` under (see
    /// `store::address_mails`): the same key for another purpose, so the
    /// two tables' hashes cannot be matched with each other.
    pub fn mailbox_hash(&self, mailbox: &NormalisedMailbox) -> AddressHash {
        self.keyed(b"address-mails\0", mailbox.as_str().as_bytes())
    }

    /// HMAC-SHA256(key, purpose || text).
    fn keyed(&self, purpose: &[u8], text: &[u8]) -> AddressHash {
        let mut mac = hmac::Context::with_key(&self.0);
        mac.update(purpose);
        mac.update(text);
        let mut out = [0u8; 32];
        out.copy_from_slice(mac.sign().as_ref());
        AddressHash(out)
    }
}

/// An address as the suppression list keeps it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressHash([u8; 32]);

impl AddressHash {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for AddressHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex: String = self.0[..6].iter().map(|b| format!("{b:02x}")).collect();
        write!(f, "AddressHash({hex}…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> SuppressionKey {
        SuppressionKey::parse(k).unwrap_or_else(|e| panic!("{e}"))
    }

    fn address(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_hash_ignores_case_and_depends_on_the_key() {
        let k = key("suppression-key-0123456789");
        let a = k.hash(&address("Anna@Example.NL"));
        assert_eq!(a, k.hash(&address("anna@example.nl")));
        assert_ne!(a, k.hash(&address("anne@example.nl")));
        assert_ne!(
            a,
            key("another-key-0123456789").hash(&address("anna@example.nl"))
        );
    }

    /// The hashes stored before aws-lc-rs made them (RustCrypto's HMAC, a
    /// dev-dependency now): were they to change, nothing on the list
    /// would match any more.
    #[test]
    fn hashes_are_those_rustcryptos_hmac_made() {
        use ::hmac::Mac as _;
        let oracle = |purpose: &[u8], text: &str| {
            let mut mac =
                ::hmac::Hmac::<sha2::Sha256>::new_from_slice(b"suppression-key-0123456789")
                    .unwrap_or_else(|_| panic!("any key length"));
            mac.update(purpose);
            mac.update(text.as_bytes());
            <[u8; 32]>::from(mac.finalize().into_bytes())
        };
        let k = key("suppression-key-0123456789");
        let hash = k.hash(&address("Anna@Example.NL"));
        assert_eq!(
            hash.as_bytes(),
            &oracle(b"suppression\0", "anna@example.nl")
        );
        let mailbox = NormalisedMailbox::of(&address("Anna.B+news@Gmail.com"));
        assert_eq!(
            k.mailbox_hash(&mailbox).as_bytes(),
            &oracle(b"address-mails\0", mailbox.as_str())
        );
    }

    #[test]
    fn a_short_key_is_refused_and_debug_hides_the_key() {
        assert!(SuppressionKey::parse("short").is_err());
        let shown = format!("{:?}", key("suppression-key-0123456789"));
        assert!(!shown.contains("0123"), "{shown}");
    }

    #[test]
    fn erasing_keeps_a_bounce_or_complaint_and_otherwise_says_erased() {
        use SubscriberStatus::*;
        assert_eq!(
            SuppressionReason::for_erasure(Active),
            SuppressionReason::Erased
        );
        assert_eq!(
            SuppressionReason::for_erasure(Pending),
            SuppressionReason::Erased
        );
        assert_eq!(
            SuppressionReason::for_erasure(Unsubscribed),
            SuppressionReason::Erased
        );
        assert_eq!(
            SuppressionReason::for_erasure(Bounced),
            SuppressionReason::Bounced
        );
        assert_eq!(
            SuppressionReason::for_erasure(Complained),
            SuppressionReason::Complained
        );
        for reason in SuppressionReason::ALL {
            assert_eq!(SuppressionReason::parse(reason.as_str()), Ok(reason));
        }
    }
}
