//! An SMTP server, reached over our pool of reused connections
//! ([`super::pool`]): one whole send or probe under one deadline, the reply
//! turned into [`Accepted`] or a [`SendError`].

use std::fmt;
use std::time::Duration;

use lettre::address::{Address, Envelope as LettreEnvelope};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::TlsParameters;
use lettre::transport::smtp::extension::ClientId;

use super::connect::Connector;
use super::crlf::{to_crlf, without_final_crlf};
use super::pool::Pool;
use super::reply::{SendError, SendErrorKind, smtp_error};
use super::session::Session;
use super::smtp_url::SmtpUrl;
use super::tls::Security;
use super::{Accepted, Envelope};
use crate::config::{SmtpSettings, redact_secrets};
use crate::error::{Error, Result};

/// An SMTP server, reached over a pool of at most `smtp.pool_size`
/// connections ([`super::pool`]).
pub struct SmtpRelay {
    /// `smtp://host:port`: for logs and error messages, never a password.
    pub(super) endpoint: String,
    /// Limit for one whole send or probe; see [`SmtpRelay::deadline`].
    deadline: Duration,
    pool: Pool,
}

impl fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpRelay")
            .field("endpoint", &self.endpoint)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl SmtpRelay {
    pub(super) fn new(connector: Connector, pool_size: u32, deadline: Duration) -> SmtpRelay {
        SmtpRelay {
            endpoint: connector.endpoint.clone(),
            deadline,
            pool: Pool::new(connector, pool_size),
        }
    }

    /// The relay `smtp` describes, `url` being its `smtp.url`. Fails
    /// (naming the key) on a URL or TLS setting it cannot use; connects to
    /// nothing yet.
    pub(super) fn from_settings(s: &SmtpSettings, url: &str) -> Result<SmtpRelay> {
        let url = SmtpUrl::parse(url)
            .map_err(|e| Error::Config(format!("smtp.url: {}", redact_secrets(&e))))?;
        let tls_parameters = || {
            TlsParameters::new(url.host.clone()).map_err(|e| {
                Error::Config(format!("smtp.url: cannot set up TLS for {}: {e}", url.host))
            })
        };
        let security = if url.implicit_tls {
            Security::Wrapper(tls_parameters()?)
        } else {
            match s.starttls.trim() {
                "opportunistic" => Security::Opportunistic(tls_parameters()?),
                "required" => Security::Required(tls_parameters()?),
                other => {
                    return Err(Error::Config(format!(
                        "smtp.starttls: must be \"opportunistic\" or \"required\", not {other:?}"
                    )));
                }
            }
        };
        let endpoint = url.endpoint();
        let connector = Connector {
            host: url.host,
            port: url.port,
            security,
            credentials: url
                .credentials
                .map(|(user, password)| Credentials::new(user, password)),
            allow_plaintext_auth: s.allow_plaintext_auth,
            connect_timeout: Duration::from_secs(s.connect_timeout_secs.max(1)),
            hello: ClientId::default(),
            endpoint,
        };
        Ok(SmtpRelay::new(
            connector,
            s.pool_size,
            Duration::from_secs(s.command_timeout_secs.max(1)),
        ))
    }

    /// The time one send (or probe) may take from start to final reply,
    /// taken from `smtp.command_timeout_secs`.
    ///
    /// lettre's client has no timeouts of its own; we only limit the TCP
    /// connect (`smtp.connect_timeout_secs`, per address). So the whole
    /// exchange (connecting, TLS and AUTH if no idle connection is left,
    /// MAIL, RCPT, DATA, final reply) runs under this one deadline. A
    /// healthy server answers all of it in well under one command's
    /// allowance, and a timeout is retried anyway. Waiting for a free
    /// connection when `pool_size` are busy does not count: that is our own
    /// queue, not the server being slow.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    fn timeout_error(&self) -> SendError {
        SendError::new(
            SendErrorKind::Timeout,
            format!(
                "{}: no answer within {} s",
                self.endpoint,
                self.deadline.as_secs()
            ),
        )
    }

    pub(super) async fn send(
        &self,
        envelope: &Envelope,
        raw: &[u8],
    ) -> Result<Accepted, SendError> {
        let envelope = lettre_envelope(envelope)?;
        let raw = to_crlf(raw);
        let data = without_final_crlf(&raw);
        let _turn = self.pool.turn().await?;
        // A connection lives inside this future until it is handed back.
        // When the deadline cancels the future, the connection is dropped
        // (closed) with it: it may be mid-transaction, and the next message
        // on it would read the previous command's late reply.
        let exchange = async {
            let mut session = self.pool.checkout().await?;
            let sent = session.send(&envelope, data).await;
            self.pool.checkin(session);
            sent.map_err(|e| smtp_error(&self.endpoint, &e))
        };
        match tokio::time::timeout(self.deadline, exchange).await {
            Ok(Ok(response)) => {
                let code = u16::from(response.code());
                let text: Vec<&str> = response.message().collect();
                Ok(Accepted {
                    reply: format!("{code} {}", text.join(" ")).trim_end().to_owned(),
                })
            }
            Ok(Err(e)) => Err(e),
            Err(_) => {
                tracing::warn!(server = %self.endpoint, "SMTP send timed out; closing its connection");
                Err(self.timeout_error())
            }
        }
    }

    pub(super) async fn probe(&self) -> Result<(), SendError> {
        let _turn = self.pool.turn().await?;
        let check = async {
            loop {
                let mut session = self.pool.checkout().await?;
                if session.noop().await {
                    self.pool.checkin(session);
                    return Ok(());
                }
                // An idle connection the server gave up on; try the next
                // one, and in the end a new one, as lettre's pool did.
                if !session.reused() {
                    return Err(SendError::new(
                        SendErrorKind::Connection,
                        format!("{}: the server did not answer NOOP", self.endpoint),
                    ));
                }
            }
        };
        match tokio::time::timeout(self.deadline, check).await {
            Ok(result) => result,
            Err(_) => Err(self.timeout_error()),
        }
    }

    pub(super) async fn close(&self) {
        let idle = self.pool.take_idle();
        let quits = idle.into_iter().map(Session::quit);
        // QUIT to a stalled server could hang; dropping closes anyway.
        let _ = tokio::time::timeout(self.deadline, futures_util::future::join_all(quits)).await;
    }
}

pub(super) fn lettre_envelope(envelope: &Envelope) -> Result<LettreEnvelope, SendError> {
    let address = |s: &str| {
        s.trim().parse::<Address>().map_err(|e| {
            SendError::new(
                SendErrorKind::Local,
                format!("bad envelope address {s:?}: {e}"),
            )
        })
    };
    let from = match envelope.from.trim() {
        "" => None,
        from => Some(address(from)?),
    };
    LettreEnvelope::new(from, vec![address(&envelope.to)?])
        .map_err(|e| SendError::new(SendErrorKind::Local, format!("bad envelope: {e}")))
}
