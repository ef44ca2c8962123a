//! How a session is encrypted: [`Security`] (what `smtp.url` and
//! `smtp.starttls` ask for) and [`ImplicitTls`], the `smtps://` stream.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

#[allow(deprecated)] // see `ImplicitTls`
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::{AsyncTokioStream, TlsParameters};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// How `smtp.url` and `smtp.starttls` say to encrypt.
pub(super) enum Security {
    /// `smtps://`: TLS from the first byte.
    Wrapper(TlsParameters),
    /// STARTTLS when the server offers it, plain text otherwise.
    Opportunistic(TlsParameters),
    /// STARTTLS or no session (a `Local` error).
    Required(TlsParameters),
}

/// An `smtps://` stream, TLS from the first byte, that lettre can take
/// as a plain one.
///
/// lettre's only public way to start a session on a socket we opened
/// (with `TCP_NODELAY`) is `connect_with_transport`, which reads the
/// greeting right away, so there is no moment to start TLS in between.
/// Its own `connect_tokio1(.., Some(tls), ..)` opens the socket itself
/// (without `TCP_NODELAY`). So we let lettre's stream type do the
/// handshake on our socket (`use_existing_tokio1` + `upgrade_tls`:
/// public, but `AsyncNetworkStream` is deprecated as "not meant to be
/// public"; revisit with lettre 0.12 or once lettre#1159 is released)
/// and hand the encrypted stream back through `connect_with_transport`
/// behind this adapter from the futures I/O traits to tokio's.
/// lettre then sees a plain stream: `is_encrypted()` is false and
/// `can_starttls()` may be true, which only matters for STARTTLS, not
/// used with `smtps://`.
/// (`futures_util::io`, which the adapter needs, is there because
/// lettre enables futures-util's `io` feature.)
#[allow(deprecated)]
#[derive(Debug)]
pub(super) struct ImplicitTls(AsyncNetworkStream);

impl ImplicitTls {
    #[allow(deprecated)]
    pub(super) async fn handshake(
        tcp: TcpStream,
        tls: TlsParameters,
    ) -> Result<ImplicitTls, lettre::transport::smtp::Error> {
        let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
        stream.upgrade_tls(tls).await?;
        Ok(ImplicitTls(stream))
    }
}

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.0.peer_addr()
    }
}

impl AsyncRead for ImplicitTls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = ready!(futures_util::io::AsyncRead::poll_read(
            Pin::new(&mut self.0),
            cx,
            buf.initialize_unfilled()
        ))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        futures_util::io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_util::io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_util::io::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

/// The tests' one way to find outside programs and to skip (or, under
/// POSTBODE_REQUIRE_ALL_TESTS=1, fail) without them.
#[cfg(test)]
#[path = "../../tests/support/outside.rs"]
mod outside;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::extension::ClientId;

    use super::*;
    use crate::transport::Envelope;
    use crate::transport::connect::Connector;
    use crate::transport::relay::SmtpRelay;

    /// An SMTP server for the TLS paths, which the in-process test server
    /// lacks: Python's `ssl` module, playing STARTTLS (`starttls`) or
    /// TLS from the first byte (`smtps`). It offers AUTH only once
    /// encrypted, takes `user`/`secret`, and reports the connection,
    /// message and TLS version in the final reply.
    const TLS_SERVER_PY: &str = r#"
import base64, socket, ssl, sys, threading
mode, cert, key = sys.argv[1:]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)

class Lines:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""
    def next(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return b""
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"

def session(sock, n):
    if mode == "smtps":
        sock = ctx.wrap_socket(sock, server_side=True)
    say = lambda text: sock.sendall(text.encode() + b"\r\n")
    lines, queued = Lines(sock), 0
    say("220 tls.example ESMTP")
    while True:
        words = lines.next().decode().split()
        if not words:
            return
        verb, tls = words[0].upper(), isinstance(sock, ssl.SSLSocket)
        if verb == "EHLO":
            say("250-tls.example")
            say("250-8BITMIME")
            say("250 AUTH PLAIN LOGIN" if tls else "250 STARTTLS")
        elif verb == "STARTTLS" and not tls:
            say("220 2.0.0 ready")
            sock = ctx.wrap_socket(sock, server_side=True)
            lines = Lines(sock)
        elif verb == "AUTH":
            ok = tls and words[1:] == ["PLAIN", base64.b64encode(b"\0user\0secret").decode()]
            say("235 2.7.0 ok" if ok else "535 5.7.8 bad credentials")
        elif verb == "DATA":
            say("354 go ahead")
            while lines.next() not in (b".\r\n", b""):
                pass
            queued += 1
            say(f"250 2.0.0 queued as {n}.{queued} over {sock.version() if tls else 'plain text'}")
        elif verb == "QUIT":
            say("221 2.0.0 bye")
            return
        else:
            say("250 2.0.0 ok")

def guarded(sock, n):
    try:
        session(sock, n)
    except Exception:
        pass

n = 0
while True:
    sock, _ = server.accept()
    n += 1
    threading.Thread(target=guarded, args=(sock, n), daemon=True).start()
"#;

    /// One of the [`Security`] variants.
    type MakeSecurity = fn(TlsParameters) -> Security;

    /// A running [`TLS_SERVER_PY`] with a throwaway self-signed certificate.
    struct TlsTestServer {
        child: std::process::Child,
        port: u16,
        _dir: tempfile::TempDir,
    }

    impl TlsTestServer {
        /// `None` (the test is skipped) without `openssl` or `python3`;
        /// a failure instead when POSTBODE_REQUIRE_ALL_TESTS=1.
        fn start(mode: &str) -> Option<TlsTestServer> {
            use std::io::BufRead;
            use std::process::{Command, Stdio};
            let openssl = outside::program("openssl", "Debian package openssl")?;
            let python = outside::python_with(&["ssl"], "Debian package python3")?;
            let dir = tempfile::tempdir().expect("temp dir");
            let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
            let made = Command::new(openssl)
                .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
                .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
                .args([
                    "-subj",
                    "/CN=localhost",
                    "-addext",
                    "subjectAltName=DNS:localhost",
                ])
                .arg("-keyout")
                .arg(&key)
                .arg("-out")
                .arg(&cert)
                .output()
                .expect("run openssl");
            assert!(
                made.status.success(),
                "openssl made no certificate: {}",
                String::from_utf8_lossy(&made.stderr)
            );
            let mut child = Command::new(python)
                .arg("-c")
                .arg(TLS_SERVER_PY)
                .arg(mode)
                .arg(&cert)
                .arg(&key)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .spawn()
                .expect("run python3");
            let mut line = String::new();
            let stdout = child.stdout.take().expect("piped stdout");
            std::io::BufReader::new(stdout)
                .read_line(&mut line)
                .expect("read the port");
            let port = match line.trim().parse() {
                Ok(port) => port,
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("the TLS test server did not start: {line:?}");
                }
            };
            Some(TlsTestServer {
                child,
                port,
                _dir: dir,
            })
        }

        /// A relay to this server, accepting its self-signed certificate.
        fn relay(&self, security: fn(TlsParameters) -> Security, password: &str) -> SmtpRelay {
            let tls = TlsParameters::builder("localhost".into())
                .dangerous_accept_invalid_certs(true)
                .build()
                .expect("TLS parameters");
            let connector = Connector {
                host: "127.0.0.1".into(),
                port: self.port,
                security: security(tls),
                credentials: Some(Credentials::new("user".into(), password.into())),
                allow_plaintext_auth: false,
                connect_timeout: Duration::from_secs(5),
                hello: ClientId::default(),
                endpoint: format!("smtp://127.0.0.1:{}", self.port),
            };
            SmtpRelay::new(connector, 2, Duration::from_secs(10))
        }
    }

    impl Drop for TlsTestServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    #[tokio::test]
    async fn starttls_and_smtps_encrypt_log_in_and_reuse_their_connection() {
        let cases: [(&str, MakeSecurity); 3] = [
            ("starttls", Security::Opportunistic),
            ("starttls", Security::Required),
            ("smtps", Security::Wrapper),
        ];
        let env = Envelope {
            from: "a@example.org".into(),
            to: "b@example.org".into(),
        };
        for (mode, security) in cases {
            let Some(server) = TlsTestServer::start(mode) else {
                return;
            };
            let relay = server.relay(security, "secret");
            for n in 1..=3 {
                let accepted = relay
                    .send(&env, "Subject: tls\r\n\r\nhallo, één\r\n".as_bytes())
                    .await
                    .unwrap_or_else(|e| panic!("{mode}: {e}"));
                assert!(
                    accepted
                        .reply
                        .starts_with(&format!("250 2.0.0 queued as 1.{n} over TLSv1.")),
                    "{mode}: {}",
                    accepted.reply
                );
            }
            relay.probe().await.expect("NOOP over TLS");
            relay.close().await;

            let refused = server.relay(security, "wrong");
            let err = refused
                .send(&env, b"x\r\n")
                .await
                .expect_err("bad password");
            assert_eq!(err.code, Some(535), "{mode}: {err:?}");
            assert!(err.affects_every_recipient());
        }
    }
}
