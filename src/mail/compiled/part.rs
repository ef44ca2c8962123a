//! One body part (text or HTML) compiled: the lines every recipient shares
//! already in CRLF and encoded both ways lettre might choose (7bit,
//! quoted-printable), and the lines that hold a per-recipient value, which
//! are encoded per recipient. Quoted-printable in text mode starts afresh
//! at every CRLF (soft breaks and trailing-space rules are per line), so
//! encoding those lines alone gives the bytes encoding the whole would.

use super::choose::{Encoding, LineCounts, Stats};
use super::piece::{Chunk, Piece};
use super::qp;
use crate::mail::message::crlf_line_ends;

/// Shared lines in the two encodings kept.
#[derive(Debug)]
struct Shared {
    seven: Piece,
    qp: Piece,
}

/// A line holding values: text and value numbers, in order.
#[derive(Debug)]
struct Line {
    bits: Vec<Bit>,
    after_line_end: bool,
    before_line_end: bool,
    /// The counts of the line's text bits, for the encoding choice: only
    /// the values are counted per recipient (the text can be 30 kB).
    fixed: LineCounts,
    /// The start of a long line, quoted-printable encoded once: mrml
    /// writes an issue's whole HTML body on one line, a third of it before
    /// the first value.
    head: Option<Head>,
}

/// The encoded start of a line that no value can change
/// ([`qp::settled_head`]), and how many bytes of its text it covers.
#[derive(Debug)]
struct Head {
    piece: Piece,
    covers: usize,
}

/// Lines shorter than this are encoded whole per recipient: a head would
/// save little.
const HEAD_FROM: usize = 512;

impl Line {
    fn starting_with(prefix: String, value: usize, after_line_end: bool) -> Line {
        let head = (prefix.len() >= HEAD_FROM)
            .then(|| qp::settled_head(prefix.as_bytes()))
            .flatten()
            .and_then(|(covers, bytes)| {
                Some(Head {
                    piece: Piece::new(bytes)?,
                    covers,
                })
            });
        Line {
            fixed: LineCounts::of(&prefix),
            bits: vec![Bit::Text(prefix), Bit::Value(value)],
            after_line_end,
            before_line_end: false,
            head,
        }
    }

    fn push_text(&mut self, text: &str) {
        self.fixed = self.fixed.then(LineCounts::of(text));
        self.bits.push(Bit::Text(text.to_owned()));
    }

    /// The line's counts with `values` in it.
    fn counts(&self, values: &[String]) -> Option<LineCounts> {
        let mut counts = self.fixed;
        for bit in &self.bits {
            if let Bit::Value(i) = bit {
                counts = counts.then(LineCounts::of(values.get(*i)?));
            }
        }
        Some(counts)
    }

    /// The line with `values` in it, from byte `from` of its first text.
    fn text(&self, values: &[String], from: usize) -> Option<String> {
        let mut text = String::with_capacity(self.fixed.len + 64);
        for (n, bit) in self.bits.iter().enumerate() {
            match bit {
                Bit::Text(t) if n == 0 => text.push_str(t.get(from..)?),
                Bit::Text(t) => text.push_str(t),
                Bit::Value(i) => text.push_str(values.get(*i)?),
            }
        }
        Some(text)
    }

    /// This line for one recipient, encoded, with its line end: the
    /// shared head when there is one, then the recipient's own bytes.
    fn render<'a>(
        &'a self,
        values: &[String],
        encoding: Encoding,
        out: &mut Vec<Chunk<'a>>,
    ) -> Option<()> {
        let mut bytes = match (encoding, &self.head) {
            (Encoding::SevenBit, _) => self.text(values, 0)?.into_bytes(),
            (Encoding::QuotedPrintable, Some(head)) => {
                out.push(Chunk::Shared(&head.piece));
                qp::encode(self.text(values, head.covers)?.as_bytes())
            }
            (Encoding::QuotedPrintable, None) => qp::encode(self.text(values, 0)?.as_bytes()),
            (Encoding::Base64, _) => return None,
        };
        // A line without its own line end is the part's last.
        bytes.extend_from_slice(b"\r\n");
        out.push(Chunk::Own(bytes));
        Some(())
    }
}

#[derive(Debug)]
enum Bit {
    Text(String),
    Value(usize),
}

#[derive(Debug)]
enum Item {
    Shared(Shared),
    Line(Line),
}

#[derive(Debug)]
pub(super) struct CompiledPart {
    items: Vec<Item>,
    /// The part with its value lines empty: what the encoding choice
    /// starts from.
    skeleton: Stats,
}

impl CompiledPart {
    /// `statics[i]` and value `i` alternate, as [`super::slots::SplitTemplate`]
    /// cuts them. `None` if a shared piece cannot be canonicalised.
    pub fn compile(statics: &[String]) -> Option<CompiledPart> {
        let (mut items, mut pending, mut line) = (Vec::new(), String::new(), None::<Line>);
        let mut skeleton = String::new();
        for (i, text) in statics.iter().enumerate() {
            match line.take() {
                Some(mut open) => match text.find(['\r', '\n']) {
                    Some(j) => {
                        open.push_text(&text[..j]);
                        open.before_line_end = true;
                        items.push(Item::Line(open));
                        skeleton.push_str("\r\n");
                        let end = if text[j..].starts_with("\r\n") { 2 } else { 1 };
                        pending.push_str(&text[j + end..]);
                    }
                    None => {
                        open.push_text(text);
                        line = Some(open);
                    }
                },
                None => pending.push_str(text),
            }
            if i + 1 == statics.len() {
                break;
            }
            if let Some(open) = line.as_mut() {
                open.bits.push(Bit::Value(i));
                continue;
            }
            let start = pending.rfind(['\r', '\n']).map_or(0, |k| k + 1);
            let prefix = pending.split_off(start);
            let after_line_end = !pending.is_empty() || !items.is_empty();
            if !pending.is_empty() {
                items.push(Item::Shared(shared(&pending, &mut skeleton, false)?));
                pending.clear();
            }
            line = Some(Line::starting_with(prefix, i, after_line_end));
        }
        if let Some(open) = line {
            items.push(Item::Line(open));
        }
        // The part ends in the CRLF lettre writes after it; it goes into
        // the last chunk so that every chunk holds whole lines.
        let ends_mid_line = matches!(items.last(), Some(Item::Line(l)) if !l.before_line_end);
        if !pending.is_empty() || !ends_mid_line {
            items.push(Item::Shared(shared(&pending, &mut skeleton, true)?));
        }
        Some(CompiledPart {
            items,
            skeleton: Stats::of_part(&skeleton),
        })
    }

    /// This part for one recipient, appended to `out`; `None` when lettre
    /// would choose base64, which is not kept (the caller builds whole).
    pub fn render<'a>(&'a self, values: &[String], out: &mut Vec<Chunk<'a>>) -> Option<Encoding> {
        let mut stats = self.skeleton;
        for item in &self.items {
            if let Item::Line(line) = item {
                let counts = line.counts(values)?;
                stats.add_counted(counts, line.after_line_end, line.before_line_end);
            }
        }
        let encoding = stats.choose();
        for item in &self.items {
            match item {
                Item::Shared(s) => out.push(Chunk::Shared(match encoding {
                    Encoding::SevenBit => &s.seven,
                    Encoding::QuotedPrintable => &s.qp,
                    Encoding::Base64 => return None,
                })),
                Item::Line(line) => line.render(values, encoding, out)?,
            }
        }
        Some(encoding)
    }
}

/// Shared text (whole lines) in both encodings; `last` adds the CRLF that
/// follows the part. Also extends the skeleton.
fn shared(text: &str, skeleton: &mut String, last: bool) -> Option<Shared> {
    let crlf = crlf_line_ends(text);
    skeleton.push_str(&crlf);
    let mut seven = crlf.clone().into_bytes();
    let mut qp = qp::encode(crlf.as_bytes());
    if last {
        seven.extend_from_slice(b"\r\n");
        qp.extend_from_slice(b"\r\n");
    }
    Some(Shared {
        seven: Piece::new(seven)?,
        qp: Piece::new(qp)?,
    })
}
