//! A mailbox as it appears in a From or Reply-To header: an optional display
//! name and an address, written `Name <address>` or just `address`.

use std::fmt;

use super::{EmailAddress, ParseError, SubscriberName};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    /// Shown by mail clients instead of the bare address.
    pub name: Option<SubscriberName>,
    pub address: EmailAddress,
}

impl Mailbox {
    /// Parses `Name <address>`, `"Name" <address>` or a bare `address`.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim();
        match s.strip_suffix('>').and_then(|rest| rest.rsplit_once('<')) {
            Some((name, address)) => {
                let name = name.trim();
                let name = name
                    .strip_prefix('"')
                    .and_then(|n| n.strip_suffix('"'))
                    .unwrap_or(name);
                let name = if name.trim().is_empty() {
                    None
                } else {
                    Some(SubscriberName::parse(name)?)
                };
                Ok(Mailbox {
                    name,
                    address: EmailAddress::parse(address)?,
                })
            }
            None if s.contains('<') || s.contains('>') => Err(ParseError::new(
                "write a mailbox as `Name <address@example.org>` or just the address",
            )),
            None => Ok(Mailbox {
                name: None,
                address: EmailAddress::parse(s)?,
            }),
        }
    }
}

/// Header form: the name is quoted when it holds RFC 5322 specials, so
/// `Jansen, Anna` cannot read as two addresses.
impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(name) = &self.name else {
            return f.write_str(self.address.as_str());
        };
        let name = name.as_str();
        if name.contains(|c: char| "()<>[]:;@\\,.\"".contains(c)) {
            let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
            write!(f, "\"{escaped}\" <{}>", self.address.as_str())
        } else {
            write!(f, "{name} <{}>", self.address.as_str())
        }
    }
}

impl<'de> serde::Deserialize<'de> for Mailbox {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Mailbox::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_and_address_are_split() {
        let m = Mailbox::parse("De Redactie <redactie@Example.org>").expect("valid");
        assert_eq!(m.name.as_ref().map(|n| n.as_str()), Some("De Redactie"));
        assert_eq!(m.address.as_str(), "redactie@example.org");
    }

    #[test]
    fn a_quoted_name_loses_its_quotes() {
        let m = Mailbox::parse("\"Jansen, Anna\" <anna@example.org>").expect("valid");
        assert_eq!(
            m.name.map(|n| n.as_str().to_owned()),
            Some("Jansen, Anna".into())
        );
    }

    #[test]
    fn names_with_specials_are_quoted_when_written() {
        let m = Mailbox::parse("\"Jansen, Anna\" <anna@example.org>").expect("valid");
        assert_eq!(m.to_string(), "\"Jansen, Anna\" <anna@example.org>");
        let m = Mailbox::parse("Anna Jansen <anna@example.org>").expect("valid");
        assert_eq!(m.to_string(), "Anna Jansen <anna@example.org>");
        assert_eq!(Mailbox::parse(&m.to_string()), Ok(m));
    }

    #[test]
    fn a_bare_address_has_no_name() {
        let m = Mailbox::parse("anna@example.org").expect("valid");
        assert!(m.name.is_none());
    }

    #[test]
    fn broken_brackets_and_bad_addresses_are_rejected() {
        for bad in [
            "Anna <anna@example.org",
            "Anna anna@example.org>",
            "Anna <nope>",
            "A\nB <a@example.org>",
        ] {
            assert!(Mailbox::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
