//! The checks on [`Settings`] that span more than one value or that serde
//! cannot express. Each returns the key at fault and why; the first fault
//! found is the one reported, so the checks run in a fixed order.

use super::{
    BouncesSettings, DkimSettings, NewsletterSettings, ServerSettings, Settings, imap_url,
};
use crate::domain::Mailbox;

/// The key at fault and why.
type Checked = std::result::Result<(), (&'static str, String)>;

/// Checks that span more than one value or that serde cannot express.
/// Returns the key at fault and why.
pub(super) fn check(s: &Settings) -> Checked {
    check_rate(s.sending.rate_per_second)?;
    check_languages(&s.newsletter)?;
    check_counts(s)?;
    if !matches!(s.smtp.starttls.as_str(), "opportunistic" | "required") {
        return Err((
            "smtp.starttls",
            "must be \"opportunistic\" or \"required\"".into(),
        ));
    }
    check_newsletter(&s.newsletter)?;
    check_dkim(&s.dkim)?;
    check_server(&s.server)?;
    positive(
        "subscribers.pending_expiry_days",
        s.subscribers.pending_expiry_days.into(),
    )?;
    check_bounce_limits(&s.bounces)?;
    s.secrets
        .previous_token_key_until()
        .map_err(|reason| ("secrets.previous_token_key_until", reason))?;
    s.secrets
        .suppression_key()
        .map_err(|reason| ("secrets.suppression_key", reason))?;
    check_bounce_address(&s.bounces)?;
    check_imap(&s.bounces)?;
    s.webhooks.check()?;
    if s.log
        .filter
        .parse::<tracing_subscriber::EnvFilter>()
        .is_err()
    {
        return Err((
            "log.filter",
            "is not a valid filter, e.g. info or postbode=debug".into(),
        ));
    }
    Ok(())
}

/// A count, size or timeout: 0 would mean never or nothing.
fn positive(key: &'static str, v: u64) -> Checked {
    if v == 0 {
        Err((key, "must be at least 1".to_owned()))
    } else {
        Ok(())
    }
}

fn check_rate(rate_per_second: f64) -> Checked {
    if !(rate_per_second.is_finite() && rate_per_second > 0.0) {
        return Err((
            "sending.rate_per_second",
            "must be a number above 0 (messages per second)".into(),
        ));
    }
    Ok(())
}

/// The counts and timeouts of sending, SMTP and the database.
fn check_counts(s: &Settings) -> Checked {
    positive("sending.concurrency", s.sending.concurrency.into())?;
    positive("sending.batch_size", s.sending.batch_size.into())?;
    positive("sending.max_attempts", s.sending.max_attempts.into())?;
    positive("sending.lease_secs", s.sending.lease_secs)?;
    positive("sending.retry_base_secs", s.sending.retry_base_secs)?;
    positive(
        "sending.max_consecutive_failures",
        s.sending.max_consecutive_failures.into(),
    )?;
    positive("smtp.pool_size", s.smtp.pool_size.into())?;
    positive("smtp.connect_timeout_secs", s.smtp.connect_timeout_secs)?;
    positive("smtp.command_timeout_secs", s.smtp.command_timeout_secs)?;
    positive(
        "database.max_connections",
        s.database.max_connections.into(),
    )
}

/// What goes into every message's headers and footer.
fn check_newsletter(n: &NewsletterSettings) -> Checked {
    let name = n.name.trim();
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err((
            "newsletter.name",
            "must be a non-empty name without line breaks".into(),
        ));
    }
    if !n.reply_to.trim().is_empty() {
        Mailbox::parse(&n.reply_to).map_err(|e| ("newsletter.reply_to", e.to_string()))?;
    }
    let list_id = &n.list_id;
    if list_id.is_empty()
        || !list_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err((
            "newsletter.list_id",
            "must look like a domain name, e.g. nieuwsbrief.example.org".into(),
        ));
    }
    if n.postal_address
        .chars()
        .any(|c| c.is_control() && c != '\n')
    {
        return Err((
            "newsletter.postal_address",
            "must not contain control characters".into(),
        ));
    }
    Ok(())
}

/// With dkim.domain set, the selector and the key file are required.
fn check_dkim(d: &DkimSettings) -> Checked {
    if d.enabled() && d.selector.trim().is_empty() {
        return Err((
            "dkim.selector",
            "is required when dkim.domain is set".into(),
        ));
    }
    if d.enabled() && d.private_key_file.as_os_str().is_empty() {
        return Err((
            "dkim.private_key_file",
            "is required when dkim.domain is set".into(),
        ));
    }
    Ok(())
}

fn check_server(server: &ServerSettings) -> Checked {
    if server.bind.parse::<std::net::SocketAddr>().is_err() {
        return Err((
            "server.bind",
            "must be an address and port like 127.0.0.1:8080".into(),
        ));
    }
    positive(
        "server.link_posts_per_minute",
        server.link_posts_per_minute.into(),
    )
}

/// The soft-bounce limit and the rates that pause a send.
fn check_bounce_limits(b: &BouncesSettings) -> Checked {
    positive("bounces.soft_limit", b.soft_limit.into())?;
    positive("bounces.soft_window_days", b.soft_window_days.into())?;
    let rate = b.complaint_pause_rate;
    if !(rate > 0.0 && rate <= 1.0) {
        return Err((
            "bounces.complaint_pause_rate",
            "must be a fraction above 0 and at most 1, like 0.003 for 0.3 %".into(),
        ));
    }
    let rate = b.failed_pause_rate;
    if !(rate > 0.0 && rate <= 1.0) {
        return Err((
            "bounces.failed_pause_rate",
            "must be a fraction above 0 and at most 1, like 0.02 for 2 %".into(),
        ));
    }
    positive("bounces.failed_min_count", b.failed_min_count.into())
}

/// The bounce address, when set: postbode adds + and a tag to its local
/// part, which must still fit in 64 characters.
fn check_bounce_address(b: &BouncesSettings) -> Checked {
    let bounce_address = b.address.trim();
    if !bounce_address.is_empty() {
        let parsed = crate::domain::EmailAddress::parse(bounce_address)
            .map_err(|e| ("bounces.address", format!("{e}")))?;
        let max = BouncesSettings::MAX_LOCAL_LEN;
        if parsed.local_part().len() > max {
            return Err((
                "bounces.address",
                format!(
                    "the part before @ must be at most {max} characters, \
                     so that + and the tag postbode adds fit in 64, e.g. bounces@{}",
                    parsed.domain()
                ),
            ));
        }
    }
    Ok(())
}

/// The pages speak nl and en only; `language` must be one offered.
fn check_languages(n: &NewsletterSettings) -> Checked {
    let key = "newsletter.languages";
    if n.languages.is_empty() {
        return Err((
            key,
            "name at least one language: [\"nl\"], [\"en\"] or both".into(),
        ));
    }
    if let Some(other) = n
        .languages
        .iter()
        .find(|l| !matches!(l.primary(), "nl" | "en"))
    {
        return Err((
            key,
            format!("the pages speak nl and en, not {}", other.as_str()),
        ));
    }
    let pages_speak = matches!(n.language.primary(), "nl" | "en");
    if pages_speak
        && !n
            .languages
            .iter()
            .any(|l| l.primary() == n.language.primary())
    {
        return Err((
            key,
            format!(
                "does not hold newsletter.language ({})",
                n.language.as_str()
            ),
        ));
    }
    Ok(())
}

/// The `bounces fetch` keys. An error never repeats `imap_url`: it
/// holds the password.
fn check_imap(b: &BouncesSettings) -> Checked {
    let url = b.imap().map_err(|reason| ("bounces.imap_url", reason))?;
    imap_url::check_folder(&b.imap_done_folder)
        .map_err(|reason| ("bounces.imap_done_folder", reason))?;
    if url.is_some_and(|url| url.folder == b.imap_done_folder) {
        return Err((
            "bounces.imap_done_folder",
            "must be another folder than the one bounces.imap_url reads".into(),
        ));
    }
    if b.fetch_interval_secs == 0 {
        return Err(("bounces.fetch_interval_secs", "must be at least 1".into()));
    }
    Ok(())
}
