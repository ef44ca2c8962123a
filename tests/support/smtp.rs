//! A real SMTP server for integration tests: mailin-embedded listening on
//! 127.0.0.1 at a port the OS picks, in this process, recording every
//! message it accepts. A policy decides the reply to each RCPT TO, so a
//! test can play a server that defers (451 4.7.1), does not know the user
//! (550 5.1.1) or refuses the content (554 5.7.1).
//!
//! mailin-embedded serves forever: `Server::serve` has no way to stop. So
//! dropping a [`TestSmtp`] only makes it answer every new session with
//! `421` (so nothing more is recorded); its listening thread ends with the
//! test process. No TLS (the crate's TLS needs certificate files), so the
//! client must not require STARTTLS.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mailin_embedded::{Handler, Response, Server};

/// The server's answer to one RCPT TO: a code and the text after it,
/// e.g. `Reply::new(550, "5.1.1 no such user")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: String,
}

impl Reply {
    pub fn new(code: u16, text: impl Into<String>) -> Reply {
        Reply {
            code,
            text: text.into(),
        }
    }

    /// `250 2.1.5 OK`.
    pub fn ok() -> Reply {
        Reply::new(250, "2.1.5 OK")
    }
}

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// MAIL FROM, without angle brackets.
    pub from: String,
    /// Every accepted RCPT TO, in order.
    pub to: Vec<String>,
    /// The DATA as the client meant it: dot-stuffing undone, the final
    /// `.` line removed, line ends as sent (CRLF).
    pub data: Vec<u8>,
    pub at: Instant,
}

type Policy = dyn Fn(&str) -> Reply + Send + Sync;

struct Shared {
    policy: Box<Policy>,
    messages: Mutex<Vec<Received>>,
    arrived: Condvar,
    connections: AtomicUsize,
    stopped: AtomicBool,
    /// Off for big sends: tens of thousands of 50 KB bodies add up.
    keep_bodies: AtomicBool,
}

/// A running test server; see the module docs.
pub struct TestSmtp {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl TestSmtp {
    /// A server that accepts everything.
    pub fn start() -> TestSmtp {
        Self::start_with(|_| Reply::ok())
    }

    /// A server that answers each RCPT TO with `policy(recipient)`.
    pub fn start_with(policy: impl Fn(&str) -> Reply + Send + Sync + 'static) -> TestSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            policy: Box::new(policy),
            messages: Mutex::new(Vec::new()),
            arrived: Condvar::new(),
            connections: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
            keep_bodies: AtomicBool::new(true),
        });
        let handler = Session::new(Arc::clone(&shared));
        std::thread::Builder::new()
            .name(format!("test-smtp-{}", addr.port()))
            .spawn(move || {
                let mut server = Server::new(handler);
                server
                    .with_name("test-smtp.localhost")
                    // One thread per open connection; more than any pool
                    // a test uses.
                    .with_num_threads(16)
                    .with_tcp_listener(listener);
                // Only returns on a setup error; the test then fails on
                // its first connection.
                let _ = server.serve();
            })
            .expect("start the SMTP server thread");
        TestSmtp { addr, shared }
    }

    /// Keeps sender, recipients and time of each message, not its body.
    pub fn without_bodies(self) -> TestSmtp {
        self.shared.keep_bodies.store(false, Ordering::SeqCst);
        self
    }

    /// `smtp://127.0.0.1:PORT`, for `smtp.url`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Everything accepted so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        lock(&self.shared.messages).clone()
    }

    /// Waits until at least `n` messages have arrived or `timeout` has
    /// passed, and returns what has arrived.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        let mut messages = lock(&self.shared.messages);
        while messages.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            messages = self
                .shared
                .arrived
                .wait_timeout(messages, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        messages.clone()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for TestSmtp {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// mailin's handler for one connection.
struct Session {
    shared: Arc<Shared>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Session {
    fn new(shared: Arc<Shared>) -> Session {
        Session {
            shared,
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        }
    }
}

/// mailin-embedded clones the handler exactly once per accepted TCP
/// connection (and nowhere else), which makes this the one place that
/// sees every connection, including ones that never say EHLO.
impl Clone for Session {
    fn clone(&self) -> Session {
        self.shared.connections.fetch_add(1, Ordering::SeqCst);
        Session::new(Arc::clone(&self.shared))
    }
}

impl Handler for Session {
    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        if self.shared.stopped.load(Ordering::SeqCst) {
            Response::custom(421, "4.3.2 test server stopped".into())
        } else {
            mailin_embedded::response::OK
        }
    }

    fn rcpt(&mut self, to: &str) -> Response {
        let reply = (self.shared.policy)(to);
        Response::custom(reply.code, reply.text)
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from.to_owned();
        self.to = to.to_vec();
        self.data.clear();
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let received = Received {
            from: std::mem::take(&mut self.from),
            to: std::mem::take(&mut self.to),
            data: if self.shared.keep_bodies.load(Ordering::SeqCst) {
                std::mem::take(&mut self.data)
            } else {
                self.data.clear();
                Vec::new()
            },
            at: Instant::now(),
        };
        let n = {
            let mut messages = lock(&self.shared.messages);
            messages.push(received);
            messages.len()
        };
        self.shared.arrived.notify_all();
        Response::custom(250, format!("2.0.0 Ok: queued as T{n}"))
    }
}
