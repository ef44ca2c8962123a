//! The name of a mailing list (`default`, `nieuwsbrief`, `events-2027`). It is
//! typed on the command line and stored as a key, so it is kept to a small,
//! case-free alphabet.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use super::ParseError;

const MAX_CHARS: usize = 64;
const DEFAULT: &str = "default";

/// 1 to 64 of `a-z`, `0-9`, `_` and `-`, starting with a letter or digit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct ListName(String);

impl ListName {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        // ASCII-only lowercasing: Unicode lowercasing turns e.g. the Kelvin
        // sign into 'k', which would let look-alike names through.
        let name = s.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(ParseError::new("the list name is empty"));
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return Err(ParseError::new(
                "a list name may only contain letters, digits, '-' and '_'",
            ));
        }
        if name.len() > MAX_CHARS {
            return Err(ParseError::new(
                "the list name is longer than 64 characters",
            ));
        }
        if name.starts_with(['-', '_']) {
            return Err(ParseError::new(
                "a list name must start with a letter or digit",
            ));
        }
        Ok(Self(name))
    }

    /// The list subscribers join when no list is named.
    pub fn default_list() -> Self {
        Self(DEFAULT.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ListName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ListName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ListName {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ListName {
    type Error = ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl Serialize for ListName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_list_names_are_trimmed_and_lowercased() {
        let longest = "a".repeat(64);
        let cases: Vec<(&str, &str)> = vec![
            ("default", "default"),
            ("nieuwsbrief", "nieuwsbrief"),
            ("events-2027", "events-2027"),
            ("  Nieuwsbrief ", "nieuwsbrief"),
            ("EVENTS_2027", "events_2027"),
            ("2027", "2027"),
            ("a", "a"),
            ("a-", "a-"),
            ("a__b--c", "a__b--c"),
            (&longest, &longest),
        ];
        for (input, expected) in cases {
            assert_eq!(
                ListName::parse(input).map(|n| n.to_string()),
                Ok(expected.to_string()),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn invalid_list_names_are_rejected_with_a_reason() {
        let too_long = "a".repeat(65);
        let cases: Vec<(&str, &str)> = vec![
            ("", "empty"),
            ("   ", "empty"),
            ("-events", "start with a letter or digit"),
            ("_events", "start with a letter or digit"),
            ("my list", "may only contain"),
            ("nieuws.brief", "may only contain"),
            ("nieuws/brief", "may only contain"),
            ("café", "may only contain"),
            ("\u{212a}", "may only contain"),
            ("a\nb", "may only contain"),
            ("a\0", "may only contain"),
            (&too_long, "longer than 64"),
        ];
        for (input, expected) in cases {
            match ListName::parse(input) {
                Ok(name) => panic!("{input:?} was accepted as {name:?}"),
                Err(error) => assert!(
                    error.reason.contains(expected),
                    "{input:?}: expected {expected:?}, got {:?}",
                    error.reason
                ),
            }
        }
    }

    #[test]
    fn the_default_list_is_called_default_and_parses_to_itself() {
        assert_eq!(ListName::default_list().as_str(), "default");
        assert_eq!(ListName::parse("default"), Ok(ListName::default_list()));
    }

    #[test]
    fn serde_writes_a_plain_string_and_reads_through_parse() {
        let json = serde_json::to_string(&ListName::default_list()).map_err(|e| e.to_string());
        assert_eq!(json, Ok("\"default\"".to_string()));
        let read: Result<ListName, _> = serde_json::from_str("\"Events-2027\"");
        assert_eq!(
            read.map(|n| n.to_string()).map_err(|e| e.to_string()),
            Ok("events-2027".to_string())
        );
        let bad: Result<ListName, _> = serde_json::from_str("\"my list\"");
        assert!(bad.is_err());
    }

    fn assert_properties(input: &str) -> Result<(), TestCaseError> {
        if let Ok(name) = ListName::parse(input) {
            let s = name.as_str();
            prop_assert!((1..=MAX_CHARS).contains(&s.len()));
            prop_assert!(
                s.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'-'
                    || b == b'_')
            );
            prop_assert_eq!(ListName::parse(s), Ok(name.clone()));
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_any_string(input in any::<String>()) {
            assert_properties(&input)?;
        }

        #[test]
        fn parse_never_panics_on_printable_strings(input in "\\PC*") {
            assert_properties(&input)?;
        }

        #[test]
        fn parse_never_panics_on_list_like_strings(input in "[ a-zA-Z0-9_.@\\-\u{212a}é]{0,80}") {
            assert_properties(&input)?;
        }

        #[test]
        fn valid_list_names_round_trip(input in "[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}") {
            let expected = input.to_ascii_lowercase();
            prop_assert_eq!(ListName::parse(&input).map(|n| n.to_string()), Ok(expected));
            assert_properties(&input)?;
        }
    }
}
