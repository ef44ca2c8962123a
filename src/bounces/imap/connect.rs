//! Reaching the IMAP server and logging in, never over cleartext:
//! `imaps://` speaks TLS from the first byte; `imap://` sends STARTTLS
//! first and gives up when the server refuses it. The server's certificate
//! must chain to a web PKI root (webpki-roots) or to a root in
//! `bounces.imap_ca_file`.
//!
//! Errors come back as text for the caller to redact and wrap: they name
//! the step that failed, never the password.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_imap::imap_proto::{Response, Status};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::config::{ImapSecurity, ImapUrl};

/// A logged-in session.
pub type Session = async_imap::Session<TlsStream<TcpStream>>;

/// How long reaching the server, TLS and the login may take together.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The TLS settings: the web PKI roots, plus every certificate in
/// `ca_file` (PEM) when one is given. An unreadable file, or one without
/// a certificate, is an error naming it.
pub fn tls_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = ca_file {
        let shown = path.display();
        let pem = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| format!("{shown}: not a PEM certificate: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("{shown}: not a usable CA certificate: {e}"))?;
            added += 1;
        }
        if added == 0 {
            return Err(format!("{shown}: holds no PEM certificate"));
        }
    }
    let config = ClientConfig::builder_with_provider(crate::crypto::tls_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Connects, makes the connection private, and logs in.
pub async fn login(url: &ImapUrl, tls: Arc<ClientConfig>) -> Result<Session, String> {
    let client = tokio::time::timeout(CONNECT_TIMEOUT, secure(url, tls))
        .await
        .map_err(|_| format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))??;
    let login = tokio::time::timeout(CONNECT_TIMEOUT, client.login(&url.user, url.password()));
    match login.await {
        Err(_) => Err(format!(
            "the login got no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        )),
        Ok(Err((e, _client))) => Err(format!(
            "the server refused the login of user {:?}: {e}",
            url.user
        )),
        Ok(Ok(session)) => Ok(session),
    }
}

/// A client on a TLS connection that has greeted us, ready for LOGIN.
async fn secure(
    url: &ImapUrl,
    tls: Arc<ClientConfig>,
) -> Result<async_imap::Client<TlsStream<TcpStream>>, String> {
    let where_ = format!("{}:{}", url.host, url.port);
    let tcp = TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| format!("cannot connect to {where_}: {e}"))?;
    let name = ServerName::try_from(url.host.clone())
        .map_err(|e| format!("{} is not a usable TLS server name: {e}", url.host))?;
    let connector = TlsConnector::from(tls);
    match url.security {
        ImapSecurity::Implicit => {
            let stream = connector
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS with {where_} failed: {e}"))?;
            let mut client = async_imap::Client::new(stream);
            greeting(&mut client).await?;
            Ok(client)
        }
        ImapSecurity::StartTls => {
            let mut plain = async_imap::Client::new(tcp);
            greeting(&mut plain).await?;
            plain
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| {
                    format!(
                        "{where_} refused STARTTLS ({e}); postbode never logs in over \
                         cleartext: use imaps:// or a server that offers STARTTLS"
                    )
                })?;
            // Anything the server sent after its OK is dropped with the
            // plain client: only what comes over TLS counts.
            let stream = connector
                .connect(name, plain.into_inner())
                .await
                .map_err(|e| format!("TLS with {where_} after STARTTLS failed: {e}"))?;
            Ok(async_imap::Client::new(stream))
        }
    }
}

/// Reads the server's greeting; a BYE (or none) is an error.
async fn greeting<T>(client: &mut async_imap::Client<T>) -> Result<(), String>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let response = client
        .read_response()
        .await
        .map_err(|e| format!("no greeting from the server: {e}"))?
        .ok_or("the server closed the connection before its greeting")?;
    match response.parsed() {
        Response::Data {
            status: Status::Bye,
            information,
            ..
        } => Err(format!(
            "the server said goodbye at once: {}",
            information.as_deref().unwrap_or("")
        )),
        _ => Ok(()),
    }
}
