//! The language of a newsletter or issue (`nl`, `nl-BE`), as a small subset of
//! BCP 47: enough for `<html lang>` and date formatting, strict enough that a
//! typo is caught at load time instead of showing up in sent mail.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use super::ParseError;

const EXAMPLES: &str = "like nl, en or nl-BE";

/// A language subtag (2–3 letters, lowercase), optionally followed by a
/// region subtag (2 letters, uppercase, or 3 digits).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Language(String);

impl Language {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let tag = s.trim();
        if tag.is_empty() {
            return Err(ParseError::new(format!(
                "the language is empty; use a tag {EXAMPLES}"
            )));
        }
        if tag.contains('_') {
            return Err(ParseError::new(
                "use a dash between language and region, like nl-BE",
            ));
        }
        let mut parts = tag.split('-');
        let primary = parts.next().unwrap_or_default();
        let region = parts.next();
        if parts.next().is_some() {
            return Err(ParseError::new(format!(
                "only a language and a region are supported, {EXAMPLES}"
            )));
        }
        if !((2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic())) {
            return Err(ParseError::new(format!(
                "the language must start with a 2 or 3 letter code, {EXAMPLES}"
            )));
        }
        let mut normalised = primary.to_ascii_lowercase();
        if let Some(region) = region {
            let bytes = region.as_bytes();
            let letters = bytes.len() == 2 && bytes.iter().all(u8::is_ascii_alphabetic);
            let digits = bytes.len() == 3 && bytes.iter().all(u8::is_ascii_digit);
            if !(letters || digits) {
                return Err(ParseError::new(
                    "the region must be 2 letters or 3 digits, like BE or 419",
                ));
            }
            normalised.push('-');
            normalised.push_str(&region.to_ascii_uppercase());
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The language without its region: `nl` for `nl-BE`.
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or_default()
    }

    /// The region, if any: `BE` for `nl-BE`.
    pub fn region(&self) -> Option<&str> {
        self.0.split_once('-').map(|(_, region)| region)
    }
}

impl AsRef<str> for Language {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Language {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Language {
    type Error = ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl Serialize for Language {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_tags_are_normalised() {
        let cases: Vec<(&str, &str, &str, Option<&str>)> = vec![
            ("nl", "nl", "nl", None),
            ("en", "en", "en", None),
            ("NL", "nl", "nl", None),
            (" nl ", "nl", "nl", None),
            ("nl-BE", "nl-BE", "nl", Some("BE")),
            ("en-gb", "en-GB", "en", Some("GB")),
            ("EN-GB", "en-GB", "en", Some("GB")),
            ("fry", "fry", "fry", None),
            ("fry-NL", "fry-NL", "fry", Some("NL")),
            ("es-419", "es-419", "es", Some("419")),
        ];
        for (input, expected, primary, region) in cases {
            let language = Language::parse(input);
            assert_eq!(
                language
                    .as_ref()
                    .map(|l| (l.as_str(), l.primary(), l.region())),
                Ok((expected, primary, region)),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn invalid_tags_are_rejected_with_a_reason() {
        let cases: Vec<(&str, &str)> = vec![
            ("", "empty"),
            ("  ", "empty"),
            ("n", "2 or 3 letter code"),
            ("dutch", "2 or 3 letter code"),
            ("n1", "2 or 3 letter code"),
            ("-BE", "2 or 3 letter code"),
            ("né", "2 or 3 letter code"),
            ("nl_BE", "use a dash"),
            ("nl-", "region must be"),
            ("nl-B", "region must be"),
            ("nl-BEL", "region must be"),
            ("nl-12", "region must be"),
            ("nl-1234", "region must be"),
            ("nl-B1", "region must be"),
            ("nl BE", "2 or 3 letter code"),
            ("zh-Hant-TW", "only a language and a region"),
            ("nl-BE-x", "only a language and a region"),
        ];
        for (input, expected) in cases {
            match Language::parse(input) {
                Ok(language) => panic!("{input:?} was accepted as {language:?}"),
                Err(error) => assert!(
                    error.reason.contains(expected),
                    "{input:?}: expected {expected:?}, got {:?}",
                    error.reason
                ),
            }
        }
    }

    #[test]
    fn serde_writes_a_plain_string_and_reads_through_parse() {
        let json = Language::parse("nl-be")
            .map_err(|e| e.to_string())
            .and_then(|l| serde_json::to_string(&l).map_err(|e| e.to_string()));
        assert_eq!(json, Ok("\"nl-BE\"".to_string()));
        let bad: Result<Language, _> = serde_json::from_str("\"dutch\"");
        assert!(bad.is_err());
    }

    fn assert_properties(input: &str) -> Result<(), TestCaseError> {
        if let Ok(language) = Language::parse(input) {
            prop_assert_eq!(Language::parse(language.as_str()), Ok(language.clone()));
            prop_assert!(language.as_str().starts_with(language.primary()));
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
        fn parse_never_panics_on_tag_like_strings(input in "[a-zA-Z0-9 _é\\-]{0,12}") {
            assert_properties(&input)?;
        }

        #[test]
        fn valid_tags_round_trip(input in "[a-zA-Z]{2,3}(-([a-zA-Z]{2}|[0-9]{3}))?") {
            prop_assert!(Language::parse(&input).is_ok());
            assert_properties(&input)?;
        }
    }
}
