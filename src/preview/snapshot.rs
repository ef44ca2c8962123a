//! One render of the issue as the preview shows it: the mail for the
//! sample recipient, its text part and the web version, or the error that
//! stopped the render. Made afresh after every save; never panics on what
//! the author wrote (every failure is an [`Error`] whose message names the
//! file and line, as the renderer writes it).

use std::path::{Path, PathBuf};

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::render::preflight::check_message;
use crate::render::{ImageMode, IssueSource, Recipient, Renderer};

/// What the page shows after one render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Snapshot {
    Rendered(Rendered),
    /// The render failed: the message, naming the file and line.
    Failed(String),
}

/// A render that worked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The HTML part for the sample recipient, as `issue preview` prints it.
    pub mail_html: String,
    /// The plain-text part for the sample recipient.
    pub text: String,
    /// The web version: the page `serve` shows at `/archive/SLUG` once the
    /// issue is sent (it stores exactly this HTML).
    pub web_html: String,
    /// mrml's warnings and the pre-flight findings (refusals first): the
    /// mail is still shown, since a draft is rarely ready to send.
    pub notes: Vec<String>,
}

impl Snapshot {
    /// The error message, when the render failed.
    pub fn error(&self) -> Option<&str> {
        match self {
            Snapshot::Rendered(_) => None,
            Snapshot::Failed(message) => Some(message),
        }
    }
}

/// The issue folder being written, with what rendering it needs.
#[derive(Clone, Debug)]
pub struct Draft {
    dir: PathBuf,
    emails: PathBuf,
    renderer: Renderer,
    sample: Recipient,
}

impl Draft {
    /// The issue folder `dir`; an error when it is not inside an `emails/`
    /// folder (one holding `layout.mjml`).
    pub fn new(settings: &Settings, dir: &Path) -> Result<Draft> {
        let emails = Renderer::find_emails_dir(dir).ok_or_else(|| {
            Error::Input(format!(
                "{} is not inside an emails folder (one holding layout.mjml)",
                dir.display()
            ))
        })?;
        Ok(Draft {
            dir: dir.to_path_buf(),
            // A page served over http may not show file:// images.
            renderer: Renderer::new(settings, &emails).with_images(ImageMode::Served {
                prefix: super::local::PREFIX.to_owned(),
            }),
            emails,
            sample: Recipient::sample(settings.newsletter.base_url.as_str()),
        })
    }

    /// The `emails/` folder: every file under it can change the render.
    pub fn emails(&self) -> &Path {
        &self.emails
    }

    /// The folder's name: the issue's slug, when it is a good one.
    pub fn name(&self) -> String {
        (self.dir.file_name()).map_or_else(
            || self.dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// Renders the folder as it is now.
    pub fn render(&self) -> Snapshot {
        match self.try_render() {
            Ok(rendered) => Snapshot::Rendered(rendered),
            Err(e) => Snapshot::Failed(e.to_string()),
        }
    }

    fn try_render(&self) -> Result<Rendered> {
        let source = IssueSource::load(&self.dir)?;
        let rendered = self.renderer.render(&source)?;
        let message = rendered.compiled()?.personalise(&self.sample)?;
        let found = check_message(&message.html, &message.text, &self.sample.unsubscribe_url);
        let notes = (found.refusals.iter()).map(|r| format!("not ready to send: {r}"));
        let notes = notes
            .chain(found.too_large)
            .chain(found.warnings)
            .chain(rendered.warnings.iter().map(|w| format!("MJML: {w}")))
            .collect();
        Ok(Rendered {
            mail_html: message.html,
            text: message.text,
            web_html: rendered.web_html,
            notes,
        })
    }
}
