//! Rendered HTML to the plain-text part, for MJML content: `body.mjml`,
//! ```` ```mjml ```` blocks in Markdown, and whole documents
//! ([`text_from_html`], for `render --text` and `issue.mjml`).
//!
//! html5ever parses the HTML as a browser does (entities, unclosed tags,
//! tags split over lines), so nothing is lost to a tag stripper. The tree
//! is then written as text:
//!
//! - headings (`h1`–`h6`, or MJML text set bold at 20px and up) underlined,
//!   `=` for the large ones and `-` for the rest, as in Markdown issues;
//! - blocks separated by blank lines; `<br>` kept as a line break;
//! - lists with `*` or numbers; quotes indented; `<hr>` and dividers as a rule;
//! - a button (an `<a>` shown as a block, as `mj-button` writes it) as
//!   `Label: URL` on a line of its own: it is the call to action;
//! - every other link as `label [n]`, with the URLs listed at the end.
//!   Numbered references keep long Dutch sentences readable and wrap
//!   cleanly; inline URLs would cut paragraphs into pieces. A link whose
//!   text is its URL is written once, as the URL; `mailto:` as the address;
//! - images by their alt text, not spacers or pixels (empty alt, or 1–2 px);
//! - emphasis as plain text; `text-transform: uppercase` applied;
//! - hidden parts (`display:none`, `mso-hide:all`: the preheader), `<head>`,
//!   styles and Outlook-only conditional comments left out;
//! - lines wrapped at 72 columns between words only, never inside a URL.

use html5ever::tendril::TendrilSink;
use html5ever::{ParseOpts, parse_document};
use markup5ever_rcdom::{Handle, NodeData, RcDom};

use super::to_text::{GLUE, WIDTH, append_references, reference};

/// Deeper nesting than this is left out, so hostile HTML cannot exhaust
/// the stack (html5ever itself builds any depth).
const MAX_DEPTH: usize = 400;

/// The plain text of an HTML document or fragment, with its links listed
/// as numbered references at the end. Stable entry point for callers
/// outside the renderer.
pub fn text_from_html(html: &str) -> String {
    let mut links = Vec::new();
    let mut out = html_text(html, &mut links, false);
    append_references(&mut out, &links);
    out
}

/// The text of `html` without the reference list; links are numbered in
/// `links`, which a Markdown body shares with its MJML blocks. With
/// `template_marks`, comments `<!--pbTxtNtxTbp-->` are kept as text: they
/// stand for template tags that must stay where they were.
pub(crate) fn html_text(html: &str, links: &mut Vec<String>, template_marks: bool) -> String {
    // Without template marks every comment is ignored: html5ever need
    // not read the ones that change nothing else.
    let html = if template_marks {
        html.into()
    } else {
        comments::without_comments(html)
    };
    let dom = parse_document(RcDom::default(), ParseOpts::default()).one(&*html);
    let mut w = Writer {
        links,
        template_marks,
        out: String::new(),
        inline: String::new(),
        sep: Sep::Blank,
        indent: String::new(),
        marker: None,
        lists: Vec::new(),
        uppercase: 0,
        pre: 0,
    };
    w.walk(&dom.document, 0);
    w.flush();
    if !w.out.is_empty() {
        w.out.push('\n');
    }
    w.out.replace(GLUE, " ")
}

/// Whether `s` is a template mark (see [`html_text`]).
pub(crate) fn is_template_mark(s: &str) -> bool {
    s.strip_prefix(MARK_OPEN)
        .and_then(|r| r.strip_suffix(MARK_CLOSE))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Letters and digits only: they pass unchanged through mrml (also in
/// attributes), html5ever and the wrapper.
pub(crate) const MARK_OPEN: &str = "pbTxt";
pub(crate) const MARK_CLOSE: &str = "txTbp";

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Sep {
    Line,
    Blank,
}

struct Writer<'a> {
    links: &'a mut Vec<String>,
    template_marks: bool,
    /// Finished blocks.
    out: String,
    /// The paragraph being gathered; `\n` for `<br>`.
    inline: String,
    /// What goes before the next block.
    sep: Sep,
    /// Indent of lists and quotes.
    indent: String,
    /// A list item's marker, for the first line of its first block.
    marker: Option<String>,
    /// Open lists: `None` bullets, `Some(n)` the next number.
    lists: Vec<Option<u64>>,
    uppercase: usize,
    pre: usize,
}

impl Writer<'_> {
    fn walk(&mut self, node: &Handle, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match &node.data {
            NodeData::Document => self.children(node, depth),
            NodeData::Text { contents } => {
                let text = contents.borrow();
                self.text(&text);
            }
            NodeData::Comment { contents } if self.template_marks && is_template_mark(contents) => {
                self.inline.push_str(contents);
            }
            NodeData::Element { name, attrs, .. } => {
                let attrs = attrs.borrow();
                let attr = |n: &str| {
                    attrs
                        .iter()
                        .find(|a| &*a.name.local == n)
                        .map(|a| a.value.to_string())
                };
                let style = attr("style").unwrap_or_default().to_ascii_lowercase();
                let el = Element {
                    name: &name.local,
                    compact: style.replace([' ', '\t', '\n'], ""),
                    style,
                    href: attr("href"),
                    alt: attr("alt"),
                    size: [attr("width"), attr("height")],
                    start: attr("start"),
                };
                drop(attrs);
                self.element(node, &el, depth);
            }
            _ => {}
        }
    }

    fn children(&mut self, node: &Handle, depth: usize) {
        for child in node.children.borrow().iter() {
            self.walk(child, depth + 1);
        }
    }

    fn element(&mut self, node: &Handle, el: &Element<'_>, depth: usize) {
        if el.is_hidden() {
            return;
        }
        let upper = el.style_has("text-transform:uppercase");
        self.uppercase += usize::from(upper);
        match el.name {
            "br" => self.inline.push('\n'),
            "img" => self.image(el),
            "a" => self.link(node, el, depth),
            "hr" => self.rule(),
            "p" if el.style_has("border-top") && text_is_empty(node) => self.rule(),
            "h1" | "h2" => self.heading(node, '=', depth),
            "h3" | "h4" | "h5" | "h6" => self.heading(node, '-', depth),
            "ul" | "ol" => self.list(node, el, depth),
            "li" => self.item(node, depth),
            "blockquote" => self.indented(node, "    ", depth),
            "pre" => {
                self.flush();
                self.pre += 1;
                self.children(node, depth);
                self.pre -= 1;
                self.flush_pre();
            }
            _ if el.is_styled_heading() && !has_block_descendant(node) => {
                let underline = if el.font_size() >= 24.0 { '=' } else { '-' };
                self.heading(node, underline, depth);
            }
            name if is_block(name) => {
                self.flush();
                self.children(node, depth);
                self.flush();
            }
            _ => self.children(node, depth),
        }
        self.uppercase -= usize::from(upper);
    }

    fn text(&mut self, text: &str) {
        if self.pre > 0 {
            self.inline.push_str(text);
            return;
        }
        for (i, word) in text.split(is_html_space).enumerate() {
            if i > 0 && !self.inline.is_empty() && !self.inline.ends_with([' ', '\n']) {
                self.inline.push(' ');
            }
            if self.uppercase > 0 {
                self.inline.push_str(&word.to_uppercase());
            } else {
                self.inline.push_str(word);
            }
        }
    }

    fn image(&mut self, el: &Element<'_>) {
        let tiny = el
            .size
            .iter()
            .flatten()
            .any(|v| v.trim().parse::<u32>().is_ok_and(|n| n <= 2));
        let alt = el.alt.as_deref().map(str::trim).unwrap_or("");
        if alt.is_empty() || tiny {
            return;
        }
        if self.inline.trim().is_empty() && !self.in_link_label() {
            // An image on its own is a block, shown like Markdown's.
            self.flush();
            self.inline.push_str(&format!("[{alt}]"));
            self.flush();
        } else {
            self.text(alt);
        }
    }

    /// Link labels are gathered in `inline`; an image there is the label.
    fn in_link_label(&self) -> bool {
        self.inline.ends_with('\u{E000}')
    }

    fn link(&mut self, node: &Handle, el: &Element<'_>, depth: usize) {
        let href = el.href.as_deref().map(str::trim).unwrap_or("");
        if el.is_button() {
            self.flush();
        }
        // A private-use mark opens the label, so an image inside knows it
        // is one; it is removed right after.
        self.inline.push('\u{E000}');
        let start = self.inline.len();
        self.children(node, depth);
        let label: String = self.inline[start..].trim().to_owned();
        self.inline.truncate(start - '\u{E000}'.len_utf8());
        let written = link_text(&label, href, el.is_button(), self.links);
        if el.is_button() {
            self.inline.push_str(&written);
            self.flush();
        } else {
            // `met<a> link</a>`: the space inside the link goes before it.
            if !written.is_empty()
                && !self.inline.is_empty()
                && !self.inline.ends_with([' ', '\n'])
                && node_starts_with_space(node)
            {
                self.inline.push(' ');
            }
            self.inline.push_str(&written);
        }
    }

    fn rule(&mut self) {
        self.flush();
        self.begin_block();
        self.out
            .push_str(&format!("{}{}\n", self.indent, "-".repeat(20)));
        self.end_block();
    }

    fn heading(&mut self, node: &Handle, underline: char, depth: usize) {
        self.flush();
        self.children(node, depth);
        let title = std::mem::take(&mut self.inline)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if title.is_empty() {
            return;
        }
        self.begin_block();
        let (first, rest) = self.indents();
        self.out.push_str(&wrap(&title, &first, &rest));
        let width = title.chars().count().min(WIDTH);
        self.out
            .push_str(&format!("{rest}{}\n", underline.to_string().repeat(width)));
        self.sep = Sep::Blank;
    }

    fn list(&mut self, node: &Handle, el: &Element<'_>, depth: usize) {
        self.flush();
        if self.lists.is_empty() {
            self.sep = Sep::Blank;
        }
        let numbered = el.name == "ol";
        let start = el.start.as_deref().and_then(|s| s.trim().parse().ok());
        self.lists.push(numbered.then(|| start.unwrap_or(1)));
        self.children(node, depth);
        self.flush();
        self.lists.pop();
        if self.lists.is_empty() {
            self.sep = Sep::Blank;
        }
    }

    fn item(&mut self, node: &Handle, depth: usize) {
        self.flush();
        let marker = match self.lists.last_mut() {
            Some(Some(n)) => {
                *n += 1;
                format!("{}. ", *n - 1)
            }
            _ => "* ".to_owned(),
        };
        let pad = " ".repeat(marker.chars().count());
        self.marker = Some(marker);
        self.indented(node, &pad, depth);
        self.marker = None;
    }

    fn indented(&mut self, node: &Handle, pad: &str, depth: usize) {
        self.flush();
        let before = self.indent.len();
        // A list item's indent starts after its marker is written.
        self.indent.push_str(pad);
        self.children(node, depth);
        self.flush();
        self.indent.truncate(before);
    }

    /// The first line's indent (with a pending list marker) and the rest's.
    fn indents(&mut self) -> (String, String) {
        match self.marker.take() {
            Some(marker) => {
                let outer = &self.indent[..self.indent.len() - marker.chars().count()];
                (format!("{outer}{marker}"), self.indent.clone())
            }
            None => (self.indent.clone(), self.indent.clone()),
        }
    }

    fn begin_block(&mut self) {
        if !self.out.is_empty() && self.sep == Sep::Blank && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn end_block(&mut self) {
        self.sep = if self.lists.is_empty() {
            Sep::Blank
        } else {
            Sep::Line
        };
    }

    /// Writes the gathered paragraph as a wrapped block.
    fn flush(&mut self) {
        let text = std::mem::take(&mut self.inline);
        let lines: Vec<&str> = text.split('\n').map(str::trim).collect();
        let Some(first) = lines.iter().position(|l| !l.is_empty()) else {
            return;
        };
        let last = lines.iter().rposition(|l| !l.is_empty()).unwrap_or(first);
        self.begin_block();
        let (first_indent, rest) = self.indents();
        let mut previous_empty = false;
        for (i, line) in lines[first..=last].iter().enumerate() {
            if line.is_empty() {
                // Two <br> in a row: one blank line, however many there are.
                if !previous_empty {
                    self.out.push('\n');
                }
                previous_empty = true;
                continue;
            }
            previous_empty = false;
            let lead = if i == 0 { &first_indent } else { &rest };
            self.out.push_str(&wrap(line, lead, &rest));
        }
        self.end_block();
    }

    fn flush_pre(&mut self) {
        let text = std::mem::take(&mut self.inline);
        let text = text.trim_matches('\n');
        if text.trim().is_empty() {
            return;
        }
        self.begin_block();
        for line in text.lines() {
            self.out
                .push_str(format!("{}    {line}", self.indent).trim_end());
            self.out.push('\n');
        }
        self.end_block();
    }
}

/// How a link is written; `links` gets its URL when it is referenced.
fn link_text(label: &str, href: &str, button: bool, links: &mut Vec<String>) -> String {
    let lower = href.to_ascii_lowercase();
    if href.is_empty() || href.starts_with('#') || lower.starts_with("javascript:") {
        return label.to_owned();
    }
    for scheme in ["mailto:", "tel:"] {
        if lower.starts_with(scheme) {
            let target = href[scheme.len()..].split('?').next().unwrap_or("");
            return if label.is_empty() || label.eq_ignore_ascii_case(target) {
                target.to_owned()
            } else {
                format!("{label} ({target})")
            };
        }
    }
    if label.is_empty() || same_url(label, href) {
        href.to_owned()
    } else if button {
        format!("{label}: {href}")
    } else {
        format!("{label}{GLUE}[{}]", reference(href, links))
    }
}

/// Whether a link's text is its URL, give or take the scheme and a slash.
fn same_url(label: &str, href: &str) -> bool {
    let bare = |s: &str| {
        let s = s.trim();
        let s = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .unwrap_or(s);
        s.strip_prefix("www.")
            .unwrap_or(s)
            .trim_end_matches('/')
            .to_ascii_lowercase()
    };
    bare(label) == bare(href)
}

struct Element<'a> {
    name: &'a str,
    /// Lower-cased.
    style: String,
    /// `style` without blanks, made once: every check looks at it.
    compact: String,
    href: Option<String>,
    alt: Option<String>,
    size: [Option<String>; 2],
    start: Option<String>,
}

impl Element<'_> {
    /// `style` contains `decl` (written without spaces).
    fn style_has(&self, decl: &str) -> bool {
        self.compact.contains(decl)
    }

    fn is_hidden(&self) -> bool {
        matches!(
            self.name,
            "head" | "style" | "script" | "title" | "template" | "meta" | "link"
        ) || self.style_has("display:none")
            || self.style_has("mso-hide:all")
    }

    /// An `<a>` laid out as a block with padding: how mj-button (and most
    /// hand-made buttons) look.
    fn is_button(&self) -> bool {
        self.name == "a" && self.style_has("display:inline-block") && self.style_has("padding")
    }

    fn is_styled_heading(&self) -> bool {
        // Most elements set no weight: skip splitting their style.
        if !self.compact.contains("font-weight") {
            return false;
        }
        let bold = self.style_value("font-weight").is_some_and(|w| {
            w == "bold" || w == "bolder" || w.parse::<u32>().is_ok_and(|n| n >= 600)
        });
        bold && self.font_size() >= 20.0
    }

    /// The font size in px (points and ems converted roughly), 0 if unset.
    fn font_size(&self) -> f32 {
        let Some(v) = self.style_value("font-size") else {
            return 0.0;
        };
        let number = |suffix: &str| {
            v.strip_suffix(suffix)
                .and_then(|n| n.trim().parse::<f32>().ok())
        };
        number("px")
            .or_else(|| number("pt").map(|n| n * 4.0 / 3.0))
            .or_else(|| number("em").map(|n| n * 16.0))
            .unwrap_or(0.0)
    }

    /// The value of the last `name:` declaration in `style`.
    fn style_value(&self, name: &str) -> Option<String> {
        self.style
            .split(';')
            .filter_map(|d| d.split_once(':'))
            .filter(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.trim().trim_end_matches("!important").trim().to_owned())
            .next_back()
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "td"
            | "th"
            | "tr"
            | "table"
            | "tbody"
            | "thead"
            | "tfoot"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "main"
            | "nav"
            | "aside"
            | "center"
            | "dl"
            | "dt"
            | "dd"
            | "figure"
            | "figcaption"
            | "address"
            | "body"
            | "html"
    )
}

fn has_block_descendant(node: &Handle) -> bool {
    // An explicit stack: the depth of the HTML is the author's.
    let mut stack: Vec<Handle> = node.children.borrow().iter().cloned().collect();
    while let Some(n) = stack.pop() {
        if let NodeData::Element { name, .. } = &n.data {
            let name = &*name.local;
            if is_block(name)
                || matches!(name, "ul" | "ol" | "li" | "blockquote" | "pre" | "hr")
                || name.starts_with('h') && name.len() == 2
            {
                return true;
            }
        }
        stack.extend(n.children.borrow().iter().cloned());
    }
    false
}

fn text_is_empty(node: &Handle) -> bool {
    let mut stack = vec![node.clone()];
    while let Some(n) = stack.pop() {
        if let NodeData::Text { contents } = &n.data {
            if !contents.borrow().trim().is_empty() {
                return false;
            }
        }
        stack.extend(n.children.borrow().iter().cloned());
    }
    true
}

/// Whether the first text inside `node` starts with a space (the space
/// belongs before the link, which was opened without one).
fn node_starts_with_space(node: &Handle) -> bool {
    let mut stack = vec![node.clone()];
    while let Some(n) = stack.pop() {
        if let NodeData::Text { contents } = &n.data {
            let t = contents.borrow();
            if !t.is_empty() {
                return t.starts_with(is_html_space);
            }
        }
        stack.extend(n.children.borrow().iter().rev().cloned());
    }
    false
}

/// HTML's collapsible white space; a no-break space is not.
fn is_html_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}')
}

/// Wraps one line at [`WIDTH`] between words only: no hyphenation and no
/// break inside a word, so a URL stays whole (and may stick out).
fn wrap(line: &str, first: &str, rest: &str) -> String {
    let options = textwrap::Options::new(WIDTH)
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    let mut out = String::new();
    for l in textwrap::wrap(line, options) {
        out.push_str(l.trim_end());
        out.push('\n');
    }
    out
}

#[path = "html_comments.rs"]
mod comments;

#[cfg(test)]
#[path = "html_text_tests.rs"]
mod tests;
