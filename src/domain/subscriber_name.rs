//! A subscriber's display name. It ends up in `To:` headers and in
//! personalised bodies, so anything that could break a header or disguise
//! text is refused here, once.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use super::ParseError;

const MAX_CHARS: usize = 256;

/// A trimmed name with single spaces and no control or bidi characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct SubscriberName(String);

impl SubscriberName {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        // Checked before whitespace is collapsed: a line break or tab inside
        // a name is a sign of broken or hostile input, not of formatting.
        if s.chars().any(is_line_break) {
            return Err(ParseError::new("the name contains a line break"));
        }
        if s.chars().any(char::is_control) {
            return Err(ParseError::new("the name contains a control character"));
        }
        if s.chars().any(is_invisible_control) {
            return Err(ParseError::new(
                "the name contains an invisible formatting character (like a text-direction override)",
            ));
        }
        let name = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err(ParseError::new("the name is empty"));
        }
        if name.chars().count() > MAX_CHARS {
            return Err(ParseError::new("the name is longer than 256 characters"));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_line_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Characters that change how the surrounding text is shown without being
/// seen: bidi marks, embeddings, overrides and isolates (used to disguise
/// text), and the byte-order mark. ZWJ/ZWNJ stay: some scripts and emoji
/// need them.
fn is_invisible_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

impl AsRef<str> for SubscriberName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubscriberName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SubscriberName {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for SubscriberName {
    type Error = ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl Serialize for SubscriberName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_names_are_trimmed_and_their_spaces_collapsed() {
        let longest = "é".repeat(256);
        let cases: Vec<(&str, &str)> = vec![
            ("Anna", "Anna"),
            ("  Anna de Vries  ", "Anna de Vries"),
            ("Anna    de   Vries", "Anna de Vries"),
            ("Anna\u{a0}de\u{2003}Vries", "Anna de Vries"),
            ("Jürgen Groß", "Jürgen Groß"),
            ("Seán O'Brien", "Seán O'Brien"),
            ("Zoë \"Zo\" Smit", "Zoë \"Zo\" Smit"),
            ("Smit, Jan", "Smit, Jan"),
            ("李小龙", "李小龙"),
            ("محمد", "محمد"),
            ("👩\u{200d}💻 Dev", "👩\u{200d}💻 Dev"),
            ("می\u{200c}خواهم", "می\u{200c}خواهم"),
            ("<Anna>", "<Anna>"),
            ("x", "x"),
            (&longest, &longest),
        ];
        for (input, expected) in cases {
            assert_eq!(
                SubscriberName::parse(input).map(|n| n.to_string()),
                Ok(expected.to_string()),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn invalid_names_are_rejected_with_a_reason() {
        let too_long = "é".repeat(257);
        let cases: Vec<(&str, &str)> = vec![
            ("", "empty"),
            ("   ", "empty"),
            ("\u{3000}\u{a0}", "empty"),
            ("Anna\r\nBcc: evil@x.com", "line break"),
            ("Anna\nde Vries", "line break"),
            ("Anna\r", "line break"),
            ("Anna\u{85}", "line break"),
            ("Anna\u{2028}de", "line break"),
            ("Anna\u{2029}de", "line break"),
            ("Anna\tde Vries", "control character"),
            ("Anna\0", "control character"),
            ("Anna\u{1b}[2J", "control character"),
            ("Anna\u{7f}", "control character"),
            ("Anna\u{9b}", "control character"),
            ("evil\u{202e}gnp.exe", "invisible formatting"),
            ("Anna\u{202a}", "invisible formatting"),
            ("Anna\u{2066}x\u{2069}", "invisible formatting"),
            ("Anna\u{200f}", "invisible formatting"),
            ("\u{feff}Anna", "invisible formatting"),
            (&too_long, "longer than 256"),
        ];
        for (input, expected) in cases {
            match SubscriberName::parse(input) {
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
    fn the_limit_counts_characters_not_bytes() {
        let name = "ü".repeat(256);
        assert!(name.len() > 256);
        assert!(SubscriberName::parse(&name).is_ok());
    }

    #[test]
    fn serde_writes_a_plain_string_and_reads_through_parse() {
        let json = SubscriberName::parse("Anna")
            .map_err(|e| e.to_string())
            .and_then(|n| serde_json::to_string(&n).map_err(|e| e.to_string()));
        assert_eq!(json, Ok("\"Anna\"".to_string()));
        let read: Result<SubscriberName, _> = serde_json::from_str("\"  Anna  Smit \"");
        assert_eq!(
            read.map(|n| n.to_string()).map_err(|e| e.to_string()),
            Ok("Anna Smit".to_string())
        );
        let bad: Result<SubscriberName, _> = serde_json::from_str("\"a\\nb\"");
        assert!(bad.is_err());
    }

    fn name_like() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-zA-Z]{1,8}",
            "[ \t\r\n\u{a0}\u{3000}\u{85}\u{2028}\u{2029}]{1,3}",
            "[\u{202a}-\u{202e}\u{2066}-\u{2069}\u{200b}-\u{200f}\u{feff}\u{61c}]",
            "[éüß李محمد👩\u{301}]",
            any::<char>().prop_map(String::from),
        ];
        proptest::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
    }

    fn assert_properties(input: &str) -> Result<(), TestCaseError> {
        if let Ok(name) = SubscriberName::parse(input) {
            let s = name.as_str();
            prop_assert!(!s.chars().any(|c| c.is_control() || is_invisible_control(c)));
            prop_assert!(!s.chars().any(|c| c.is_whitespace() && c != ' '));
            prop_assert!(!s.contains("  "));
            prop_assert_eq!(s.trim(), s);
            prop_assert!(!s.is_empty() && s.chars().count() <= MAX_CHARS);
            prop_assert_eq!(SubscriberName::parse(s), Ok(name.clone()));
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
        fn parse_never_panics_on_name_like_strings(input in name_like()) {
            assert_properties(&input)?;
        }

        #[test]
        fn ordinary_names_round_trip(input in "[A-Za-zéü' -]{1,40}") {
            assert_properties(&input)?;
        }
    }
}
