//! An issue folder: `issue.toml` plus `body.md` or `body.mjml` (poured
//! into the layout), or `issue.mjml` (a whole document with its own head).

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
    /// Whether the layout closes with the invitation to mail the editor
    /// (partials/editor-call.mjml); false for an issue that asks already.
    #[serde(default = "yes")]
    pub editor_call: bool,
}

fn yes() -> bool {
    true
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
    /// `issue.mjml`: a whole document, not poured into the layout.
    Document,
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
        let (body_path, body_kind) = body_file(dir)?;
        let body = super::read(&body_path)?;
        if body_kind == BodyKind::Mjml {
            refuse_whole_document(&body, &body_path)?;
        }
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

/// The one body file of an issue folder, and how it is written.
fn body_file(dir: &Path) -> Result<(PathBuf, BodyKind)> {
    let present: Vec<(PathBuf, BodyKind)> = [
        ("body.md", BodyKind::Markdown),
        ("body.mjml", BodyKind::Mjml),
        ("issue.mjml", BodyKind::Document),
    ]
    .into_iter()
    .map(|(name, kind)| (dir.join(name), kind))
    .filter(|(path, _)| path.exists())
    .collect();
    match present.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::Input(format!(
            "{}: needs a body.md (Markdown), a body.mjml (poured into the layout) \
             or an issue.mjml (a whole document)",
            dir.display()
        ))),
        many => {
            let names: Vec<String> = many.iter().map(|(p, _)| p.display().to_string()).collect();
            Err(Error::Input(format!(
                "{}: has {}; keep one",
                dir.display(),
                names.join(" and ")
            )))
        }
    }
}

/// A whole `<mjml>` document in `body.mjml` would be poured into the
/// layout's `<mj-body>`, and mrml would let its tags leak into the HTML.
fn refuse_whole_document(body: &str, path: &Path) -> Result<()> {
    let found = body.match_indices("<mjml").find(|(at, _)| {
        body[at + 5..]
            .chars()
            .next()
            .is_none_or(|c| c == '>' || c.is_whitespace())
    });
    match found {
        Some((at, _)) => Err(Error::Input(format!(
            "{}, line {}: a whole <mjml> document; body.mjml holds only the body \
             (mj-section elements) poured into layout.mjml. Rename it to issue.mjml \
             to send it as a whole document with its own <mj-head>",
            path.display(),
            body[..at].matches('\n').count() + 1
        ))),
        None => Ok(()),
    }
}
