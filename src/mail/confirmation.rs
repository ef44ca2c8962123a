//! The double opt-in confirmation mail, sent when someone subscribes through
//! the public form.
//!
//! The HTML part comes from `emails/system/confirm.mjml` (a minijinja
//! template, `mj-include`s resolved from the `emails/` folder, then mrml);
//! the text part is written here. When there is no `emails/` folder, or the
//! template fails, the mail goes out as plain text only, so a broken
//! template never stops anyone from subscribing (the failure is logged).
//!
//! Unlike an issue it has no List-* headers: it is not list mail, and a
//! List-Unsubscribe link for someone not yet subscribed would be confusing.

use std::path::Path;
use std::time::SystemTime;

use lettre::Message;
use lettre::message::{MultiPart, SinglePart, header::ContentType};
use minijinja::Value;
use minijinja::value::Serde;
use mrml::prelude::parser::ParserOptions;
use mrml::prelude::parser::memory_loader::MemoryIncludeLoader;
use mrml::prelude::render::RenderOptions;

use super::MailError;
use super::header_text::{check_message_id, check_text};
use super::message::mailbox;
use crate::domain::{EmailAddress, Mailbox, SubscriberName};

/// The template, relative to the `emails/` folder.
pub const TEMPLATE: &str = "system/confirm.mjml";

/// Everything one confirmation mail needs.
#[derive(Debug, Clone, Copy)]
pub struct Confirmation<'a> {
    pub from: &'a Mailbox,
    pub reply_to: &'a Mailbox,
    pub to: &'a EmailAddress,
    pub to_name: Option<&'a SubscriberName>,
    pub newsletter: &'a str,
    /// `{base_url}/confirm/{token}`.
    pub confirm_url: &'a str,
    /// `en` for English; anything else gets Dutch (as the template does).
    pub language: &'a str,
    /// With angle brackets.
    pub message_id: &'a str,
    pub date: jiff::Timestamp,
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
        let (n, url, email) = (self.newsletter, self.confirm_url, self.to.as_str());
        if self.english() {
            format!(
                "{n}\n\nPlease confirm your subscription\n\n\
                 Someone, hopefully you, asked to send {n} to {email}. To make sure this \
                 address really is yours, we only start after you confirm.\n\n\
                 Confirm by opening this link:\n{url}\n\n\
                 Didn't sign up? Then you need not do anything. Without confirmation you \
                 will not hear from us again.\n"
            )
        } else {
            format!(
                "{n}\n\nBevestig je aanmelding\n\n\
                 Iemand, hopelijk jij, heeft {email} aangemeld voor {n}. Om zeker te weten \
                 dat dit adres echt van jou is, sturen we pas iets nadat je je aanmelding \
                 hebt bevestigd.\n\n\
                 Bevestig met deze link:\n{url}\n\n\
                 Heb je je niet aangemeld? Dan hoef je niets te doen. Zonder bevestiging \
                 hoor je niets meer van ons.\n"
            )
        }
    }

    /// The HTML part from `emails/system/confirm.mjml`; the error says
    /// what went wrong (for the log).
    pub fn html(&self, emails: &Path) -> Result<String, String> {
        let env = crate::render::template::environment();
        let ctx = Value::from(Serde(serde_json::json!({
            "newsletter": { "name": self.newsletter },
            "confirm_url": self.confirm_url,
            "subscriber": { "email": self.to.as_str() },
            "language": self.language,
        })));
        let fill = |name: &str| -> Result<Option<String>, String> {
            let path = emails.join(name);
            if !path.is_file() {
                return Ok(None);
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            env.render_named_str(name, &text, &ctx)
                .map(Some)
                .map_err(|e| crate::render::template::describe(&e, &path.display().to_string()))
                .map_err(|e| e.to_string())
        };
        let mjml = fill(TEMPLATE)?
            .ok_or_else(|| format!("{} does not exist", emails.join(TEMPLATE).display()))?;
        let mjml = crate::render::inline_includes(&mjml, |name| {
            fill(name).map_err(crate::error::Error::Input)
        })
        .map_err(|e| e.to_string())?;
        let options = ParserOptions {
            include_loader: Box::new(MemoryIncludeLoader::default()),
        };
        let parsed = mrml::parse_with_options(&mjml, &options)
            .map_err(|e| format!("{}: MJML error: {e}", emails.join(TEMPLATE).display()))?;
        parsed
            .element
            .render(&RenderOptions {
                disable_comments: true,
                ..RenderOptions::default()
            })
            .map_err(|e| format!("rendering {}: {e}", emails.join(TEMPLATE).display()))
    }
}

/// The Message-ID of a confirmation mail: `<pb.confirm-{issued}.{id}@{domain}>`.
pub fn confirmation_message_id(subscriber_id: i64, issued_at_unix: i64, domain: &str) -> String {
    super::message_id(&format!("confirm-{issued_at_unix}"), subscriber_id, domain)
}

/// The message: From, Reply-To, To, Subject, Date, Message-ID and either
/// multipart/alternative (text, then `html`) or, without `html`, text only.
pub fn build(c: &Confirmation<'_>, html: Option<&str>) -> Result<Vec<u8>, MailError> {
    let subject = c.subject();
    check_text("Subject", &subject)?;
    check_message_id(c.message_id)?;
    let builder = Message::builder()
        .from(mailbox("From", c.from.name.as_ref(), &c.from.address)?)
        .reply_to(mailbox(
            "Reply-To",
            c.reply_to.name.as_ref(),
            &c.reply_to.address,
        )?)
        .to(mailbox("To", c.to_name, c.to)?)
        .subject(subject)
        .date(SystemTime::from(c.date.max(jiff::Timestamp::UNIX_EPOCH)))
        .message_id(Some(c.message_id.to_owned()));
    let text = c.text().replace('\n', "\r\n");
    let message = match html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            text,
            html.replace("\r\n", "\n").replace('\n', "\r\n"),
        ))?,
        None => builder.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(text),
        )?,
    };
    Ok(message.formatted())
}

#[cfg(test)]
mod tests {
    use super::*;

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
            from: &from,
            reply_to: &from,
            to: &to,
            to_name: None,
            newsletter: "Publiek <Leren>",
            confirm_url: "https://n.example.org/confirm/abc_DEF",
            language: "en",
            message_id: &confirmation_message_id(7, 1_790_000_000, "example.org"),
            date: jiff::Timestamp::from_second(1_790_000_000).unwrap_or_default(),
        };
        let html = parsed(c.html(&emails()));
        // minijinja escapes `/` as `&#x2f;`; browsers decode it in href.
        assert!(html.contains("confirm&#x2f;abc_DEF"), "{html}");
        assert!(html.contains("Publiek &lt;Leren&gt;"), "escaped");
        let raw = String::from_utf8(parsed(build(&c, Some(&html)))).unwrap_or_default();
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("Message-ID: <pb.confirm-1790000000.7@example.org>"));
        let plain = String::from_utf8(parsed(build(&c, None))).unwrap_or_default();
        assert!(!plain.contains("multipart"));
        assert!(plain.contains("https://n.example.org/confirm/abc_DEF"));
    }

    #[test]
    fn a_missing_template_is_an_error_for_the_log() {
        let from = parsed(Mailbox::parse("r@example.org"));
        let to = parsed(EmailAddress::parse("zoe@example.nl"));
        let c = Confirmation {
            from: &from,
            reply_to: &from,
            to: &to,
            to_name: None,
            newsletter: "N",
            confirm_url: "https://n/confirm/x",
            language: "nl",
            message_id: "<a@b>",
            date: jiff::Timestamp::UNIX_EPOCH,
        };
        let err = c.html(Path::new("/nonexistent")).expect_err("no template");
        assert!(err.contains("confirm.mjml"), "{err}");
    }
}
