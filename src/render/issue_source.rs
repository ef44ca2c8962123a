//! An issue folder: `issue.toml` plus `body.md` or `body.mjml`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::{Language, ListName, Slug};
use crate::error::{Error, Result};

/// `issue.toml`. Unknown keys are errors, so a typo is not silently lost.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueMeta {
    pub subject: String,
    /// The line mail clients show after the subject.
    #[serde(default)]
    pub preheader: String,
    /// The issue's date as printed in the masthead: "YYYY-MM-DD".
    #[serde(deserialize_with = "date")]
    pub date: jiff::civil::Date,
    #[serde(default)]
    pub language: Option<Language>,
    #[serde(default)]
    pub cover: Option<Cover>,
    /// The list to send to; the default list when absent.
    #[serde(default)]
    pub list: Option<ListName>,
    /// When to send, as for `issue queue --at`.
    #[serde(default)]
    pub send_at: Option<String>,
}

#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cover {
    pub src: String,
    #[serde(default)]
    pub alt: String,
    /// E.g. "Foto: Sanne de Vries".
    #[serde(default)]
    pub credit: String,
}

fn date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<jiff::civil::Date, D::Error> {
    let s = String::deserialize(d)?;
    s.parse()
        .map_err(|_| serde::de::Error::custom("expected a date like \"2026-11-26\""))
}

/// How the body is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    Markdown,
    Mjml,
}

/// A loaded issue folder.
#[derive(Clone, Debug)]
pub struct IssueSource {
    pub dir: PathBuf,
    pub slug: Slug,
    pub meta: IssueMeta,
    pub body: String,
    pub body_kind: BodyKind,
    /// The body file, for error messages.
    pub body_path: PathBuf,
}

impl IssueSource {
    /// Reads and checks an issue folder. The folder's name is the slug.
    pub fn load(dir: &Path) -> Result<IssueSource> {
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let slug = Slug::parse(&name).map_err(|e| {
            Error::Input(format!(
                "{}: the folder name \"{name}\" is the issue's slug: {e}",
                dir.display()
            ))
        })?;
        let toml_path = dir.join("issue.toml");
        let text = super::read(&toml_path)?;
        let meta: IssueMeta = toml::from_str(&text).map_err(|e| {
            Error::Input(format!(
                "in {}: {}",
                toml_path.display(),
                e.to_string().trim_end()
            ))
        })?;
        if meta.subject.trim().is_empty() || meta.subject.chars().any(char::is_control) {
            return Err(Error::Input(format!(
                "in {}: subject must be one non-empty line",
                toml_path.display()
            )));
        }
        if meta.preheader.chars().any(char::is_control) {
            return Err(Error::Input(format!(
                "in {}: preheader must be one line",
                toml_path.display()
            )));
        }
        let md = dir.join("body.md");
        let mjml = dir.join("body.mjml");
        let (body_path, body_kind) = match (md.exists(), mjml.exists()) {
            (true, false) => (md, BodyKind::Markdown),
            (false, true) => (mjml, BodyKind::Mjml),
            (true, true) => {
                return Err(Error::Input(format!(
                    "{}: has both body.md and body.mjml; keep one",
                    dir.display()
                )));
            }
            (false, false) => {
                return Err(Error::Input(format!(
                    "{}: needs a body.md (Markdown) or body.mjml",
                    dir.display()
                )));
            }
        };
        let body = super::read(&body_path)?;
        Ok(IssueSource {
            dir: dir.to_path_buf(),
            slug,
            meta,
            body,
            body_kind,
            body_path,
        })
    }
}
