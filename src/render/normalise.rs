//! Input normalisation, applied to every template and MJML file as it is
//! read, before templating and parsing: the same file saved on Windows,
//! or by an editor that writes a byte-order mark, renders byte for byte
//! as the plain LF original.
//!
//! - CRLF and lone CR line ends become LF (mrml refuses a `\r` between
//!   elements, and the text part would carry it into every line);
//! - a UTF-8 byte-order mark at the start goes;
//! - whitespace between two MJML elements that does not start with a line
//!   break loses the blanks before its first line break (or all of it when
//!   it has none). mrml 6 refuses `</mj-title> <mj-preview>` inside
//!   `<mj-head>`, `<mj-attributes>` and `<mj-social>`, yet accepts the same
//!   run when it starts with `\n`; mjml ignores such whitespace everywhere,
//!   and mrml drops runs that start with `\n` (it keeps a bare space, which
//!   mjml does not). Only blanks are removed, never a line break, so the
//!   line numbers of errors stay those of the file. Whitespace inside
//!   elements whose content is HTML (`mj-text`, `mj-button`, …) is left
//!   alone: there it is text.

/// Elements whose content is HTML or text, not MJML elements.
const RAW_CONTENT: [&str; 12] = [
    "mj-text",
    "mj-button",
    "mj-raw",
    "mj-table",
    "mj-style",
    "mj-title",
    "mj-preview",
    "mj-navbar-link",
    "mj-social-element",
    "mj-accordion-title",
    "mj-accordion-text",
    "mj-font",
];

/// `src` with LF line ends, no byte-order mark, and no blanks mrml would
/// refuse between MJML elements. Text without any of these comes back
/// unchanged.
pub fn normalise_source(src: &str) -> String {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let src = if src.contains('\r') {
        src.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        src.to_owned()
    };
    drop_blanks_between_elements(&src)
}

fn drop_blanks_between_elements(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    // Each '>' ends a tag; look at the whitespace after it.
    while let Some(gt) = rest.find('>') {
        let (before, after) = rest.split_at(gt + 1);
        out.push_str(before);
        let run_len = after.len() - after.trim_start_matches([' ', '\t', '\n']).len();
        let (run, next) = after.split_at(run_len);
        let blanks = run.len() - run.trim_start_matches([' ', '\t']).len();
        if blanks > 0 && ends_element(&out) && starts_element(next, out.ends_with("-->")) {
            out.push_str(&run[blanks..]);
        } else {
            out.push_str(run);
        }
        rest = next;
    }
    out.push_str(rest);
    out
}

/// Whether `done` ends with an MJML tag after which MJML elements follow:
/// a closing or self-closing `mj-` tag, an opening tag of a container, or
/// a comment.
fn ends_element(done: &str) -> bool {
    if done.ends_with("-->") {
        return true;
    }
    let Some(open) = done.rfind('<') else {
        return false;
    };
    let tag = &done[open..];
    if tag.starts_with("</mj") || (tag.starts_with("<mj") && tag.ends_with("/>")) {
        return true;
    }
    let Some(name) = tag.strip_prefix('<') else {
        return false;
    };
    let name = name
        .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .next()
        .unwrap_or("");
    (name == "mjml" || name.starts_with("mj-")) && !RAW_CONTENT.contains(&name)
}

/// Whether `next` starts with an MJML tag (or, after a comment, an opening
/// one).
fn starts_element(next: &str, after_comment: bool) -> bool {
    next.starts_with("<mj")
        || next.starts_with("<!--")
        || (!after_comment && next.starts_with("</mj"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_lone_cr_become_lf_and_the_byte_order_mark_goes() {
        assert_eq!(
            normalise_source("\u{feff}<mjml>\r\n<mj-body>\r</mj-body>\r\n</mjml>\r\n"),
            "<mjml>\n<mj-body>\n</mj-body>\n</mjml>\n"
        );
    }

    #[test]
    fn blanks_between_head_children_go_and_line_breaks_stay() {
        assert_eq!(
            normalise_source(
                "<mj-head><mj-title>a b</mj-title> <mj-preview>c</mj-preview>\t\n  <mj-all padding=\"0\" /> </mj-head>"
            ),
            "<mj-head><mj-title>a b</mj-title><mj-preview>c</mj-preview>\n  <mj-all padding=\"0\" /></mj-head>"
        );
    }

    #[test]
    fn whitespace_inside_html_content_is_text_and_stays() {
        let src = "<mj-text> <b>a</b> <i>b</i> </mj-text> <mj-button> x </mj-button>";
        assert_eq!(
            normalise_source(src),
            "<mj-text> <b>a</b> <i>b</i> </mj-text><mj-button> x </mj-button>"
        );
    }

    #[test]
    fn an_lf_file_without_blanks_between_elements_is_unchanged() {
        let src = "<mjml>\n  <mj-head>\n    <mj-title>x</mj-title>\n  </mj-head>\n</mjml>\n";
        assert_eq!(normalise_source(src), src);
    }

    #[test]
    fn mrml_accepts_what_it_refused_before_normalising() {
        let src = "\u{feff}<mjml>\r\n <mj-head> <mj-title>a</mj-title> <mj-attributes> <mj-all padding=\"0\" /> </mj-attributes> </mj-head>\r\n<mj-body><mj-section><mj-column><mj-social> <mj-social-element name=\"github\">g</mj-social-element> </mj-social></mj-column></mj-section></mj-body></mjml>";
        assert!(mrml::parse(src).is_err(), "mrml refuses the raw input");
        let parsed = mrml::parse(normalise_source(src)).expect("parses once normalised");
        assert!(parsed.element.render(&Default::default()).is_ok());
    }
}
