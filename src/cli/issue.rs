//! `postbode issue ...`: preview (more to come: queue, test, status).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::render::{CompiledIssue, IssueSource, Recipient, Renderer};

#[derive(Debug, Subcommand)]
pub enum IssueCommand {
    /// Render an issue folder for a sample recipient
    Preview {
        /// The issue folder, e.g. emails/issues/2026-11-schrijven-voor-iedereen
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = PreviewFormat::Html)]
        format: PreviewFormat,
        /// Write here instead of standard output
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PreviewFormat {
    /// The HTML part, as sent
    Html,
    /// The plain-text part, as sent
    Text,
    /// The MJML after the first templating stage (for debugging layouts)
    Mjml,
    /// The web version (the archive page)
    Web,
}

pub fn run(cmd: IssueCommand, settings: &Settings) -> Result<()> {
    match cmd {
        IssueCommand::Preview { dir, format, out } => {
            let output = preview(settings, &dir, format)?;
            write_out(out.as_deref(), &output)
        }
    }
}

/// Renders `dir` and personalises it for the sample recipient.
pub fn preview(settings: &Settings, dir: &Path, format: PreviewFormat) -> Result<String> {
    let rendered = render(settings, dir)?;
    if format == PreviewFormat::Mjml {
        return Ok(rendered.mjml);
    }
    if format == PreviewFormat::Web {
        return Ok(rendered.web_html);
    }
    let compiled = CompiledIssue::compile(&rendered.html_template, &rendered.text_template)?;
    let sample = Recipient::sample(settings.newsletter.base_url.as_str());
    let message = compiled.personalise(&sample)?;
    Ok(match format {
        PreviewFormat::Text => message.text,
        _ => message.html,
    })
}

/// Loads and renders an issue folder, printing mrml's warnings.
pub fn render(settings: &Settings, dir: &Path) -> Result<crate::render::RenderedIssue> {
    let emails = Renderer::find_emails_dir(dir).ok_or_else(|| {
        Error::Input(format!(
            "{} is not inside an emails folder (one holding layout.mjml)",
            dir.display()
        ))
    })?;
    let source = IssueSource::load(dir)?;
    let rendered = Renderer::new(settings, emails).render(&source)?;
    for w in &rendered.warnings {
        eprintln!("warning: {}: {w}", dir.display());
    }
    Ok(rendered)
}

fn write_out(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        Some(path) => std::fs::write(path, text).map_err(|e| Error::io(path, e)),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| Error::io("standard output", e))
        }
    }
}
