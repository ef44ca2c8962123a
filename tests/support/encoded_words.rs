//! A header field of a received message as a mail program shows it,
//! without postbode's own code: unfolded, and its RFC 2047 encoded words
//! (`=?utf-8?b?…?=`) decoded.

use base64::Engine as _;

/// The value of the first header field `name` (any case) in the header
/// of `raw`, unfolded, as sent (encoded words left as they are).
pub fn header(raw: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text
        .split("\r\n\r\n")
        .next()
        .expect("split gives at least one part");
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        let folded = line.starts_with(' ') || line.starts_with('\t');
        match &mut value {
            // RFC 5322 2.2.3: unfolding removes the CRLF, keeps the space.
            Some(v) if folded => v.push_str(line),
            Some(_) => break,
            None => {
                if let Some((field, rest)) = line.split_once(':')
                    && field.eq_ignore_ascii_case(name)
                {
                    value = Some(rest.trim_start().to_owned());
                }
            }
        }
    }
    value
}

/// [`header`], with its encoded words decoded.
pub fn decoded_header(raw: &[u8], name: &str) -> Option<String> {
    header(raw, name).map(|v| decode_words(&v))
}

/// `value` with each RFC 2047 encoded word (`=?charset?B|Q?text?=`, UTF-8
/// or US-ASCII) decoded; white space between two adjacent encoded words
/// is dropped, as RFC 2047 6.2 says. Panics on anything malformed, so a
/// test cannot pass over text it did not read.
pub fn decode_words(value: &str) -> String {
    // Bytes, not text: a UTF-8 character may be split over two words.
    let mut out = Vec::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, from) = rest.split_at(start);
        let (word, len) =
            encoded_word(from).unwrap_or_else(|| panic!("a malformed encoded word in {value:?}"));
        if !(after_word && before.chars().all(|c| c == ' ' || c == '\t')) {
            out.extend_from_slice(before.as_bytes());
        }
        out.extend(word);
        rest = &from[len..];
        after_word = true;
    }
    out.extend_from_slice(rest.as_bytes());
    String::from_utf8(out).unwrap_or_else(|e| panic!("{value:?} decodes to no UTF-8: {e}"))
}

/// The bytes of the encoded word at the start of `s`, and its length.
fn encoded_word(s: &str) -> Option<(Vec<u8>, usize)> {
    let inner = s.strip_prefix("=?")?;
    let mut fields = inner.splitn(3, '?');
    let (charset, encoding, tail) = (fields.next()?, fields.next()?, fields.next()?);
    let text = &tail[..tail.find("?=")?];
    let len = "=?".len() + charset.len() + 1 + encoding.len() + 1 + text.len() + "?=".len();
    // RFC 2231 adds an optional `*language` to the charset.
    let charset = charset.split('*').next()?;
    assert!(
        charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("us-ascii"),
        "an encoded word in {charset}, which these tests do not read"
    );
    let bytes = match encoding {
        "B" | "b" => base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?,
        "Q" | "q" => q_decode(text)?,
        _ => return None,
    };
    Some((bytes, len))
}

/// RFC 2047 4.2: `_` is a space, `=XX` a byte.
fn q_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            b => out.push(b),
        }
    }
    Some(out)
}
