//! Where a subscriber's status change came from, recorded with every change
//! so "why is this person unsubscribed?" has an answer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use super::ParseError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub enum ChangeSource {
    /// An admin ran a `postbode subscribers` command.
    Cli,
    /// A CSV import.
    Import,
    /// The subscribe or unsubscribe page (a person clicking a button).
    Page,
    /// An RFC 8058 one-click unsubscribe POST from a mail client.
    OneClick,
    /// A permanent SMTP failure.
    Bounce,
    /// A spam complaint.
    Complaint,
    /// The double opt-in confirmation link.
    Confirm,
    /// "I changed my mind" on the page after an unsubscribe.
    Resubscribe,
    /// An admin lifting a suppression (`subscribers unsuppress`).
    Admin,
}

impl ChangeSource {
    pub const ALL: [Self; 9] = [
        Self::Cli,
        Self::Import,
        Self::Page,
        Self::OneClick,
        Self::Bounce,
        Self::Complaint,
        Self::Confirm,
        Self::Resubscribe,
        Self::Admin,
    ];

    /// Case-insensitive, ignoring surrounding whitespace.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|source| source.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|source| source.as_str()).collect();
                ParseError::new(format!(
                    "unknown change source; use one of {}",
                    names.join(", ")
                ))
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cli => "cli",
            Self::Import => "import",
            Self::Page => "page",
            Self::OneClick => "one-click",
            Self::Bounce => "bounce",
            Self::Complaint => "complaint",
            Self::Confirm => "confirm",
            Self::Resubscribe => "resubscribe",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for ChangeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChangeSource {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ChangeSource {
    type Error = ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl Serialize for ChangeSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_source_parses_from_its_name_in_any_case() {
        let cases = [
            ("cli", ChangeSource::Cli),
            ("IMPORT", ChangeSource::Import),
            (" page ", ChangeSource::Page),
            ("one-click", ChangeSource::OneClick),
            ("One-Click", ChangeSource::OneClick),
            ("bounce", ChangeSource::Bounce),
            ("complaint\t", ChangeSource::Complaint),
            ("Confirm", ChangeSource::Confirm),
            ("resubscribe", ChangeSource::Resubscribe),
            ("ADMIN", ChangeSource::Admin),
        ];
        for (input, expected) in cases {
            assert_eq!(ChangeSource::parse(input), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn unknown_sources_are_rejected_with_the_choices() {
        for input in [
            "",
            "oneclick",
            "one_click",
            "one click",
            "web",
            "bounced",
            "c li",
        ] {
            assert_eq!(
                ChangeSource::parse(input),
                Err(ParseError::new(
                    "unknown change source; use one of cli, import, page, one-click, bounce, complaint, confirm, resubscribe, admin"
                )),
                "{input:?}"
            );
        }
    }

    #[test]
    fn every_source_round_trips_through_display_from_str_and_serde() {
        for source in ChangeSource::ALL {
            assert_eq!(source.to_string(), source.as_str());
            assert_eq!(source.to_string().parse(), Ok(source));
            let json = serde_json::to_string(&source).map_err(|e| e.to_string());
            assert_eq!(json, Ok(format!("\"{}\"", source.as_str())));
            let read: Result<ChangeSource, _> =
                serde_json::from_str(&format!("\"{}\"", source.as_str()));
            assert_eq!(read.map_err(|e| e.to_string()), Ok(source));
        }
        let bad: Result<ChangeSource, _> = serde_json::from_str("\"OneClick\"");
        assert!(bad.is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_any_string(input in any::<String>()) {
            if let Ok(source) = ChangeSource::parse(&input) {
                prop_assert!(source.as_str().eq_ignore_ascii_case(input.trim()));
            }
        }

        #[test]
        fn parse_never_panics_on_printable_strings(input in "\\PC*") {
            let _ = ChangeSource::parse(&input);
        }

        #[test]
        fn parse_never_panics_on_source_like_strings(input in "[a-zA-Z \\-_]{0,12}") {
            let _ = ChangeSource::parse(&input);
        }
    }
}
