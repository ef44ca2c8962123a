//! MJML to HTML with mrml: the one place issues, whole documents
//! (`issue.mjml`, `postbode render`) and their checks go through, so they
//! render alike and report alike.
//!
//! Errors and warnings name a place through [`Place`]: the caller knows
//! which file a part of the MJML came from (an issue's body is poured into
//! the layout; a whole document is its own file).

use mrml::prelude::parser::ParserOptions;
use mrml::prelude::parser::memory_loader::MemoryIncludeLoader;
use mrml::prelude::render::RenderOptions;

use super::validate;
use crate::error::{Error, Result};

/// Describes a byte offset of the MJML as "line N of FILE" (or however
/// the caller can best say where the author should look).
pub type Place<'a> = &'a dyn Fn(usize) -> String;

/// Parses and renders `mjml`; unknown elements and attributes and mrml's
/// own warnings go into `warnings`, each with its place.
pub fn to_html(mjml: &str, place: Place<'_>, warnings: &mut Vec<String>) -> Result<String> {
    let options = ParserOptions {
        include_loader: Box::new(MemoryIncludeLoader::default()),
    };
    let parsed = mrml::parse_with_options(mjml, &options).map_err(|e| {
        let offset = error_offset(&e, mjml);
        let (_, excerpt) = line_excerpt(mjml, offset);
        Error::Input(format!("MJML error at {}: {e}\n  {excerpt}", place(offset)))
    })?;
    for f in validate::check(mjml) {
        warnings.push(format!(
            "{}: {}",
            place(line_offset(mjml, f.line)),
            f.message
        ));
    }
    for w in &parsed.warnings {
        warnings.push(format!(
            "{}: {} ({})",
            place(w.span.start),
            w.kind.as_str(),
            w.origin
        ));
    }
    parsed
        .element
        .render(&RenderOptions {
            disable_comments: true,
            ..RenderOptions::default()
        })
        .map_err(|e| Error::Input(format!("rendering MJML: {e}")))
}

/// Where in the source mrml stopped.
fn error_offset(e: &mrml::prelude::parser::Error, src: &str) -> usize {
    use mrml::prelude::parser::Error as E;
    match e {
        E::UnexpectedElement { position, .. }
        | E::UnexpectedToken { position, .. }
        | E::MissingAttribute { position, .. }
        | E::InvalidAttribute { position, .. }
        | E::InvalidFormat { position, .. }
        | E::IncludeLoaderError { position, .. } => position.start,
        _ => unclosed(src).unwrap_or(src.len()),
    }
}

/// Where an element whose content is HTML is opened and never closed:
/// mrml reads on to the end and reports only "end of stream".
fn unclosed(src: &str) -> Option<usize> {
    const RAW: [&str; 5] = ["mj-text", "mj-button", "mj-raw", "mj-table", "mj-style"];
    RAW.iter()
        .filter_map(|name| {
            let open = format!("<{name}");
            let close = format!("</{name}");
            src.match_indices(open.as_str()).find_map(|(at, _)| {
                let rest = &src[at + open.len()..];
                let is_open = rest.starts_with(|c: char| c == '>' || c.is_whitespace());
                let tag_end = rest.find('>')?;
                let self_closing = rest[..tag_end].ends_with('/');
                let next_open = rest.find(open.as_str()).unwrap_or(rest.len());
                let closed = rest[..next_open].contains(close.as_str());
                (is_open && !self_closing && !closed).then_some(at)
            })
        })
        .min()
}

/// Byte offset where 1-based `line` starts.
fn line_offset(src: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    src.match_indices('\n')
        .nth(line - 2)
        .map_or(src.len(), |(i, _)| i + 1)
}

/// 1-based line of a byte offset, and that line trimmed.
pub fn line_excerpt(src: &str, offset: usize) -> (usize, String) {
    let offset = offset.min(src.len());
    let offset = (0..=offset)
        .rev()
        .find(|i| src.is_char_boundary(*i))
        .unwrap_or(0);
    let line = src[..offset].matches('\n').count() + 1;
    let excerpt = src.lines().nth(line - 1).unwrap_or("").trim();
    (line, excerpt.chars().take(120).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_names_the_place_the_caller_gives_for_its_offset() {
        let mjml = "<mjml><mj-body>\n<mj-section><mj-column>\n<mj-text>x</mj-column>\n</mj-section></mj-body></mjml>";
        let place = |offset: usize| format!("line {} of body.mjml", line_excerpt(mjml, offset).0);
        let err = to_html(mjml, &place, &mut Vec::new()).expect_err("refused");
        assert!(err.to_string().contains("at line 3 of body.mjml"), "{err}");
    }

    #[test]
    fn an_element_left_open_is_found_where_it_opens() {
        let mjml = "<mjml><mj-body>\n<mj-section><mj-column>\n<mj-text>a</mj-text>\n<mj-text>x\n</mj-column>\n</mj-section></mj-body></mjml>";
        let place = |offset: usize| format!("line {}", line_excerpt(mjml, offset).0);
        let err = to_html(mjml, &place, &mut Vec::new()).expect_err("refused");
        assert!(err.to_string().contains("at line 4:"), "{err}");
    }

    #[test]
    fn line_offsets_and_lines_agree() {
        let src = "a\nbb\nccc";
        for line in 1..=3 {
            assert_eq!(line_excerpt(src, line_offset(src, line)).0, line);
        }
    }
}
