//! The renderer: an issue folder in `emails/` to responsive HTML and plain
//! text, rendered once per issue; then personalised per recipient from
//! templates compiled once.
//!
//! - [`issue_source`]: reads `issue.toml` and the body.
//! - [`blocks`]: Markdown to a small document model.
//! - [`to_mjml`], [`to_text`]: that model to MJML and to plain text.
//! - [`html_text`]: rendered HTML to plain text, for MJML content.
//! - [`template`]: the two templating stages.
//! - [`compiled`]: per-recipient personalisation.
//! - [`validate`]: unknown MJML elements and attributes, as mjml reports them.
//! - [`normalise`]: line ends, byte-order mark and blanks, as files are read.
//! - [`engine`]: MJML to HTML (mrml), for issues and whole documents.
//! - `document`: whole documents: `issue.mjml` and `postbode render`.
//! - `places`: which file and line a part of the assembled MJML was written on.
//! - [`preflight`]: the checks before an issue is queued.
//! - [`images`]: images in the issue folder to URLs with their size.

pub mod blocks;
pub mod compiled;
mod document;
pub mod engine;
pub mod html_text;
pub mod images;
pub mod issue_source;
pub mod normalise;
mod places;
pub mod preflight;
pub mod template;
pub mod to_mjml;
pub mod to_text;
pub mod validate;

use std::path::{Path, PathBuf};

use minijinja::Value;
use minijinja::value::Serde;

pub use compiled::{CompiledIssue, Personalised, Recipient};
pub use document::{RenderedFile, render_file};
pub use images::ImageMode;
pub use issue_source::{BodyKind, Cover, IssueMeta, IssueSource};

use crate::config::Settings;
use crate::domain::{Language, Slug};
use crate::error::{Error, Result};
use places::Sources;
use template::{SpanOrigin, Spans, Which};

/// Renders issues with one newsletter's settings and `emails/` folder.
#[derive(Clone, Debug)]
pub struct Renderer {
    /// The `emails/` folder: layout.mjml, layout.txt, partials/.
    emails: PathBuf,
    newsletter: serde_json::Value,
    base_url: String,
    language: Language,
    /// Where local images' URLs point (preview or the store).
    images: ImageMode,
}

/// An issue after the once-per-issue work: MJML rendered, per-recipient
/// expressions still open.
#[derive(Clone, Debug)]
pub struct RenderedIssue {
    pub slug: Slug,
    pub meta: IssueMeta,
    /// The MJML after stage one (what `issue preview --format mjml` shows).
    pub mjml: String,
    /// Stage-two template of the HTML part.
    pub html_template: String,
    /// Stage-two template of the plain-text part.
    pub text_template: String,
    /// The web version (archive page): no per-recipient parts.
    pub web_html: String,
    /// What mrml's validator noticed (unknown attributes and the like).
    pub warnings: Vec<String>,
    /// Where the per-recipient expressions were written.
    pub origins: Vec<SpanOrigin>,
    /// The local images, prepared ([`ImageMode::Publish`] only), to be
    /// stored with the issue.
    pub media: Vec<crate::media::MediaFile>,
}

impl RenderedIssue {
    /// The stage-two templates compiled, errors naming the file and line
    /// of a failing per-recipient expression.
    pub fn compiled(&self) -> Result<CompiledIssue> {
        Ok(
            CompiledIssue::compile(&self.html_template, &self.text_template)?
                .with_origins(&self.origins),
        )
    }
}

impl Renderer {
    pub fn new(settings: &Settings, emails: impl Into<PathBuf>) -> Renderer {
        let n = &settings.newsletter;
        let reply_to = settings.reply_to();
        Renderer {
            emails: emails.into(),
            newsletter: serde_json::json!({
                "name": n.name,
                "from_name": n.from.name.as_ref().map_or(n.name.as_str(), |x| x.as_str()),
                "from_address": n.from.address.as_str(),
                "reply_to": reply_to.address.as_str(),
                "postal_address": n.postal_address,
                "base_url": n.base_url.as_str(),
            }),
            base_url: n.base_url.as_str().to_owned(),
            language: n.language.clone(),
            images: ImageMode::default(),
        }
    }

    /// The same renderer with local images pointing where `mode` says.
    pub fn with_images(mut self, mode: ImageMode) -> Renderer {
        self.images = mode;
        self
    }

    /// The `emails/` folder an issue folder belongs to: the nearest parent
    /// holding a `layout.mjml`.
    pub fn find_emails_dir(issue_dir: &Path) -> Option<PathBuf> {
        let dir = issue_dir.canonicalize().ok()?;
        dir.ancestors()
            .find(|d| d.join("layout.mjml").is_file())
            .map(Path::to_path_buf)
    }

    /// Renders an issue once: MJML to HTML, the text part, the web version.
    pub fn render(&self, source: &IssueSource) -> Result<RenderedIssue> {
        if source.body_kind == BodyKind::Document {
            return self.render_document(source);
        }
        let body_file = source.body_path.display().to_string();
        self.check_body_template(source)?;
        let head = self.text_head(source)?;
        let (body_mjml, body_text) = match source.body_kind {
            BodyKind::Markdown => {
                let mut raw = Spans::default();
                let md = raw.protect(&source.body, Which::All, &body_file)?;
                let blocks = blocks::parse_markdown(&md);
                (
                    raw.restore(&to_mjml::blocks_to_mjml(&blocks), Which::All),
                    raw.restore(&to_text::blocks_to_text(&blocks, &head), Which::All),
                )
            }
            BodyKind::Mjml | BodyKind::Document => (
                source.body.clone(),
                to_text::mjml_body_text(&source.body, &head),
            ),
        };

        let mut warnings = Vec::new();
        let mut spans = Spans::default();
        let mut images = images::Images::new(&self.images, source, &self.emails);
        let mut sources = Sources::default();
        let mjml = self.stage_one_parts(source, &body_mjml, true, &mut spans, &mut sources)?;
        let mjml = images.rewrite(&mjml)?;
        let sources = sources.map(|s| images.rewrite(s))?;
        let place = |offset: usize| self.place(&sources, &mjml, offset);
        let html = images.set_heights(&engine::to_html(&mjml, &place, &mut warnings)?);
        let html_template = spans.restore(
            &template::escape_template_syntax(&html),
            Which::PerRecipient,
        );
        let text = self.stage_one_text(source, &body_text, true, &mut spans)?;
        let text_template = spans.restore(
            &template::escape_template_syntax(&text),
            Which::PerRecipient,
        );

        let mut web_spans = Spans::default();
        let mut web_sources = Sources::default();
        let web_mjml =
            self.stage_one_parts(source, &body_mjml, false, &mut web_spans, &mut web_sources)?;
        let web_mjml = images.rewrite(&web_mjml)?;
        let web_sources = web_sources.map(|s| images.rewrite(s))?;
        let web_place = |offset: usize| self.place(&web_sources, &web_mjml, offset);
        let web = images.set_heights(&engine::to_html(&web_mjml, &web_place, &mut Vec::new())?);
        let web_template =
            web_spans.restore(&template::escape_template_syntax(&web), Which::PerRecipient);
        let web_html = CompiledIssue::compile(&web_template, "")?
            .with_origins(&body_origins(web_spans.origins(), source))
            .personalise(&Recipient::anonymous())
            .map_err(|e| {
                Error::Input(format!(
                    "{}: the web version uses a per-recipient value without a default ({e}); \
                 wrap it in {{% if personal %}} … {{% endif %}} or give it a default",
                    source.dir.display()
                ))
            })?
            .html;

        Ok(RenderedIssue {
            slug: source.slug.clone(),
            meta: source.meta.clone(),
            mjml: spans.restore(&mjml, Which::PerRecipient),
            html_template,
            text_template,
            web_html,
            warnings,
            origins: body_origins(spans.origins(), source),
            media: images.into_files(),
        })
    }

    /// The inside of the layout's `<mj-head>` after stage one: the text of
    /// MJML content is rendered with it, so mj-classes look as in the mail.
    fn text_head(&self, source: &IssueSource) -> Result<String> {
        let mut sources = Sources::default();
        let mjml = self.stage_one_parts(source, "", true, &mut Spans::default(), &mut sources)?;
        Ok(to_text::mjml_head(&mjml).to_owned())
    }

    /// Runs stage one over the body as written, so template errors name
    /// the line of the author's file (the converted MJML has other lines).
    fn check_body_template(&self, source: &IssueSource) -> Result<()> {
        let file = source.body_path.display().to_string();
        let ctx = Value::from(Serde(self.context(source, true)));
        let env = template::environment();
        fill(
            &env,
            &mut Spans::default(),
            "body.txt",
            &file,
            &source.body,
            &ctx,
        )
        .map(|_| ())
    }

    /// The issue-level values, for both stages of both parts.
    fn context(&self, source: &IssueSource, personal: bool) -> serde_json::Value {
        let meta = &source.meta;
        let language = meta
            .language
            .clone()
            .unwrap_or_else(|| self.language.clone());
        serde_json::json!({
            "newsletter": self.newsletter,
            "issue": {
                "slug": source.slug.as_str(),
                "subject": meta.subject,
                "subject_underline": "=".repeat(meta.subject.chars().count().min(72)),
                "preheader": meta.preheader,
                "date": meta.date.to_string(),
                "date_long": long_date(meta.date, &language),
                "language": language.as_str(),
                "cover": meta.cover,
                "editor_call": meta.editor_call,
            },
            "web_version_url": format!("{}/archive/{}", self.base_url, source.slug.as_str()),
            "archive_url": format!("{}/archive", self.base_url),
            "personal": personal,
        })
    }

    /// Stage one of the layout with `body` poured in: the MJML. `sources`
    /// gets the body and each partial as written and as filled in, to tell
    /// their lines from the layout's.
    fn stage_one_parts(
        &self,
        source: &IssueSource,
        body: &str,
        personal: bool,
        spans: &mut Spans,
        sources: &mut Sources,
    ) -> Result<String> {
        let env = template::environment();
        let ctx = Value::from(Serde(self.context(source, personal)));
        let body_file = source.body_path.display().to_string();
        let body = fill(&env, spans, "body.mjml", &body_file, body, &ctx)?;
        let markdown = source.body_kind == BodyKind::Markdown;
        sources.add(&body_file, &source.body, &body, markdown);
        let ctx = minijinja::context! { body => Value::from_safe_string(body.clone()), ..ctx };
        let layout_path = self.emails.join("layout.mjml");
        let layout_file = layout_path.display().to_string();
        let out = fill(
            &env,
            spans,
            "layout.mjml",
            &layout_file,
            &read(&layout_path)?,
            &ctx,
        )?;
        // Included partials go through stage one too, with the same values.
        let mjml = inline_includes(&out, |name| {
            let path = self.emails.join(name);
            if !path.is_file() {
                return Ok(None);
            }
            let file = path.display().to_string();
            let written = read(&path)?;
            let filled = fill(&env, spans, name, &file, &written, &ctx)?;
            sources.add(&file, &written, &filled, false);
            Ok(Some(filled))
        })?;
        Ok(mjml)
    }

    fn stage_one_text(
        &self,
        source: &IssueSource,
        body: &str,
        personal: bool,
        spans: &mut Spans,
    ) -> Result<String> {
        let env = template::environment();
        let ctx = Value::from(Serde(self.context(source, personal)));
        let body_file = source.body_path.display().to_string();
        let body = fill(&env, spans, "body.txt", &body_file, body, &ctx)?;
        let ctx = minijinja::context! { body => body, ..ctx };
        let layout_path = self.emails.join("layout.txt");
        let layout_file = layout_path.display().to_string();
        fill(
            &env,
            spans,
            "layout.txt",
            &layout_file,
            &read(&layout_path)?,
            &ctx,
        )
    }

    /// Where `offset` of the issue's MJML was written: a line of the
    /// body, of a partial or of the layout, else a line of the MJML after
    /// templating.
    fn place(&self, sources: &Sources, mjml: &str, offset: usize) -> String {
        let layout = self.emails.join("layout.mjml");
        let layout_file = layout.display().to_string();
        let written = read(&layout).unwrap_or_default();
        sources
            .place(mjml, offset, &layout_file, &written)
            .unwrap_or_else(|| {
                format!(
                    "line {} of the MJML after templating {layout_file} \
                     (see `postbode issue preview --format mjml`)",
                    engine::line_excerpt(mjml, offset).0
                )
            })
    }
}

/// The origins of the per-recipient expressions, those of a Markdown body
/// with their line in the file as written (stage one sees converted MJML).
fn body_origins(origins: &[SpanOrigin], source: &IssueSource) -> Vec<SpanOrigin> {
    let body_file = source.body_path.display().to_string();
    origins
        .iter()
        .map(|o| {
            let mut o = o.clone();
            if o.file == body_file
                && let Some(at) = source.body.find(&o.span)
            {
                o.line = source.body[..at].matches('\n').count() + 1;
            }
            o
        })
        .collect()
}

/// Replaces each `<mj-include path="…" />` with what `partial` makes of
/// the path, so one MJML document goes to mrml (and `--format mjml` shows
/// all of it). A path `partial` cannot find is left for mrml, whose empty
/// loader then reports it with its line.
pub(crate) fn inline_includes(
    mjml: &str,
    mut partial: impl FnMut(&str) -> Result<Option<String>>,
) -> Result<String> {
    let mut out = String::with_capacity(mjml.len() * 2);
    let mut rest = mjml;
    while let Some(start) = rest.find("<mj-include") {
        let Some(len) = rest[start..].find("/>") else {
            break;
        };
        let tag = &rest[start..start + len + 2];
        let path = tag
            .split("path=\"")
            .nth(1)
            .and_then(|p| p.split('"').next())
            .unwrap_or("");
        out.push_str(&rest[..start]);
        let safe = !path.contains("..") && !path.starts_with('/');
        match if safe { partial(path)? } else { None } {
            Some(body) => out.push_str(body.trim_end()),
            None => out.push_str(tag),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Stage one for one template: per-recipient expressions set aside in
/// `spans`, issue-level values filled in. Errors name `file` and its line.
fn fill(
    env: &minijinja::Environment<'_>,
    spans: &mut Spans,
    name: &str,
    file: &str,
    text: &str,
    ctx: &Value,
) -> Result<String> {
    let text = spans.protect(text, Which::PerRecipient, file)?;
    env.render_named_str(name, &text, ctx)
        .map_err(|e| template::describe(&e, file))
}

/// Reads a template or MJML file, normalised ([`normalise::normalise_source`]).
pub(crate) fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map(|s| normalise::normalise_source(&s))
        .map_err(|e| Error::Input(format!("cannot read {}: {e}", path.display())))
}

/// "28 november 2026" (Dutch) or "28 November 2026" (other languages).
pub fn long_date(date: jiff::civil::Date, language: &Language) -> String {
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let months = if language.primary() == "nl" { NL } else { EN };
    let month = months[usize::try_from(date.month() - 1).unwrap_or(0).min(11)];
    format!("{} {month} {}", date.day(), date.year())
}
