//! `postbode issue ...`: preview, queue, test and status.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};

use super::issue_schedule::When;
use super::parse_arg;
use crate::config::Settings;
use crate::domain::ListName;
use crate::error::{Error, Result};
use crate::render::{ImageMode, IssueSource, Personalised, Recipient, RenderedIssue, Renderer};
use crate::store::{NewIssue, PausedBy, Store, format_ms_in};

#[derive(Debug, Subcommand)]
pub enum IssueCommand {
    /// Render an issue folder for a sample recipient
    Preview {
        /// The issue folder, e.g. emails/issues/2026-11-schrijven-voor-iedereen
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = PreviewFormat::Html)]
        format: PreviewFormat,
        /// Write here instead of standard output
        #[arg(long, value_name = "FILE", conflicts_with = "serve")]
        out: Option<PathBuf>,
        /// Serve a page on 127.0.0.1 that shows the issue and follows every save under emails/
        #[arg(long)]
        serve: bool,
        /// The port for --serve (0: any free one; the URL is printed)
        #[arg(long, default_value_t = 8081, requires = "serve")]
        port: u16,
    },
    /// Render an issue, store it and schedule it; prints its slug
    Queue {
        dir: PathBuf,
        /// RFC 3339, or "YYYY-MM-DD HH:MM" in newsletter.timezone [default: issue.toml's send_at, else now]
        #[arg(long, value_name = "TIME", conflicts_with = "now")]
        at: Option<String>,
        /// Send at once, whatever issue.toml's send_at says (a time in the past needs this)
        #[arg(long)]
        now: bool,
        /// The list to send to [default: issue.toml's list, else newsletter.default_list]
        #[arg(long)]
        list: Option<String>,
        /// Queue it even when its HTML is above Gmail's 102 KB clipping limit
        #[arg(long)]
        force: bool,
    },
    /// Send one message, marked as a test, through the real transport; records nothing
    Test {
        dir: PathBuf,
        /// Repeatable; a subscriber's address gets their own personalised message
        #[arg(long, value_name = "EMAIL", required = true)]
        to: Vec<String>,
    },
    /// Move an issue that has not started sending to another time
    Reschedule {
        slug: String,
        /// RFC 3339, or "YYYY-MM-DD HH:MM" in newsletter.timezone
        #[arg(
            long,
            value_name = "TIME",
            required_unless_present = "now",
            conflicts_with = "now"
        )]
        at: Option<String>,
        /// Send it at once
        #[arg(long)]
        now: bool,
    },
    /// Stop sending an issue; messages in flight finish
    Pause { slug: String },
    /// Continue a paused issue exactly where it stopped
    Resume { slug: String },
    /// Cancel every delivery of an issue not yet sent
    Cancel { slug: String },
    /// Counts by status, rate and ETA, bounces and complaints of one issue or all
    Status {
        slug: Option<String>,
        #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
        format: StatusFormat,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Table,
    Json,
}

/// Commands that need no database.
pub async fn run_preview(cmd: IssueCommand, settings: &Settings) -> Result<()> {
    match cmd {
        IssueCommand::Preview {
            dir,
            serve: true,
            port,
            ..
        } => serve_preview(settings, &dir, port).await,
        IssueCommand::Preview {
            dir, format, out, ..
        } => {
            let output = preview(settings, &dir, format)?;
            write_out(out.as_deref(), &output)
        }
        _ => Err(Error::Input("not a preview command".into())),
    }
}

/// Commands that use the store.
pub async fn run(cmd: IssueCommand, settings: &Settings, store: &Store) -> Result<()> {
    match cmd {
        IssueCommand::Preview { .. } => run_preview(cmd, settings).await,
        IssueCommand::Queue {
            dir,
            at,
            now,
            list,
            force,
        } => {
            let when = When::from_args(at.as_deref(), now);
            let issue = queue_when(settings, store, &dir, when, list.as_deref(), force).await?;
            eprintln!(
                "queued {} for list {} at {}",
                issue.slug,
                issue.list,
                format_ms_in(issue.send_at, &settings.newsletter.timezone.time_zone())
            );
            println!("{}", issue.slug);
            Ok(())
        }
        IssueCommand::Test { dir, to } => {
            let to = super::issue_test::addresses(&to)?;
            let rendered = render_with(settings, &dir, published(settings))?;
            // The test mail's images are served like a queued issue's.
            store.store_media(&rendered.media).await?;
            super::issue_test::send(settings, store, &rendered, &to).await
        }
        IssueCommand::Reschedule { slug, at, now } => {
            let when = When::from_args(at.as_deref(), now);
            super::issue_schedule::reschedule(settings, store, &slug, when).await
        }
        IssueCommand::Pause { slug } => {
            store
                .pause_issue(&slug, PausedBy::Person, "paused by hand (issue pause)")
                .await?;
            println!("paused {slug}; `postbode issue resume {slug}` continues where it stopped");
            Ok(())
        }
        IssueCommand::Resume { slug } => {
            store.resume_issue(&slug).await?;
            println!("resumed {slug}; the next `postbode send` (or the running loop) continues it");
            Ok(())
        }
        IssueCommand::Cancel { slug } => {
            let n = store.cancel_issue(&slug).await?;
            println!("cancelled {slug}: {n} deliveries will not be sent");
            Ok(())
        }
        IssueCommand::Status { slug, format } => {
            super::issue_status::status(settings, store, slug.as_deref(), format).await
        }
    }
}

/// [`queue_when`] at `at` (`--at`), else issue.toml's time, else now.
pub async fn queue(
    settings: &Settings,
    store: &Store,
    dir: &Path,
    at: Option<&str>,
    list: Option<&str>,
    force: bool,
) -> Result<crate::store::Issue> {
    let when = When::from_args(at, false);
    queue_when(settings, store, dir, when, list, force).await
}

/// Renders, checks and stores an issue to go out `when`. `force` queues
/// it even above Gmail's clipping limit.
pub async fn queue_when(
    settings: &Settings,
    store: &Store,
    dir: &Path,
    when: When<'_>,
    list: Option<&str>,
    force: bool,
) -> Result<crate::store::Issue> {
    settings.check_ready_for_real_mail()?;
    let rendered = render_with(settings, dir, published(settings))?;
    // Strictness at queue time: a per-recipient value without a default
    // fails here for the sample recipient, not blank in a sent mail.
    let sample = Recipient::sample(settings.newsletter.base_url.as_str());
    let message = rendered.compiled()?.personalise(&sample)?;
    preflight(dir, &message, &sample, !force)?;
    let send_at = when
        .or_issue_toml(rendered.meta.send_at.as_deref())
        .resolve(settings)?;
    let list = match list {
        Some(l) => parse_arg("--list", l, ListName::parse)?,
        None => rendered
            .meta
            .list
            .clone()
            .unwrap_or_else(|| settings.newsletter.default_list.clone()),
    };
    store
        .queue_issue_with_media(
            &NewIssue {
                slug: rendered.slug.clone(),
                subject: rendered.meta.subject.clone(),
                preheader: rendered.meta.preheader.clone(),
                issue_date: rendered.meta.date.to_string(),
                list,
                html_template: rendered.html_template,
                text_template: rendered.text_template,
                web_html: rendered.web_html,
                send_at: send_at.as_millis(),
            },
            &rendered.media,
        )
        .await
}

/// `issue preview DIR --serve`: the page on 127.0.0.1:`port` until
/// SIGINT or SIGTERM; its URL on standard output.
async fn serve_preview(settings: &Settings, dir: &Path, port: u16) -> Result<()> {
    let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|e| {
            Error::Input(format!(
                "--port {port}: cannot listen on 127.0.0.1:{port}: {e}"
            ))
        })?;
    let mut stop = super::send::shutdown_signal();
    let shutdown = async move {
        let _ = stop.wait_for(|stopped| *stopped).await;
    };
    crate::preview::serve(settings, dir, listener, shutdown, |url| {
        println!("{url}");
        eprintln!(
            "preview of {}: open {url}; it follows every save under emails/ (Ctrl-C stops)",
            dir.display()
        );
    })
    .await
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
    let sample = Recipient::sample(settings.newsletter.base_url.as_str());
    let message = rendered.compiled()?.personalise(&sample)?;
    preflight(dir, &message, &sample, false)?;
    Ok(match format {
        PreviewFormat::Text => message.text,
        _ => message.html,
    })
}

/// Loads and renders an issue folder, printing mrml's warnings.
pub fn render(settings: &Settings, dir: &Path) -> Result<RenderedIssue> {
    render_with(settings, dir, ImageMode::Preview)
}

/// Local images as they are sent: prepared, under `base_url/media/`.
fn published(settings: &Settings) -> ImageMode {
    ImageMode::Publish {
        base_url: settings.newsletter.base_url.as_str().to_owned(),
    }
}

/// [`render`] with local images pointing where `images` says.
pub fn render_with(settings: &Settings, dir: &Path, images: ImageMode) -> Result<RenderedIssue> {
    let emails = Renderer::find_emails_dir(dir).ok_or_else(|| {
        Error::Input(format!(
            "{} is not inside an emails folder (one holding layout.mjml)",
            dir.display()
        ))
    })?;
    let source = IssueSource::load(dir)?;
    let rendered = Renderer::new(settings, emails)
        .with_images(images)
        .render(&source)?;
    for w in &rendered.warnings {
        eprintln!("warning: {}: {w}", dir.display());
    }
    Ok(rendered)
}

/// The pre-flight checks on the sample message: warnings printed,
/// refusals an error; above Gmail's clipping limit an error only when
/// `refuse_large` (queue without --force), else a warning.
fn preflight(
    dir: &Path,
    message: &Personalised,
    sample: &Recipient,
    refuse_large: bool,
) -> Result<()> {
    let found = crate::render::preflight::check_message(
        &message.html,
        &message.text,
        &sample.unsubscribe_url,
    );
    let mut refusals = found.refusals;
    match found.too_large {
        Some(large) if refuse_large => refusals.push(large),
        Some(large) => eprintln!("warning: {}: {large}", dir.display()),
        None => {}
    }
    for w in &found.warnings {
        eprintln!("warning: {}: {w}", dir.display());
    }
    if refusals.is_empty() {
        return Ok(());
    }
    Err(Error::Input(format!(
        "{}: not ready to send:\n  {}",
        dir.display(),
        refusals.join("\n  ")
    )))
}

pub(super) fn write_out(out: Option<&Path>, text: &str) -> Result<()> {
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
