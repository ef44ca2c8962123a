//! When an issue goes out: the send time from `--at`, `--now` or
//! issue.toml, refused when it lies in the past, and `issue reschedule`.

use super::parse_arg;
use crate::config::Settings;
use crate::domain::SendTime;
use crate::error::{Error, Result};
use crate::store::{Store, format_ms_in, now_ms};

/// How far in the past a send time may lie and still count as "now": a
/// "YYYY-MM-DD HH:MM" for the current minute is up to 59 s ago.
const GRACE_MS: i64 = 60_000;

/// Where the send time comes from.
#[derive(Clone, Copy, Debug)]
pub enum When<'a> {
    /// `--at TIME`.
    At(&'a str),
    /// `send_at` in the issue's issue.toml.
    IssueToml(&'a str),
    /// `--now`, or no time anywhere.
    Now,
    /// Nothing on the command line: issue.toml decides, else now.
    Unset,
}

impl<'a> When<'a> {
    pub fn from_args(at: Option<&'a str>, now: bool) -> When<'a> {
        match (at, now) {
            (_, true) => When::Now,
            (Some(at), false) => When::At(at),
            (None, false) => When::Unset,
        }
    }

    /// issue.toml's `send_at` when the command line named no time.
    pub fn or_issue_toml(self, send_at: Option<&'a str>) -> When<'a> {
        match (self, send_at) {
            (When::Unset, Some(t)) => When::IssueToml(t),
            (When::Unset, None) => When::Now,
            (other, _) => other,
        }
    }

    /// The instant, read in `newsletter.timezone`. A time more than a
    /// minute ago is refused: sending at once must be asked for (`--now`),
    /// not happen because of a typo in the year.
    pub fn resolve(self, settings: &Settings) -> Result<SendTime> {
        let tz = settings.newsletter.timezone.time_zone();
        let (what, text) = match self {
            When::Now | When::Unset => return Ok(SendTime::now()),
            When::At(t) => ("--at", t),
            When::IssueToml(t) => ("issue.toml's send_at", t),
        };
        let at = parse_arg(what, text, |t| SendTime::parse(t, &tz))?;
        let now = now_ms();
        if at.as_millis() < now - GRACE_MS {
            return Err(Error::Input(format!(
                "{what} \"{}\" is in the past ({}; it is now {}): give a later time, \
                 or --now to send at once",
                text.escape_debug(),
                format_ms_in(at.as_millis(), &tz),
                format_ms_in(now, &tz)
            )));
        }
        Ok(at)
    }
}

/// `issue reschedule SLUG --at TIME | --now`.
pub async fn reschedule(
    settings: &Settings,
    store: &Store,
    slug: &str,
    when: When<'_>,
) -> Result<()> {
    let send_at = match when {
        When::Unset => {
            return Err(Error::Input(
                "issue reschedule needs --at TIME or --now".into(),
            ));
        }
        when => when.resolve(settings)?,
    };
    let issue = store.reschedule_issue(slug, send_at.as_millis()).await?;
    println!(
        "{} now goes out at {}",
        issue.slug,
        format_ms_in(issue.send_at, &settings.newsletter.timezone.time_zone())
    );
    Ok(())
}
