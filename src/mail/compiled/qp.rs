//! Quoted-printable as lettre writes it (the `quoted_printable` crate's
//! `encode`, 0.5: text mode, lines of at most 76), made fast enough to run
//! per recipient over the 30 kB line mrml writes an issue's HTML body
//! on. The crate pushes each byte as a `char` into a `String`; this copies
//! runs of bytes that need no escaping. The output is byte for byte the
//! crate's (the property test below holds it to that), so the rules are
//! the crate's, odd ones included: a run of plain bytes stops two short
//! of the limit, and a token that would pass the limit when the line is
//! exactly full moves the line's last token down with it.

/// The longest encoded line, the soft break's `=` included.
const LIMIT: usize = 76;

/// Encoder state: the output, the length of its current line, and where
/// its last token starts (a soft break may have to go there).
struct Encoder {
    out: Vec<u8>,
    on_line: usize,
    backup: usize,
    /// The input byte being escaped, while one is ([`Encoder::encode_byte`]).
    escaping: Option<usize>,
    /// The input byte of the last token appended, when it was one.
    last_token: Option<usize>,
    /// The last soft break put before an input byte's token: that byte's
    /// index and the output's length up to and with the break.
    last_break: Option<(usize, usize)>,
}

/// `input` quoted-printable encoded; CRLF stays a line end.
pub(super) fn encode(input: &[u8]) -> Vec<u8> {
    encoder(input).out
}

/// Where the encoding of `text` (one line, no CR or LF) can be cut so
/// that whatever follows it on the line, the output up to the cut stays
/// the same: `(i, head)` with `encode(text + rest) == head +
/// encode(text[i..] + rest)` for every `rest`. The cut is the last soft
/// break the encoder put before one of `text`'s bytes (at the end, or
/// before the line's last token when the line was full): the output
/// before it is final (later breaks go after it), and after it the
/// encoder is where a fresh one starts. `None` when there is no break.
pub(super) fn settled_head(text: &[u8]) -> Option<(usize, Vec<u8>)> {
    let e = encoder(text);
    let (i, len) = e.last_break?;
    let mut out = e.out;
    out.truncate(len);
    Some((i, out))
}

fn encoder(input: &[u8]) -> Encoder {
    let mut e = Encoder {
        out: Vec::with_capacity(input.len() + input.len() / 16 + 8),
        on_line: 0,
        backup: 0,
        escaping: None,
        last_token: None,
        last_break: None,
    };
    let mut was_cr = false;
    let mut i = 0;
    while let Some(&byte) = input.get(i) {
        i += 1;
        if was_cr {
            was_cr = false;
            if byte == b'\n' {
                e.trailing_space_tab();
                e.out.extend_from_slice(b"\r\n");
                e.on_line = 0;
                continue;
            }
            e.append(b"=0D");
        }
        if byte == b'\r' {
            was_cr = true;
            continue;
        }
        if LIMIT - e.on_line >= 3 && !needs_encoding(byte) {
            // A run of plain bytes, at most up to two short of the limit.
            let start = i - 1;
            let max_end = start + (LIMIT - e.on_line - 2);
            let rest = input.get(i..max_end.min(input.len())).unwrap_or_default();
            let run = rest.iter().position(|&b| needs_encoding(b));
            i += run.unwrap_or(rest.len());
            e.out
                .extend_from_slice(input.get(start..i).unwrap_or_default());
            e.on_line += i - start;
            e.backup = e.out.len();
            continue;
        }
        e.escaping = Some(i - 1);
        e.encode_byte(byte);
        e.escaping = None;
    }
    if was_cr {
        e.append(b"=0D");
    } else {
        e.trailing_space_tab();
    }
    e
}

fn needs_encoding(b: u8) -> bool {
    !matches!(b, b'\t' | b' '..=b'<' | b'>'..=b'~')
}

impl Encoder {
    fn append(&mut self, token: &[u8]) {
        if self.on_line + token.len() > LIMIT {
            if self.on_line == LIMIT {
                // No room for the `=`: break before the last token.
                self.on_line = self.out.len() - self.backup;
                self.out.splice(self.backup..self.backup, *b"=\r\n");
                if let (Some(_), Some(at)) = (self.escaping, self.last_token) {
                    self.last_break = Some((at, self.backup + 3));
                }
            } else {
                self.out.extend_from_slice(b"=\r\n");
                self.on_line = 0;
                if let Some(i) = self.escaping {
                    self.last_break = Some((i, self.out.len()));
                }
            }
        }
        self.out.extend_from_slice(token);
        self.on_line += token.len();
        self.backup = self.out.len() - token.len();
        self.last_token = self.escaping;
    }

    fn encode_byte(&mut self, byte: u8) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        if needs_encoding(byte) {
            let hex = [
                b'=',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0x0F)],
            ];
            self.append(&hex);
        } else {
            self.append(&[byte]);
        }
    }

    /// A space or tab may not end a line: the last one is written escaped.
    fn trailing_space_tab(&mut self) {
        let token: &[u8] = match self.out.last() {
            Some(b' ') => b"=20",
            Some(b'\t') => b"=09",
            _ => return,
        };
        self.out.pop();
        self.on_line -= 1;
        self.append(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn crate_encode(input: &[u8]) -> Vec<u8> {
        quoted_printable::encode(input)
    }

    #[test]
    fn long_lines_and_escapes_come_out_as_the_crate_writes_them() {
        let cases: [&[u8]; 8] = [
            b"",
            b"a b \r\nc\t\r\n",
            "één idee = twee".as_bytes(),
            &[b'x'; 300],
            &[b'='; 100],
            b"\r",
            b"a\rb\r\r\n",
            "line ending in space at 75 chars ......................................... \r\n"
                .as_bytes(),
        ];
        for input in cases {
            assert_eq!(
                encode(input),
                crate_encode(input),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn a_settled_head_is_the_same_whatever_follows(
            text in proptest::collection::vec(prop_oneof![
                8 => Just(b'a'), 2 => Just(b' '), 1 => Just(b'\t'), 1 => Just(b'='),
                1 => Just(0xC3u8), 1 => Just(0xA9u8),
            ], 0..400),
            rest in proptest::collection::vec(prop_oneof![
                4 => Just(b'b'), 2 => Just(b' '), 1 => Just(b'='), 1 => Just(0xE2u8),
            ], 0..100),
        ) {
            if let Some((i, head)) = settled_head(&text) {
                let mut whole = text.clone();
                whole.extend_from_slice(&rest);
                let mut spliced = head;
                spliced.extend(encode(&[&text[i..], &rest[..]].concat()));
                prop_assert_eq!(spliced, encode(&whole));
            } else {
                // Only a text that fits on a line or two has no cut.
                prop_assert!(text.len() < 160, "{}", text.len());
            }
        }


        #[test]
        fn the_output_is_the_crates_byte_for_byte(
            input in proptest::collection::vec(prop_oneof![
                8 => Just(b'a'), 2 => Just(b' '), 1 => Just(b'\t'), 1 => Just(b'='),
                1 => Just(b'\r'), 1 => Just(b'\n'), 1 => Just(0xC3u8), 1 => Just(b'.'),
                1 => any::<u8>(),
            ], 0..400)
        ) {
            prop_assert_eq!(encode(&input), crate_encode(&input));
        }
    }
}
