//! `serve`'s accept loop: HTTP/1.1 connections, at most
//! [`ConnectionCap::max`] at once, each closed when a request head does
//! not arrive in time, and a graceful stop.
//!
//! axum::serve neither caps connections nor times out idle ones: 1,100
//! sockets that never sent a byte used up a 1,024 file limit, and then
//! `/healthz` itself could not be accepted. Here:
//! - a permit of a semaphore is taken before each accept, so past the cap
//!   new connections wait in the listen queue instead of taking the
//!   descriptors the database and SMTP need;
//! - hyper's header-read timeout ([`HEADER_READ_TIMEOUT`]) runs from the
//!   moment a connection opens, and again each time a kept-alive
//!   connection finishes a response, so it is also the idle keep-alive
//!   timeout: a connection without a complete request head within it is
//!   closed and its permit freed;
//! - on shutdown the listener closes, idle connections close at once and
//!   requests in progress finish (hyper-util's graceful shutdown).

use std::future::Future;
use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

use super::connection_cap::ConnectionCap;

/// From a connection's start, or the end of its last response, to the end
/// of the next request head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// After a failed accept (out of descriptors after all, say), the pause
/// before the next, so the loop does not spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `shutdown` completes, then waits for
/// the requests in progress.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    cap: ConnectionCap,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let permits = Arc::new(Semaphore::new(cap.max));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_closed) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // A client that gave up is routine; anything else (out
                    // of descriptors after all) is worth a line.
                    if matches!(error.kind(), ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset) {
                        tracing::debug!(%error, "accept failed");
                    } else {
                        tracing::warn!(%error, "accept failed");
                    }
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                    continue;
                }
            },
        };
        // Small answers go out at once rather than after Nagle's delay.
        let _ = stream.set_nodelay(true);
        // Each request learns the peer address (for `super::client_ip`).
        let app = app.clone();
        let service = service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request)
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection closed");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
