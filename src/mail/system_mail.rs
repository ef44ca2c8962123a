//! Mail to one person outside an issue: the double opt-in confirmation
//! ([`super::confirmation`]) and a fresh unsubscribe link asked for on the
//! public pages ([`super::unsubscribe_link`]). What they share lives here:
//! the headers and MIME structure ([`build`]) and the HTML part from a
//! template in `emails/system/` ([`render_html`]).
//!
//! The HTML part is a minijinja template, `mj-include`s resolved from the
//! `emails/` folder, then mrml. When there is no `emails/` folder, or the
//! template fails, the mail goes out as plain text only (the caller logs
//! why), so a broken template never stops a confirmation or an
//! unsubscribe.
//!
//! Unlike an issue these mails have no List-* headers: they are not list
//! mail.

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

/// The headers every system mail has but its Subject: who it is from and
/// to, its Message-ID and date. One struct, so the confirmation and the
/// unsubscribe-link mail cannot drift apart.
#[derive(Debug, Clone, Copy)]
pub struct SystemHeaders<'a> {
    pub from: &'a Mailbox,
    pub reply_to: &'a Mailbox,
    pub to: &'a EmailAddress,
    pub to_name: Option<&'a SubscriberName>,
    /// With angle brackets.
    pub message_id: &'a str,
    pub date: jiff::Timestamp,
}

/// The message: From, Reply-To, To, `subject`, Date, Message-ID and either
/// multipart/alternative (`text` with `\n` line ends, then `html`) or,
/// without `html`, text only.
pub fn build(
    mail: &SystemHeaders<'_>,
    subject: &str,
    text: &str,
    html: Option<&str>,
) -> Result<Vec<u8>, MailError> {
    check_text("Subject", subject)?;
    check_message_id(mail.message_id)?;
    let builder = Message::builder()
        .from(mailbox(
            "From",
            mail.from.name.as_ref(),
            &mail.from.address,
        )?)
        .reply_to(mailbox(
            "Reply-To",
            mail.reply_to.name.as_ref(),
            &mail.reply_to.address,
        )?)
        .to(mailbox("To", mail.to_name, mail.to)?)
        .subject(subject.to_owned())
        .date(SystemTime::from(mail.date.max(jiff::Timestamp::UNIX_EPOCH)))
        .message_id(Some(mail.message_id.to_owned()));
    let text = text.replace('\n', "\r\n");
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

/// The HTML part from `emails/{template}` filled with `context`; the error
/// says what went wrong (for the log).
pub fn render_html(
    emails: &Path,
    template: &str,
    context: serde_json::Value,
) -> Result<String, String> {
    let env = crate::render::template::environment();
    let ctx = Value::from(Serde(context));
    let fill = |name: &str| -> Result<Option<String>, String> {
        let path = emails.join(name);
        if !path.is_file() {
            return Ok(None);
        }
        let text = crate::render::read(&path).map_err(|e| e.to_string())?;
        env.render_named_str(name, &text, &ctx)
            .map(Some)
            .map_err(|e| crate::render::template::describe(&e, &path.display().to_string()))
            .map_err(|e| e.to_string())
    };
    let mjml = fill(template)?
        .ok_or_else(|| format!("{} does not exist", emails.join(template).display()))?;
    let mjml = crate::render::inline_includes(&mjml, |name| {
        fill(name).map_err(crate::error::Error::Input)
    })
    .map_err(|e| e.to_string())?;
    let options = ParserOptions {
        include_loader: Box::new(MemoryIncludeLoader::default()),
    };
    let parsed = mrml::parse_with_options(&mjml, &options)
        .map_err(|e| format!("{}: MJML error: {e}", emails.join(template).display()))?;
    parsed
        .element
        .render(&RenderOptions {
            disable_comments: true,
            ..RenderOptions::default()
        })
        .map_err(|e| format!("rendering {}: {e}", emails.join(template).display()))
}
