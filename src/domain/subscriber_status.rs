//! Where a subscriber stands. Sending, importing and the unsubscribe page all
//! branch on it, so it is an enum rather than a string compared in many places.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use super::ParseError;

/// `pending -> active -> unsubscribed | bounced | complained`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub enum SubscriberStatus {
    /// Signed up, has not yet confirmed (double opt-in).
    Pending,
    /// Receives mail.
    Active,
    /// Left by choice.
    Unsubscribed,
    /// The address does not exist (a permanent SMTP failure).
    Bounced,
    /// Marked a message as spam.
    Complained,
}

impl SubscriberStatus {
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Active,
        Self::Unsubscribed,
        Self::Bounced,
        Self::Complained,
    ];

    /// Case-insensitive, ignoring surrounding whitespace.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|status| status.as_str()).collect();
                ParseError::new(format!("unknown status; use one of {}", names.join(", ")))
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Unsubscribed => "unsubscribed",
            Self::Bounced => "bounced",
            Self::Complained => "complained",
        }
    }

    /// True for people who left. An import must never make them active
    /// again: only they themselves can, by subscribing anew.
    pub fn is_gone(self) -> bool {
        matches!(self, Self::Unsubscribed | Self::Bounced | Self::Complained)
    }
}

impl fmt::Display for SubscriberStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SubscriberStatus {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for SubscriberStatus {
    type Error = ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl Serialize for SubscriberStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_status_parses_from_its_name_in_any_case() {
        let cases = [
            ("pending", SubscriberStatus::Pending),
            ("ACTIVE", SubscriberStatus::Active),
            (" Unsubscribed ", SubscriberStatus::Unsubscribed),
            ("bounced\n", SubscriberStatus::Bounced),
            ("Complained", SubscriberStatus::Complained),
        ];
        for (input, expected) in cases {
            assert_eq!(SubscriberStatus::parse(input), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn unknown_statuses_are_rejected_with_the_choices() {
        for input in [
            "",
            " ",
            "activ",
            "actief",
            "un-subscribed",
            "active,",
            "a\u{0}",
        ] {
            let error = SubscriberStatus::parse(input).map(|s| s.as_str());
            assert_eq!(
                error,
                Err(ParseError::new(
                    "unknown status; use one of pending, active, unsubscribed, bounced, complained"
                )),
                "{input:?}"
            );
        }
    }

    #[test]
    fn only_people_who_left_are_gone() {
        let gone: Vec<_> = SubscriberStatus::ALL
            .into_iter()
            .filter(|s| s.is_gone())
            .collect();
        assert_eq!(
            gone,
            [
                SubscriberStatus::Unsubscribed,
                SubscriberStatus::Bounced,
                SubscriberStatus::Complained
            ]
        );
    }

    #[test]
    fn every_status_round_trips_through_display_from_str_and_serde() {
        for status in SubscriberStatus::ALL {
            assert_eq!(status.to_string(), status.as_str());
            assert_eq!(status.to_string().parse(), Ok(status));
            let json = serde_json::to_string(&status).map_err(|e| e.to_string());
            assert_eq!(json, Ok(format!("\"{}\"", status.as_str())));
            let read: Result<SubscriberStatus, _> =
                serde_json::from_str(&format!("\"{}\"", status.as_str()));
            assert_eq!(read.map_err(|e| e.to_string()), Ok(status));
        }
        let bad: Result<SubscriberStatus, _> = serde_json::from_str("\"gone\"");
        assert!(bad.is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_any_string(input in any::<String>()) {
            if let Ok(status) = SubscriberStatus::parse(&input) {
                prop_assert!(status.as_str().eq_ignore_ascii_case(input.trim()));
            }
        }

        #[test]
        fn parse_never_panics_on_printable_strings(input in "\\PC*") {
            let _ = SubscriberStatus::parse(&input);
        }

        #[test]
        fn parse_ignores_case(index in 0..5usize, upper in proptest::collection::vec(any::<bool>(), 12)) {
            let status = SubscriberStatus::ALL[index];
            let mixed: String = status
                .as_str()
                .chars()
                .zip(upper.iter().cycle())
                .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c })
                .collect();
            prop_assert_eq!(SubscriberStatus::parse(&mixed), Ok(status));
        }
    }
}
