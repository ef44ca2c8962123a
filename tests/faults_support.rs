//! The fault-injection proxy (tests/support/faults.rs) itself: it forwards
//! a real SMTP session to the in-process test server, and when down or
//! stalled the transport sees what it would see from a dead or hung
//! server.

mod support;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use postbode::config::{SmtpSettings, SmtpUrl};
use postbode::transport::{Envelope, SendError, SendErrorKind, Transport};
use support::faults::FlakyProxy;
use support::smtp::TestSmtp;

const WAIT: Duration = Duration::from_secs(10);

fn transport(url: &str) -> Transport {
    let settings = SmtpSettings {
        url: SmtpUrl::parse(url).expect("valid smtp url"),
        command_timeout_secs: 1,
        ..Default::default()
    };
    Transport::from_settings(&settings).expect("valid settings")
}

fn transport_for(proxy: &FlakyProxy) -> Transport {
    transport(&proxy.url())
}

fn envelope(to: &str) -> Envelope {
    Envelope {
        from: "nieuwsbrief@example.org".into(),
        to: to.into(),
    }
}

fn message(n: usize) -> Vec<u8> {
    format!(
        "From: nieuwsbrief@example.org\r\n\
         To: lezer@example.nl\r\n\
         Subject: proxy {n}\r\n\
         Message-ID: <pb.{n}@example.org>\r\n\
         \r\n\
         Bericht {n}.\r\n\
         .een punt\r\n"
    )
    .into_bytes()
}

async fn send(transport: &Transport, n: usize) -> Result<(), SendError> {
    transport
        .send(&envelope(&format!("lezer{n}@example.nl")), &message(n), "x")
        .await
        .map(|_| ())
}

#[track_caller]
fn assert_dropped(err: &SendError) {
    assert!(
        err.is_transient() && err.affects_every_recipient(),
        "a dropped connection should be transient and affect every recipient: {err:?}"
    );
    assert_eq!(err.kind, SendErrorKind::Connection, "{err:?}");
}

#[tokio::test]
async fn messages_pass_through_the_proxy_unchanged() {
    let server = TestSmtp::start();
    let proxy = FlakyProxy::start(server.addr);
    assert!(
        proxy.url().starts_with("smtp://127.0.0.1:"),
        "{}",
        proxy.url()
    );
    assert_ne!(proxy.addr(), server.addr);
    let transport = transport(&proxy.url());
    for n in 1..=3 {
        send(&transport, n)
            .await
            .expect("accepted through the proxy");
    }
    let got = server.wait_for(3, WAIT);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].from, "nieuwsbrief@example.org");
    assert_eq!(got[1].to, vec!["lezer2@example.nl".to_owned()]);
    assert_eq!(got[2].data, message(3));
    // The transport reused its one connection.
    assert_eq!(proxy.connections(), 1);
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn down_drops_new_and_open_connections_and_up_recovers() {
    let server = TestSmtp::start();
    let proxy = FlakyProxy::start(server.addr);
    let transport = transport(&proxy.url());
    send(&transport, 1).await.expect("up");
    assert_eq!(proxy.open_connections(), 1, "the pooled connection is open");

    proxy.set_down(true);
    // The pooled connection is cut, and the new one is dropped.
    let err = send(&transport, 2).await.expect_err("down");
    assert_dropped(&err);
    assert_eq!(proxy.open_connections(), 0);
    // A transport with nothing pooled sees the same.
    let fresh = transport_for(&proxy);
    let err = send(&fresh, 3).await.expect_err("still down");
    assert_dropped(&err);
    let accepted_while_down = proxy.connections();
    assert!(accepted_while_down >= 3, "{accepted_while_down}");

    proxy.set_down(false);
    send(&transport, 4).await.expect("up again");
    send(&fresh, 5).await.expect("up again");
    let got = server.wait_for(3, WAIT);
    let to: Vec<&str> = got.iter().map(|m| m.to[0].as_str()).collect();
    assert_eq!(
        to,
        [
            "lezer1@example.nl",
            "lezer4@example.nl",
            "lezer5@example.nl"
        ]
    );
}

#[tokio::test]
async fn a_connection_cut_mid_session_is_a_dropped_connection() {
    let server = TestSmtp::start();
    let proxy = FlakyProxy::start(server.addr);
    // A client that has its greeting and then loses the server.
    let mut raw = TcpStream::connect(proxy.addr()).expect("connect");
    raw.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut greeting = [0_u8; 3];
    std::io::Read::read_exact(&mut raw, &mut greeting).expect("greeting");
    assert_eq!(&greeting, b"220");
    proxy.set_down(true);
    let mut rest = Vec::new();
    let read = std::io::Read::read_to_end(&mut raw, &mut rest);
    assert!(read.is_ok(), "EOF, not a hang: {read:?}");
}

#[tokio::test]
async fn stalled_the_send_times_out_within_the_command_timeout() {
    let server = TestSmtp::start();
    let proxy = FlakyProxy::start(server.addr);
    let transport = transport(&proxy.url());
    send(&transport, 1).await.expect("up");

    proxy.stall(true);
    // On the pooled connection: MAIL FROM gets no answer.
    let started = Instant::now();
    let err = send(&transport, 2).await.expect_err("stalled");
    let took = started.elapsed();
    assert_eq!(err.kind, SendErrorKind::Timeout, "{err:?}");
    assert!(err.is_transient() && err.affects_every_recipient());
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    // On a new connection: no greeting.
    let fresh = transport_for(&proxy);
    let started = Instant::now();
    let err = send(&fresh, 3).await.expect_err("stalled");
    let took = started.elapsed();
    assert_eq!(err.kind, SendErrorKind::Timeout, "{err:?}");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    assert_eq!(server.messages().len(), 1, "nothing got through");

    proxy.stall(false);
    send(&transport, 4).await.expect("flowing again");
    send(&fresh, 5).await.expect("flowing again");
    let got = server.wait_for(3, WAIT);
    let to: Vec<&str> = got.iter().map(|m| m.to[0].as_str()).collect();
    assert!(
        to.contains(&"lezer4@example.nl") && to.contains(&"lezer5@example.nl"),
        "{to:?}"
    );
}

#[test]
fn dropping_the_proxy_closes_its_port_and_its_connections() {
    let server = TestSmtp::start();
    let proxy = FlakyProxy::start(server.addr);
    let addr = proxy.addr();
    let mut open = TcpStream::connect(addr).expect("connect");
    open.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut greeting = [0_u8; 3];
    std::io::Read::read_exact(&mut open, &mut greeting).expect("greeting");
    assert_eq!(proxy.connections(), 1);

    let started = Instant::now();
    drop(proxy);
    assert!(started.elapsed() < Duration::from_secs(1), "drop is quick");
    let mut rest = Vec::new();
    let _ = std::io::Read::read_to_end(&mut open, &mut rest);
    let refused = TcpStream::connect_timeout(&addr, Duration::from_secs(1));
    assert!(refused.is_err(), "nothing listens after the drop");
}
