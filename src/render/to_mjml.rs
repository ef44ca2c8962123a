//! Blocks to MJML: a run of blocks shares one `<mj-section>` and column
//! (every section costs HTML, and Gmail clips mail over 102 KB); raw MJML
//! blocks stand between sections. Class names match `partials/head.mjml`.

use super::blocks::{Block, Inline};

/// The body as a sequence of `<mj-section>` elements.
pub fn blocks_to_mjml(blocks: &[Block]) -> String {
    let mut out = String::new();
    let mut open = false;
    for block in blocks {
        if let Block::RawMjml(raw) = block {
            if open {
                out.push_str("  </mj-column>\n</mj-section>\n");
                open = false;
            }
            out.push_str(raw.trim_end());
            out.push('\n');
            continue;
        }
        if !open {
            out.push_str("<mj-section>\n  <mj-column>\n");
            open = true;
        }
        block_mjml(block, &mut out);
    }
    if open {
        out.push_str("  </mj-column>\n</mj-section>\n");
    }
    out
}

const RESET: &str = "margin:0;font-size:inherit;line-height:inherit;font-weight:inherit;";

fn block_mjml(block: &Block, out: &mut String) {
    match block {
        Block::Heading(level, inlines) => {
            let (class, tag) = match level {
                1 | 2 => ("h2", "h2"),
                _ => ("h3", "h3"),
            };
            out.push_str(&format!(
                "    <mj-text mj-class=\"{class}\"><{tag} style=\"{RESET}\">{}</{tag}></mj-text>\n",
                inline_html(inlines)
            ));
        }
        Block::Paragraph(inlines) => {
            out.push_str(&format!("    <mj-text>{}</mj-text>\n", inline_html(inlines)));
        }
        Block::List { .. } => {
            out.push_str("    <mj-text>");
            list_html(block, out);
            out.push_str("</mj-text>\n");
        }
        Block::Quote { body, credit } => {
            out.push_str("    <mj-text mj-class=\"pullquote\">");
            out.push_str(&nested_html(body));
            out.push_str("</mj-text>\n");
            if let Some(credit) = credit {
                out.push_str(&format!(
                    "    <mj-text mj-class=\"pullquote-credit\">{}</mj-text>\n",
                    inline_html(credit)
                ));
            }
        }
        Block::Image { src, alt } => out.push_str(&format!(
            "    <mj-image src=\"{}\" alt=\"{}\" fluid-on-mobile=\"true\" />\n",
            attr(src),
            attr(alt)
        )),
        Block::Button { href, label } => out.push_str(&format!(
            "    <mj-button mj-class=\"button\" href=\"{}\">{}</mj-button>\n",
            attr(href),
            inline_html(label)
        )),
        Block::Code(code) => out.push_str(&format!(
            "    <mj-text><pre style=\"margin:0;white-space:pre-wrap;font-family:monospace;font-size:15px;\">{}</pre></mj-text>\n",
            text(code)
        )),
        Block::Rule => out.push_str("    <mj-divider />\n"),
        Block::RawMjml(raw) => out.push_str(raw),
    }
}

/// Blocks inside a quote or list item, as HTML within one mj-text.
fn nested_html(blocks: &[Block]) -> String {
    let mut out = String::new();
    for (i, block) in blocks.iter().enumerate() {
        if i > 0 {
            out.push_str("<br /><br />");
        }
        match block {
            Block::Paragraph(inlines) | Block::Heading(_, inlines) => {
                out.push_str(&inline_html(inlines))
            }
            Block::List { .. } => list_html(block, &mut out),
            Block::Quote { body, .. } => out.push_str(&nested_html(body)),
            Block::Image { alt, .. } => out.push_str(&text(alt)),
            Block::Button { href, label } => out.push_str(&format!(
                "<a href=\"{}\">{}</a>",
                attr(href),
                inline_html(label)
            )),
            Block::Code(code) => out.push_str(&format!("<code>{}</code>", text(code))),
            Block::Rule | Block::RawMjml(_) => {}
        }
    }
    out
}

fn list_html(block: &Block, out: &mut String) {
    let Block::List { start, items } = block else {
        return;
    };
    let style = "margin:0;padding-left:24px;";
    match start {
        Some(n) if *n != 1 => out.push_str(&format!("<ol start=\"{n}\" style=\"{style}\">")),
        Some(_) => out.push_str(&format!("<ol style=\"{style}\">")),
        None => out.push_str(&format!("<ul style=\"{style}\">")),
    }
    for item in items {
        out.push_str("<li style=\"margin:0 0 6px 0;\">");
        out.push_str(&nested_html(item));
        out.push_str("</li>");
    }
    out.push_str(if start.is_some() { "</ol>" } else { "</ul>" });
}

fn inline_html(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for i in inlines {
        match i {
            Inline::Text(t) => out.push_str(&text(t)),
            Inline::Code(t) => out.push_str(&format!("<code>{}</code>", text(t))),
            Inline::Emphasis(c) => out.push_str(&format!("<em>{}</em>", inline_html(c))),
            Inline::Strong(c) => out.push_str(&format!("<strong>{}</strong>", inline_html(c))),
            Inline::Link { href, children, .. } => out.push_str(&format!(
                "<a href=\"{}\">{}</a>",
                attr(href),
                inline_html(children)
            )),
            Inline::Image { src, alt } => out.push_str(&format!(
                "<img src=\"{}\" alt=\"{}\" style=\"max-width:100%;height:auto;\" />",
                attr(src),
                attr(alt)
            )),
            Inline::Html(h) => out.push_str(h),
            Inline::SoftBreak => out.push(' '),
            Inline::HardBreak => out.push_str("<br />"),
        }
    }
    out
}

/// Escapes text content. Quotes too: mrml refuses a bare `"` in text.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn attr(s: &str) -> String {
    text(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::blocks::parse_markdown;

    #[test]
    fn consecutive_blocks_share_one_section_and_raw_mjml_stands_between() {
        let mjml = blocks_to_mjml(&parse_markdown(
            "Een.\n\nTwee.\n\n```mjml\n<mj-section><mj-column></mj-column></mj-section>\n```\n\nDrie.\n",
        ));
        assert_eq!(mjml.matches("<mj-section>").count(), 3, "{mjml}");
        assert_eq!(mjml.matches("<mj-text>").count(), 3, "{mjml}");
    }

    #[test]
    fn text_and_attributes_are_escaped() {
        let mjml = blocks_to_mjml(&parse_markdown(
            "a < b & \"c\" [x](https://x.org/?a=1&b=2)\n",
        ));
        assert!(mjml.contains("a &lt; b &amp; &quot;c&quot;"), "{mjml}");
        assert!(
            mjml.contains("href=\"https://x.org/?a=1&amp;b=2\""),
            "{mjml}"
        );
    }

    #[test]
    fn a_pull_quote_gets_its_classes() {
        let mjml = blocks_to_mjml(&parse_markdown("> Leren is doen.\n> — Anna\n"));
        assert!(
            mjml.contains("<mj-text mj-class=\"pullquote\">Leren is doen.</mj-text>"),
            "{mjml}"
        );
        assert!(
            mjml.contains("<mj-text mj-class=\"pullquote-credit\">— Anna</mj-text>"),
            "{mjml}"
        );
    }
}
