//! Reports unknown MJML elements and attributes the way the official mjml
//! validator does. mrml accepts and ignores most of them, so a typo like
//! `padding-botom` would otherwise go unnoticed. The allowed attributes
//! come from mjml itself (`scripts/mjml-attributes.js`).

use std::collections::HashMap;
use std::sync::LazyLock;

/// Attributes every component accepts.
const EVERYWHERE: [&str; 2] = ["mj-class", "css-class"];

static ALLOWED: LazyLock<HashMap<String, Vec<String>>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("mjml_attributes.json")).unwrap_or_default()
});

/// One finding: the line in the MJML after templating, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub line: usize,
    pub message: String,
}

/// Checks every `<mj-…>` start tag of `mjml`.
pub fn check(mjml: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut from = 0;
    // Lines counted as the scan goes, not from the start for every tag.
    let (mut line, mut counted) = (1, 0);
    while let Some(found) = mjml[from..].find("<mj-") {
        let start = from + found;
        let tag_end = tag_end(&mjml[start..]).map_or(mjml.len(), |e| start + e);
        let tag = &mjml[start + 1..tag_end];
        from = tag_end;
        let (name, attributes) = split_tag(tag);
        line += mjml[counted..start].matches('\n').count();
        counted = start;
        // Inside mj-attributes, mj-class and mj-all take any attribute.
        if matches!(
            name,
            "mj-class" | "mj-all" | "mj-include" | "mj-selector" | "mj-html-attribute"
        ) {
            continue;
        }
        let Some(allowed) = ALLOWED.get(name) else {
            findings.push(Finding {
                line,
                message: format!("<{name}> is not an MJML element"),
            });
            continue;
        };
        let unknown: Vec<&str> = attributes
            .into_iter()
            .filter(|a| !EVERYWHERE.contains(a) && !allowed.iter().any(|x| x == a))
            .collect();
        if !unknown.is_empty() {
            findings.push(Finding {
                line,
                message: format!(
                    "<{name}>: attribute{} {} {} illegal",
                    if unknown.len() > 1 { "s" } else { "" },
                    unknown.join(", "),
                    if unknown.len() > 1 { "are" } else { "is" }
                ),
            });
        }
    }
    findings
}

/// Offset of the `>` closing a tag, skipping `>` inside quoted values.
pub(super) fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The tag's name and its attribute names.
fn split_tag(tag: &str) -> (&str, Vec<&str>) {
    let tag = tag.trim_end_matches('/');
    let name_end = tag
        .find(|c: char| c.is_whitespace() || c == '/')
        .unwrap_or(tag.len());
    let (name, mut rest) = tag.split_at(name_end);
    let mut attributes = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            break;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(rest.len());
        attributes.push(&rest[..end]);
        rest = &rest[end..];
        let trimmed = rest.trim_start();
        if let Some(value) = trimmed.strip_prefix('=') {
            let value = value.trim_start();
            rest = match value.chars().next() {
                Some(q @ ('"' | '\'')) => value[1..].find(q).map_or("", |e| &value[e + 2..]),
                _ => value.find(char::is_whitespace).map_or("", |e| &value[e..]),
            };
        } else {
            rest = trimmed;
        }
    }
    (name, attributes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_attributes_and_elements_are_reported_with_their_line() {
        let mjml = "<mjml><mj-body>\n<mj-section padding=\"0\">\n<mj-text kleur=\"rood\" align='left'>x</mj-text>\n<mj-txt>y</mj-txt>\n</mj-section></mj-body></mjml>";
        let findings = check(mjml);
        assert_eq!(
            findings,
            vec![
                Finding {
                    line: 3,
                    message: "<mj-text>: attribute kleur is illegal".into()
                },
                Finding {
                    line: 4,
                    message: "<mj-txt> is not an MJML element".into()
                },
            ]
        );
    }

    #[test]
    fn known_attributes_classes_and_defaults_pass() {
        let mjml = "<mj-attributes><mj-class name=\"x\" color=\"red\" /><mj-all font-family=\"Georgia\" /><mj-text color=\"#333\" /></mj-attributes><mj-image src=\"a.jpg\" alt=\"a > b\" mj-class=\"x\" css-class=\"y\" fluid-on-mobile=\"true\" />";
        assert_eq!(check(mjml), vec![]);
    }
}
