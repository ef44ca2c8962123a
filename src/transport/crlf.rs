//! The message as the wire wants it: CRLF line ends, dot-stuffed for DATA,
//! without its final CRLF. Each runs once per message over some 50 kB,
//! so they jump from line end to line end (memchr) rather than looking at
//! every byte; a message already right is not copied.

use std::borrow::Cow;

use memchr::memmem;

/// Bare LF and bare CR become CRLF. Servers increasingly reject bare line
/// ends (they enable "SMTP smuggling"), and dot-stuffing only recognises
/// CRLF lines. Borrowed when there is nothing to change.
pub(super) fn to_crlf(raw: &[u8]) -> Cow<'_, [u8]> {
    let clean = memchr::memchr2_iter(b'\r', b'\n', raw).all(|i| match raw[i] {
        b'\n' => i > 0 && raw[i - 1] == b'\r',
        _ => raw.get(i + 1) == Some(&b'\n'),
    });
    if clean {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if raw.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// The message without its last CRLF. DATA ends with `\r\n.\r\n` after
/// the message's bytes; per RFC 5321 that first CRLF already ends the
/// message's last line, so sending the message's own final CRLF too
/// would append an empty line to every message.
pub(super) fn without_final_crlf(raw: &[u8]) -> &[u8] {
    raw.strip_suffix(b"\r\n").unwrap_or(raw)
}

/// DATA transparency (RFC 5321 §4.5.2): a line that starts with `.` gets
/// another in front, so the server does not take it for the end. `data`
/// has CRLF line ends ([`to_crlf`]); borrowed when no line starts with a
/// dot, which is most messages (quoted-printable seldom puts one there).
pub(super) fn dot_stuffed(data: &str) -> Cow<'_, str> {
    let finder = memmem::Finder::new(b"\r\n.");
    // Before each of these byte offsets a dot goes: a line starts there
    // (so it is a character boundary) with a dot.
    let first = data.starts_with('.').then_some(0);
    let mut dots = first
        .into_iter()
        .chain(finder.find_iter(data.as_bytes()).map(|i| i + 2))
        .peekable();
    if dots.peek().is_none() {
        return Cow::Borrowed(data);
    }
    let mut out = String::with_capacity(data.len() + 64);
    let mut from = 0;
    for i in dots {
        out.push_str(data.get(from..i).unwrap_or_default());
        out.push('.');
        from = i;
    }
    out.push_str(data.get(from..).unwrap_or_default());
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bare_line_ends_become_crlf_and_clean_input_is_not_copied() {
        assert!(matches!(to_crlf(b"a\r\nb\r\n"), Cow::Borrowed(_)));
        assert_eq!(&*to_crlf(b"a\nb\rc\r\n\n"), b"a\r\nb\r\nc\r\n\r\n");
        assert_eq!(&*to_crlf(b"\n"), b"\r\n");
        assert_eq!(&*to_crlf(b"\r"), b"\r\n");
        assert_eq!(&*to_crlf(b"a\r\r\n"), b"a\r\n\r\n");
        assert_eq!(without_final_crlf(b"a\r\n"), b"a");
        assert_eq!(without_final_crlf(b"a"), b"a");
    }

    #[test]
    fn lines_starting_with_a_dot_get_a_second_one_and_others_are_not_copied() {
        assert!(matches!(dot_stuffed("a\r\nb.\r\n"), Cow::Borrowed(_)));
        assert_eq!(
            dot_stuffed(".a\r\n.\r\n..b\r\nc.d"),
            "..a\r\n..\r\n...b\r\nc.d"
        );
        assert_eq!(dot_stuffed("."), "..");
        assert_eq!(dot_stuffed("a\r\n."), "a\r\n..");
        assert_eq!(dot_stuffed("é\r\n.é"), "é\r\n..é");
    }

    /// lettre's `ClientCodec` (0.11), the dot-stuffing postbode used
    /// before: the oracle.
    fn lettre_codec(frame: &[u8]) -> Vec<u8> {
        #[derive(Clone, Copy)]
        enum S {
            Middle,
            Cr,
            Start,
        }
        let (mut s, mut buf) = (S::Start, Vec::new());
        for &b in frame {
            buf.push(b);
            s = match (b, s) {
                (b'\r', _) => S::Cr,
                (b'\n', S::Cr) => S::Start,
                (b'.', S::Start) => {
                    buf.push(b'.');
                    S::Middle
                }
                (_, S::Start | S::Cr) => S::Middle,
                (_, s) => s,
            };
        }
        buf
    }

    proptest! {
        #[test]
        fn crlf_then_stuffing_gives_what_lettre_sent(
            raw in proptest::collection::vec(prop_oneof![
                Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b'a'), Just(b' ')
            ], 0..64)
        ) {
            let crlf = to_crlf(&raw);
            let text = std::str::from_utf8(&crlf).expect("ASCII");
            let (ours, lettre) = (dot_stuffed(text).into_owned(), lettre_codec(&crlf));
            prop_assert_eq!(ours.as_bytes(), lettre.as_slice());
        }
    }
}
