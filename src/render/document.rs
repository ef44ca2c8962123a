//! Whole MJML documents, with their own `<mj-head>`: an issue's
//! `issue.mjml` (templated like every other file, not poured into the
//! layout) and any file given to `postbode render`. Both go through the
//! same engine as issues ([`super::engine`]); their text part is written
//! from the rendered HTML ([`super::html_text::text_from_html`]).

use std::path::Path;

use minijinja::Value;
use minijinja::value::Serde;

use super::places::Sources;
use super::template::{self, Spans, Which};
use super::{
    CompiledIssue, IssueSource, Recipient, RenderedIssue, Renderer, engine, fill, html_text,
    inline_includes, preflight, read,
};
use crate::error::{Error, Result};

/// A document rendered by `postbode render`.
#[derive(Clone, Debug)]
pub struct RenderedFile {
    pub html: String,
    pub text: String,
    /// What the engine and the checks noticed, each naming its place.
    pub warnings: Vec<String>,
}

/// Renders the MJML document at `path`: no templating (it is anyone's
/// file), `mj-include` paths relative to its folder.
pub fn render_file(path: &Path) -> Result<RenderedFile> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let mjml = inline_includes(&read(path)?, |name| {
        let partial = folder.join(name);
        partial.is_file().then(|| read(&partial)).transpose()
    })?;
    let file = path.display().to_string();
    let place = |offset: usize| format!("line {} of {file}", engine::line_excerpt(&mjml, offset).0);
    let mut warnings = Vec::new();
    let html = engine::to_html(&mjml, &place, &mut warnings)?;
    let checks = preflight::check_html(&html);
    warnings.extend(checks.warnings);
    warnings.extend(checks.refusals);
    warnings.extend(checks.too_large);
    Ok(RenderedFile {
        text: html_text::text_from_html(&html),
        html,
        warnings,
    })
}

impl Renderer {
    /// Renders an issue written as `issue.mjml`.
    pub(super) fn render_document(&self, source: &IssueSource) -> Result<RenderedIssue> {
        let file = source.body_path.display().to_string();
        let mut spans = Spans::default();
        let mut images = super::images::Images::new(&self.images, source, &self.emails);
        let mut sources = Sources::default();
        let mjml =
            images.rewrite(&self.fill_document(source, true, &mut spans, &mut sources)?)?;
        let sources = sources.map(|s| images.rewrite(s))?;
        let place = |offset: usize| place_in(&sources, &mjml, offset, source);
        let mut warnings = Vec::new();
        let html = images.set_heights(&engine::to_html(&mjml, &place, &mut warnings)?);
        let text = html_text::text_from_html(&html);
        let restore =
            |s: &str| spans.restore(&template::escape_template_syntax(s), Which::PerRecipient);

        let mut web_spans = Spans::default();
        let mut web_sources = Sources::default();
        let web_mjml = images.rewrite(&self.fill_document(
            source,
            false,
            &mut web_spans,
            &mut web_sources,
        )?)?;
        let web_sources = web_sources.map(|s| images.rewrite(s))?;
        let web_place = |offset: usize| place_in(&web_sources, &web_mjml, offset, source);
        let web = images.set_heights(&engine::to_html(&web_mjml, &web_place, &mut Vec::new())?);
        let web_template =
            web_spans.restore(&template::escape_template_syntax(&web), Which::PerRecipient);
        let web_html = CompiledIssue::compile(&web_template, "")?
            .with_origins(web_spans.origins())
            .personalise(&Recipient::anonymous())
            .map_err(|e| {
                Error::Input(format!(
                    "{file}: the web version uses a per-recipient value without a default \
                     ({e}); wrap it in {{% if personal %}} … {{% endif %}} or give it a default"
                ))
            })?
            .html;

        Ok(RenderedIssue {
            slug: source.slug.clone(),
            meta: source.meta.clone(),
            html_template: restore(&html),
            text_template: restore(&text),
            mjml: spans.restore(&mjml, Which::PerRecipient),
            web_html,
            warnings,
            origins: spans.origins().to_vec(),
            media: images.into_files(),
        })
    }

    /// Stage one of `issue.mjml`; its `mj-include`s are looked up in the
    /// issue folder, then in `emails/`.
    fn fill_document(
        &self,
        source: &IssueSource,
        personal: bool,
        spans: &mut Spans,
        sources: &mut Sources,
    ) -> Result<String> {
        let env = template::environment();
        let ctx = Value::from(Serde(self.context(source, personal)));
        let file = source.body_path.display().to_string();
        let doc = fill(&env, spans, "issue.mjml", &file, &source.body, &ctx)?;
        inline_includes(&doc, |name| {
            let Some(path) = [source.dir.join(name), self.emails.join(name)]
                .into_iter()
                .find(|p| p.is_file())
            else {
                return Ok(None);
            };
            let file = path.display().to_string();
            let written = read(&path)?;
            let filled = fill(&env, spans, name, &file, &written, &ctx)?;
            sources.add(&file, &written, &filled, false);
            Ok(Some(filled))
        })
    }
}

/// Where `offset` of a filled `issue.mjml` was written: a line of a
/// partial it includes or of the file itself.
fn place_in(sources: &Sources, mjml: &str, offset: usize, source: &IssueSource) -> String {
    let file = source.body_path.display().to_string();
    sources
        .place(mjml, offset, &file, &source.body)
        .unwrap_or_else(|| format!("line {} of {file}", engine::line_excerpt(mjml, offset).0))
}
