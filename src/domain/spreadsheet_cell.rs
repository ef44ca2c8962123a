//! CSV cells that a spreadsheet must show as text, never run as a formula.
//!
//! Excel, LibreOffice and Google Sheets treat a cell that starts with `=`,
//! `+`, `-` or `@` (and, after a tab or carriage return, the same) as a
//! formula: a name like `=HYPERLINK("http://x","y")` typed into the public
//! form would become a live link in the publisher's spreadsheet. Export
//! writes such a cell with a `'` in front, which spreadsheets read as "this
//! is text" and do not show.
//!
//! Import takes that `'` off again, so export → import changes nothing. It
//! takes off a `'` only where export could have put it: before one of those
//! characters, so Dutch names such as `'t Hart` or `'s-Gravenhage` are never
//! touched. For the round trip to hold for every text, a value that already
//! starts with apostrophes followed by one of those characters (`'=x`) gets
//! one more on export (`''=x`), and import takes exactly one off.

use std::borrow::Cow;

/// The first characters that make a spreadsheet read a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `s` is zero or more `'` followed by a trigger character.
fn apostrophes_then_trigger(s: &str) -> bool {
    s.trim_start_matches('\'').starts_with(TRIGGERS)
}

/// The cell as export writes it: `'` in front where a spreadsheet would
/// otherwise see a formula.
pub fn escape(value: &str) -> Cow<'_, str> {
    if apostrophes_then_trigger(value) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// The value of a cell as import reads it: the `'` that [`escape`] added
/// taken off, and nothing else.
pub fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if apostrophes_then_trigger(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_get_an_apostrophe_and_lose_it_again_on_import() {
        for (value, cell) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+31 6 12345678", "'+31 6 12345678"),
            ("-5", "'-5"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=x", "''=x"),
        ] {
            assert_eq!(escape(value), cell);
            assert_eq!(unescape(cell), value);
        }
    }

    #[test]
    fn dutch_names_and_plain_text_are_never_touched() {
        for value in [
            "'t Hart",
            "'s-Gravenhage",
            "'",
            "''",
            "''t",
            "Anna",
            "",
            "a=b",
            " =x",
        ] {
            assert_eq!(escape(value), value);
            assert_eq!(unescape(value), value);
        }
    }

    proptest::proptest! {
        #[test]
        fn unescape_undoes_escape_for_any_text(value in "\\PC*") {
            let cell = escape(&value);
            proptest::prop_assert_eq!(unescape(&cell), value.as_str());
        }

        #[test]
        fn unescape_undoes_escape_for_texts_made_of_the_characters_that_matter(
            value in "['=+\\-@\t\rat ]{0,8}"
        ) {
            let cell = escape(&value);
            proptest::prop_assert_eq!(unescape(&cell), value.as_str());
            // What a spreadsheet sees never starts like a formula.
            proptest::prop_assert!(!escape(&value).starts_with(TRIGGERS));
        }
    }
}
