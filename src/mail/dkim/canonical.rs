//! The "relaxed" canonicalization of RFC 6376 §3.4.2 (headers) and §3.4.4
//! (body): the form of the message that gets hashed, chosen so that the
//! whitespace changes relays commonly make do not break the signature.

/// WSP in RFC 5234: space and horizontal tab.
fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// One header field in relaxed form, `name:value\r\n` (RFC 6376 §3.4.2):
/// the name lowercased; the value unfolded, every run of whitespace turned
/// into one space, whitespace at the start and end of the value removed; no
/// whitespace around the colon.
///
/// `field` is the whole field as it appears in the message, folding
/// included, without its final CRLF.
pub(crate) fn relaxed_header(field: &[u8], out: &mut Vec<u8>) {
    let (name, value) = match field.iter().position(|&b| b == b':') {
        Some(colon) => (&field[..colon], &field[colon + 1..]),
        None => (field, &[][..]),
    };
    let name_end = name.iter().rposition(|&b| !is_wsp(b)).map_or(0, |i| i + 1);
    out.extend(name[..name_end].iter().map(u8::to_ascii_lowercase));
    out.push(b':');
    relaxed_header_value(value, out);
    out.extend_from_slice(b"\r\n");
}

/// The value part of [`relaxed_header`]. Unfolding removes the CRLF of each
/// fold; the whitespace that follows it then merges into the run around it.
fn relaxed_header_value(value: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let mut pending_space = false;
    for &b in value {
        match b {
            b'\r' | b'\n' => {}
            b' ' | b'\t' => pending_space = true,
            _ => {
                if pending_space && out.len() > start {
                    out.push(b' ');
                }
                pending_space = false;
                out.push(b);
            }
        }
    }
}

/// The body in relaxed form (RFC 6376 §3.4.4):
/// - every run of whitespace within a line becomes one space;
/// - whitespace at the end of each line is removed;
/// - empty lines at the end of the body are removed;
/// - a non-empty body that does not end in CRLF gets one.
///
/// An empty body (or one of only empty lines) canonicalizes to nothing at
/// all. Unlike "simple" (§3.4.3), relaxed does not turn it into one CRLF
/// (the "CRLF is added" rule of §3.4.4 applies to a *non-empty* body), so
/// the relaxed bh= of an empty body is the SHA-256 of the empty string,
/// `47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=`, as dkimpy and OpenDKIM
/// compute it too.
///
/// Lines must end in CRLF. A bare CR or LF is refused (`Err` with the body
/// line's number) rather than guessed at: checking here, in the one pass
/// over the body, costs nothing extra.
pub(crate) fn relaxed_body(body: &[u8], out: &mut Vec<u8>) -> Result<(), usize> {
    let mut empty_lines_owed = 0usize;
    let mut rest = body;
    let mut line_number = 0;
    while !rest.is_empty() {
        line_number += 1;
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (
                rest[..i].strip_suffix(b"\r").ok_or(line_number)?,
                &rest[i + 1..],
            ),
            None => (rest, &[][..]),
        };
        if line.iter().fold(false, |seen, &b| seen | (b == b'\r')) {
            return Err(line_number);
        }
        rest = next;
        if line.iter().all(|&b| is_wsp(b)) {
            // Empty once canonicalized: only written if a non-empty line follows.
            empty_lines_owed += 1;
            continue;
        }
        out.extend(std::iter::repeat_n(*b"\r\n", empty_lines_owed).flatten());
        empty_lines_owed = 0;
        if is_canonical_line(line) {
            out.extend_from_slice(line);
        } else {
            reduce_whitespace(line, out);
        }
        out.extend_from_slice(b"\r\n");
    }
    Ok(())
}

/// Whole CRLF lines in relaxed form, every line kept, empty ones too: a
/// stretch of a body whose last line is not empty (a MIME body's closing
/// boundary), so that the stretches' forms one after another are the
/// body's [`relaxed_body`]. `Err` with the line number for a bare CR or LF
/// or a last line without CRLF.
pub(crate) fn relaxed_lines(chunk: &[u8], out: &mut Vec<u8>) -> Result<(), usize> {
    let mut scratch = Vec::new();
    out.extend_from_slice(relaxed_chunk(chunk, &mut scratch)?);
    Ok(())
}

/// [`relaxed_lines`] without the copy when the chunk is canonical already:
/// a recipient's own lines of a compiled message usually are (quoted-
/// printable leaves no space at a line end), and checking that with
/// memchr over the whole chunk is much faster than line by line. Returns
/// `chunk` itself, or its canonical form in `scratch`.
pub(crate) fn relaxed_chunk<'a>(
    chunk: &'a [u8],
    scratch: &'a mut Vec<u8>,
) -> Result<&'a [u8], usize> {
    if is_canonical_chunk(chunk) {
        return Ok(chunk);
    }
    scratch.clear();
    let mut rest = chunk;
    let mut line_number = 0;
    while !rest.is_empty() {
        line_number += 1;
        let i = memchr::memchr(b'\n', rest).ok_or(line_number)?;
        let line = rest[..i].strip_suffix(b"\r").ok_or(line_number)?;
        if memchr::memchr(b'\r', line).is_some() {
            return Err(line_number);
        }
        if is_canonical_line(line) {
            scratch.extend_from_slice(line);
        } else {
            reduce_whitespace(line, scratch);
        }
        scratch.extend_from_slice(b"\r\n");
        rest = &rest[i + 1..];
    }
    Ok(scratch)
}

/// Whole CRLF lines with no tab, no two spaces in a row and no space
/// before a line end: what relaxed canonicalization leaves as it is.
fn is_canonical_chunk(chunk: &[u8]) -> bool {
    let whole_lines = chunk.is_empty() || chunk.ends_with(b"\r\n");
    let crlf_only = memchr::memchr2_iter(b'\r', b'\n', chunk).all(|i| match chunk[i] {
        b'\r' => chunk.get(i + 1) == Some(&b'\n'),
        _ => i > 0 && chunk[i - 1] == b'\r',
    });
    whole_lines
        && memchr::memchr(b'\t', chunk).is_none()
        && memchr::memmem::find(chunk, b"  ").is_none()
        && memchr::memmem::find(chunk, b" \r").is_none()
        && crlf_only
}

/// True when relaxed canonicalization leaves `line` as it is: no tab, no two
/// spaces in a row, no space at the end. Most lines of an encoded body are
/// like that, and copying them whole makes signing a large message about
/// twice as fast. Written without early exits so the compiler vectorizes it.
fn is_canonical_line(line: &[u8]) -> bool {
    let tab = line.iter().fold(false, |seen, &b| seen | (b == b'\t'));
    let double = line
        .iter()
        .zip(line.iter().skip(1))
        .fold(false, |seen, (&a, &b)| seen | (a == b' ' && b == b' '));
    !tab && !double && line.last() != Some(&b' ')
}

/// Every run of whitespace to one space, trailing whitespace removed.
fn reduce_whitespace(line: &[u8], out: &mut Vec<u8>) {
    let mut pending_space = false;
    for &b in line {
        if is_wsp(b) {
            pending_space = true;
        } else {
            if pending_space {
                out.push(b' ');
            }
            pending_space = false;
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(field: &str) -> String {
        let mut out = Vec::new();
        relaxed_header(field.as_bytes(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn body(text: &str) -> String {
        let mut out = Vec::new();
        match relaxed_body(text.as_bytes(), &mut out) {
            Ok(()) => String::from_utf8_lossy(&out).into_owned(),
            Err(line) => format!("error on line {line}"),
        }
    }

    /// RFC 6376 §3.4.5, the example's headers.
    #[test]
    fn the_rfc_header_example_canonicalizes_as_published() {
        assert_eq!(header("A: X"), "a:X\r\n");
        assert_eq!(header("B : Y\t\r\n\tZ  "), "b:Y Z\r\n");
    }

    /// RFC 6376 §3.4.5, the example's body.
    #[test]
    fn the_rfc_body_example_canonicalizes_as_published() {
        assert_eq!(body(" C \r\nD \t E\r\n\r\n\r\n"), " C\r\nD E\r\n");
    }

    #[test]
    fn header_names_are_lowercased_and_whitespace_around_the_colon_goes() {
        assert_eq!(header("Subject:hello"), "subject:hello\r\n");
        assert_eq!(
            header("SUBJECT \t:  \t hello  world \t"),
            "subject:hello world\r\n"
        );
        assert_eq!(header("X-Empty:"), "x-empty:\r\n");
        assert_eq!(header("X-Empty:   \r\n  "), "x-empty:\r\n");
    }

    #[test]
    fn folded_headers_are_unfolded() {
        assert_eq!(
            header("Subject: =?utf-8?b?abc?=\r\n =?utf-8?b?def?="),
            "subject:=?utf-8?b?abc?= =?utf-8?b?def?=\r\n"
        );
        assert_eq!(
            header("To: \"Zo\u{eb}\"\r\n\t<z@example.nl>"),
            "to:\"Zo\u{eb}\" <z@example.nl>\r\n"
        );
    }

    #[test]
    fn colons_in_the_value_stay() {
        assert_eq!(
            header("List-Archive: <https://e.org/a>"),
            "list-archive:<https://e.org/a>\r\n"
        );
    }

    #[test]
    fn an_empty_body_stays_empty() {
        assert_eq!(body(""), "");
        assert_eq!(body("\r\n"), "");
        assert_eq!(body("\r\n\r\n\r\n"), "");
        assert_eq!(body("  \t \r\n \r\n"), "");
    }

    #[test]
    fn a_missing_final_line_end_is_added() {
        assert_eq!(body("abc"), "abc\r\n");
        assert_eq!(body("abc  "), "abc\r\n");
        assert_eq!(body("abc\r\n\r\ndef"), "abc\r\n\r\ndef\r\n");
    }

    #[test]
    fn empty_lines_inside_the_body_are_kept() {
        assert_eq!(body("a\r\n\r\n  \r\nb\r\n\r\n"), "a\r\n\r\n\r\nb\r\n");
    }

    #[test]
    fn whitespace_runs_shrink_but_leading_whitespace_stays_as_one_space() {
        assert_eq!(body("\t\ta  \t b\t\r\n"), " a b\r\n");
    }

    #[test]
    fn bare_line_ends_are_refused_with_the_line_number() {
        assert_eq!(body("a\r\nb\nc\r\n"), "error on line 2");
        assert_eq!(body("a\rb\r\n"), "error on line 1");
        assert_eq!(body("a\r\nb\r"), "error on line 2");
        assert_eq!(body("\n"), "error on line 1");
    }

    proptest::proptest! {
        #[test]
        fn whole_lines_canonicalise_as_the_body_does_and_bare_line_ends_are_refused(
            lines in proptest::collection::vec("[a \t.=]{0,12}", 0..8),
            bare in proptest::option::of((0usize..100, proptest::bool::ANY)),
        ) {
            // A last line that is not empty, as the chunks of a message end.
            let mut chunk = lines.join("\r\n") + "\r\nx\r\n";
            let mut whole = Vec::new();
            relaxed_body(chunk.as_bytes(), &mut whole).expect("CRLF lines");
            let mut stretch = Vec::new();
            proptest::prop_assert_eq!(relaxed_lines(chunk.as_bytes(), &mut stretch), Ok(()));
            proptest::prop_assert_eq!(&stretch, &whole);
            if let Some((at, cr)) = bare {
                let at = at % chunk.len();
                chunk.insert(at, if cr { '\r' } else { '\n' });
                let refused = relaxed_lines(chunk.as_bytes(), &mut Vec::new()).is_err();
                // Inserted next to its partner it may make a CRLF pair.
                let pairs = chunk.matches("\r\n").count();
                let ends = chunk.matches(['\r', '\n']).count();
                proptest::prop_assert_eq!(refused, ends != 2 * pairs);
            }
        }
    }

    #[test]
    fn the_empty_body_hash_is_the_published_one() {
        use base64::Engine as _;
        let mut out = Vec::new();
        assert_eq!(relaxed_body(b"\r\n", &mut out), Ok(()));
        let hash = crate::crypto::sha256(&out);
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(hash),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
