//! The plain-text part of an issue's body. Markdown is written from its
//! blocks: headings underlined, links as numbered references at the end,
//! quotes indented, lists as lists, emphasis as plain text, wrapped at 72
//! columns. MJML (`body.mjml`, ```` ```mjml ```` blocks) is rendered with
//! mrml, inside the layout's `<mj-head>` so its mj-classes look as in the
//! mail, and that HTML is written by [`super::html_text`], sharing the
//! numbering of the references.

use mrml::prelude::parser::ParserOptions;
use mrml::prelude::parser::memory_loader::MemoryIncludeLoader;
use mrml::prelude::render::RenderOptions;

use super::blocks::{Block, Inline, plain_text};
use super::html_text::{MARK_CLOSE, MARK_OPEN, html_text};

/// Wrap width of the plain-text part.
pub const WIDTH: usize = 72;

/// Joins a link's text to its `[n]` while lines are wrapped, so a line
/// never starts with a reference; a space once wrapped. Private use: no
/// author writes it.
pub(crate) const GLUE: char = '\u{E001}';

/// The body as plain text, with its link references at the end. `head`
/// is the inside of the layout's `<mj-head>` (see [`mjml_head`]), for
/// the ```` ```mjml ```` blocks.
pub fn blocks_to_text(blocks: &[Block], head: &str) -> String {
    let mut links: Vec<String> = Vec::new();
    let mut out = String::new();
    let ctx = Ctx { head };
    for block in blocks {
        block_text(block, "", "", &ctx, &mut links, &mut out);
    }
    append_references(&mut out, &links);
    out.replace(GLUE, " ")
}

/// The text of a `body.mjml`, with its link references at the end.
pub fn mjml_body_text(body: &str, head: &str) -> String {
    let mut links = Vec::new();
    let mut out = mjml_text(body, head, &mut links);
    append_references(&mut out, &links);
    out
}

/// The inside of the first `<mj-head>` of an MJML document ("" without one).
pub fn mjml_head(mjml: &str) -> &str {
    let Some(start) = mjml.find("<mj-head") else {
        return "";
    };
    let tail = &mjml[start..];
    let (Some(open), Some(close)) = (tail.find('>'), tail.find("</mj-head>")) else {
        return "";
    };
    if open >= close || tail[..open].ends_with('/') {
        return "";
    }
    &tail[open + 1..close]
}

/// The reference list under a body: a rule, then `[n] URL` lines.
pub(crate) fn append_references(out: &mut String, links: &[String]) {
    if !links.is_empty() {
        out.push_str(&"-".repeat(20));
        out.push('\n');
        for (i, href) in links.iter().enumerate() {
            out.push_str(&format!("[{}] {href}\n", i + 1));
        }
        out.push('\n');
    }
}

/// What every block of one body shares.
struct Ctx<'a> {
    head: &'a str,
}

fn block_text(
    block: &Block,
    first: &str,
    rest: &str,
    ctx: &Ctx<'_>,
    links: &mut Vec<String>,
    out: &mut String,
) {
    match block {
        Block::Heading(level, inlines) => heading_text(*level, inlines, first, rest, links, out),
        Block::Paragraph(inlines) => {
            out.push_str(&wrap(&inline_text(inlines, links), first, rest));
            out.push('\n');
        }
        Block::List { start, items } => list_text(*start, items, rest, ctx, links, out),
        Block::Quote { body, credit } => quote_text(body, credit.as_deref(), rest, ctx, links, out),
        Block::Image { alt, .. } => {
            if !alt.trim().is_empty() {
                out.push_str(&wrap(&format!("[{alt}]"), first, rest));
                out.push('\n');
            }
        }
        Block::Button { href, label } => {
            let n = reference(href, links);
            out.push_str(&wrap(
                &format!("» {}{GLUE}[{n}]", plain_text(label)),
                first,
                rest,
            ));
            out.push('\n');
        }
        Block::Code(code) => {
            for line in code.lines() {
                out.push_str(&format!("{rest}    {line}\n"));
            }
            out.push('\n');
        }
        Block::Rule => out.push_str(&format!("{rest}{}\n\n", "-".repeat(20))),
        Block::RawMjml(raw) => out.push_str(&mjml_text(raw, ctx.head, links)),
    }
}

/// A heading, underlined as long as its text (at most [`WIDTH`]): `=`
/// for levels 1 and 2, `-` below.
fn heading_text(
    level: u8,
    inlines: &[Inline],
    first: &str,
    rest: &str,
    links: &mut Vec<String>,
    out: &mut String,
) {
    let title = inline_text(inlines, links);
    let underline = if level <= 2 { '=' } else { '-' };
    out.push_str(&wrap(&title, first, rest));
    out.push_str(rest);
    out.push_str(
        &underline
            .to_string()
            .repeat(title.chars().count().min(WIDTH)),
    );
    out.push_str("\n\n");
}

/// A list: each item's blocks indented under its marker (`* ` or `n. `).
fn list_text(
    start: Option<u64>,
    items: &[Vec<Block>],
    rest: &str,
    ctx: &Ctx<'_>,
    links: &mut Vec<String>,
    out: &mut String,
) {
    for (i, item) in items.iter().enumerate() {
        let marker = match start {
            Some(n) => format!("{}. ", n + i as u64),
            None => "* ".to_owned(),
        };
        let item_first = format!("{rest}{marker}");
        let item_rest = format!("{rest}{}", " ".repeat(marker.len()));
        let mut item_out = String::new();
        for (j, b) in item.iter().enumerate() {
            let f = if j == 0 { &item_first } else { &item_rest };
            block_text(b, f, &item_rest, ctx, links, &mut item_out);
        }
        // Items of a list stand on consecutive lines.
        out.push_str(item_out.trim_end_matches('\n'));
        out.push('\n');
    }
    out.push('\n');
}

/// A quote, indented by four spaces; its credit follows on the next line.
fn quote_text(
    body: &[Block],
    credit: Option<&[Inline]>,
    rest: &str,
    ctx: &Ctx<'_>,
    links: &mut Vec<String>,
    out: &mut String,
) {
    let indent = format!("{rest}    ");
    for b in body {
        block_text(b, &indent, &indent, ctx, links, out);
    }
    if let Some(credit) = credit {
        if out.ends_with("\n\n") {
            out.pop();
        }
        out.push_str(&wrap(&inline_text(credit, links), &indent, &indent));
        out.push('\n');
    }
}

/// The number of `href` in the reference list, adding it when new.
pub(crate) fn reference(href: &str, links: &mut Vec<String>) -> usize {
    match links.iter().position(|l| l == href) {
        Some(i) => i + 1,
        None => {
            links.push(href.to_owned());
            links.len()
        }
    }
}

fn inline_text(inlines: &[Inline], links: &mut Vec<String>) -> String {
    // Raw HTML comes in pieces (`<a href="…">`, the label, `</a>`): read
    // alone, an opening tag loses its URL. The whole run goes to the HTML
    // writer instead, so every link keeps its URL and an image its alt.
    if inlines.iter().any(|i| matches!(i, Inline::Html(_))) {
        let mut html = String::new();
        inlines_html(inlines, &mut html);
        return html_text(&html, links, false).trim().to_owned();
    }
    let mut out = String::new();
    for i in inlines {
        match i {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            // Emphasis as plain text: `_x_` and `*x*` are Markdown, not prose.
            Inline::Emphasis(c) | Inline::Strong(c) => out.push_str(&inline_text(c, links)),
            Inline::Link { href, children, .. } => {
                let label = inline_text(children, links);
                if href.starts_with("mailto:") || label == *href {
                    out.push_str(href.trim_start_matches("mailto:"));
                } else {
                    let n = reference(href, links);
                    out.push_str(&format!("{label}{GLUE}[{n}]"));
                }
            }
            Inline::Image { alt, .. } => out.push_str(alt),
            Inline::Html(h) => out.push_str(html_text(h, links, false).trim()),
            Inline::SoftBreak => out.push(' '),
            Inline::HardBreak => out.push('\n'),
        }
    }
    out
}

/// Inlines written back as HTML (raw HTML as it is), for [`html_text`].
fn inlines_html(inlines: &[Inline], out: &mut String) {
    for i in inlines {
        match i {
            Inline::Text(t) | Inline::Code(t) => out.push_str(&escape(t)),
            Inline::Emphasis(c) | Inline::Strong(c) => inlines_html(c, out),
            Inline::Link { href, children, .. } => {
                out.push_str(&format!("<a href=\"{}\">", escape(href)));
                inlines_html(children, out);
                out.push_str("</a>");
            }
            Inline::Image { src, alt } => {
                out.push_str(&format!(
                    "<img src=\"{}\" alt=\"{}\">",
                    escape(src),
                    escape(alt)
                ));
            }
            Inline::Html(h) => out.push_str(h),
            Inline::SoftBreak => out.push(' '),
            Inline::HardBreak => out.push_str("<br>"),
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Wraps at [`WIDTH`], keeping hard line breaks.
fn wrap(text: &str, first: &str, rest: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate() {
        let options = textwrap::Options::new(WIDTH)
            .initial_indent(if i == 0 { first } else { rest })
            .subsequent_indent(rest)
            .break_words(false);
        for l in textwrap::wrap(line.trim(), options) {
            out.push_str(l.trim_end());
            out.push('\n');
        }
    }
    out
}

/// The text of MJML content: rendered with mrml inside `head`, then
/// written from the HTML. Template tags are set aside first (as marks
/// mrml and html5ever leave alone) and put back after wrapping. MJML that
/// mrml refuses is read as HTML: the HTML part reports the error itself.
fn mjml_text(raw: &str, head: &str, links: &mut Vec<String>) -> String {
    let (marked, tags) = mark_template_tags(raw);
    let doc = format!("<mjml><mj-head>{head}</mj-head><mj-body>{marked}</mj-body></mjml>");
    let options = ParserOptions {
        include_loader: Box::new(MemoryIncludeLoader::default()),
    };
    let render = RenderOptions {
        // Comments carry the template marks between elements.
        disable_comments: false,
        ..RenderOptions::default()
    };
    let html = mrml::parse_with_options(&doc, &options)
        .ok()
        .and_then(|parsed| parsed.element.render(&render).ok())
        .unwrap_or(marked);
    restore_template_tags(&html_text(&html, links, true), &tags)
}

/// Replaces each template tag (`{{ }}`, `{% %}`, `{# #}`, and Markdown's
/// placeholders for them) with a numbered mark: inside a tag as letters
/// (an attribute value), elsewhere as a comment, which html5ever keeps in
/// place where text between table rows would be moved.
fn mark_template_tags(src: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(src.len());
    let mut tags = Vec::new();
    let mut in_tag = false;
    let mut rest = src;
    while let Some(c) = rest.chars().next() {
        let end = template_tag_len(rest);
        if end == 0 {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                _ => {}
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let mark = format!("{MARK_OPEN}{}{MARK_CLOSE}", tags.len());
        tags.push(rest[..end].to_owned());
        if in_tag {
            out.push_str(&mark);
        } else {
            out.push_str(&format!("<!--{mark}-->"));
        }
        rest = &rest[end..];
    }
    (out, tags)
}

/// The length of the template tag `s` starts with, or 0.
fn template_tag_len(s: &str) -> usize {
    let (open, close) = if s.starts_with('\u{E002}') {
        ("\u{E002}", "\u{E003}")
    } else {
        match s.get(..2) {
            Some("{{") => ("{{", "}}"),
            Some("{%") => ("{%", "%}"),
            Some("{#") => ("{#", "#}"),
            _ => return 0,
        }
    };
    s[open.len()..]
        .find(close)
        .map_or(0, |i| open.len() + i + close.len())
}

fn restore_template_tags(text: &str, tags: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(MARK_OPEN) {
        out.push_str(&rest[..start]);
        let tail = &rest[start + MARK_OPEN.len()..];
        let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let tag = tail[..digits]
            .parse::<usize>()
            .ok()
            .and_then(|n| tags.get(n));
        match tag {
            Some(tag) if tail[digits..].starts_with(MARK_CLOSE) => {
                out.push_str(tag);
                rest = &tail[digits + MARK_CLOSE.len()..];
            }
            _ => {
                out.push_str(MARK_OPEN);
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::blocks::parse_markdown;

    fn blocks_to_text_of(md: &str) -> String {
        blocks_to_text(&parse_markdown(md), "")
    }

    /// A body.mjml of one section and column holding `inner`.
    fn mjml_body(inner: &str) -> String {
        mjml_body_text(
            &format!("<mj-section><mj-column>{inner}</mj-column></mj-section>"),
            "",
        )
    }

    #[test]
    fn a_closing_tag_split_over_lines_does_not_end_the_text() {
        let text = mjml_body("<mj-text>Eerste</mj-text\n>\n<mj-text>Tweede</mj-text >");
        assert_eq!(text, "Eerste\n\nTweede\n\n");
    }

    #[test]
    fn a_button_followed_by_text_is_kept_with_its_url() {
        let text = mjml_body(
            r#"<mj-text>Voor</mj-text><mj-button href="https://x.org/aanmelden">Aanmelden</mj-button><mj-text>Daarna</mj-text>"#,
        );
        assert_eq!(
            text,
            "Voor\n\nAanmelden: https://x.org/aanmelden\n\nDaarna\n\n"
        );
    }

    #[test]
    fn links_in_mjml_keep_their_urls_as_numbered_references() {
        let text = mjml_body(
            r#"<mj-text>Lees <a href="https://x.org/rapport"><em>het rapport</em></a> of mail <a href="mailto:r@x.org">r@x.org</a>.</mj-text>"#,
        );
        assert_eq!(
            text,
            "Lees het rapport [1] of mail r@x.org.\n\n--------------------\n[1] https://x.org/rapport\n\n"
        );
    }

    #[test]
    fn entities_in_mjml_are_decoded_and_emphasis_is_plain() {
        let text = mjml_body(
            "<mj-text>&copy; 2026 Publiek &amp; Leren: <em>niet</em> <strong>nu</strong>&nbsp;ja</mj-text>",
        );
        assert_eq!(text, "© 2026 Publiek & Leren: niet nu\u{a0}ja\n\n");
    }

    #[test]
    fn markdown_emphasis_is_written_as_plain_text() {
        let text = blocks_to_text_of("Bellen ze _niet_? Dat is **belangrijk**.\n");
        assert_eq!(text, "Bellen ze niet? Dat is belangrijk.\n\n");
    }

    #[test]
    fn mjml_blocks_in_markdown_share_the_link_numbers_and_use_the_layouts_classes() {
        let head = r#"<mj-attributes><mj-class name="kicker" font-weight="700" text-transform="uppercase" /></mj-attributes>"#;
        let md = "Zie [dit](https://x.org/a).\n\n```mjml\n<mj-section><mj-column>\
                  <mj-text mj-class=\"kicker\">Agenda</mj-text>\
                  <mj-text><a href=\"https://x.org/b\">Aanmelden</a> of <a href=\"https://x.org/a\">dit</a></mj-text>\
                  </mj-column></mj-section>\n```\n";
        let text = blocks_to_text(&parse_markdown(md), head);
        assert_eq!(
            text,
            "Zie dit [1].\n\nAGENDA\n\nAanmelden [2] of dit [1]\n\n--------------------\n\
             [1] https://x.org/a\n[2] https://x.org/b\n\n"
        );
    }

    #[test]
    fn template_tags_in_mjml_stay_where_they_were() {
        let body = r#"{% if personal %}<mj-section><mj-column>
            <mj-text>Beste {{ subscriber.name | default("lezer") }},</mj-text>
            <mj-button href="{{ web_version_url }}">Lees online</mj-button>
            </mj-column></mj-section>{% endif %}"#;
        let text = mjml_body_text(body, "");
        assert_eq!(
            text,
            "{% if personal %}\n\nBeste {{ subscriber.name | default(\"lezer\") }},\n\n\
             Lees online: {{ web_version_url }}\n\n{% endif %}\n\n"
        );
    }

    #[test]
    fn the_head_of_an_mjml_document_is_found() {
        assert_eq!(
            mjml_head("<mjml><mj-head><mj-title>T</mj-title></mj-head><mj-body/></mjml>"),
            "<mj-title>T</mj-title>"
        );
        assert_eq!(mjml_head("<mjml><mj-body/></mjml>"), "");
    }

    #[test]
    fn headings_are_underlined_and_links_become_numbered_references() {
        let text = blocks_to_text_of(
            "## Wat werkt\n\nLees [het rapport](https://x.org/r) en [dit](https://x.org/d), of [het rapport](https://x.org/r) weer.\n",
        );
        assert!(text.starts_with("Wat werkt\n=========\n\n"), "{text}");
        assert!(
            text.contains("het rapport [1] en dit [2], of het rapport [1] weer."),
            "{text}"
        );
        assert!(
            text.ends_with("[1] https://x.org/r\n[2] https://x.org/d\n\n"),
            "{text}"
        );
    }

    #[test]
    fn quotes_are_indented_and_lists_stay_lists() {
        let text = blocks_to_text_of("> Leren is doen.\n> — Anna\n\n- een\n- twee\n\n1. a\n2. b\n");
        assert!(text.contains("    Leren is doen.\n    — Anna\n"), "{text}");
        assert!(text.contains("* een\n* twee\n"), "{text}");
        assert!(text.contains("1. a\n2. b\n"), "{text}");
    }

    #[test]
    fn raw_html_links_keep_their_urls_and_raw_images_their_alt() {
        let text = blocks_to_text_of(
            "Zie <a href=\"https://example.org/x\">tekst</a> en <em>meer</em>.\n\n\
             <p>Een <a href=\"https://example.org/y\">\nblok</a></p>\n\n\
             <img src=\"https://example.org/f.png\" alt=\"Een foto\">\n",
        );
        assert!(text.contains("Zie tekst [1] en meer."), "{text}");
        assert!(text.contains("[1] https://example.org/x"), "{text}");
        assert!(text.contains("blok [2]"), "{text}");
        assert!(text.contains("[2] https://example.org/y"), "{text}");
        assert!(text.contains("Een foto"), "{text}");
        assert!(!text.contains('<'), "{text}");
    }

    #[test]
    fn lines_are_wrapped_at_72_columns_and_no_html_is_left() {
        let long = "woord ".repeat(60);
        let text = blocks_to_text_of(&format!("{long}\n\n*nadruk* en <b>vet</b>\n"));
        assert!(text.lines().all(|l| l.chars().count() <= WIDTH), "{text}");
        assert!(!text.contains('<'), "{text}");
    }
}
