//! The page texts in Dutch and English: one catalogue,
//! `emails/pages/texts.toml`, a table per language. Read and checked once
//! at start-up: a table or a key missing in one language, or a value that
//! is not text, is an error naming the file, the key and the language.

use std::collections::BTreeMap;

use minijinja::Value;
use minijinja::value::Serde;

use super::Lang;

/// Every text of the pages, per language.
#[derive(Debug, Clone)]
pub struct Texts {
    nl: BTreeMap<String, String>,
    en: BTreeMap<String, String>,
}

impl Texts {
    /// Parses the catalogue `text` (read from `file`, for errors).
    pub fn parse(file: &str, text: &str) -> Result<Texts, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        let nl = language_table(file, &table, Lang::Nl)?;
        let en = language_table(file, &table, Lang::En)?;
        for (have, lack, lang) in [(&nl, &en, Lang::En), (&en, &nl, Lang::Nl)] {
            if let Some(key) = have.keys().find(|k| !lack.contains_key(*k)) {
                return Err(format!(
                    "{file}: the key `{key}` has no text in [{code}] (every key must be in both \
                     [nl] and [en])",
                    code = lang.code()
                ));
            }
        }
        if let Some(other) = table.keys().find(|k| Lang::from_tag(k).is_none()) {
            return Err(format!(
                "{file}: [{other}] is not a language of the pages (only [nl] and [en])"
            ));
        }
        Ok(Texts { nl, en })
    }

    /// The texts of `lang`, for the templates' `t`.
    pub fn value(&self, lang: Lang) -> Value {
        Value::from(Serde(self.of(lang)))
    }

    fn of(&self, lang: Lang) -> &BTreeMap<String, String> {
        match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        }
    }
}

fn language_table(
    file: &str,
    table: &toml::Table,
    lang: Lang,
) -> Result<BTreeMap<String, String>, String> {
    let code = lang.code();
    let Some(toml::Value::Table(texts)) = table.get(code) else {
        return Err(format!("{file}: no [{code}] table of texts"));
    };
    texts
        .iter()
        .map(|(key, value)| match value {
            toml::Value::String(text) => Ok((key.clone(), text.clone())),
            _ => Err(format!("{file}: [{code}] {key} is not a text")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_missing_in_one_language_is_named_with_that_language() {
        let text = "[nl]\na = \"A\"\nb = \"B\"\n[en]\na = \"A\"\n";
        let err = Texts::parse("texts.toml", text).unwrap_err();
        assert!(err.contains("`b`") && err.contains("[en]"), "{err}");
        let text = "[nl]\na = \"A\"\n[en]\na = \"A\"\nc = \"C\"\n";
        let err = Texts::parse("texts.toml", text).unwrap_err();
        assert!(err.contains("`c`") && err.contains("[nl]"), "{err}");
    }

    #[test]
    fn a_missing_table_or_a_value_that_is_not_text_is_named() {
        let err = Texts::parse("t.toml", "[nl]\na = \"A\"\n").unwrap_err();
        assert!(err.contains("no [en] table"), "{err}");
        let err = Texts::parse("t.toml", "[nl]\na = 1\n[en]\na = \"A\"\n").unwrap_err();
        assert!(err.contains("[nl] a is not a text"), "{err}");
        let err = Texts::parse("t.toml", "[nl]\n[en]\n[de]\n").unwrap_err();
        assert!(err.contains("[de]"), "{err}");
    }

    #[test]
    fn the_shipped_catalogue_has_every_key_in_both_languages() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/emails/pages/texts.toml");
        let text = std::fs::read_to_string(path).expect("emails/pages/texts.toml");
        let texts = Texts::parse(path, &text).expect("a complete catalogue");
        assert_eq!(
            texts.nl.keys().collect::<Vec<_>>(),
            texts.en.keys().collect::<Vec<_>>()
        );
        assert!(texts.nl.len() > 60);
    }
}
