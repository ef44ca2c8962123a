//! One open SMTP session: lettre's connection, whether the server
//! pipelines, and a second handle on its socket to notice, without a
//! round trip, a server that hung up while the session sat idle. Opened by
//! [`super::connect`], kept by [`super::pool`].

use std::io;
use std::net::TcpStream as StdTcpStream;
use std::time::{Duration, Instant};

use lettre::address::Envelope as LettreEnvelope;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::response::Response;

use super::exchange;

/// An idle connection older than this is closed instead of reused
/// (lettre's default idle timeout); servers drop idle sessions after
/// a few minutes (RFC 5321 suggests 5), often without a word.
pub(super) const MAX_IDLE: Duration = Duration::from_secs(60);

/// One open SMTP session, ready for MAIL.
pub(super) struct Session {
    conn: AsyncSmtpConnection,
    /// The server offers PIPELINING: a send writes MAIL, RCPT and DATA at
    /// once ([`super::exchange`]).
    pipelining: bool,
    /// The same socket as `conn`'s (a duplicated descriptor), only
    /// ever peeked at.
    watch: StdTcpStream,
    /// When it was last handed back; `None` while it has not been
    /// used yet.
    parked: Option<Instant>,
}

impl Session {
    /// A session fresh from [`Connector::connect`]; `watch` is a second
    /// handle on its socket.
    pub(super) fn new(conn: AsyncSmtpConnection, pipelining: bool, watch: StdTcpStream) -> Session {
        Session {
            conn,
            pipelining,
            watch,
            parked: None,
        }
    }

    pub(super) async fn send(
        &mut self,
        envelope: &LettreEnvelope,
        data: &[u8],
    ) -> Result<Response, lettre::transport::smtp::Error> {
        exchange::transact(&mut self.conn, self.pipelining, envelope, data).await
    }

    /// NOOP answered positively.
    pub(super) async fn noop(&mut self) -> bool {
        self.conn.test_connected().await
    }

    /// Came from the idle list rather than a fresh connect.
    pub(super) fn reused(&self) -> bool {
        self.parked.is_some()
    }

    /// QUIT, then close (with TLS: close_notify first).
    pub(super) async fn quit(mut self) {
        self.conn.abort().await;
    }

    /// Nothing has arrived since the last reply. An idle SMTP client
    /// connection never receives anything, so readable bytes mean the
    /// server hung up (EOF), reset it, or talked without being asked
    /// (`421` before closing, a TLS alert): not reusable. Peeking does
    /// not consume, and the connection is dropped in every case but
    /// "would block".
    fn is_quiet(&self) -> bool {
        matches!(
            self.watch.peek(&mut [0_u8; 1]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock
        )
    }

    /// lettre marked it broken: a command failed, and it said QUIT.
    pub(super) fn is_broken(&self) -> bool {
        self.conn.has_broken()
    }

    /// Handed back to the idle list now.
    pub(super) fn park(&mut self) {
        self.parked = Some(Instant::now());
    }

    pub(super) fn is_reusable(&self) -> bool {
        self.parked.is_none_or(|at| at.elapsed() < MAX_IDLE) && self.is_quiet()
    }
}
