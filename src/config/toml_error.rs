//! A TOML error as the user sees it, without secrets. The toml crate
//! echoes the line at fault; when that line sets a secret
//! ([`super::secret_keys`]) its value is replaced by `***`, here and in
//! the message. Every other line is shown as it is, through
//! [`redact_secrets`] for URL passwords.

use super::redact::redact_secrets;
use super::secret_keys::{is_secret_name, is_secret_setting};

/// `err` (from reading `text`) as text fit to show.
pub(super) fn describe(text: &str, err: &toml::de::Error) -> String {
    let shown = err.to_string();
    let Some(offset) = err.span().map(|span| span.start.min(text.len())) else {
        return redact_secrets(shown.trim_end());
    };
    let Some(at) = locate(text, offset) else {
        return redact_secrets(shown.trim_end());
    };
    if !at.secret {
        return redact_secrets(shown.trim_end());
    }
    let mut message = err.message().to_owned();
    let value = at.value.trim();
    for hidden in [value, value.trim_matches(['"', '\''])] {
        if !hidden.is_empty() {
            message = message.replace(hidden, "***");
        }
    }
    let number = at.line + 1;
    let gutter = " ".repeat(number.to_string().len());
    format!(
        "TOML parse error at line {number}, column {}\n{gutter} |\n{number} | {}= ***\n{gutter} |\n{}\n\
         (the value of {} is a secret and not shown)",
        at.column,
        at.key_text,
        redact_secrets(message.trim_end()),
        at.setting,
    )
}

/// The setting a byte offset of the file falls in.
struct Place {
    /// 0-based line of the offset.
    line: usize,
    /// 1-based column, in characters.
    column: usize,
    /// `section.key` as written (dotted keys joined).
    setting: String,
    /// The line that sets it, up to its `=`.
    key_text: String,
    /// What follows that `=`, through the line of the offset.
    value: String,
    secret: bool,
}

/// Finds the setting whose line holds `offset`: that line's key, or for a
/// line inside a multi-line value the nearest key above it in the same
/// table. `None` on a table header or a line with no key above it.
fn locate(text: &str, offset: usize) -> Option<Place> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut start = 0;
    let mut line = 0;
    for (i, l) in lines.iter().enumerate() {
        if start + l.len() >= offset || i + 1 == lines.len() {
            line = i;
            break;
        }
        start += l.len() + 1;
    }
    let column = text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
    let mut key_line = line;
    let (key, key_text, after) = loop {
        let l = lines[key_line];
        if is_header(l) {
            return None;
        }
        if let Some((key, after)) = l.split_once('=').filter(|(k, _)| is_key(k)) {
            break (key, l[..key.len()].to_owned(), after);
        }
        key_line = key_line.checked_sub(1)?;
    };
    let section = lines[..key_line]
        .iter()
        .rev()
        .find(|l| is_header(l))
        .map(|l| normalise(l.trim().trim_matches(['[', ']'])))
        .unwrap_or_default();
    let key = normalise(key);
    let setting = if section.is_empty() {
        key
    } else {
        format!("{section}.{key}")
    };
    let mut value = after.to_owned();
    for l in &lines[key_line + 1..=line] {
        value.push('\n');
        value.push_str(l);
    }
    // An inline table (`secrets = { token_key = ... }`) is secret when any
    // key in it is.
    let inline_secret = after
        .split('=')
        .rev()
        .skip(1)
        .any(|part| is_secret_name(&last_word(part)));
    Some(Place {
        line,
        column,
        secret: is_secret_setting(&setting) || inline_secret,
        setting,
        key_text,
        value,
    })
}

fn is_header(line: &str) -> bool {
    line.trim_start().starts_with('[')
}

/// Whether `s` (what precedes a `=`) looks like a TOML key.
fn is_key(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && !s.starts_with('#')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | '\'' | ' '))
}

/// `"smtp" . url` as `smtp.url`.
fn normalise(key: &str) -> String {
    key.split('.')
        .map(|part| part.trim().trim_matches(['"', '\'']))
        .collect::<Vec<_>>()
        .join(".")
}

/// The key that ends `part` (`{ token_key ` gives `token_key`).
fn last_word(part: &str) -> String {
    let part = part.trim_end();
    let start = part
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    part.get(start..).unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_for(text: &str) -> String {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Any {
            secrets: Option<toml::Table>,
            smtp: Option<toml::Table>,
            sending: Option<toml::Table>,
            token_key: Option<String>,
        }
        let err = toml::from_str::<Any>(text).expect_err("a broken file");
        describe(text, &err)
    }

    #[test]
    fn a_secret_line_shows_its_key_and_line_but_not_its_value() {
        let shown = error_for("[sending]\nx = 1\n\n[secrets]\ntoken_key = abc-SEKRIT\n");
        assert!(
            shown.contains("line 5") && shown.contains("token_key = ***"),
            "{shown}"
        );
        assert!(shown.contains("secrets.token_key"), "{shown}");
        assert!(!shown.contains("SEKRIT"), "{shown}");
    }

    #[test]
    fn a_value_echoed_by_the_message_is_hidden_too() {
        let shown = error_for("token_key = 31415926\n");
        assert!(shown.contains("integer"), "{shown}");
        assert!(!shown.contains("31415926"), "{shown}");
    }

    #[test]
    fn dotted_keys_inline_tables_and_multi_line_values_are_found() {
        for text in [
            "smtp.url = \"smtps://u:SEKRIT\"x@h\"\n",
            "secrets = { token_key = SEKRIT }\n",
            "[secrets]\ntoken_key = \"\"\"\nfirst\nSEKRIT\"x\n",
            "[smtp]\n\"password\" = SEKRIT\n",
        ] {
            let shown = error_for(text);
            assert!(!shown.contains("SEKRIT"), "{text}: {shown}");
            assert!(shown.contains("***"), "{text}: {shown}");
        }
    }

    #[test]
    fn other_lines_are_shown_as_the_toml_crate_shows_them() {
        let text = "[sending]\nrate = fast\n";
        let err = toml::from_str::<toml::Table>(text).expect_err("broken");
        assert_eq!(describe(text, &err), err.to_string().trim_end());
    }
}
