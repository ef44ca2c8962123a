//! Fault injection for the SMTP path: [`FlakyProxy`], a TCP proxy on
//! 127.0.0.1 in front of a server (usually [`super::smtp::TestSmtp`]) that
//! a test can take down or stall at any moment.
//!
//! - **up** (the start): bytes are forwarded both ways, unchanged.
//! - **down** ([`FlakyProxy::set_down`]`(true)`): every proxied connection
//!   is cut at once (both sockets shut down, so the client reads EOF), and
//!   new connections are accepted and closed without a byte. The client
//!   sees a dropped connection. `set_down(false)` brings it back up.
//! - **stalled** ([`FlakyProxy::stall`]`(true)`): new connections are
//!   accepted and held open in silence (no greeting), and proxied
//!   connections stop forwarding in both directions (what was read is held
//!   back). The client times out. `stall(false)` closes the silent
//!   connections and lets the proxied ones carry on.
//!   Down wins over stalled.
//!
//! Plain std threads: one accepting (non-blocking, polling every few
//! milliseconds so it notices the drop), two per proxied connection (each
//! reading with a short timeout, so they notice too). Dropping the proxy
//! stops accepting (the port is closed when `drop` returns) and closes
//! every connection it holds; the copy threads end within
//! [`POLL`].

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often idle threads look at the flags.
const POLL: Duration = Duration::from_millis(20);

/// How long the proxy tries to reach the upstream server for one
/// connection before giving up (and closing the client's side).
const UPSTREAM_CONNECT: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Shared {
    down: AtomicBool,
    stalled: AtomicBool,
    stopped: AtomicBool,
    connections: AtomicUsize,
    next_id: AtomicU64,
    /// Proxied connections: (client side, upstream side), by id. Clones of
    /// the sockets the copy threads use, so they can be cut from here.
    live: Mutex<HashMap<u64, (TcpStream, TcpStream)>>,
    /// Connections accepted while stalled, held open without a word.
    silent: Mutex<Vec<TcpStream>>,
}

impl Shared {
    fn cut_live(&self) {
        for (_, (client, upstream)) in lock(&self.live).drain() {
            let _ = client.shutdown(Shutdown::Both);
            let _ = upstream.shutdown(Shutdown::Both);
        }
    }

    fn close_silent(&self) {
        for stream in lock(&self.silent).drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// The proxy should not forward right now (and should not wait any
    /// longer when it is down or dropped).
    fn holding(&self) -> bool {
        self.stalled.load(Ordering::SeqCst)
            && !self.down.load(Ordering::SeqCst)
            && !self.stopped.load(Ordering::SeqCst)
    }
}

/// A misbehaving TCP proxy; see the [module docs](self).
pub struct FlakyProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FlakyProxy {
    /// Listens on 127.0.0.1 at a port the OS picks, forwarding to
    /// `upstream`. Starts up (not down, not stalled).
    pub fn start(upstream: SocketAddr) -> FlakyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let addr = listener.local_addr().expect("local address");
        listener
            .set_nonblocking(true)
            .expect("make the listener non-blocking");
        let shared = Arc::new(Shared::default());
        let acceptor = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("flaky-proxy-{}", addr.port()))
                .spawn(move || accept_loop(&listener, upstream, &shared))
                .expect("start the proxy thread")
        };
        FlakyProxy {
            addr,
            upstream,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// Where the proxy listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where it forwards to.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// `smtp://127.0.0.1:PORT`, for `smtp.url`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Down: cuts every proxied connection now and drops new ones without a
    /// byte. Up again: forwards new connections (the cut ones stay cut).
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
        if down {
            self.shared.cut_live();
            self.shared.close_silent();
        }
    }

    /// On: new connections are held open in silence and proxied ones stop
    /// forwarding. Off: the silent connections are closed, the proxied ones
    /// forward what they held back and carry on.
    pub fn stall(&self, on: bool) {
        self.shared.stalled.store(on, Ordering::SeqCst);
        if !on {
            self.shared.close_silent();
        }
    }

    /// TCP connections accepted so far, in every state (forwarded, dropped
    /// while down, held while stalled).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Connections being forwarded right now.
    pub fn open_connections(&self) -> usize {
        lock(&self.shared.live).len()
    }
}

impl Drop for FlakyProxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            // Ends within one POLL; the listener is closed with it.
            let _ = acceptor.join();
        }
        self.shared.cut_live();
        self.shared.close_silent();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept_loop(listener: &TcpListener, upstream: SocketAddr, shared: &Arc<Shared>) {
    while !shared.stopped.load(Ordering::SeqCst) {
        let client = match listener.accept() {
            Ok((client, _)) => client,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(POLL);
                continue;
            }
            // EMFILE, ECONNABORTED and the like: try again shortly.
            Err(_) => {
                std::thread::sleep(POLL);
                continue;
            }
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        if shared.stopped.load(Ordering::SeqCst) || shared.down.load(Ordering::SeqCst) {
            // Closed without a byte.
            drop(client);
            continue;
        }
        if shared.stalled.load(Ordering::SeqCst) {
            lock(&shared.silent).push(client);
            continue;
        }
        // Connecting upstream (and the rest) on the connection's own
        // thread keeps a slow upstream from holding up the accepting.
        let shared = Arc::clone(shared);
        let _ = std::thread::Builder::new()
            .name("flaky-proxy-conn".into())
            .spawn(move || proxy(client, upstream, &shared));
    }
}

/// Forwards one connection until either side closes or the proxy cuts it.
fn proxy(client: TcpStream, upstream: SocketAddr, shared: &Arc<Shared>) {
    let Ok(server) = TcpStream::connect_timeout(&upstream, UPSTREAM_CONNECT) else {
        // Nobody upstream: the client sees a dropped connection.
        return;
    };
    let setup = || -> io::Result<[TcpStream; 4]> {
        // Accepted sockets may inherit the listener's non-blocking mode on
        // some platforms; the copy threads want blocking reads with a
        // timeout.
        client.set_nonblocking(false)?;
        for s in [&client, &server] {
            // Without it, Nagle's algorithm would add ~40 ms to every
            // small write the proxy passes on.
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(POLL))?;
        }
        Ok([
            client.try_clone()?,
            server.try_clone()?,
            client.try_clone()?,
            server.try_clone()?,
        ])
    };
    let Ok([client_reg, server_reg, client_out, server_out]) = setup() else {
        return;
    };
    let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
    {
        let mut live = lock(&shared.live);
        // Went down (or was dropped) since the accept: do not start.
        if shared.down.load(Ordering::SeqCst) || shared.stopped.load(Ordering::SeqCst) {
            return;
        }
        live.insert(id, (client_reg, server_reg));
    }
    let upward = {
        let shared = Arc::clone(shared);
        std::thread::Builder::new()
            .name("flaky-proxy-up".into())
            .spawn(move || pump(client, server_out, &shared))
    };
    // This thread carries the other direction.
    pump(server, client_out, shared);
    if let Ok(upward) = upward {
        let _ = upward.join();
    }
    lock(&shared.live).remove(&id);
}

/// Copies `from` to `to` until EOF, an error, or the proxy going down or
/// being dropped. On EOF the other side gets EOF too (a half close, as
/// TCP would pass it on); on anything else both sockets are shut down.
fn pump(mut from: TcpStream, mut to: TcpStream, shared: &Shared) {
    let mut buf = vec![0_u8; 64 * 1024];
    loop {
        if shared.stopped.load(Ordering::SeqCst) || shared.down.load(Ordering::SeqCst) {
            break;
        }
        let n = match from.read(&mut buf) {
            Ok(0) => {
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        while shared.holding() {
            std::thread::sleep(POLL);
        }
        if shared.stopped.load(Ordering::SeqCst) || shared.down.load(Ordering::SeqCst) {
            break;
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
