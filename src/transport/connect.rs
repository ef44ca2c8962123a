//! Opening one ready-to-send SMTP session: TCP with `TCP_NODELAY` (see
//! the [transport docs](super)), the greeting, EHLO, TLS as configured
//! ([`super::tls`]), whether the server pipelines, AUTH when there are
//! credentials.

use std::io;
use std::time::Duration;

use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{authentication::Credentials, authentication::Mechanism};
use tokio::net::TcpStream;

use super::exchange::offers_pipelining;
use super::reply::{SendError, SendErrorKind, smtp_error};
use super::session::Session;
use super::tls::{ImplicitTls, Security};

/// Why a session with a password ends before AUTH when nothing
/// encrypts it; the password was not sent.
const PLAINTEXT_AUTH_REFUSED: &str = "the server offers no STARTTLS, so the password in \
    smtp.url would go unencrypted; nothing was sent. Use smtps://, or a server that offers \
    STARTTLS (and set smtp.starttls = \"required\"), or set smtp.allow_plaintext_auth = true \
    if the link to the server is trusted";

/// Everything needed to open one ready-to-send session. No `Debug`:
/// it holds the password.
pub(super) struct Connector {
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) security: Security,
    pub(super) credentials: Option<Credentials>,
    /// `smtp.allow_plaintext_auth`: AUTH on a connection that is not
    /// encrypted. Off: such a session fails before AUTH.
    pub(super) allow_plaintext_auth: bool,
    /// Per address the host name resolves to.
    pub(super) connect_timeout: Duration,
    /// The EHLO name: this machine's host name, as lettre's default.
    pub(super) hello: ClientId,
    /// `smtp://host:port`, for error messages.
    pub(super) endpoint: String,
}

impl Connector {
    /// Connects, reads the greeting, EHLO, STARTTLS (+ EHLO) as
    /// configured, AUTH when there are credentials. The caller's
    /// deadline covers all of it. A session that fails on the way is
    /// dropped, which closes its socket.
    pub(super) async fn connect(&self) -> Result<Session, SendError> {
        let tcp = self.open_socket().await?;
        let socket_error = |what: &str, e: io::Error| {
            SendError::new(
                SendErrorKind::Connection,
                format!("{}: {what}: {e}", self.endpoint),
            )
        };
        tcp.set_nodelay(true)
            .map_err(|e| socket_error("cannot set TCP_NODELAY", e))?;
        // A second handle on the same socket, to look for unexpected
        // bytes while the connection is idle (see `Session::is_quiet`).
        let std = tcp
            .into_std()
            .map_err(|e| socket_error("cannot take the socket", e))?;
        let watch = std
            .try_clone()
            .map_err(|e| socket_error("cannot duplicate the socket", e))?;
        let tcp =
            TcpStream::from_std(std).map_err(|e| socket_error("cannot register the socket", e))?;

        let lettre_error = |e: lettre::transport::smtp::Error| smtp_error(&self.endpoint, &e);
        let mut conn = match &self.security {
            Security::Wrapper(tls) => {
                let stream = ImplicitTls::handshake(tcp, tls.clone())
                    .await
                    .map_err(lettre_error)?;
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await
            }
            Security::Opportunistic(_) | Security::Required(_) => {
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await
            }
        }
        .map_err(lettre_error)?;
        let encrypted = match &self.security {
            Security::Opportunistic(tls) if conn.can_starttls() => {
                conn.starttls(tls.clone(), &self.hello)
                    .await
                    .map_err(lettre_error)?;
                true
            }
            // Fails with a client (`Local`) error when the server does
            // not offer STARTTLS, before anything else is sent.
            Security::Required(tls) => {
                conn.starttls(tls.clone(), &self.hello)
                    .await
                    .map_err(lettre_error)?;
                true
            }
            Security::Wrapper(_) => true,
            Security::Opportunistic(_) => false,
        };
        if self.credentials.is_some() && !encrypted && !self.allow_plaintext_auth {
            return Err(SendError::new(
                SendErrorKind::Local,
                format!("{}: {PLAINTEXT_AUTH_REFUSED}", self.endpoint),
            ));
        }
        let pipelining = offers_pipelining(&mut conn, &self.hello)
            .await
            .map_err(lettre_error)?;
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(lettre_error)?;
        }
        tracing::debug!(server = %self.endpoint, "SMTP connection opened");
        Ok(Session::new(conn, pipelining, watch))
    }

    /// A TCP connection to the first address of `host` that accepts
    /// one within `connect_timeout`, as lettre tries them.
    async fn open_socket(&self) -> Result<TcpStream, SendError> {
        let addresses = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(|e| {
                SendError::new(
                    SendErrorKind::Connection,
                    format!("{}: cannot resolve the host: {e}", self.endpoint),
                )
            })?;
        let mut failure = None;
        for address in addresses {
            match tokio::time::timeout(self.connect_timeout, TcpStream::connect(address)).await {
                Ok(Ok(tcp)) => return Ok(tcp),
                Ok(Err(e)) => {
                    failure = Some(SendError::new(
                        SendErrorKind::Connection,
                        format!("{}: cannot connect to {address}: {e}", self.endpoint),
                    ));
                }
                Err(_) => {
                    failure = Some(SendError::new(
                        SendErrorKind::Timeout,
                        format!(
                            "{}: no connection to {address} within {} s",
                            self.endpoint,
                            self.connect_timeout.as_secs()
                        ),
                    ));
                }
            }
        }
        Err(failure.unwrap_or_else(|| {
            SendError::new(
                SendErrorKind::Connection,
                format!("{}: the host name has no address", self.endpoint),
            )
        }))
    }
}
