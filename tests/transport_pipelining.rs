//! The mail transaction on the wire (src/transport/exchange.rs): with
//! PIPELINING offered, MAIL, RCPT and DATA go out together; without it,
//! one at a time; either way the message arrives as it was, dot-stuffing
//! undone. A server that reads commands itself (std threads on a real
//! socket) shows what arrived before it answered; mailin-embedded plays
//! a server without PIPELINING.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use postbode::config::{SmtpSettings, SmtpUrl};
use postbode::transport::{Envelope, Transport};
use support::smtp::TestSmtp;

/// An ASCII message (the pipelined path's kind) with lines SMTP has to
/// escape: starting with a dot, only a dot, two dots.
fn message(n: usize) -> Vec<u8> {
    format!(
        "From: Nieuwsbrief <nieuwsbrief@example.org>\r\n\
         To: lezer@example.nl\r\n\
         Subject: Inspiratie {n}\r\n\
         Message-ID: <pb.{n}@example.org>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         \r\n\
         Beste lezer, =C3=A9=C3=A9n idee per nummer.\r\n\
         .\r\n\
         ..twee punten\r\n\
         .een punt\r\n"
    )
    .into_bytes()
}

fn envelope(to: &str) -> Envelope {
    Envelope {
        from: "nieuwsbrief@example.org".into(),
        to: to.into(),
    }
}

/// A transport whose every exchange must finish within 3 s: a client
/// waiting for a reply the server holds back fails the test quickly.
fn transport(url: &str) -> Transport {
    let settings = SmtpSettings {
        url: SmtpUrl::parse(url).expect("valid smtp url"),
        command_timeout_secs: 3,
        ..Default::default()
    };
    Transport::from_settings(&settings).expect("valid settings")
}

/// What a pipelining server saw: per connection, each group of command
/// lines the client had sent before the server answered, and the
/// messages (dot-stuffing undone).
#[derive(Default)]
struct Seen {
    groups: Vec<Vec<String>>,
    messages: Vec<Vec<u8>>,
    connections: usize,
}

/// Offers PIPELINING. After MAIL it answers nothing until RCPT and DATA
/// have arrived too (RFC 2920 lets it wait), so a client that waits for
/// MAIL's reply before sending RCPT stalls. `rcpt` is the reply to RCPT
/// for `weg@…` (others get 250); DATA then gets 554 when that was
/// negative, as RFC 2920 asks.
fn pipelining_server(rcpt: &'static str) -> (String, Arc<Mutex<Seen>>) {
    server(rcpt, Quirk::None)
}

/// Where a test server departs from the standard.
#[derive(Clone, Copy, PartialEq)]
enum Quirk {
    None,
    /// Answers a second EHLO with `502`, then one command at a time.
    RefusesSecondEhlo,
    /// Says `354` to a pipelined DATA even when RCPT was refused (RFC 2920
    /// says it must refuse it), then reads everything as the message.
    TakesDataWithoutRecipients,
}

/// Offers PIPELINING at the first EHLO but answers a second one with
/// `502`, then serves one command at a time (a client still pipelining
/// would stall on MAIL's reply).
fn server_refusing_a_second_ehlo() -> (String, Arc<Mutex<Seen>>) {
    server("250 2.1.5 ok", Quirk::RefusesSecondEhlo)
}

fn server(rcpt: &'static str, quirk: Quirk) -> (String, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("smtp://{}", listener.local_addr().expect("address"));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let shared = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let seen = Arc::clone(&shared);
            lock(&seen).connections += 1;
            std::thread::spawn(move || session(stream, rcpt, quirk, &seen));
        }
    });
    (url, seen)
}

fn lock(seen: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(PoisonError::into_inner)
}

fn session(
    mut out: TcpStream,
    rcpt: &str,
    quirk: Quirk,
    seen: &Mutex<Seen>,
) -> std::io::Result<()> {
    let refuse_second_ehlo = quirk == Quirk::RefusesSecondEhlo;
    let lax_data = quirk == Quirk::TakesDataWithoutRecipients;
    let mut lines = BufReader::new(out.try_clone()?);
    out.write_all(b"220 pipelines.example ESMTP\r\n")?;
    let mut line = String::new();
    let mut ehlos = 0;
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" if refuse_second_ehlo && ehlos == 1 => {
                out.write_all(b"502 5.5.1 once is enough\r\n")?;
            }
            "EHLO" => {
                ehlos += 1;
                out.write_all(b"250-pipelines.example\r\n250 PIPELINING\r\n")?;
            }
            "MAIL" if refuse_second_ehlo => {
                lock(seen).groups.push(vec![line.trim_end().to_owned()]);
                out.write_all(b"250 2.1.0 ok\r\n")?;
            }
            "DATA" => {
                out.write_all(b"354 go ahead\r\n")?;
                let message = read_data(&mut lines)?;
                lock(seen).messages.push(message);
                out.write_all(b"250 2.0.0 queued\r\n")?;
            }
            "QUIT" => return out.write_all(b"221 2.0.0 bye\r\n"),
            "MAIL" => {
                let mut group = vec![line.trim_end().to_owned()];
                for _ in 0..2 {
                    let mut next = String::new();
                    if lines.read_line(&mut next)? == 0 {
                        return Ok(());
                    }
                    group.push(next.trim_end().to_owned());
                }
                // Only `weg@…` gets the test's RCPT reply.
                let refused = group[1].contains("<weg@");
                let rcpt = if refused { rcpt } else { "250 2.1.5 ok" };
                lock(seen).groups.push(group);
                out.write_all(format!("250 2.1.0 ok\r\n{rcpt}\r\n").as_bytes())?;
                if !rcpt.starts_with('2') && !lax_data {
                    out.write_all(b"554 5.5.1 no valid recipients\r\n")?;
                    continue;
                }
                out.write_all(b"354 go ahead\r\n")?;
                let message = read_data(&mut lines)?;
                lock(seen).messages.push(message);
                out.write_all(b"250 2.0.0 queued\r\n")?;
            }
            _ => out.write_all(b"250 2.0.0 ok\r\n")?,
        }
    }
}

/// DATA up to the lone dot, dot-stuffing undone.
fn read_data(lines: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut message = Vec::new();
    loop {
        let mut line = Vec::new();
        if lines.read_until(b'\n', &mut line)? == 0 || line == b".\r\n" {
            return Ok(message);
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        message.extend_from_slice(unstuffed);
    }
}

#[tokio::test]
async fn with_pipelining_offered_mail_rcpt_and_data_go_out_before_any_reply() {
    let (url, seen) = pipelining_server("250 2.1.5 ok");
    let transport = transport(&url);
    for n in 0..3 {
        transport
            .send(&envelope("lezer@example.nl"), &message(n), "x")
            .await
            .expect("accepted");
    }
    let seen = lock(&seen);
    assert_eq!(seen.connections, 1, "the three share one connection");
    assert_eq!(
        seen.groups[0],
        [
            "MAIL FROM:<nieuwsbrief@example.org>",
            "RCPT TO:<lezer@example.nl>",
            "DATA"
        ]
    );
    assert_eq!(seen.groups.len(), 3);
    let sent: Vec<Vec<u8>> = (0..3).map(message).collect();
    assert_eq!(seen.messages, sent, "each message arrives as it was");
}

#[tokio::test]
async fn a_recipient_refused_in_a_pipelined_group_is_reported_and_its_connection_not_reused() {
    let (url, seen) = pipelining_server("550 5.1.1 user unknown");
    let transport = transport(&url);
    for _ in 0..2 {
        let err = transport
            .send(&envelope("weg@example.nl"), &message(0), "x")
            .await
            .expect_err("refused");
        assert!(err.is_no_such_user(), "{err:?}");
        assert_eq!(err.enhanced.as_deref(), Some("5.1.1"), "{err:?}");
    }
    let seen = lock(&seen);
    assert_eq!(
        seen.connections, 2,
        "a connection with a refusal is not reused"
    );
    assert!(seen.messages.is_empty());
}

#[tokio::test]
async fn a_refused_recipient_is_reported_even_when_the_server_wrongly_takes_data_after_it() {
    let (url, seen) = server("550 5.1.1 user unknown", Quirk::TakesDataWithoutRecipients);
    let transport = transport(&url);
    let err = transport
        .send(&envelope("weg@example.nl"), &message(0), "x")
        .await
        .expect_err("refused");
    // Not a timeout: the QUIT that ends the session reads the 354 still
    // waiting in the pipe as its reply, and the connection is closed.
    assert!(err.is_no_such_user(), "{err:?}");
    transport
        .send(&envelope("lezer@example.nl"), &message(1), "x")
        .await
        .expect("the next message goes out on a new connection");
    assert_eq!(lock(&seen).connections, 2);
}

#[tokio::test]
async fn a_server_that_refuses_a_second_ehlo_is_spoken_to_one_command_at_a_time() {
    let (url, seen) = server_refusing_a_second_ehlo();
    let transport = transport(&url);
    for n in 0..2 {
        transport
            .send(&envelope("lezer@example.nl"), &message(n), "x")
            .await
            .expect("accepted");
    }
    let seen = lock(&seen);
    assert_eq!(seen.connections, 1);
    assert_eq!(seen.groups, [["MAIL FROM:<nieuwsbrief@example.org>"]; 2]);
    assert_eq!(seen.messages, [message(0), message(1)]);
}

#[tokio::test]
async fn without_pipelining_an_ascii_message_arrives_byte_for_byte() {
    let server = TestSmtp::start();
    let transport = transport(&server.url());
    for n in 0..2 {
        transport
            .send(&envelope("lezer@example.nl"), &message(n), "x")
            .await
            .expect("accepted");
    }
    let got = server.wait_for(2, Duration::from_secs(10));
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].data, message(0));
    assert_eq!(got[1].data, message(1));
    assert_eq!(server.connections(), 1);
}
