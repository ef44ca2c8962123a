//! Where a finished message goes: an SMTP server, over a pool of reused
//! connections, or the outbox folder as one `.eml` file per message when no
//! server is configured. This module owns the SMTP session and the meaning
//! of its replies ([`SendError`]); what to do about a reply (retry, fail,
//! mark bounced, pause) is the dispatcher's business.
//!
//! The SMTP session itself is lettre's client
//! ([`AsyncSmtpConnection`](lettre::transport::smtp::client::AsyncSmtpConnection));
//! the pool around it is ours ([`pool`]), because lettre's own
//! `AsyncSmtpTransport` opens its sockets without `TCP_NODELAY` (fixed
//! upstream in lettre#1159, not in 0.11.23). Every message then ends with
//! a small write (`\r\n.\r\n`) that Nagle's algorithm holds back until the
//! server's delayed ACK, about 40 ms: some 22 messages/s per connection
//! however fast the server is.
//!
//! One concept a file:
//!
//! - `courier.rs`: [`Courier`], sign → wait for the turn → send, the one
//!   way every sender (the send loop, `issue test`, system mails) sends;
//! - `reply.rs`: [`SendError`], what a reply (or its absence) means;
//! - `relay.rs`: [`SmtpRelay`], one send or probe under one deadline;
//! - `pool.rs`: the idle connections and the turns;
//! - `session.rs`: one open session, and whether it is still good;
//! - `exchange.rs`: one mail transaction on a session, pipelined when the
//!   server offers it;
//! - `connect.rs`: opening one ready session (TCP, EHLO, TLS, AUTH);
//! - `tls.rs`: STARTTLS or TLS from the first byte (`smtps://`);
//! - `smtp_url.rs`: `smtp.url` taken apart;
//! - `outbox.rs`: the `.eml` folder when no server is configured;
//! - `crlf.rs`: line ends and dot-stuffing for the wire;
//! - `rate.rs`: [`rate::RateLimiter`], the send rate every sender shares;
//! - `system_mailer.rs`: [`system_mailer::SystemMailer`], mail to one person
//!   outside an issue (confirmations, unsubscribe links), recorded.

mod connect;
mod courier;
mod crlf;
mod exchange;
mod outbox;
mod pool;
pub mod rate;
mod relay;
mod reply;
mod session;
mod smtp_url;
pub mod system_mailer;
mod tls;

use std::path::PathBuf;

use crate::config::SmtpSettings;
use crate::error::Result;
use crate::private_file::FileAccess;
pub use courier::{Courier, Undelivered, at_once};
use crlf::to_crlf;
use outbox::{outbox_error, write_outbox};
pub use relay::SmtpRelay;
pub use reply::{SendError, SendErrorKind};

/// Where messages go: an SMTP server (pooled) or the outbox folder.
#[derive(Debug)]
pub enum Transport {
    /// An SMTP server; see [`SmtpRelay`]. Boxed: it is much larger than a
    /// path.
    Smtp(Box<SmtpRelay>),
    /// A folder that receives `{file_stem}.eml` per message, each made
    /// with the access given (`files.group`). Used by `quickstart` and
    /// whenever `smtp.url` is empty.
    Outbox(PathBuf, FileAccess),
}

/// The envelope of one message: bare addresses (`a@example.org`), no
/// display names. `from` may be empty for a null reverse path (`<>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub from: String,
    pub to: String,
}

/// The server (or the outbox) took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The final reply, e.g. `250 2.0.0 Ok: queued as 4Xk2`, or
    /// `outbox: PATH`. Stored with the delivery as proof.
    pub reply: String,
}

impl Transport {
    /// The transport `smtp` describes: the outbox folder when `smtp.url` is
    /// empty, else the SMTP server. Fails (naming the key) on a URL or TLS
    /// setting it cannot use; connects to nothing yet.
    pub fn from_settings(s: &SmtpSettings) -> Result<Transport> {
        let Some(url) = s.url.expose() else {
            return Ok(Transport::Outbox(
                s.outbox.clone(),
                FileAccess::owner_only(),
            ));
        };
        Ok(Transport::Smtp(Box::new(SmtpRelay::from_settings(s, url)?)))
    }

    /// Hands one message to the server (or writes it to the outbox).
    /// `raw` is the complete message; bare LF or CR line ends become CRLF,
    /// as SMTP requires. `file_stem` names the outbox file and must be a
    /// plain file name (no `/`, no leading dot); the SMTP path ignores it.
    pub async fn send(
        &self,
        envelope: &Envelope,
        raw: &[u8],
        file_stem: &str,
    ) -> Result<Accepted, SendError> {
        match self {
            Transport::Smtp(relay) => relay.send(envelope, raw).await,
            Transport::Outbox(dir, access) => {
                let path = write_outbox(dir, access, file_stem, &to_crlf(raw)).await?;
                Ok(Accepted {
                    reply: format!("outbox: {}", path.display()),
                })
            }
        }
    }

    /// Checks the way out works without sending anything: connects (or
    /// reuses an idle connection) and sends NOOP; for the outbox, creates
    /// the folder. For a circuit breaker deciding whether to resume.
    pub async fn probe(&self) -> Result<(), SendError> {
        match self {
            Transport::Smtp(relay) => relay.probe().await,
            Transport::Outbox(dir, access) => access
                .create_dir_all(dir)
                .map_err(|e| outbox_error(dir, &e)),
        }
    }

    /// This transport with outbox files made with `access` (0600, or 0640
    /// for `files.group`); an SMTP transport is unchanged.
    pub fn with_file_access(self, access: &FileAccess) -> Transport {
        match self {
            Transport::Outbox(dir, _) => Transport::Outbox(dir, access.clone()),
            smtp @ Transport::Smtp(_) => smtp,
        }
    }

    /// Says QUIT on idle connections and closes them. Optional (dropping
    /// the transport closes connections too, just less politely); a later
    /// send opens new ones.
    pub async fn close(&self) {
        if let Transport::Smtp(relay) = self {
            relay.close().await;
        }
    }

    /// `smtp://host:port` (never the user or password) or
    /// `outbox folder PATH`, for logs and status output.
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(relay) => relay.endpoint.clone(),
            Transport::Outbox(dir, _) => format!("outbox folder {}", dir.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> SmtpSettings {
        SmtpSettings {
            url: crate::config::SmtpUrl::parse(url).expect("valid smtp url"),
            ..Default::default()
        }
    }

    #[test]
    fn describe_never_shows_the_password() {
        let t = Transport::from_settings(&settings("smtps://u:hunter2@mail.example.org"))
            .expect("valid");
        assert_eq!(t.describe(), "smtps://mail.example.org:465");
        assert!(!format!("{t:?}").contains("hunter2"));
        let t = Transport::from_settings(&SmtpSettings::default()).expect("valid");
        assert_eq!(t.describe(), "outbox folder outbox");
    }

    #[test]
    fn an_unknown_starttls_mode_names_the_key() {
        let mut s = settings("smtp://mail.example.org");
        s.starttls = "sometimes".into();
        let err = Transport::from_settings(&s).expect_err("bad mode");
        assert!(err.to_string().contains("smtp.starttls"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }
}
