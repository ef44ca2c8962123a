//! The body of an issue as a small document model, read from Markdown.
//! Both the MJML and the plain-text part are written from this model, so the
//! text part is written from the source rather than scraped from HTML.
//!
//! Conventions beyond CommonMark (see `emails/README.md`):
//! - a blockquote whose last line starts with "— " is a pull-quote, that
//!   line its credit;
//! - an image alone in a paragraph is a full-width image;
//! - a link alone in a paragraph with the title "button" is a button;
//! - a fenced block with the language `mjml` is raw MJML, passed through.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Heading(u8, Vec<Inline>),
    Paragraph(Vec<Inline>),
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Quote {
        body: Vec<Block>,
        credit: Option<Vec<Inline>>,
    },
    Image {
        src: String,
        alt: String,
    },
    Button {
        href: String,
        label: Vec<Inline>,
    },
    RawMjml(String),
    Code(String),
    Rule,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Inline {
    Text(String),
    Emphasis(Vec<Inline>),
    Strong(Vec<Inline>),
    Code(String),
    Link {
        href: String,
        children: Vec<Inline>,
        /// Titled "button": a button when alone in its paragraph.
        button: bool,
    },
    Image {
        src: String,
        alt: String,
    },
    /// Markdown's inline HTML, kept as written.
    Html(String),
    SoftBreak,
    HardBreak,
}

/// Parses Markdown into blocks.
pub fn parse_markdown(source: &str) -> Vec<Block> {
    let events: Vec<Event<'_>> = Parser::new_ext(source, Options::ENABLE_STRIKETHROUGH).collect();
    let mut pos = 0;
    blocks_until(&events, &mut pos, None)
}

fn blocks_until(events: &[Event<'_>], pos: &mut usize, end: Option<TagEnd>) -> Vec<Block> {
    let mut out = Vec::new();
    while *pos < events.len() {
        let event = &events[*pos];
        *pos += 1;
        match event {
            Event::End(tag) if Some(*tag) == end => break,
            Event::Start(Tag::Paragraph) => {
                let inlines = inlines_until(events, pos, TagEnd::Paragraph);
                out.push(paragraph(inlines));
            }
            Event::Start(Tag::Heading { level, .. }) => {
                let inlines = inlines_until(events, pos, TagEnd::Heading(*level));
                out.push(Block::Heading(heading_number(*level), inlines));
            }
            Event::Start(Tag::BlockQuote(_)) => {
                let body = blocks_until(events, pos, Some(TagEnd::BlockQuote(None)));
                out.push(quote(body));
            }
            Event::Start(Tag::List(start)) => out.push(list(events, pos, *start)),
            Event::Start(Tag::CodeBlock(kind)) => out.push(code_block(events, pos, kind)),
            Event::Rule => out.push(Block::Rule),
            Event::Html(html) => out.push(html_block(events, pos, html)),
            // Inline content outside a paragraph: a tight list item.
            Event::Text(_) | Event::Code(_) | Event::Start(_) | Event::InlineHtml(_) => {
                *pos -= 1;
                let inlines = loose_inlines(events, pos);
                if !inlines.is_empty() {
                    out.push(Block::Paragraph(inlines));
                }
            }
            _ => {}
        }
    }
    out
}

fn heading_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// A list's items, read up to the end of this list (`pos` is just after
/// its start).
fn list(events: &[Event<'_>], pos: &mut usize, start: Option<u64>) -> Block {
    let ordered = start.is_some();
    let mut items = Vec::new();
    while *pos < events.len() {
        match &events[*pos] {
            Event::Start(Tag::Item) => {
                *pos += 1;
                items.push(blocks_until(events, pos, Some(TagEnd::Item)));
            }
            Event::End(TagEnd::List(o)) if *o == ordered => {
                *pos += 1;
                break;
            }
            _ => *pos += 1,
        }
    }
    Block::List { start, items }
}

/// A code block's text; fenced as `mjml` it is raw MJML, passed through.
fn code_block(events: &[Event<'_>], pos: &mut usize, kind: &CodeBlockKind<'_>) -> Block {
    let mut text = String::new();
    while *pos < events.len() {
        let e = &events[*pos];
        *pos += 1;
        match e {
            Event::Text(t) => text.push_str(t),
            Event::End(TagEnd::CodeBlock) => break,
            _ => {}
        }
    }
    let is_mjml = matches!(kind, CodeBlockKind::Fenced(lang) if lang.trim() == "mjml");
    if is_mjml {
        Block::RawMjml(text)
    } else {
        Block::Code(text)
    }
}

/// An HTML block, kept as written.
fn html_block(events: &[Event<'_>], pos: &mut usize, first: &str) -> Block {
    // An HTML block comes a line at a time; one tag may span lines.
    let mut html = first.to_string();
    while let Some(Event::Html(more)) = events.get(*pos) {
        html.push_str(more);
        *pos += 1;
    }
    Block::Paragraph(vec![Inline::Html(html)])
}

/// Inline events up to the next block boundary (tight list items have no
/// paragraph around their text).
fn loose_inlines(events: &[Event<'_>], pos: &mut usize) -> Vec<Inline> {
    let mut out = Vec::new();
    while *pos < events.len() {
        match &events[*pos] {
            Event::Start(
                Tag::Paragraph
                | Tag::Heading { .. }
                | Tag::BlockQuote(_)
                | Tag::List(_)
                | Tag::CodeBlock(_)
                | Tag::Item,
            )
            | Event::End(_)
            | Event::Rule
            | Event::Html(_) => break,
            _ => {
                if let Some(inline) = inline_at(events, pos) {
                    out.push(inline);
                }
            }
        }
    }
    out
}

fn inlines_until(events: &[Event<'_>], pos: &mut usize, end: TagEnd) -> Vec<Inline> {
    let mut out = Vec::new();
    while *pos < events.len() {
        if events[*pos] == Event::End(end) {
            *pos += 1;
            break;
        }
        if let Some(inline) = inline_at(events, pos) {
            out.push(inline);
        }
    }
    out
}

/// Reads one inline element at `pos` and moves past it.
fn inline_at(events: &[Event<'_>], pos: &mut usize) -> Option<Inline> {
    let event = &events[*pos];
    *pos += 1;
    Some(match event {
        Event::Text(t) => Inline::Text(t.to_string()),
        Event::Code(t) => Inline::Code(t.to_string()),
        Event::InlineHtml(h) | Event::Html(h) => Inline::Html(h.to_string()),
        Event::SoftBreak => Inline::SoftBreak,
        Event::HardBreak => Inline::HardBreak,
        Event::Start(Tag::Emphasis) => {
            Inline::Emphasis(inlines_until(events, pos, TagEnd::Emphasis))
        }
        Event::Start(Tag::Strong) => Inline::Strong(inlines_until(events, pos, TagEnd::Strong)),
        Event::Start(Tag::Strikethrough) => {
            Inline::Emphasis(inlines_until(events, pos, TagEnd::Strikethrough))
        }
        Event::Start(Tag::Link {
            dest_url, title, ..
        }) => {
            let children = inlines_until(events, pos, TagEnd::Link);
            Inline::Link {
                href: dest_url.to_string(),
                children,
                button: title.as_ref() == "button",
            }
        }
        Event::Start(Tag::Image { dest_url, .. }) => {
            let alt = plain_text(&inlines_until(events, pos, TagEnd::Image));
            Inline::Image {
                src: dest_url.to_string(),
                alt,
            }
        }
        _ => return None,
    })
}

/// A paragraph that is only an image or only a button link becomes that
/// block.
fn paragraph(inlines: Vec<Inline>) -> Block {
    let meaningful: Vec<&Inline> = inlines
        .iter()
        .filter(|i| !matches!(i, Inline::Text(t) if t.trim().is_empty()))
        .collect();
    if let [only] = meaningful.as_slice() {
        match only {
            Inline::Image { src, alt } => {
                return Block::Image {
                    src: src.clone(),
                    alt: alt.clone(),
                };
            }
            Inline::Link {
                href,
                children,
                button: true,
            } => {
                return Block::Button {
                    href: href.clone(),
                    label: children.clone(),
                };
            }
            _ => {}
        }
    }
    Block::Paragraph(inlines)
}

/// A blockquote whose last line starts with "— " is a pull-quote with that
/// line as its credit.
fn quote(mut body: Vec<Block>) -> Block {
    if let Some(Block::Paragraph(inlines)) = body.last_mut() {
        let start = inlines
            .iter()
            .rposition(|i| matches!(i, Inline::SoftBreak | Inline::HardBreak))
            .map_or(0, |p| p + 1);
        let starts_with_dash =
            matches!(inlines.get(start), Some(Inline::Text(t)) if t.trim_start().starts_with('—'));
        if starts_with_dash {
            let credit: Vec<Inline> = inlines.drain(start..).collect();
            if matches!(inlines.last(), Some(Inline::SoftBreak | Inline::HardBreak)) {
                inlines.pop();
            }
            if inlines.is_empty() {
                body.pop();
            }
            return Block::Quote {
                body,
                credit: Some(credit),
            };
        }
    }
    Block::Quote { body, credit: None }
}

/// The text of inlines without any markup.
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for i in inlines {
        match i {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Emphasis(c) | Inline::Strong(c) | Inline::Link { children: c, .. } => {
                out.push_str(&plain_text(c))
            }
            Inline::Image { alt, .. } => out.push_str(alt),
            Inline::Html(_) => {}
            Inline::SoftBreak | Inline::HardBreak => out.push(' '),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blockquote_ending_in_a_dash_line_is_a_pull_quote() {
        let blocks = parse_markdown("> Leren is doen.\n> — Anna, onderzoeker\n");
        let Block::Quote { body, credit } = &blocks[0] else {
            panic!("expected a quote: {blocks:?}");
        };
        assert_eq!(
            plain_text(credit.as_deref().expect("a credit")),
            "— Anna, onderzoeker"
        );
        assert_eq!(
            body,
            &vec![Block::Paragraph(vec![Inline::Text(
                "Leren is doen.".into()
            )])]
        );
    }

    #[test]
    fn a_lone_image_and_a_lone_button_link_become_blocks() {
        let blocks = parse_markdown(
            "![Een tuin](https://x.org/a.jpg)\n\n[Lees](https://x.org/i \"button\")\n\nZie [dit](https://x.org/d \"button\") ook.\n",
        );
        assert_eq!(
            blocks[0],
            Block::Image {
                src: "https://x.org/a.jpg".into(),
                alt: "Een tuin".into()
            }
        );
        assert!(matches!(&blocks[1], Block::Button { href, .. } if href == "https://x.org/i"));
        let Block::Paragraph(inlines) = &blocks[2] else {
            panic!("paragraph")
        };
        assert!(
            inlines
                .iter()
                .any(|i| matches!(i, Inline::Link { href, .. } if href == "https://x.org/d"))
        );
    }

    #[test]
    fn a_fenced_mjml_block_passes_through() {
        let blocks = parse_markdown("```mjml\n<mj-section></mj-section>\n```\n");
        assert_eq!(
            blocks,
            vec![Block::RawMjml("<mj-section></mj-section>\n".into())]
        );
    }

    #[test]
    fn tight_and_loose_lists_keep_their_items() {
        let blocks = parse_markdown("1. een\n2. *twee*\n\n- a\n\n- b\n");
        let Block::List {
            start: Some(1),
            items,
        } = &blocks[0]
        else {
            panic!("{blocks:?}")
        };
        assert_eq!(items.len(), 2);
        let Block::List { start: None, items } = &blocks[1] else {
            panic!("{blocks:?}")
        };
        assert_eq!(items.len(), 2);
    }
}
