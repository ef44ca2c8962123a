//! The checks a system mail passes when `serve` starts, so a broken
//! template stops the start-up rather than showing up when someone signs
//! up. Each template in `emails/system/` is rendered in both languages
//! for a sample person; then the pre-flight checks of an issue
//! ([`crate::render::preflight`]) that apply to a mail to one person:
//!
//! - it renders (template and MJML errors name the file and line);
//! - every link is absolute, and the mail's own link (the confirmation
//!   link, the fresh unsubscribe link) is in the HTML part: without it
//!   the mail does nothing for a reader of the HTML;
//! - it stays under Gmail's clipping limit of 102 KB;
//! - an image without an alt text is a warning, as for an issue.
//!
//! Not checked: an unsubscribe link in the mail. These are not list mail;
//! the confirmation is asked for and the unsubscribe-link mail is itself
//! the way out.

use std::path::Path;

use super::confirmation::{self, Confirmation};
use super::system_mail::SystemHeaders;
use super::unsubscribe_link::{self, UnsubscribeLink};
use crate::config::Settings;
use crate::domain::EmailAddress;
use crate::render::preflight::check_html;

/// Checks the system mails under `emails`: the warnings when they pass, or
/// what is wrong (naming the template) when one is broken.
pub fn check(settings: &Settings, emails: &Path) -> Result<Vec<String>, String> {
    let base = settings.newsletter.base_url.as_str().trim_end_matches('/');
    let to = EmailAddress::parse("anna.devries@example.nl").map_err(|e| e.to_string())?;
    let reply_to = settings.reply_to();
    let headers = SystemHeaders {
        from: &settings.newsletter.from,
        reply_to: &reply_to,
        to: &to,
        to_name: None,
        message_id: "<check@example.org>",
        date: jiff::Timestamp::now(),
    };
    let newsletter = settings.newsletter.name.as_str();
    let (confirm_url, unsubscribe_url) = (
        format!("{base}/confirm/voorbeeld"),
        format!("{base}/u/voorbeeld"),
    );
    let mut warnings = Vec::new();
    for language in ["nl", "en"] {
        let confirm = Confirmation {
            headers,
            newsletter,
            confirm_url: &confirm_url,
            language,
            forget_after_days: settings.subscribers.pending_expiry_days,
        };
        let unsubscribe = UnsubscribeLink {
            headers,
            newsletter,
            unsubscribe_url: &unsubscribe_url,
            language,
        };
        let mails = [
            (confirmation::TEMPLATE, confirm.html(emails), &confirm_url),
            (
                unsubscribe_link::TEMPLATE,
                unsubscribe.html(emails),
                &unsubscribe_url,
            ),
        ];
        for (template, html, own_link) in mails {
            let file = emails.join(template);
            if !file.is_file() {
                continue; // Sent as plain text, by design.
            }
            let html = html?;
            let found = check_html(&html);
            let mut broken: Vec<String> =
                found.refusals.into_iter().chain(found.too_large).collect();
            // minijinja writes `/` in values as `&#x2f;`.
            let decoded = html.replace("&#x2f;", "/").replace("&#47;", "/");
            if !decoded.contains(&format!("href=\"{own_link}\"")) {
                broken.push(format!("the HTML part has no link to {own_link}"));
            }
            if !broken.is_empty() {
                return Err(format!(
                    "{} ({language}): {}",
                    file.display(),
                    broken.join("; ")
                ));
            }
            for w in found.warnings {
                let w = format!("{} ({language}): {w}", file.display());
                if !warnings.contains(&w) {
                    warnings.push(w);
                }
            }
        }
    }
    Ok(warnings)
}
