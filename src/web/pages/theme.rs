//! The pages' colours and fonts, read from the newsletter itself:
//! `partials/head.mjml` (its `mj-attributes` and the dark-mode rules of its
//! `mj-style`) and the page colour of `layout.mjml`'s `<mj-body>`.
//!
//! Why read them rather than keep a palette file both use: the head partial
//! is where an editor already changes the newsletter's look, and it must
//! stay plain MJML (mjml itself, `postbode render` and the parity test read
//! it without any templating). Reading it means one place to edit and
//! pages that follow it after a restart.
//!
//! Only `#hex` colours and font stacks of letters, digits, spaces, commas,
//! quotes and dashes are taken: they go into the pages' CSS unescaped.

use std::collections::BTreeMap;

/// Where each value comes from: `(key, tag, mj-class name, attribute)`.
const LIGHT: [(&str, &str, Option<&str>, &str); 9] = [
    ("serif", "mj-all", None, "font-family"),
    ("sans", "mj-button", None, "font-family"),
    ("paper", "mj-section", None, "background-color"),
    ("text", "mj-text", None, "color"),
    ("accent", "mj-button", None, "background-color"),
    ("button_text", "mj-button", None, "color"),
    ("muted", "mj-class", Some("credit"), "color"),
    (
        "tint",
        "mj-class",
        Some("callout"),
        "container-background-color",
    ),
    ("rule", "mj-divider", None, "border-color"),
];

/// The dark-mode values: `(key, selector in head.mjml's dark rules, property)`.
const DARK: [(&str, &str, &str); 8] = [
    ("page", "body, .pb-body", "background"),
    ("paper", ".pb-paper, .pb-paper table", "background"),
    (
        "text",
        ".pb-text div, .pb-text p, .pb-text li, .pb-text h2, .pb-text h3",
        "color",
    ),
    ("muted", ".pb-muted div, .pb-foot div", "color"),
    ("accent", "a", "color"),
    ("tint", ".pb-callout", "background"),
    (
        "button",
        ".pb-button table, .pb-button td, .pb-button a, .pb-button p",
        "background",
    ),
    ("rule", ".pb-divider p", "border-top-color"),
];

/// The palette and fonts; `dark` is empty when head.mjml has no complete
/// set of dark-mode rules (the pages then stay light).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Theme {
    #[serde(flatten)]
    light: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dark: Option<BTreeMap<&'static str, String>>,
}

impl Theme {
    /// Reads `head` (partials/head.mjml) and `layout` (layout.mjml); an
    /// error names the file and the value it could not find.
    pub fn read(head: &str, layout: &str) -> Result<Theme, String> {
        let mut light = BTreeMap::new();
        for (key, tag, class, attr) in LIGHT {
            let value = tag_attribute(head, tag, class, attr).ok_or_else(|| {
                let on = class.map_or(format!("<{tag}>"), |c| format!("<{tag} name=\"{c}\">"));
                format!(
                    "partials/head.mjml: no {attr} on {on} (the pages take their {key} from it)"
                )
            })?;
            light.insert(key, checked(key, &value)?);
        }
        let page = tag_attribute(layout, "mj-body", None, "background-color").ok_or(
            "layout.mjml: no background-color on <mj-body> (the pages take their page colour from it)",
        )?;
        light.insert("page", checked("page", &page)?);
        let dark = dark_rules(head).and_then(|rules| {
            DARK.iter()
                .map(|(key, selector, property)| {
                    let value = css_value(&rules, selector, property)?;
                    is_colour(&value).then_some((*key, value))
                })
                .collect::<Option<BTreeMap<_, _>>>()
        });
        Ok(Theme { light, dark })
    }
}

fn checked(key: &str, value: &str) -> Result<String, String> {
    let font = matches!(key, "serif" | "sans");
    let ok = if font {
        value
            .chars()
            .all(|c| c.is_alphanumeric() || " ,'\"-".contains(c))
    } else {
        is_colour(value)
    };
    if ok {
        Ok(value.to_owned())
    } else {
        let want = if font {
            "a font stack"
        } else {
            "a #hex colour"
        };
        Err(format!(
            "partials/head.mjml: the pages' {key} `{value}` is not {want}"
        ))
    }
}

fn is_colour(value: &str) -> bool {
    value.strip_prefix('#').is_some_and(|hex| {
        matches!(hex.len(), 3 | 4 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The value of `attr` on the first `<tag …>` (with `name="class"` when
/// given) in `source`.
fn tag_attribute(source: &str, tag: &str, class: Option<&str>, attr: &str) -> Option<String> {
    let open = format!("<{tag}");
    let mut rest = source;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        rest = after;
        if !after.starts_with(|c: char| c.is_whitespace() || c == '/' || c == '>') {
            continue;
        }
        let attrs = attributes(&after[..after.find('>').unwrap_or(after.len())]);
        let wanted = class.is_none_or(|c| attrs.get("name").is_some_and(|n| n == c));
        if wanted && let Some(value) = attrs.get(attr) {
            return Some(value.clone());
        }
    }
    None
}

/// `name="value"` pairs (either quote) of a tag's inside.
fn attributes(inside: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = inside;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq]
            .trim()
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or("");
        let value = rest[eq + 1..].trim_start();
        let Some(quote) = value.chars().next().filter(|q| *q == '"' || *q == '\'') else {
            break;
        };
        let Some(end) = value[1..].find(quote) else {
            break;
        };
        out.insert(name.to_owned(), value[1..1 + end].to_owned());
        rest = &value[end + 2..];
    }
    out
}

/// The rules inside `@media (prefers-color-scheme: dark) { … }`.
fn dark_rules(head: &str) -> Option<String> {
    let start = head.find("prefers-color-scheme: dark")?;
    let body = &head[start..];
    let body = &body[body.find('{')? + 1..];
    let mut depth = 1;
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            return Some(body[..i].to_owned());
        }
    }
    None
}

/// `property`'s value in the rule for exactly `selector`, without
/// `!important`.
fn css_value(rules: &str, selector: &str, property: &str) -> Option<String> {
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let selector = squash(selector);
    rules.split('}').find_map(|rule| {
        let (selectors, declarations) = rule.split_once('{')?;
        if squash(selectors) != selector {
            return None;
        }
        declarations.split(';').find_map(|d| {
            let (name, value) = d.split_once(':')?;
            (name.trim() == property).then(|| value.replace("!important", "").trim().to_owned())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> String {
        let path = format!("{}/emails/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn the_shipped_newsletter_gives_cream_rust_and_georgia() {
        let theme =
            Theme::read(&shipped("partials/head.mjml"), &shipped("layout.mjml")).expect("a theme");
        assert_eq!(theme.light["page"], "#efeae2");
        assert_eq!(theme.light["paper"], "#fffcf7");
        assert_eq!(theme.light["accent"], "#9c3d1c");
        assert_eq!(theme.light["text"], "#2a2723");
        assert!(theme.light["serif"].starts_with("Georgia"), "{theme:?}");
        let dark = theme.dark.expect("dark rules");
        assert_eq!(dark["page"], "#161513");
        assert_eq!(dark["accent"], "#f0a07a");
        assert_eq!(dark["button"], "#b4502a");
    }

    #[test]
    fn a_missing_or_unsafe_value_is_named_and_nothing_is_taken() {
        let head = shipped("partials/head.mjml");
        let layout = shipped("layout.mjml");
        let err = Theme::read(&head.replace("<mj-all ", "<mj-nothing "), &layout).unwrap_err();
        assert!(err.contains("font-family on <mj-all>"), "{err}");
        let evil = head.replace("#fffcf7\" padding", "red;}body{color:red\" padding");
        let err = Theme::read(&evil, &layout).unwrap_err();
        assert!(err.contains("is not a #hex colour"), "{err}");
        let err = Theme::read(&head, "<mjml></mjml>").unwrap_err();
        assert!(err.contains("layout.mjml"), "{err}");
        let light = head.replace("prefers-color-scheme: dark", "print");
        assert!(
            Theme::read(&light, &layout)
                .expect("light only")
                .dark
                .is_none()
        );
    }
}
