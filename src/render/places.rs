//! Where a byte of an issue's MJML was written. mrml sees one document:
//! the layout after templating, its partials inlined and the body poured
//! in. An error or warning at an offset of it is named by the file the
//! author wrote (a partial, the body, the layout) and that file's line.
//!
//! Templating changes lines (a comment or a false `{% if %}` drops them,
//! a value fills a line), so the line as written is found by its text:
//! the written line that reads like the filled one (template tags match
//! anything), nearest to where it would be had nothing moved.

use super::engine::line_excerpt;

/// The files poured into one MJML document, as written and as filled in.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sources {
    parts: Vec<Part>,
}

#[derive(Clone, Debug)]
struct Part {
    file: String,
    written: String,
    filled: String,
    /// A Markdown body: its MJML is converted, so may match no line.
    markdown: bool,
}

/// A part found in the document: its byte range.
struct Found<'a> {
    start: usize,
    end: usize,
    part: &'a Part,
}

impl Sources {
    /// Records that `filled` (the text as templated) came from `file`.
    pub fn add(&mut self, file: &str, written: &str, filled: &str, markdown: bool) {
        self.parts.push(Part {
            file: file.to_owned(),
            written: written.to_owned(),
            filled: filled.trim_end().to_owned(),
            markdown,
        });
    }

    /// The same sources with each filled text changed as the document was
    /// (local images' URLs), so they are found in it.
    pub fn map(
        mut self,
        mut change: impl FnMut(&str) -> crate::error::Result<String>,
    ) -> crate::error::Result<Sources> {
        for part in &mut self.parts {
            part.filled = change(&part.filled)?.trim_end().to_owned();
        }
        Ok(self)
    }

    fn found<'a>(&'a self, mjml: &str) -> Vec<Found<'a>> {
        (self.parts.iter())
            .filter(|p| !p.filled.trim().is_empty())
            .filter_map(|part| {
                let start = mjml.find(part.filled.as_str())?;
                Some(Found {
                    start,
                    end: start + part.filled.len(),
                    part,
                })
            })
            .collect()
    }

    /// "line N of FILE" for `offset` of `mjml`, the document these sources
    /// make with the layout (`layout_file`, written as `layout`); `None`
    /// when no written line reads like the one at `offset`.
    pub fn place(
        &self,
        mjml: &str,
        offset: usize,
        layout_file: &str,
        layout: &str,
    ) -> Option<String> {
        let (line, _) = line_excerpt(mjml, offset);
        let text = mjml.lines().nth(line - 1).unwrap_or("").trim();
        let found = self.found(mjml);
        let inner = (found.iter())
            .filter(|f| (f.start..=f.end).contains(&offset))
            .min_by_key(|f| f.end - f.start);
        if let Some(f) = inner {
            let filled_line = line_excerpt(&f.part.filled, offset - f.start).0;
            let file = &f.part.file;
            return Some(match nearest(&f.part.written, text, filled_line) {
                Some(l) => format!("line {l} of {file}"),
                None if f.part.markdown => format!("the MJML made from {file}"),
                None => format!("line {filled_line} of {file}"),
            });
        }
        // In the layout: its line had the parts before it not been poured in.
        let outer = (found.iter()).filter(|f| {
            !found
                .iter()
                .any(|g| g.start <= f.start && f.end <= g.end && g.end - g.start > f.end - f.start)
        });
        let poured: usize = outer
            .filter(|f| f.end < offset)
            .map(|f| mjml[f.start..f.end].matches('\n').count())
            .sum();
        nearest(layout, text, line.saturating_sub(poured).max(1))
            .map(|l| format!("line {l} of {layout_file}"))
    }
}

/// The line of `written` that reads like `filled`, nearest to `near`.
fn nearest(written: &str, filled: &str, near: usize) -> Option<usize> {
    if filled.is_empty() {
        return None;
    }
    (written.lines().enumerate())
        .filter(|(_, l)| reads_like(l.trim(), filled))
        .map(|(i, _)| i + 1)
        .min_by_key(|l| l.abs_diff(near))
}

/// Whether the written line `written` becomes `filled` when its template
/// tags are filled in: its text between the tags is there, in order.
fn reads_like(written: &str, filled: &str) -> bool {
    let pieces = literal_pieces(written);
    if pieces.len() == 1 {
        return written == filled;
    }
    if pieces.iter().all(|p| p.trim().is_empty()) {
        return false;
    }
    let (first, last) = (pieces[0].trim_start(), pieces[pieces.len() - 1].trim_end());
    let Some(mut rest) = filled.strip_prefix(first) else {
        return false;
    };
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// The text of a line around its template tags (one piece without tags).
fn literal_pieces(line: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = line;
    loop {
        let open = ["{{", "{%", "{#"]
            .iter()
            .filter_map(|o| rest.find(o).map(|at| (at, *o)))
            .min();
        let Some((at, open)) = open else { break };
        let close = match open {
            "{{" => "}}",
            "{%" => "%}",
            _ => "#}",
        };
        let Some(len) = rest[at + 2..].find(close) else {
            break;
        };
        pieces.push(&rest[..at]);
        rest = &rest[at + 2 + len + 2..];
    }
    pieces.push(rest);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_with_template_tags_reads_like_its_filled_line() {
        assert!(reads_like(
            "<a href=\"{{ url }}\">Archief</a>{% if x %}{{ y }}{% endif %}",
            "<a href=\"https://x.nl/archive\">Archief</a>"
        ));
        assert!(!reads_like("<mj-text>{{ a }}</mj-text>", "<mj-image />"));
        assert!(!reads_like("{% if x %}", "<mj-text>"));
        assert!(reads_like("<mj-column>", "<mj-column>"));
    }

    #[test]
    fn an_offset_in_a_partial_names_the_partial_and_its_written_line() {
        let partial = "{# a comment\n over lines #}\n<mj-section>\n<mj-text>{{ name }}</mj-text>\n</mj-section>\n";
        let filled = "\n<mj-section>\n<mj-text>Nieuws</mj-text>\n</mj-section>\n";
        let layout = "{# layout\n #}\n<mjml><mj-body>\n<mj-include path=\"p.mjml\" />\n<mj-foo />\n</mj-body></mjml>\n";
        let mjml = format!(
            "\n<mjml><mj-body>\n{}\n<mj-foo />\n</mj-body></mjml>\n",
            filled.trim_end()
        );
        let mut sources = Sources::default();
        sources.add("p.mjml", partial, filled, false);
        let at = mjml.find("<mj-text>").expect("there");
        assert_eq!(
            sources.place(&mjml, at, "layout.mjml", layout).as_deref(),
            Some("line 4 of p.mjml")
        );
        let at = mjml.find("<mj-foo").expect("there");
        assert_eq!(
            sources.place(&mjml, at, "layout.mjml", layout).as_deref(),
            Some("line 5 of layout.mjml")
        );
    }
}
