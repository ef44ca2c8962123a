//! Our SMTP connection pool, on lettre's public client API.
//!
//! * At most `pool_size` connections are open at once: a send takes a
//!   *turn* (a semaphore permit) before it takes a connection, and only
//!   opens a new one when no idle one is left, so busy plus idle never
//!   exceeds the number of turns. With `sending.concurrency` above
//!   `pool_size` the surplus sends wait for a turn; keep `pool_size` at
//!   least `sending.concurrency`.
//! * A connection goes back to the idle list only when lettre has not
//!   marked it broken. A send ([`super::exchange`]) marks it broken (after
//!   a polite QUIT) when any command fails, a refused recipient included,
//!   so after any negative reply the next message gets a new connection;
//!   the only errors that leave it usable are lettre's checks before MAIL
//!   (a message needing 8BITMIME or SMTPUTF8 the server lacks), where
//!   nothing was sent. A cancelled (timed-out) send drops its connection.
//! * Sockets get `TCP_NODELAY`; see the module docs for why.
//! * An idle connection is reused only if it was parked less than
//!   [`MAX_IDLE`](super::session::MAX_IDLE) ago and nothing has arrived on it since: a server that
//!   hung up (EOF) or said `421` while we were not listening is noticed
//!   without a round trip. lettre sent NOOP before every reuse instead,
//!   one more round trip per message; [`super::relay::SmtpRelay`]'s probe still
//!   does.
//! * Nothing runs in the background: idle connections are closed when
//!   found stale, by [`super::Transport::close`], or when the transport is
//!   dropped.

use std::sync::{Mutex, PoisonError};

use tokio::sync::{Semaphore, SemaphorePermit};

use super::connect::Connector;
use super::reply::{SendError, SendErrorKind};
use super::session::Session;

/// The idle connections and the turns; see the module docs.
pub(super) struct Pool {
    connector: Connector,
    idle: Mutex<Vec<Session>>,
    turns: Semaphore,
    size: usize,
}

impl Pool {
    pub(super) fn new(connector: Connector, size: u32) -> Pool {
        let size = usize::try_from(size.max(1)).unwrap_or(1);
        Pool {
            connector,
            idle: Mutex::new(Vec::with_capacity(size)),
            turns: Semaphore::new(size),
            size,
        }
    }

    /// Waits until fewer than `pool_size` sends are using connections.
    /// Hold the permit until the connection is back (or dropped).
    pub(super) async fn turn(&self) -> Result<SemaphorePermit<'_>, SendError> {
        // The semaphore is never closed, so this does not fail.
        self.turns.acquire().await.map_err(|e| {
            SendError::new(
                SendErrorKind::Local,
                format!("{}: {e}", self.connector.endpoint),
            )
        })
    }

    /// The most recently parked idle connection that is still good, or
    /// a new one. Stale ones met on the way are closed without QUIT:
    /// their server has hung up, or will soon.
    pub(super) async fn checkout(&self) -> Result<Session, SendError> {
        while let Some(session) = self.pop_idle() {
            if session.is_reusable() {
                return Ok(session);
            }
            tracing::debug!(
                server = %self.connector.endpoint,
                "closing a stale idle SMTP connection"
            );
        }
        self.connector.connect().await
    }

    /// Parks `session` for the next send, unless lettre marked it
    /// broken (then it is dropped; lettre has closed it).
    pub(super) fn checkin(&self, mut session: Session) {
        if session.is_broken() {
            return;
        }
        session.park();
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        // Cannot be full while the caller holds a turn; drop if so.
        if idle.len() < self.size {
            idle.push(session);
        }
    }

    /// Empties the idle list, for [`super::Transport::close`].
    pub(super) fn take_idle(&self) -> Vec<Session> {
        std::mem::take(&mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn pop_idle(&self) -> Option<Session> {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }
}
