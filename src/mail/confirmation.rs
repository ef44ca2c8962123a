//! The double opt-in confirmation mail: sent when someone subscribes
//! through the public form, or to the pending people of `subscribers
//! add|import --send-confirmation`.
//!
//! The HTML part comes from `emails/system/confirm.mjml`, the text part is
//! written here; headers and fallbacks as for every
//! [`system_mail`](super::system_mail).

use std::path::Path;

use super::system_mail::{self, SystemHeaders};
use super::{MailError, TokenKey};

/// The template, relative to the `emails/` folder.
pub const TEMPLATE: &str = "system/confirm.mjml";

/// Everything one confirmation mail needs.
#[derive(Debug, Clone, Copy)]
pub struct Confirmation<'a> {
    /// From, Reply-To, To, Message-ID, Date.
    pub headers: SystemHeaders<'a>,
    pub newsletter: &'a str,
    /// `{base_url}/confirm/{token}`.
    pub confirm_url: &'a str,
    /// `en` for English; anything else gets Dutch (as the template does).
    pub language: &'a str,
    /// `subscribers.pending_expiry_days`: the mail promises that an
    /// unconfirmed address is forgotten after this many days.
    pub forget_after_days: u32,
}

impl Confirmation<'_> {
    fn english(&self) -> bool {
        self.language == "en"
    }

    /// The Subject header.
    pub fn subject(&self) -> String {
        if self.english() {
            format!("Confirm your subscription to {}", self.newsletter)
        } else {
            format!("Bevestig je aanmelding voor {}", self.newsletter)
        }
    }

    /// The plain-text part.
    pub fn text(&self) -> String {
        let (n, url, email) = (self.newsletter, self.confirm_url, self.headers.to.as_str());
        let days = self.forget_after_days;
        if self.english() {
            format!(
                "{n}\n\nPlease confirm your subscription\n\n\
                 Someone, hopefully you, asked to send {n} to {email}. To make sure this \
                 address really is yours, we only start after you confirm.\n\n\
                 Confirm by opening this link:\n{url}\n\n\
                 Didn't sign up? Then you need not do anything. Without confirmation you \
                 will not hear from us again, and we forget the address after {days} days.\n"
            )
        } else {
            format!(
                "{n}\n\nBevestig je aanmelding\n\n\
                 Iemand, hopelijk jij, heeft {email} aangemeld voor {n}. Om zeker te weten \
                 dat dit adres echt van jou is, sturen we pas iets nadat je je aanmelding \
                 hebt bevestigd.\n\n\
                 Bevestig met deze link:\n{url}\n\n\
                 Heb je je niet aangemeld? Dan hoef je niets te doen. Zonder bevestiging \
                 hoor je niets meer van ons, en na {days} dagen vergeten we het adres.\n"
            )
        }
    }

    /// The HTML part from `emails/system/confirm.mjml`; the error says
    /// what went wrong (for the log).
    pub fn html(&self, emails: &Path) -> Result<String, String> {
        system_mail::render_html(
            emails,
            TEMPLATE,
            serde_json::json!({
                "newsletter": { "name": self.newsletter },
                "confirm_url": self.confirm_url,
                "subscriber": { "email": self.headers.to.as_str() },
                "language": self.language,
                "pending_expiry_days": self.forget_after_days,
            }),
        )
    }
}

/// The Message-ID of a confirmation mail: a MAC of `confirm-{issued}` and
/// the subscriber (see [`super::message_id`]).
pub fn confirmation_message_id(
    key: &TokenKey,
    subscriber_id: i64,
    issued_at_unix: i64,
    domain: &str,
) -> String {
    super::message_id(
        key,
        &format!("confirm-{issued_at_unix}"),
        subscriber_id,
        domain,
    )
}

/// The message, with `html` as its HTML part (see [`system_mail::build`]).
pub fn build(c: &Confirmation<'_>, html: Option<&str>) -> Result<Vec<u8>, MailError> {
    system_mail::build(&c.headers, &c.subject(), &c.text(), html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EmailAddress, Mailbox};

    fn test_key() -> TokenKey {
        parsed(TokenKey::new("0123456789abcdef-test-key"))
    }

    fn parsed<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("test input rejected: {e}"))
    }

    fn emails() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("emails")
    }

    #[test]
    fn the_mail_has_both_parts_and_the_link() {
        let from = parsed(Mailbox::parse("Redactie <redactie@example.org>"));
        let to = parsed(EmailAddress::parse("zoe@example.nl"));
        let c = Confirmation {
            headers: SystemHeaders {
                from: &from,
                reply_to: &from,
                to: &to,
                to_name: None,
                message_id: &confirmation_message_id(&test_key(), 7, 1_790_000_000, "example.org"),
                date: jiff::Timestamp::from_second(1_790_000_000).unwrap_or_default(),
            },
            newsletter: "Publiek <Leren>",
            confirm_url: "https://n.example.org/confirm/abc_DEF",
            language: "en",
            forget_after_days: 30,
        };
        let html = parsed(c.html(&emails()));
        // minijinja escapes `/` as `&#x2f;`; browsers decode it in href.
        assert!(html.contains("confirm&#x2f;abc_DEF"), "{html}");
        assert!(html.contains("Publiek &lt;Leren&gt;"), "escaped");
        assert!(html.contains("after 30 days"), "{html}");
        assert!(c.text().contains("after 30 days"));
        let raw = String::from_utf8(parsed(build(&c, Some(&html)))).unwrap_or_default();
        assert!(raw.contains("multipart/alternative"));
        let id = confirmation_message_id(&test_key(), 7, 1_790_000_000, "example.org");
        assert!(raw.contains(&format!("Message-ID: {id}")), "{raw}");
        let plain = String::from_utf8(parsed(build(&c, None))).unwrap_or_default();
        assert!(!plain.contains("multipart"));
        assert!(plain.contains("https://n.example.org/confirm/abc_DEF"));
    }

    #[test]
    fn a_missing_template_is_an_error_for_the_log() {
        let from = parsed(Mailbox::parse("r@example.org"));
        let to = parsed(EmailAddress::parse("zoe@example.nl"));
        let c = Confirmation {
            headers: SystemHeaders {
                from: &from,
                reply_to: &from,
                to: &to,
                to_name: None,
                message_id: "<a@b>",
                date: jiff::Timestamp::UNIX_EPOCH,
            },
            newsletter: "N",
            confirm_url: "https://n/confirm/x",
            language: "nl",
            forget_after_days: 30,
        };
        let err = c.html(Path::new("/nonexistent")).expect_err("no template");
        assert!(err.contains("confirm.mjml"), "{err}");
    }
}
