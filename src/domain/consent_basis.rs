//! The basis an admin states for adding or importing people
//! (`--basis "aanmelding op het congres 2026"`), kept with the proof of
//! consent. It is shown back on one line of `subscribers show`, so line
//! breaks and characters that disguise text are refused.

use std::fmt;

use super::ParseError;

const MAX_CHARS: usize = 500;

/// A trimmed, non-empty, single-line statement of where consent came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConsentBasis(String);

impl ConsentBasis {
    pub fn parse(s: &str) -> Result<ConsentBasis, ParseError> {
        if s.chars().any(char::is_control) {
            return Err(ParseError::new(
                "the basis contains a line break or another control character",
            ));
        }
        if s.chars().any(is_invisible_formatting) {
            return Err(ParseError::new(
                "the basis contains an invisible formatting character (like a text-direction override)",
            ));
        }
        let basis = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if basis.is_empty() {
            return Err(ParseError::new(
                "the basis is empty; leave --basis out when none is stated",
            ));
        }
        if basis.chars().count() > MAX_CHARS {
            return Err(ParseError::new("the basis is longer than 500 characters"));
        }
        Ok(ConsentBasis(basis))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Bidi marks, embeddings, overrides and isolates, the byte-order mark,
/// and the Unicode line and paragraph separators (not control characters,
/// but line breaks all the same).
fn is_invisible_formatting(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

impl fmt::Display for ConsentBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_basis_is_one_trimmed_line() {
        assert_eq!(
            ConsentBasis::parse("  aanmelding op  het congres 2026 ").map(|b| b.0),
            Ok("aanmelding op het congres 2026".into())
        );
        for bad in [
            "",
            "   ",
            "regel\nnog een",
            "a\u{202e}b",
            "a\u{2028}b",
            "x\u{0}",
        ] {
            assert!(ConsentBasis::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ConsentBasis::parse(&"a".repeat(500)).is_ok());
        assert!(ConsentBasis::parse(&"a".repeat(501)).is_err());
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_what_it_keeps_parses_again(s in any::<String>()) {
            if let Ok(basis) = ConsentBasis::parse(&s) {
                prop_assert_eq!(ConsentBasis::parse(basis.as_str()), Ok(basis.clone()));
                prop_assert!(!basis.as_str().chars().any(char::is_control));
            }
        }
    }
}
