//! Blocks to the plain-text part: headings underlined, links as numbered
//! references at the end, quotes indented, lists as lists, wrapped at 72
//! columns. Nothing of HTML is left over.

use super::blocks::{Block, Inline, plain_text};

/// Wrap width of the plain-text part.
pub const WIDTH: usize = 72;

/// The body as plain text, with its link references at the end.
pub fn blocks_to_text(blocks: &[Block]) -> String {
    let mut links: Vec<String> = Vec::new();
    let mut out = String::new();
    for block in blocks {
        block_text(block, "", "", &mut links, &mut out);
    }
    if !links.is_empty() {
        out.push_str(&"-".repeat(20));
        out.push('\n');
        for (i, href) in links.iter().enumerate() {
            out.push_str(&format!("[{}] {href}\n", i + 1));
        }
        out.push('\n');
    }
    out
}

fn block_text(block: &Block, first: &str, rest: &str, links: &mut Vec<String>, out: &mut String) {
    match block {
        Block::Heading(level, inlines) => {
            let title = inline_text(inlines, links);
            let underline = if *level <= 2 { '=' } else { '-' };
            out.push_str(&wrap(&title, first, rest));
            out.push_str(rest);
            out.push_str(
                &underline
                    .to_string()
                    .repeat(title.chars().count().min(WIDTH)),
            );
            out.push_str("\n\n");
        }
        Block::Paragraph(inlines) => {
            out.push_str(&wrap(&inline_text(inlines, links), first, rest));
            out.push('\n');
        }
        Block::List { start, items } => {
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
                    block_text(b, f, &item_rest, links, &mut item_out);
                }
                // Items of a list stand on consecutive lines.
                out.push_str(item_out.trim_end_matches('\n'));
                out.push('\n');
            }
            out.push('\n');
        }
        Block::Quote { body, credit } => {
            let indent = format!("{rest}    ");
            for b in body {
                block_text(b, &indent, &indent, links, out);
            }
            if let Some(credit) = credit {
                if out.ends_with("\n\n") {
                    out.pop();
                }
                out.push_str(&wrap(&inline_text(credit, links), &indent, &indent));
                out.push('\n');
            }
        }
        Block::Image { alt, .. } => {
            if !alt.trim().is_empty() {
                out.push_str(&wrap(&format!("[{alt}]"), first, rest));
                out.push('\n');
            }
        }
        Block::Button { href, label } => {
            let n = reference(href, links);
            out.push_str(&wrap(
                &format!("» {} [{n}]", plain_text(label)),
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
        Block::RawMjml(raw) => {
            let text = mjml_text(raw);
            if !text.is_empty() {
                out.push_str(&text);
                out.push('\n');
            }
        }
    }
}

fn reference(href: &str, links: &mut Vec<String>) -> usize {
    match links.iter().position(|l| l == href) {
        Some(i) => i + 1,
        None => {
            links.push(href.to_owned());
            links.len()
        }
    }
}

fn inline_text(inlines: &[Inline], links: &mut Vec<String>) -> String {
    let mut out = String::new();
    for i in inlines {
        match i {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Emphasis(c) => out.push_str(&format!("_{}_", inline_text(c, links))),
            Inline::Strong(c) => out.push_str(&format!("*{}*", inline_text(c, links))),
            Inline::Link { href, children, .. } => {
                let label = inline_text(children, links);
                if href.starts_with("mailto:") || label == *href {
                    out.push_str(href.trim_start_matches("mailto:"));
                } else {
                    let n = reference(href, links);
                    out.push_str(&format!("{label} [{n}]"));
                }
            }
            Inline::Image { alt, .. } => out.push_str(alt),
            Inline::Html(h) => out.push_str(&strip_tags(h)),
            Inline::SoftBreak => out.push(' '),
            Inline::HardBreak => out.push('\n'),
        }
    }
    out
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

/// The text of a raw MJML block: each `mj-text` or `mj-button` becomes a
/// paragraph; tags are dropped and entities decoded. Good enough for the
/// small agenda-like blocks raw MJML is used for.
pub fn mjml_text(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(start) = rest.find("<mj-text").or_else(|| rest.find("<mj-button")) {
        let tag = if rest[start..].starts_with("<mj-text") {
            "mj-text"
        } else {
            "mj-button"
        };
        let Some(open_end) = rest[start..].find('>') else {
            break;
        };
        let content_start = start + open_end + 1;
        let close = format!("</{tag}>");
        let Some(len) = rest[content_start..].find(&close) else {
            break;
        };
        let html = anchors_to_text(&rest[content_start..content_start + len]);
        let text = strip_tags(
            &html
                .replace("<br />", "\n")
                .replace("<br/>", "\n")
                .replace("<br>", "\n"),
        );
        let text = text
            .split('\n')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("\n");
        if !text.trim().is_empty() {
            out.push_str(&wrap(text.trim(), "", ""));
            out.push('\n');
        }
        rest = &rest[content_start + len + close.len()..];
    }
    out
}

/// `<a href="URL">label</a>` becomes `label <URL>`, so links in raw MJML
/// survive in the text part.
fn anchors_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<a ") {
        let tail = &rest[start..];
        let href = tail
            .split("href=\"")
            .nth(1)
            .and_then(|h| h.split('"').next())
            .unwrap_or("");
        let (Some(open_end), Some(close)) = (tail.find('>'), tail.find("</a>")) else {
            break;
        };
        if close < open_end {
            break;
        }
        out.push_str(&rest[..start]);
        out.push_str(&tail[open_end + 1..close]);
        if !href.is_empty() && !href.starts_with('{') {
            out.push_str(&format!(" <{}>", href.trim_start_matches("mailto:")));
        }
        rest = &tail[close + 4..];
    }
    out.push_str(rest);
    out
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::blocks::parse_markdown;

    #[test]
    fn headings_are_underlined_and_links_become_numbered_references() {
        let text = blocks_to_text(&parse_markdown(
            "## Wat werkt\n\nLees [het rapport](https://x.org/r) en [dit](https://x.org/d), of [het rapport](https://x.org/r) weer.\n",
        ));
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
        let text = blocks_to_text(&parse_markdown(
            "> Leren is doen.\n> — Anna\n\n- een\n- twee\n\n1. a\n2. b\n",
        ));
        assert!(text.contains("    Leren is doen.\n    — Anna\n"), "{text}");
        assert!(text.contains("* een\n* twee\n"), "{text}");
        assert!(text.contains("1. a\n2. b\n"), "{text}");
    }

    #[test]
    fn lines_are_wrapped_at_72_columns_and_no_html_is_left() {
        let long = "woord ".repeat(60);
        let text = blocks_to_text(&parse_markdown(&format!(
            "{long}\n\n*nadruk* en <b>vet</b>\n"
        )));
        assert!(text.lines().all(|l| l.chars().count() <= WIDTH), "{text}");
        assert!(!text.contains('<'), "{text}");
    }
}
