//! A per-subscriber random value mixed into the MAC of their link tokens,
//! so a link made for one person can never match another, even one who
//! somehow got the same id. The database gives every new subscriber one
//! (a column default, so no insert path can forget it); people stored
//! before it existed have none, and their tokens keep the old form.

use std::fmt;

use super::ParseError;

/// 16 bytes, as stored in `subscribers.link_salt`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LinkSalt([u8; 16]);

impl LinkSalt {
    pub const LEN: usize = 16;

    /// The stored bytes; anything but 16 of them is refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<LinkSalt, ParseError> {
        bytes
            .try_into()
            .map(LinkSalt)
            .map_err(|_| ParseError::new(format!("a link salt has 16 bytes, not {}", bytes.len())))
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

/// What a genuine confirmation link says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfirmLink {
    pub subscriber_id: i64,
    /// When it was made, Unix seconds (it expires).
    pub issued_at: i64,
    /// The id of the person's last status change when it was made: the
    /// link works only while that is still their last one, so once it (or
    /// anything else) changed their status, it is spent. `None` for a link
    /// made before links carried it (their time is compared instead).
    pub after_change: Option<i64>,
}

/// What the store knows of the id in a link token, for checking its MAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaltLookup {
    /// No subscriber has this id (never had, or erased).
    Nobody,
    /// Stored before link salts existed: their tokens have none.
    Unsalted,
    Salted(LinkSalt),
}

impl SaltLookup {
    /// The salt to make a token with; `None` for an unsalted subscriber
    /// (and for nobody).
    pub fn salt(&self) -> Option<&LinkSalt> {
        match self {
            SaltLookup::Salted(salt) => Some(salt),
            SaltLookup::Unsalted | SaltLookup::Nobody => None,
        }
    }
}

impl fmt::Debug for LinkSalt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkSalt(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sixteen_bytes_make_a_salt() {
        assert!(LinkSalt::from_bytes(&[7; 16]).is_ok());
        assert!(LinkSalt::from_bytes(&[7; 15]).is_err());
        assert!(LinkSalt::from_bytes(&[]).is_err());
        assert_eq!(
            LinkSalt::from_bytes(&[1; 16]).map(|s| *s.as_bytes()),
            Ok([1; 16])
        );
    }
}
