//! The text encoding of an import file. Spreadsheets do not all write
//! UTF-8: Excel's plain "CSV" is the system code page (Windows-1252 in
//! Dutch and other western locales), its "Unicode text" UTF-16 with a
//! byte-order mark. The decision: a byte-order mark names the encoding;
//! else a file that is valid UTF-8 throughout is UTF-8; else Windows-1252,
//! where every byte is some character, so nothing is refused for it.
//!
//! The whole file is checked before the first row is read, in 64 KiB
//! pieces: a `é` on line 900,000 must not make rows 1 to 899,999 UTF-8
//! and the rest rejected. Decoding streams through [`Decoded`], so memory
//! stays bounded as in [`super::records`].

use std::io::Read;

use encoding_rs::{CoderResult, Decoder, Encoding, UTF_8, WINDOWS_1252};

/// The encoding of a file whose first bytes are `head` and whose whole
/// content `input` gives.
pub fn detect(head: &[u8], input: impl Read) -> std::io::Result<&'static Encoding> {
    if let Some((encoding, _)) = Encoding::for_bom(head) {
        return Ok(encoding);
    }
    Ok(if is_utf8(input)? { UTF_8 } else { WINDOWS_1252 })
}

/// What the import summary says about `encoding`; nothing for UTF-8.
pub fn note(encoding: &'static Encoding) -> Option<String> {
    if encoding == UTF_8 {
        None
    } else if encoding == WINDOWS_1252 {
        Some("read as Windows-1252 (Excel's default 'CSV'); 'CSV UTF-8' avoids the guess".into())
    } else {
        Some(format!("read as {} (byte-order mark)", encoding.name()))
    }
}

/// Whether all of `input` is UTF-8. A character cut by the end of a piece
/// is carried into the next.
fn is_utf8(mut input: impl Read) -> std::io::Result<bool> {
    let mut buf = vec![0; 64 * 1024];
    let mut carry = 0;
    loop {
        let n = input.read(&mut buf[carry..])?;
        if n == 0 {
            return Ok(carry == 0);
        }
        let len = carry + n;
        match std::str::from_utf8(&buf[..len]) {
            Ok(_) => carry = 0,
            Err(e) if e.error_len().is_none() => {
                buf.copy_within(e.valid_up_to()..len, 0);
                carry = len - e.valid_up_to();
            }
            Err(_) => return Ok(false),
        }
    }
}

/// A reader that gives UTF-8. UTF-8 input passes through untouched (its
/// byte-order mark is dropped by the header reader, as before); other
/// encodings are decoded piece by piece, their byte-order mark dropped.
pub struct Decoded<R> {
    input: R,
    decoder: Option<Decoder>,
    raw: Vec<u8>,
    /// Decoded bytes a tiny read buffer had no room for.
    spill: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    done: bool,
}

impl<R: Read> Decoded<R> {
    pub fn new(input: R, encoding: &'static Encoding) -> Decoded<R> {
        let decoder = (encoding != UTF_8).then(|| encoding.new_decoder_with_bom_removal());
        Decoded {
            input,
            decoder,
            raw: vec![0; 16 * 1024],
            spill: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
            done: false,
        }
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.decoder.is_none() {
            return self.input.read(out);
        }
        if !self.spill.is_empty() {
            let n = out.len().min(self.spill.len());
            out[..n].copy_from_slice(&self.spill[..n]);
            self.spill.drain(..n);
            return Ok(n);
        }
        // The decoder writes a character whole or not at all: a buffer too
        // small for one gets its first bytes, the rest comes next time.
        if out.len() < 4 {
            let mut whole = [0; 4];
            let n = self.read(&mut whole)?;
            let k = n.min(out.len());
            out[..k].copy_from_slice(&whole[..k]);
            self.spill.extend_from_slice(&whole[k..n]);
            return Ok(k);
        }
        let Some(decoder) = &mut self.decoder else {
            return Ok(0);
        };
        while !self.done {
            if self.start == self.end && !self.eof {
                self.end = self.input.read(&mut self.raw)?;
                self.start = 0;
                self.eof = self.end == 0;
            }
            // Malformed input (a lone UTF-16 surrogate) becomes U+FFFD, as
            // a text editor would show it.
            let (result, read, written, _) =
                decoder.decode_to_utf8(&self.raw[self.start..self.end], out, self.eof);
            self.start += read;
            if self.eof && result == CoderResult::InputEmpty {
                self.done = true;
            }
            if written > 0 {
                return Ok(written);
            }
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (String, Option<String>) {
        let encoding = detect(bytes, bytes).expect("in memory");
        let mut text = String::new();
        Decoded::new(bytes, encoding)
            .read_to_string(&mut text)
            .expect("decodes");
        (text, note(encoding))
    }

    #[test]
    fn a_byte_order_mark_names_the_encoding_and_is_dropped() {
        let mut le = vec![0xff, 0xfe];
        le.extend("a,é\n".encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xfe, 0xff];
        be.extend("a,é\n".encode_utf16().flat_map(u16::to_be_bytes));
        for bytes in [le, be] {
            let (text, note) = decode(&bytes);
            assert_eq!(text, "a,é\n");
            assert!(note.is_some_and(|n| n.contains("UTF-16")));
        }
    }

    #[test]
    fn utf8_passes_and_anything_else_is_windows_1252_even_late_in_the_file() {
        assert_eq!(decode("a,é\n".as_bytes()), ("a,é\n".to_owned(), None));
        let mut late = "x".repeat(200_000).into_bytes();
        late.extend(b",Jos\xe9 \x80\n");
        let (text, note) = decode(&late);
        assert!(text.ends_with(",José €\n"), "{}", &text[199_990..]);
        assert!(note.is_some_and(|n| n.contains("Windows-1252")));
    }

    #[test]
    fn a_reader_a_byte_at_a_time_gets_every_character_whole() {
        let bytes = b"Jos\xe9 \x80;M\xfcller\n";
        let mut decoded = Decoded::new(&bytes[..], WINDOWS_1252);
        let mut out = Vec::new();
        let mut one = [0; 1];
        while decoded.read(&mut one).expect("in memory") == 1 {
            out.push(one[0]);
        }
        assert_eq!(String::from_utf8(out).as_deref(), Ok("José €;Müller\n"));
    }

    #[test]
    fn a_utf8_character_cut_by_a_piece_boundary_is_still_utf8() {
        let mut cut = "x".repeat(64 * 1024 - 1).into_bytes();
        cut.extend("é".as_bytes());
        assert!(is_utf8(cut.as_slice()).expect("in memory"));
    }
}
