//! Per-recipient personalisation: the stage-two templates of an issue,
//! compiled once, filled for each recipient in microseconds. Values are
//! HTML-escaped in the HTML part and left as they are in the text part.

use minijinja::Environment;
use serde_json::{Map, Value};

use super::template::{self, SpanOrigin};
use crate::error::{Error, Result};

/// One recipient's values.
#[derive(Clone, Debug, Default)]
pub struct Recipient {
    pub email: String,
    /// Absent names stay absent, so `default("lezer")` applies.
    pub name: Option<String>,
    pub attributes: Map<String, Value>,
    pub unsubscribe_url: String,
}

impl Recipient {
    /// The sample recipient of `issue preview`.
    pub fn sample(base_url: &str) -> Recipient {
        Recipient {
            email: "anna.devries@example.nl".into(),
            name: Some("Anna de Vries".into()),
            attributes: Map::new(),
            unsubscribe_url: format!("{base_url}/u/voorbeeld"),
        }
    }

    /// Nobody in particular: for the web version.
    pub fn anonymous() -> Recipient {
        Recipient::default()
    }

    pub(crate) fn context(&self) -> minijinja::Value {
        let mut subscriber = Map::new();
        if !self.email.is_empty() {
            subscriber.insert("email".into(), Value::String(self.email.clone()));
        }
        if let Some(name) = &self.name {
            subscriber.insert("name".into(), Value::String(name.clone()));
        }
        subscriber.insert("attributes".into(), Value::Object(self.attributes.clone()));
        let mut ctx = Map::new();
        ctx.insert("subscriber".into(), Value::Object(subscriber));
        if !self.unsubscribe_url.is_empty() {
            ctx.insert(
                "unsubscribe_url".into(),
                Value::String(self.unsubscribe_url.clone()),
            );
        }
        minijinja::Value::from(minijinja::value::Serde(&ctx))
    }
}

/// A personalised message body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Personalised {
    pub html: String,
    pub text: String,
}

/// The stage-two templates, parsed once.
pub struct CompiledIssue {
    env: Environment<'static>,
    /// Where the per-recipient expressions were written, when known.
    origins: Vec<SpanOrigin>,
}

impl std::fmt::Debug for CompiledIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CompiledIssue")
    }
}

impl CompiledIssue {
    pub fn compile(html_template: &str, text_template: &str) -> Result<CompiledIssue> {
        let mut env = template::environment();
        env.add_template_owned("part.html", html_template.to_owned())
            .map_err(|e| template::describe(&e, "the HTML part"))?;
        env.add_template_owned("part.txt", text_template.to_owned())
            .map_err(|e| template::describe(&e, "the text part"))?;
        Ok(CompiledIssue {
            env,
            origins: Vec::new(),
        })
    }

    /// With the places the per-recipient expressions were written, so a
    /// failing one is named with its file and line.
    pub fn with_origins(mut self, origins: &[SpanOrigin]) -> CompiledIssue {
        self.origins = origins.to_vec();
        self
    }

    /// Fills in one recipient's values. An undefined value without a
    /// default is an error, never a blank.
    pub fn personalise(&self, recipient: &Recipient) -> Result<Personalised> {
        let ctx = recipient.context();
        let render = |name: &str| -> Result<String> {
            self.env
                .get_template(name)
                .and_then(|t| t.render(&ctx))
                .map_err(|e| self.describe(name, &e, recipient))
        };
        Ok(Personalised {
            html: render("part.html")?,
            text: render("part.txt")?,
        })
    }
}

impl CompiledIssue {
    /// A stage-two error naming the expression, and its file and line
    /// when the origins are known.
    fn describe(&self, part: &str, e: &minijinja::Error, recipient: &Recipient) -> Error {
        let source = self.env.get_template(part).map(|t| t.source().to_owned());
        let expr = match (source, e.range()) {
            (Ok(src), Some(range)) => src.get(range).map(str::to_owned),
            _ => None,
        };
        let origin = expr
            .as_deref()
            .and_then(|x| self.origins.iter().find(|o| o.span.contains(x.trim())));
        let who = if recipient.email.is_empty() {
            "the web version (no recipient)".to_owned()
        } else {
            recipient.email.clone()
        };
        let what = match (&expr, e.detail()) {
            (_, Some(d)) => format!("{}: {d}", e.kind()),
            (Some(x), None) => format!("{}: `{}`", e.kind(), x.trim()),
            (None, None) => e.kind().to_string(),
        };
        match origin {
            Some(o) => Error::Input(format!(
                "{}, line {}: {what} in {}, personalising for {who}; give it a default, \
                 e.g. | default(\"\")",
                o.file, o.line, o.span
            )),
            None => Error::Input(format!("personalising for {who}: {what}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_in_the_html_part_and_not_in_the_text_part() {
        let compiled = CompiledIssue::compile(
            "<p>Beste {{ subscriber.name | default('lezer') }}</p>",
            "Beste {{ subscriber.name | default('lezer') }}",
        )
        .expect("compiles");
        let recipient = Recipient {
            email: "a@example.nl".into(),
            name: Some("Jansen & <Zn>".into()),
            ..Recipient::default()
        };
        let out = compiled.personalise(&recipient).expect("personalises");
        assert_eq!(out.html, "<p>Beste Jansen &amp; &lt;Zn&gt;</p>");
        assert_eq!(out.text, "Beste Jansen & <Zn>");
        let nameless = compiled
            .personalise(&Recipient::anonymous())
            .expect("default applies");
        assert_eq!(nameless.text, "Beste lezer");
    }

    #[test]
    fn a_missing_value_without_default_is_an_error_not_a_blank() {
        let compiled =
            CompiledIssue::compile("{{ subscriber.attributes.stad }}", "").expect("compiles");
        assert!(
            compiled
                .personalise(&Recipient::sample("http://x"))
                .is_err()
        );
    }
}
