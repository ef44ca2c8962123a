//! The checks an issue passes before it is queued (and that `issue
//! preview` and `postbode render` report), on the message as a sample
//! recipient gets it. [`super::validate`] checks the MJML as written;
//! these check what comes out:
//!
//! - the unsubscribe link is visible in both parts: the List-Unsubscribe
//!   header alone is not enough for a reader whose client hides it;
//! - the HTML stays under Gmail's clipping limit of 102 KB: Gmail cuts a
//!   larger message off behind "[Message clipped]", and with it the footer
//!   holding the unsubscribe link. A warning from 90 KB;
//! - every image has an alt text: images are often blocked, and without
//!   one a client shows a broken-image icon;
//! - every link is absolute: a relative link has nothing to be relative
//!   to in a mail client.

use super::validate::tag_end;

/// From here the HTML gets a warning.
pub const WARN_BYTES: usize = 90 * 1024;
/// Gmail clips the HTML part above this.
pub const CLIP_BYTES: usize = 102 * 1024;

/// What the checks found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preflight {
    /// Worth knowing; nothing stops.
    pub warnings: Vec<String>,
    /// The message is broken: it is not queued.
    pub refusals: Vec<String>,
    /// Above [`CLIP_BYTES`]: queued only when forced.
    pub too_large: Option<String>,
}

/// Checks a whole message, sent with `unsubscribe_url` for its recipient.
pub fn check_message(html: &str, text: &str, unsubscribe_url: &str) -> Preflight {
    let mut found = check_html(html);
    let hrefs: Vec<String> = tags(html, "a")
        .filter_map(|t| attribute(t, "href"))
        .collect();
    if !hrefs.iter().any(|h| h == unsubscribe_url) {
        found.refusals.push(
            "the HTML part has no visible unsubscribe link: add \
             <a href=\"{{ unsubscribe_url }}\">…</a> (partials/footer.mjml has one)"
                .to_owned(),
        );
    }
    if !text.contains(unsubscribe_url) {
        found.refusals.push(
            "the text part has no unsubscribe link: add {{ unsubscribe_url }} to it".to_owned(),
        );
    }
    found
}

/// The checks that need no recipient: size, alt texts, absolute links.
pub fn check_html(html: &str) -> Preflight {
    let mut found = Preflight::default();
    let kb = |n: usize| format!("{:.1} KB", n as f64 / 1024.0);
    if html.len() > CLIP_BYTES {
        found.too_large = Some(format!(
            "the HTML is {}, above Gmail's clipping limit of 102 KB: Gmail would cut it off, \
             footer and unsubscribe link included; shorten it (or queue it with --force)",
            kb(html.len())
        ));
    } else if html.len() > WARN_BYTES {
        found.warnings.push(format!(
            "the HTML is {}, close to Gmail's clipping limit of 102 KB",
            kb(html.len())
        ));
    }
    for img in tags(html, "img") {
        let alt = attribute(img, "alt").unwrap_or_default();
        if alt.trim().is_empty() && !is_spacer(img) {
            let src = attribute(img, "src").unwrap_or_default();
            found
                .warnings
                .push(format!("the image {src} has no alt text"));
        }
    }
    for href in tags(html, "a").filter_map(|t| attribute(t, "href")) {
        if !is_absolute(&href) {
            found.refusals.push(format!(
                "the link \"{href}\" is not absolute: a mail has no address to resolve it \
                 against; write it in full, with https://"
            ));
        }
    }
    found
}

/// `https://…`, `mailto:…`, `tel:…`: a scheme of letters before a colon.
fn is_absolute(href: &str) -> bool {
    href.split_once(':').is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// A pixel or spacer (1 or 2 px): nothing to describe.
fn is_spacer(img: &str) -> bool {
    ["width", "height"].iter().any(|a| {
        attribute(img, a)
            .and_then(|v| v.trim_end_matches("px").parse::<u32>().ok())
            .is_some_and(|n| n <= 2)
    })
}

/// The start tags `<name …>` of `html`, each without its `<` and `>`.
fn tags<'a>(html: &'a str, name: &str) -> impl Iterator<Item = &'a str> + 'a {
    // Every `<` (a fast byte search), then its name: the same tags as
    // searching for `<name`, which cannot overlap, at a fraction of the cost.
    let open = format!("<{name}");
    html.match_indices('<').filter_map(move |(at, _)| {
        let rest = html[at..].strip_prefix(open.as_str())?;
        let next = rest.chars().next()?;
        if !(next.is_whitespace() || next == '>' || next == '/') {
            return None;
        }
        let end = tag_end(rest)?;
        Some(&rest[..end])
    })
}

/// An attribute's value, entities that occur in URLs decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + name.len()..].trim_start();
        rest = &rest[at + name.len()..];
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let raw = match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
            _ => value.split(char::is_whitespace).next().unwrap_or(""),
        };
        return Some(decode(raw));
    }
    None
}

fn decode(value: &str) -> String {
    value
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&#x3a;", ":")
        .replace("&#58;", ":")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://x.nl/u/abc";

    #[test]
    fn a_message_with_its_unsubscribe_link_in_both_parts_passes() {
        let html = "<a href=\"https:&#x2f;&#x2f;x.nl&#x2f;u&#x2f;abc\">Afmelden</a><img src=\"https://x.nl/a.png\" alt=\"Een foto\">";
        let found = check_message(html, &format!("Afmelden: {URL}\n"), URL);
        assert_eq!(found, Preflight::default());
    }

    #[test]
    fn a_missing_unsubscribe_link_is_refused_in_each_part() {
        let found = check_message("<p>Hoi</p>", "Hoi", URL);
        assert_eq!(found.refusals.len(), 2, "{found:?}");
        assert!(found.refusals[0].contains("HTML part"));
        assert!(found.refusals[1].contains("text part"));
    }

    #[test]
    fn relative_links_are_refused_by_name_and_schemes_pass() {
        let html = "<a href=\"/archief\">a</a><a class=\"b\" href='#'>b</a>\
                    <a href=\"mailto:r@x.nl\">c</a><a href=\"tel:+31201234567\">d</a>";
        let found = check_html(html);
        assert_eq!(found.refusals.len(), 2, "{found:?}");
        assert!(found.refusals[0].contains("\"/archief\""));
        assert!(found.refusals[1].contains("\"#\""));
    }

    #[test]
    fn images_without_alt_are_warned_about_except_spacers() {
        let html = "<img src=\"a.png\"><img src=\"b.png\" alt=\"\"><img src=\"p.gif\" width=\"1\" height=\"1\"><img alt=\"ok\" src=\"c.png\">";
        let found = check_html(html);
        assert_eq!(found.warnings.len(), 2, "{found:?}");
        assert!(found.warnings[0].contains("a.png") && found.warnings[1].contains("b.png"));
    }

    #[test]
    fn size_warns_from_90_kb_and_is_too_large_above_102_kb() {
        let page = |n: usize| format!("<p>{}</p>", "x".repeat(n));
        assert_eq!(check_html(&page(80 * 1024)), Preflight::default());
        assert_eq!(check_html(&page(95 * 1024)).warnings.len(), 1);
        let big = check_html(&page(103 * 1024));
        assert!(
            big.too_large.is_some() && big.warnings.is_empty(),
            "{big:?}"
        );
    }
}
