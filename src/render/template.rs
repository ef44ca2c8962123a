//! Templating in two stages. Stage one fills issue-level values once per
//! issue, before MJML rendering. Per-recipient expressions (`{{ subscriber.… }}`,
//! `{{ unsubscribe_url }}`) are set aside as placeholders during stage one
//! and MJML rendering, then put back into the HTML and text, which are
//! compiled once into the stage-two templates filled per recipient.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use crate::error::{Error, Result};

/// Roots of the expressions that differ per recipient.
pub const PER_RECIPIENT: [&str; 2] = ["subscriber", "unsubscribe_url"];

/// Which template spans [`Spans::protect`] sets aside.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// Every `{{ }}`, `{% %}` and `{# #}`: for Markdown, whose parser would
    /// otherwise escape the quotes inside them.
    All,
    /// Only per-recipient `{{ }}` expressions: for stage one.
    PerRecipient,
}

/// Spans set aside, in order; a placeholder holds an index into them.
#[derive(Default, Debug, Clone)]
pub struct Spans {
    spans: Vec<String>,
    /// The file and line each span was written on, for errors found only
    /// when the span is filled per recipient.
    origins: Vec<SpanOrigin>,
}

/// Where a per-recipient expression was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanOrigin {
    /// The expression as written, e.g. `{{ subscriber.attributes.stad }}`.
    pub span: String,
    pub file: String,
    pub line: usize,
}

impl Spans {
    fn marks(which: Which) -> (&'static str, &'static str) {
        match which {
            // Private-use characters: untouched by the Markdown parser
            // (ASCII markers could read as emphasis there).
            Which::All => ("\u{E002}", "\u{E003}"),
            // Letters only: untouched in attributes (also by css-inline's
            // re-serialising), and minijinja's HTML escaping leaves
            // letters and digits alone.
            Which::PerRecipient => ("pbRcpt", "tpcRbp"),
        }
    }

    /// Replaces the chosen spans in `src` with placeholders. `file` names
    /// the source in errors.
    pub fn protect(&mut self, src: &str, which: Which, file: &str) -> Result<String> {
        let (open, close) = Self::marks(which);
        let mut out = String::with_capacity(src.len());
        let mut rest = src;
        while let Some(start) = rest.find(['{']) {
            let tail = &rest[start..];
            let end_marker = if tail.starts_with("{{") {
                "}}"
            } else if tail.starts_with("{%") {
                "%}"
            } else if tail.starts_with("{#") {
                "#}"
            } else {
                out.push_str(&rest[..=start]);
                rest = &rest[start + 1..];
                continue;
            };
            let Some(len) = tail[2..].find(end_marker) else {
                let line = src[..src.len() - tail.len()].matches('\n').count() + 1;
                return Err(Error::Input(format!(
                    "{file}, line {line}: \"{}\" is never closed with \"{end_marker}\"",
                    &tail[..2]
                )));
            };
            let span = &tail[..len + 4];
            let inner = span[2..span.len() - 2].trim_matches(['-', '+', ' ', '\n', '\t']);
            let personal = mentions_recipient(inner);
            let take = match which {
                Which::All => true,
                Which::PerRecipient => {
                    if personal && !span.starts_with("{{") && !span.starts_with("{#") {
                        let line = src[..src.len() - tail.len()].matches('\n').count() + 1;
                        return Err(Error::Input(format!(
                            "{file}, line {line}: per-recipient values ({}) can only be used \
                             inside {{{{ }}}}, not in {span}; use {{% if personal %}} to keep \
                             parts out of the web version",
                            PER_RECIPIENT.join(", ")
                        )));
                    }
                    personal && span.starts_with("{{")
                }
            };
            out.push_str(&rest[..start]);
            if take {
                out.push_str(open);
                out.push_str(&self.spans.len().to_string());
                out.push_str(close);
                self.spans.push(span.to_owned());
                self.origins.push(SpanOrigin {
                    span: span.to_owned(),
                    file: file.to_owned(),
                    line: src[..src.len() - tail.len()].matches('\n').count() + 1,
                });
            } else {
                out.push_str(span);
            }
            rest = &tail[len + 4..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Where each span set aside was written.
    pub fn origins(&self) -> &[SpanOrigin] {
        &self.origins
    }

    /// Puts the spans set aside back in place of their placeholders.
    pub fn restore(&self, s: &str, which: Which) -> String {
        let (open, close) = Self::marks(which);
        let mut out = String::with_capacity(s.len() + 64);
        let mut rest = s;
        while let Some(start) = rest.find(open) {
            out.push_str(&rest[..start]);
            let after = &rest[start + open.len()..];
            match after.find(close) {
                Some(end) if after[..end].bytes().all(|b| b.is_ascii_digit()) => {
                    let span = after[..end]
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| self.spans.get(i));
                    out.push_str(span.map_or("", String::as_str));
                    rest = &after[end + close.len()..];
                }
                _ => {
                    out.push_str(open);
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// True when an expression's first name is a per-recipient root.
pub(crate) fn mentions_recipient(expr: &str) -> bool {
    expr.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .any(|w| PER_RECIPIENT.contains(&w))
}

/// Makes any `{{`, `{%` or `{#` that rendering produced (in CSS, say)
/// literal, so stage two does not read it as template syntax.
pub fn escape_template_syntax(s: &str) -> String {
    s.replace("{{", "{{ '{{' }}")
        .replace("{%", "{{ '{%' }}")
        .replace("{#", "{{ '{#' }}")
}

/// An environment for stage one or two: strict (an undefined value is an
/// error, never a blank in a sent mail), HTML-escaping for `.mjml` and
/// `.html` templates, none for `.txt`.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".txt") {
            AutoEscape::None
        } else {
            AutoEscape::Html
        }
    });
    env
}

/// A minijinja error as a message naming the file and line.
pub fn describe(err: &minijinja::Error, file: &str) -> Error {
    let line = err.line().map_or(String::new(), |l| format!(", line {l}"));
    let detail = err.detail().map_or(String::new(), |d| format!(": {d}"));
    Error::Input(format!("{file}{line}: {}{detail}", err.kind()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_recipient_expressions_are_set_aside_and_restored() {
        let mut spans = Spans::default();
        let src = "Beste {{ subscriber.name | default(\"lezer\") }}, dit is {{ issue.subject }}.";
        let protected = spans.protect(src, Which::PerRecipient, "x").expect("valid");
        assert!(protected.contains("{{ issue.subject }}"));
        assert!(!protected.contains("subscriber"));
        assert_eq!(spans.restore(&protected, Which::PerRecipient), src);
    }

    #[test]
    fn a_per_recipient_value_in_a_statement_is_an_error_naming_the_line() {
        let err = Spans::default()
            .protect(
                "a\n{% if subscriber.name %}x{% endif %}",
                Which::PerRecipient,
                "body.md",
            )
            .expect_err("refused");
        assert!(err.to_string().contains("body.md, line 2"), "{err}");
    }

    #[test]
    fn an_unclosed_tag_is_an_error() {
        let err = Spans::default()
            .protect("a {{ b", Which::All, "x.mjml")
            .expect_err("refused");
        assert!(err.to_string().contains("never closed"), "{err}");
    }

    #[test]
    fn undefined_values_are_errors_unless_defaulted() {
        let env = environment();
        let strict = env.render_str("{{ nope }}", minijinja::context! {});
        assert!(strict.is_err());
        let defaulted = env
            .render_str(
                "{{ subscriber.name | default('lezer') }}",
                minijinja::context! { subscriber => minijinja::context! {} },
            )
            .expect("default applies");
        assert_eq!(defaulted, "lezer");
    }
}
