//! A stage-two template (`render::compiled`) cut into the text every
//! recipient shares and the per-recipient expressions between it
//! (`{{ subscriber.name }}`, `{{ unsubscribe_url }}`, …), so the shared
//! text is rendered once per issue and only the expressions per recipient.
//!
//! Stage one leaves nothing in a stage-two template but text, the
//! per-recipient `{{ }}` and constant escapes (`{{ '{{' }}`), so cutting at
//! the `{{ }}` that mention a recipient gives the same output as rendering
//! the whole template; `CompiledMessage::compile` checks that on a sample
//! and builds every message whole if it ever does not.

use minijinja::Environment;

use crate::render::Recipient;
use crate::render::template::{self, mentions_recipient};

/// One part's template, cut: `statics.len() == slots.len() + 1`, the
/// output is `statics[0] slot[0] statics[1] … statics[n]`.
pub(super) struct SplitTemplate {
    pub statics: Vec<String>,
    /// Names of the slot templates in [`Slots::env`].
    slots: Vec<String>,
}

/// The per-recipient expressions of both parts, compiled once.
pub(super) struct Slots {
    env: Environment<'static>,
    count: usize,
}

impl Slots {
    pub fn new() -> Slots {
        Slots {
            env: template::environment(),
            count: 0,
        }
    }

    /// Cuts `source` (the part named `part`: `html` or `txt`, which decides
    /// escaping) and renders its shared text. `None` when the template holds
    /// something the cut does not handle (a statement, an unclosed tag): the
    /// caller then builds messages whole.
    pub fn split(&mut self, part: &str, source: &str) -> Option<SplitTemplate> {
        let (mut raw_statics, mut slots) = (vec![String::new()], Vec::new());
        let mut rest = source;
        while let Some(start) = rest.find('{') {
            let tail = &rest[start..];
            if tail.starts_with("{%") || tail.starts_with("{#") {
                return None;
            }
            let current = raw_statics.last_mut()?;
            if !tail.starts_with("{{") {
                current.push_str(&rest[..=start]);
                rest = &rest[start + 1..];
                continue;
            }
            let len = tail[2..].find("}}")? + 4;
            let span = &tail[..len];
            current.push_str(&rest[..start]);
            rest = &tail[len..];
            if !mentions_recipient(span[2..len - 2].trim_matches(['-', '+', ' ', '\n', '\t'])) {
                current.push_str(span);
                continue;
            }
            // Whitespace control trims the neighbouring text, as in minijinja.
            if span.starts_with("{{-") {
                current.truncate(current.trim_end().len());
            }
            if span.ends_with("-}}") {
                rest = rest.trim_start();
            }
            let name = format!("slot{}.{part}", self.count);
            self.count += 1;
            self.env
                .add_template_owned(name.clone(), span.to_owned())
                .ok()?;
            slots.push(name);
            raw_statics.push(String::new());
        }
        raw_statics.last_mut()?.push_str(rest);
        let file = format!("static.{part}");
        let statics = raw_statics
            .iter()
            .map(|s| self.env.render_named_str(&file, s, ()).ok())
            .collect::<Option<Vec<_>>>()?;
        Some(SplitTemplate { statics, slots })
    }

    /// The values of `split`'s expressions for one recipient; `None` when
    /// one fails (the whole render then reports it, naming its line).
    pub fn values(
        &self,
        split: &SplitTemplate,
        ctx: &minijinja::Value,
        out: &mut Vec<String>,
    ) -> Option<()> {
        for name in &split.slots {
            let value = self.env.get_template(name).and_then(|t| t.render(ctx));
            out.push(value.ok()?);
        }
        Some(())
    }
}

/// The context the expressions are rendered with, as `render::compiled`
/// makes it.
pub(super) fn context(recipient: &Recipient) -> minijinja::Value {
    recipient.context()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_text_and_expressions_are_cut_apart_and_escapes_rendered() {
        let mut slots = Slots::new();
        let split = slots
            .split(
                "html",
                "a{{ '{{' }}b {{ subscriber.name | default('lezer') }}!\n{{- unsubscribe_url -}}\n x",
            )
            .expect("cut");
        assert_eq!(split.statics, ["a{{b ", "!", "x"]);
        let recipient = Recipient {
            name: Some("A & B".into()),
            unsubscribe_url: "https://e.org/u/1".into(),
            ..Recipient::default()
        };
        let mut values = Vec::new();
        assert!(
            slots
                .values(&split, &context(&recipient), &mut values)
                .is_some()
        );
        // minijinja escapes the slashes too, as the whole render does.
        assert_eq!(
            values,
            ["A &amp; B", "https:&#x2f;&#x2f;e.org&#x2f;u&#x2f;1"]
        );
        assert!(slots.split("txt", "{% if x %}{% endif %}").is_none());
    }
}
