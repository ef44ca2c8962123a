//! Line ends for the wire: SMTP (and an `.eml` file) wants CRLF, and DATA
//! wants the message without its final CRLF.

use std::borrow::Cow;

/// Bare LF and bare CR become CRLF. Servers increasingly reject bare line
/// ends (they enable "SMTP smuggling"), and lettre's dot-stuffing only
/// recognises CRLF lines. Borrowed when there is nothing to change.
pub(super) fn to_crlf(raw: &[u8]) -> Cow<'_, [u8]> {
    let clean = raw.iter().enumerate().all(|(i, &b)| match b {
        b'\n' => i > 0 && raw[i - 1] == b'\r',
        b'\r' => raw.get(i + 1) == Some(&b'\n'),
        _ => true,
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

/// The message without its last CRLF. lettre ends DATA with `\r\n.\r\n`
/// after the bytes it is given; per RFC 5321 that first CRLF already ends
/// the message's last line, so passing the message's own final CRLF too
/// would append an empty line to every message.
pub(super) fn without_final_crlf(raw: &[u8]) -> &[u8] {
    raw.strip_suffix(b"\r\n").unwrap_or(raw)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_line_ends_become_crlf_and_clean_input_is_not_copied() {
        assert!(matches!(to_crlf(b"a\r\nb\r\n"), Cow::Borrowed(_)));
        assert_eq!(&*to_crlf(b"a\nb\rc\r\n\n"), b"a\r\nb\r\nc\r\n\r\n");
        assert_eq!(&*to_crlf(b"\n"), b"\r\n");
        assert_eq!(without_final_crlf(b"a\r\n"), b"a");
        assert_eq!(without_final_crlf(b"a"), b"a");
    }
}
