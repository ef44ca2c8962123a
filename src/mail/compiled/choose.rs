//! lettre's choice of Content-Transfer-Encoding (email-encoding 0.4's
//! `Encoding::choose` with `supports_utf8 = false`), made from counts kept
//! per piece instead of a scan of the whole part, so a recipient's message
//! gets the encoding lettre would give it without touching the 50 kB that
//! every recipient shares.
//!
//! The rules: ASCII with no line of 76 or more → 7bit; otherwise
//! quoted-printable if at most a third of the bytes need escaping, else
//! base64. A "line" is measured between LF positions the way
//! email-encoding measures it; [`line_weight`] gives that length.

/// The encodings a compiled part is kept in. Base64 (a part that is mostly
/// non-ASCII) is not kept: such a message is built whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Encoding {
    SevenBit,
    QuotedPrintable,
    Base64,
}

/// What the choice depends on, summed over the pieces of a part (after
/// line ends became CRLF).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Stats {
    pub ascii: bool,
    pub too_long: bool,
    /// Bytes other than tab and printable ASCII (CR and LF count).
    pub escapes: usize,
    pub len: usize,
}

impl Stats {
    /// Of `text` (CRLF line ends), measured as a whole part.
    pub fn of_part(text: &str) -> Stats {
        let b = text.as_bytes();
        let mut last = 0;
        let mut too_long = memchr_lf(b).any(|i| {
            let previous = std::mem::replace(&mut last, i);
            i - previous >= 76
        });
        too_long |= b.len() - last >= 76;
        Stats {
            ascii: text.is_ascii(),
            too_long,
            escapes: escapes(b),
            len: b.len(),
        }
    }

    /// One line without line end, with or without a line end before and
    /// after it in the part.
    #[cfg(test)]
    pub fn add_line(&mut self, line: &str, after_line_end: bool, before_line_end: bool) {
        self.add_counted(LineCounts::of(line), after_line_end, before_line_end);
    }

    /// [`Self::add_line`] from the line's counts, which a compiled line
    /// sums from its fixed text (counted once) and its values.
    pub fn add_counted(&mut self, line: LineCounts, after_line_end: bool, before_line_end: bool) {
        self.ascii &= line.ascii;
        self.too_long |= line_weight(line.len, after_line_end, before_line_end) >= 76;
        self.escapes += line.escapes;
        self.len += line.len;
    }

    pub fn choose(&self) -> Encoding {
        if self.ascii && !self.too_long {
            Encoding::SevenBit
        } else if self.escapes <= self.len / 3 {
            Encoding::QuotedPrintable
        } else {
            Encoding::Base64
        }
    }
}

/// What the choice needs to know of one line (or a stretch of one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct LineCounts {
    pub ascii: bool,
    pub escapes: usize,
    pub len: usize,
}

impl LineCounts {
    pub fn of(text: &str) -> LineCounts {
        LineCounts {
            ascii: text.is_ascii(),
            escapes: escapes(text.as_bytes()),
            len: text.len(),
        }
    }

    /// The counts of this stretch followed by `next`.
    pub fn then(self, next: LineCounts) -> LineCounts {
        LineCounts {
            ascii: self.ascii && next.ascii,
            escapes: self.escapes + next.escapes,
            len: self.len + next.len,
        }
    }
}

/// email-encoding's `line_too_long` measures from one LF to the next (so a
/// middle line counts its CR and LF), from the start to the first LF (the
/// CR), and from the last LF to the end (the LF).
fn line_weight(len: usize, after_line_end: bool, before_line_end: bool) -> usize {
    len + usize::from(after_line_end) + usize::from(before_line_end)
}

fn memchr_lf(b: &[u8]) -> impl Iterator<Item = usize> + '_ {
    b.iter()
        .enumerate()
        .filter_map(|(i, &c)| (c == b'\n').then_some(i))
}

fn escapes(b: &[u8]) -> usize {
    b.iter()
        .filter(|&&c| !matches!(c, b'\t' | b' '..=b'~'))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lettre::message::header::ContentTransferEncoding as Cte;

    fn lettre_choice(text: &str) -> Encoding {
        let part = lettre::message::SinglePart::plain(text.to_owned());
        match part.headers().get::<Cte>() {
            Some(Cte::SevenBit) => Encoding::SevenBit,
            Some(Cte::QuotedPrintable) => Encoding::QuotedPrintable,
            _ => Encoding::Base64,
        }
    }

    proptest::proptest! {
        #[test]
        fn the_choice_from_counts_is_lettres(
            lines in proptest::collection::vec("[a-zé€\t ]{0,90}", 0..6),
            cut in 0usize..6,
        ) {
            let text = lines.join("\r\n");
            proptest::prop_assert_eq!(Stats::of_part(&text).choose(), lettre_choice(&text));
            // The same text with one line counted on its own.
            if let Some(line) = lines.get(cut) {
                let mut skeleton = lines.clone();
                skeleton[cut] = String::new();
                let mut stats = Stats::of_part(&skeleton.join("\r\n"));
                stats.add_line(line, cut > 0, cut + 1 < lines.len());
                proptest::prop_assert_eq!(stats.choose(), lettre_choice(&text));
            }
        }
    }
}
