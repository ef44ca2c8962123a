//! Checks for the strings that go into the headers lettre has no type for
//! (Subject, List-*, Feedback-ID, Message-ID), and the encoding of the
//! List-Id phrase.
//!
//! Header injection is stopped here: a CR or LF in a subject or URL would
//! let it add headers (`Bcc:`) or a body. Every value is checked before it
//! reaches lettre, and the error names the header.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::MailError;

/// Free text (a subject, the List-Id phrase): any Unicode except control
/// characters (CR, LF, TAB, NUL, C1 controls such as NEL) and the Unicode
/// line and paragraph separators, which some clients show as line breaks.
pub(crate) fn check_text(header: &'static str, value: &str) -> Result<(), MailError> {
    if let Some(c) = value
        .chars()
        .find(|&c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return Err(MailError::Header {
            header,
            reason: format!(
                "the text contains the control character U+{:04X} (a line break or similar); \
                 remove it from the source",
                u32::from(c)
            ),
        });
    }
    Ok(())
}

/// A link for `<...>` in List-Unsubscribe and List-Archive: http(s), printable
/// ASCII without spaces or angle brackets (international parts must already
/// be punycode/percent-encoded, as `newsletter.base_url` guarantees).
pub(crate) fn check_url(header: &'static str, url: &str) -> Result<(), MailError> {
    let reject = |reason: &str| {
        Err(MailError::Header {
            header,
            reason: format!("the URL {reason}; check newsletter.base_url"),
        })
    };
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return reject("does not start with https://");
    }
    if let Some(c) = url
        .chars()
        .find(|&c| !c.is_ascii_graphic() || c == '<' || c == '>')
    {
        return reject(&format!(
            "contains {c:?}; only printable ASCII without spaces or <> may appear in it"
        ));
    }
    Ok(())
}

/// A Message-ID as `message_id::message_id` makes it: `<left@right>`,
/// printable ASCII, no spaces, one `@`.
pub(crate) fn check_message_id(id: &str) -> Result<(), MailError> {
    let inner = id.strip_prefix('<').and_then(|s| s.strip_suffix('>'));
    let ok = inner.is_some_and(|inner| {
        inner
            .chars()
            .all(|c| c.is_ascii_graphic() && !"<>\"\\()[],;:".contains(c))
            && inner.matches('@').count() == 1
            && !inner.starts_with('@')
            && !inner.ends_with('@')
    });
    if ok {
        Ok(())
    } else {
        Err(MailError::Header {
            header: "Message-ID",
            reason: "the id is not of the form <left@right> in printable ASCII; \
                     make it with mail::message_id"
                .into(),
        })
    }
}

/// RFC 5322 `atext`: what a dot-atom or an unquoted phrase word may hold.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

/// An RFC 2919 list id, like `nieuwsbrief.example.org`: a dot-atom with at
/// least one dot.
pub(crate) fn check_list_id(list_id: &str) -> Result<(), MailError> {
    let ok = list_id.contains('.')
        && list_id.split('.').all(|label| !label.is_empty())
        && list_id.chars().all(|c| is_atext(c) || c == '.');
    if ok {
        Ok(())
    } else {
        Err(MailError::Header {
            header: "List-Id",
            reason: "newsletter.list_id must look like a domain name (letters, digits, \
                     dashes, with at least one dot, like nieuwsbrief.example.org)"
                .into(),
        })
    }
}

/// A Feedback-ID (`campaign:list:sender`): printable ASCII, no spaces.
pub(crate) fn check_feedback_id(value: &str) -> Result<(), MailError> {
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(MailError::Header {
            header: "Feedback-ID",
            reason: "the id must be non-empty printable ASCII without spaces, \
                     like issue-slug:list:postbode"
                .into(),
        })
    }
}

/// Longest UTF-8 chunk per encoded-word: 39 bytes become 52 base64
/// characters, 64 with the `=?utf-8?b?...?=` frame, so even the first word
/// fits on the `List-Id: ` line within 78 characters.
const ENCODED_WORD_BYTES: usize = 39;
const MAX_LINE: usize = 78;

/// The header value `phrase <list_id>` for List-Id, encoded and folded by
/// hand: lettre encodes phrases only inside its own mailbox headers.
///
/// The phrase is written as atoms when it can be, as a quoted string when it
/// is ASCII with specials (`Nieuws, en meer`), and as RFC 2047 encoded-words
/// when it has non-ASCII characters. Returns (raw, encoded) for lettre's
/// `HeaderValue::dangerous_new_pre_encoded`; both inputs must have passed
/// `check_text` and `check_list_id`.
pub(crate) fn list_id_value(name: &str, list_id: &str) -> (String, String) {
    let name = name.trim();
    let raw = if name.is_empty() {
        format!("<{list_id}>")
    } else {
        format!("{name} <{list_id}>")
    };
    let mut words: Vec<String> = if name.is_empty() {
        Vec::new()
    } else if name.chars().all(|c| is_atext(c) || c == ' ') {
        name.split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    } else if name.is_ascii() {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        // Spaces inside a quoted string may be folded, so split there.
        let quoted = format!("\"{escaped}\"");
        quoted.split(' ').map(str::to_owned).collect()
    } else {
        encoded_words(name)
    };
    words.push(format!("<{list_id}>"));
    (raw, fold("List-Id: ".len(), &words))
}

/// RFC 2047 `B` encoded-words for `text`, split on character boundaries.
fn encoded_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + ENCODED_WORD_BYTES).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        words.push(format!(
            "=?utf-8?b?{}?=",
            STANDARD.encode(&text.as_bytes()[start..end])
        ));
        start = end;
    }
    words
}

/// Joins words with a space, folding (CRLF + space) before a word that would
/// pass 78 characters. Never folds before the first word.
fn fold(first_line_used: usize, words: &[String]) -> String {
    let mut out = String::new();
    let mut line = first_line_used;
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            if line + 1 + word.len() > MAX_LINE {
                out.push_str("\r\n ");
                line = 1;
            } else {
                out.push(' ');
                line += 1;
            }
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_with_line_breaks_or_controls_is_refused() {
        for bad in [
            "a\r\nBcc: x@example.org",
            "a\nb",
            "a\rb",
            "a\tb",
            "a\0",
            "a\u{85}b",
            "a\u{2028}b",
            "\u{7f}",
        ] {
            assert!(check_text("Subject", bad).is_err(), "{bad:?}");
        }
        assert!(check_text("Subject", "Voorbij de pilot — één stap verder ✓").is_ok());
    }

    #[test]
    fn urls_must_be_plain_http_links() {
        assert!(check_url("List-Archive", "https://example.org/archive").is_ok());
        assert!(check_url("List-Archive", "http://localhost:8080/archive").is_ok());
        for bad in [
            "javascript:alert(1)",
            "https://example.org/a b",
            "https://example.org/a>,<mailto:x@example.org",
            "https://example.org/\r\nBcc: x",
            "https://bücher.example/",
            "",
        ] {
            assert!(check_url("List-Archive", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn message_ids_must_be_bracketed_ascii() {
        assert!(check_message_id("<pb.slug.1@example.org>").is_ok());
        for bad in [
            "pb.slug.1@example.org",
            "<pb slug@example.org>",
            "<a@b@c>",
            "<@example.org>",
            "<a@>",
            "<a@b>\r\nBcc: x",
            "<a>b@c>",
        ] {
            assert!(check_message_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn list_ids_must_be_dot_atoms() {
        assert!(check_list_id("nieuwsbrief.example.org").is_ok());
        for bad in ["nieuwsbrief", "a..b", ".a.b", "a b.org", "a>.b", "a.b\r\n"] {
            assert!(check_list_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn feedback_ids_must_be_printable_ascii() {
        assert!(check_feedback_id("slug:list:postbode").is_ok());
        assert!(check_feedback_id("a b").is_err());
        assert!(check_feedback_id("a\r\nb").is_err());
        assert!(check_feedback_id("").is_err());
    }

    #[test]
    fn a_plain_phrase_is_written_as_it_is() {
        let (raw, encoded) = list_id_value("Inspiratie Nieuwsbrief", "n.example.org");
        assert_eq!(raw, "Inspiratie Nieuwsbrief <n.example.org>");
        assert_eq!(encoded, raw);
        assert_eq!(list_id_value("", "n.example.org").1, "<n.example.org>");
    }

    #[test]
    fn a_phrase_with_specials_is_quoted() {
        let (_, encoded) = list_id_value("Nieuws, \"en\" meer", "n.example.org");
        assert_eq!(encoded, "\"Nieuws, \\\"en\\\" meer\" <n.example.org>");
    }

    #[test]
    fn a_non_ascii_phrase_becomes_encoded_words_on_short_lines() {
        let name = "Inspiratie-nieuwsbrief van de Redactie Één — met een heel lange naam ✓";
        let (_, encoded) = list_id_value(name, "nieuwsbrief.example.org");
        let header = format!("List-Id: {encoded}");
        for line in header.split("\r\n") {
            assert!(line.len() <= 78, "{line:?} is {} long", line.len());
            assert!(line.is_ascii());
        }
        let mut decoded = Vec::new();
        for word in encoded.split_whitespace() {
            if let Some(b64) = word
                .strip_prefix("=?utf-8?b?")
                .and_then(|w| w.strip_suffix("?="))
            {
                decoded.extend(STANDARD.decode(b64).unwrap_or_default());
            }
        }
        assert_eq!(String::from_utf8(decoded).unwrap_or_default(), name);
        assert!(encoded.ends_with(" <nieuwsbrief.example.org>"));
    }
}
