//! Mail to one person outside an issue, through the same kit as an issue:
//! the [`Courier`] (transport, DKIM signer) and the send rate every
//! sender shares ([`RateLimiter`]), each mail recorded in the store
//! (`system_mails`). Two kinds:
//!
//! - the double opt-in confirmation ([`SystemMailer::send_confirmation`]),
//!   from the subscribe form and from `subscribers add|import
//!   --send-confirmation`;
//! - a fresh one-click unsubscribe link
//!   ([`SystemMailer::send_unsubscribe_link`]), asked for by address on the
//!   public pages.
//!
//! Built once per process (the web's `AppState`, or the CLI command) and
//! shared. The message bytes come from `mail::confirmation` and
//! `mail::unsubscribe_link`; the HTML part from `emails/system/` in the
//! working directory, plain text only without it.

use std::path::PathBuf;

use super::rate::RateLimiter;
use super::{Courier, Undelivered};
use crate::config::{SendingSettings, Settings};
use crate::domain::{ChangeSource, Mailbox};
use crate::error::{Error, Result};
use crate::mail::confirmation::{self, Confirmation};
use crate::mail::system_mail::SystemHeaders;
use crate::mail::unsubscribe_link::{self, UnsubscribeLink};
use crate::mail::{TokenKey, links};
use crate::store::{Recipient, Store, SystemMailKind};

/// The kit, built once.
#[derive(Debug)]
pub struct SystemMailer {
    store: Store,
    courier: Courier,
    limiter: RateLimiter,
    tokens: TokenKey,
    from: Mailbox,
    reply_to: Mailbox,
    newsletter: String,
    /// `newsletter.base_url`, without a trailing slash.
    base_url: String,
    /// `emails/` in the working directory, when it holds the system
    /// templates; without it the mails are plain text.
    emails: Option<PathBuf>,
    /// `newsletter.language`, for people without one the mails speak.
    default_language: String,
    pending_expiry_days: u32,
}

impl SystemMailer {
    /// Fails (a configuration error) when the token key, the transport or
    /// the DKIM key is unusable.
    pub fn new(settings: &Settings, store: Store) -> Result<SystemMailer> {
        let tokens = TokenKey::from_settings(&settings.secrets)
            .map_err(|e| Error::Config(format!("{e} (postbode init writes a random one)")))?;
        let emails = std::env::current_dir()
            .ok()
            .map(|d| d.join("emails"))
            .filter(|d| d.join(confirmation::TEMPLATE).is_file());
        // A broken system mail stops the start, not a sign-up later.
        if let Some(dir) = &emails {
            let warnings = crate::mail::system_check::check(settings, dir)
                .map_err(|e| Error::Config(format!("a system mail is broken: {e}")))?;
            for w in warnings {
                tracing::warn!("{w}");
            }
        }
        if emails.is_none() {
            tracing::warn!(
                "no emails/{} in the working directory: confirmation and unsubscribe-link \
                 mails go out as plain text",
                confirmation::TEMPLATE
            );
        }
        // One slot per mail: these come one at a time, so a block of
        // `concurrency` slots would mostly go unused yet count against the
        // hourly and daily caps.
        let s = &settings.sending;
        let pace = SendingSettings {
            rate_per_second: s.rate_per_second,
            max_per_hour: s.max_per_hour,
            max_per_day: s.max_per_day,
            concurrency: 1,
            ..SendingSettings::default()
        };
        Ok(SystemMailer {
            limiter: RateLimiter::new(&pace, store.clone()),
            store,
            courier: Courier::from_settings(settings)?,
            tokens,
            from: settings.newsletter.from.clone(),
            reply_to: settings.reply_to(),
            newsletter: settings.newsletter.name.clone(),
            base_url: settings.newsletter.base_url.as_str().to_owned(),
            emails,
            default_language: settings.newsletter.language.as_str().to_owned(),
            pending_expiry_days: settings.subscribers.pending_expiry_days,
        })
    }

    /// Where the mails go, for messages to the admin.
    pub fn describe(&self) -> String {
        self.courier.describe()
    }

    /// The language a mail to `who` is written in: theirs when it is `en`
    /// or `nl`, else the newsletter's.
    pub fn language_for(&self, who: &Recipient) -> &str {
        match who.language.as_ref().map(|l| l.as_str()) {
            Some(code) if code.starts_with("en") => "en",
            Some(code) if code.starts_with("nl") => "nl",
            _ => &self.default_language,
        }
    }

    /// Sends `who` the double opt-in mail in `language` (`en`, or Dutch)
    /// and records it; `source` says who asked (page, cli, import).
    pub async fn send_confirmation(
        &self,
        who: &Recipient,
        language: &str,
        source: ChangeSource,
    ) -> Result<()> {
        let issued = jiff::Timestamp::now();
        let salt = self.store.link_salt(who.id).await?;
        // The link works once: while this is still their last change.
        let last_change = self.store.last_status_change(who.id).await?;
        let token = self
            .tokens
            .confirm_token(who.id, salt.salt(), issued.as_second(), last_change);
        let confirm_url = links::with_lang(
            &format!("{}/confirm/{token}", self.base_url),
            page_language(language),
        );
        let message_id = confirmation::confirmation_message_id(
            &self.tokens,
            who.id,
            issued.as_second(),
            self.from.address.domain(),
        );
        let mail = Confirmation {
            headers: self.headers(who, &message_id, issued),
            newsletter: &self.newsletter,
            confirm_url: &confirm_url,
            language,
            forget_after_days: self.pending_expiry_days,
        };
        let html = self.emails.as_deref().and_then(|dir| {
            mail.html(dir)
                .map_err(|error| {
                    tracing::error!(%error, "confirmation mail: template failed, sending text only");
                })
                .ok()
        });
        let raw = confirmation::build(&mail, html.as_deref())
            .map_err(|e| Error::Failed(format!("cannot build the confirmation mail: {e}")))?;
        let stem = format!("confirm-{}-{}", who.id, issued.as_second());
        self.deliver(who, raw, &stem, SystemMailKind::Confirmation, source)
            .await
    }

    /// Sends `who` their one-click unsubscribe link (the one every issue
    /// carries) in `language`, and records it.
    pub async fn send_unsubscribe_link(&self, who: &Recipient, language: &str) -> Result<()> {
        let issued = jiff::Timestamp::now();
        let salt = self.store.link_salt(who.id).await?;
        let url = links::with_lang(
            &format!(
                "{}/u/{}",
                self.base_url,
                self.tokens.unsubscribe_token(who.id, salt.salt())
            ),
            page_language(language),
        );
        let message_id = unsubscribe_link::unsubscribe_link_message_id(
            &self.tokens,
            who.id,
            issued.as_second(),
            self.from.address.domain(),
        );
        let mail = UnsubscribeLink {
            headers: self.headers(who, &message_id, issued),
            newsletter: &self.newsletter,
            unsubscribe_url: &url,
            language,
        };
        let html = self.emails.as_deref().and_then(|dir| {
            mail.html(dir)
                .map_err(|error| {
                    tracing::error!(%error, "unsubscribe-link mail: template failed, sending text only");
                })
                .ok()
        });
        let raw = unsubscribe_link::build(&mail, html.as_deref())
            .map_err(|e| Error::Failed(format!("cannot build the unsubscribe-link mail: {e}")))?;
        let stem = format!("unsubscribe-{}-{}", who.id, issued.as_second());
        self.deliver(
            who,
            raw,
            &stem,
            SystemMailKind::UnsubscribeLink,
            ChangeSource::Page,
        )
        .await
    }

    /// From, Reply-To, To, Message-ID and Date of a mail to `who`.
    fn headers<'a>(
        &'a self,
        who: &'a Recipient,
        message_id: &'a str,
        issued: jiff::Timestamp,
    ) -> SystemHeaders<'a> {
        SystemHeaders {
            from: &self.from,
            reply_to: &self.reply_to,
            to: &who.email,
            to_name: who.name.as_ref(),
            message_id,
            date: issued,
        }
    }

    /// Through the courier (signs, waits for the shared rate, sends), then
    /// records.
    async fn deliver(
        &self,
        who: &Recipient,
        raw: Vec<u8>,
        stem: &str,
        kind: SystemMailKind,
        source: ChangeSource,
    ) -> Result<()> {
        let envelope = self.courier.envelope(&who.email, None);
        let gate = self.limiter.until_ready();
        let accepted = self
            .courier
            .send(&raw, &envelope, stem, gate)
            .await
            .map_err(|e| match e {
                Undelivered::Unsigned(e) => {
                    Error::Failed(format!("cannot sign the {} mail: {e}", kind.as_str()))
                }
                Undelivered::Held(e) => e,
                Undelivered::Refused(e) => {
                    Error::Failed(format!("the {} mail was not sent: {e}", kind.as_str()))
                }
            })?;
        tracing::info!(
            subscriber = who.id,
            kind = kind.as_str(),
            reply = %accepted.reply,
            "mail sent"
        );
        self.store.record_system_mail(who.id, kind, source).await
    }
}

/// The page language a link in a mail written in `language` carries: the
/// mails are English for `en` and Dutch otherwise, and so are the pages.
fn page_language(language: &str) -> &'static str {
    if language == "en" { "en" } else { "nl" }
}
