//! An issue's slug (`2026-11-leren-van-wat-werkt`). It comes from a folder
//! name and ends up in URLs, Message-IDs and CLI arguments, so it is checked
//! as given and never silently changed: a fixed-up slug would no longer
//! match its folder.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use super::ParseError;

const MAX_CHARS: usize = 100;
const HINT: &str = "use lowercase letters, digits and single dashes";

/// Runs of `a-z0-9` joined by single dashes, 1 to 100 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let reject = |problem: &str| Err(ParseError::new(format!("{problem}; {HINT}")));
        if s.is_empty() {
            return reject("the slug is empty");
        }
        if s.chars().any(|c| c.is_ascii_uppercase()) {
            return reject("the slug contains capital letters");
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return reject("the slug contains a character other than a-z, 0-9 and '-'");
        }
        if s.len() > MAX_CHARS {
            return reject("the slug is longer than 100 characters");
        }
        if s.starts_with('-') || s.ends_with('-') {
            return reject("the slug starts or ends with a dash");
        }
        if s.contains("--") {
            return reject("the slug has two dashes in a row");
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Slug {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Slug {
    type Error = ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl Serialize for Slug {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_slugs_are_kept_exactly() {
        let longest = "a".repeat(100);
        let cases: Vec<&str> = vec![
            "2026-11-leren-van-wat-werkt",
            "a",
            "1",
            "issue-1",
            "2027",
            "a-b-c-d",
            "x1y2-z3",
            &longest,
        ];
        for input in cases {
            assert_eq!(
                Slug::parse(input).map(|s| s.to_string()),
                Ok(input.to_string()),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn invalid_slugs_are_rejected_not_fixed() {
        let too_long = "a".repeat(101);
        let cases: Vec<(&str, &str)> = vec![
            ("", "empty"),
            ("Leren-Van-Wat-Werkt", "capital letters"),
            ("2026-11-Leren", "capital letters"),
            (" issue-1", "other than"),
            ("issue-1 ", "other than"),
            ("issue 1", "other than"),
            ("issue_1", "other than"),
            ("issue.1", "other than"),
            ("../etc", "other than"),
            ("café", "other than"),
            ("issue\n1", "other than"),
            ("-issue", "starts or ends with a dash"),
            ("issue-", "starts or ends with a dash"),
            ("-", "starts or ends with a dash"),
            ("issue--1", "two dashes in a row"),
            (&too_long, "longer than 100"),
        ];
        for (input, expected) in cases {
            match Slug::parse(input) {
                Ok(slug) => panic!("{input:?} was accepted as {slug:?}"),
                Err(error) => {
                    assert!(
                        error.reason.contains(expected),
                        "{input:?}: expected {expected:?}, got {:?}",
                        error.reason
                    );
                    assert!(error.reason.ends_with(HINT), "{:?}", error.reason);
                }
            }
        }
    }

    #[test]
    fn serde_writes_a_plain_string_and_reads_through_parse() {
        let json = Slug::parse("issue-1")
            .map_err(|e| e.to_string())
            .and_then(|s| serde_json::to_string(&s).map_err(|e| e.to_string()));
        assert_eq!(json, Ok("\"issue-1\"".to_string()));
        let bad: Result<Slug, _> = serde_json::from_str("\"Issue-1\"");
        assert!(bad.is_err());
    }

    fn assert_properties(input: &str) -> Result<(), TestCaseError> {
        if let Ok(slug) = Slug::parse(input) {
            prop_assert_eq!(slug.as_str(), input);
            prop_assert_eq!(Slug::parse(slug.as_str()), Ok(slug.clone()));
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
        fn parse_never_panics_on_slug_like_strings(input in "[a-zA-Z0-9 _.é\\-]{0,120}") {
            assert_properties(&input)?;
        }

        #[test]
        fn valid_slugs_round_trip(input in "[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,8}") {
            prop_assert_eq!(Slug::parse(&input).map(|s| s.to_string()), Ok(input.clone()));
        }
    }
}
