//! One mail transaction on an open session: MAIL, RCPT, DATA, the message.
//!
//! lettre's `AsyncSmtpConnection::send` waits for each reply before the
//! next command and dot-stuffs the message byte by byte as it writes it,
//! which was 7% of a send's CPU (BENCHMARKS.md, sending). Here, on
//! lettre's public client API:
//!
//! - with `PIPELINING` offered (RFC 2920), MAIL, RCPT and DATA go out in
//!   one write and their replies are read in order: one round trip
//!   instead of three, and one wake-up of the server instead of three;
//! - the message is dot-stuffed by [`super::crlf::dot_stuffed`], which
//!   leaves most messages as they are, and written with the final dot in
//!   one write.
//!
//! A message or envelope that is not ASCII goes through lettre's `send`,
//! which checks that the server offers 8BITMIME or SMTPUTF8 and asks for
//! them. On any negative reply the session is ended (QUIT, close) as
//! lettre's `send` does, so the pool does not reuse it (see
//! [`super::pool`]): with pipelining the replies to the later commands of
//! the group would still be unread.

use std::fmt;

use lettre::address::Envelope;
use lettre::transport::smtp::Error;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;

use super::crlf::dot_stuffed;

/// Sends `data` (CRLF line ends, without its final CRLF) to `envelope`.
pub(super) async fn transact(
    conn: &mut AsyncSmtpConnection,
    pipelining: bool,
    envelope: &Envelope,
    data: &[u8],
) -> Result<Response, Error> {
    let ascii_envelope = envelope
        .from()
        .is_none_or(|a| AsRef::<str>::as_ref(a).is_ascii())
        && envelope
            .to()
            .iter()
            .all(|a| AsRef::<str>::as_ref(a).is_ascii());
    let text = match std::str::from_utf8(data) {
        Ok(text) if ascii_envelope && text.is_ascii() => text,
        _ => return conn.send(envelope, data).await,
    };
    let sent = steps(conn, pipelining, envelope, text).await;
    if sent.is_err() {
        conn.abort().await;
    }
    sent
}

async fn steps(
    conn: &mut AsyncSmtpConnection,
    pipelining: bool,
    envelope: &Envelope,
    data: &str,
) -> Result<Response, Error> {
    let mail = Mail::new(envelope.from().cloned(), vec![]);
    let rcpts = envelope.to().iter().map(|to| Rcpt::new(to.clone(), vec![]));
    if pipelining {
        let mut group = mail.to_string();
        let mut replies = 2;
        for rcpt in rcpts {
            group.push_str(&rcpt.to_string());
            replies += 1;
        }
        group.push_str(&Data.to_string());
        // `command` writes the group and reads MAIL's reply; the rest
        // follow in order (RCPT…, then DATA's 354).
        conn.command(Verbatim(&[&group])).await?;
        for _ in 1..replies {
            conn.read_response().await?;
        }
    } else {
        conn.command(mail).await?;
        for rcpt in rcpts {
            conn.command(rcpt).await?;
        }
        conn.command(Data).await?;
    }
    // `command` copies it once more into a `String` of its own.
    conn.command(Verbatim(&[&dot_stuffed(data), "\r\n.\r\n"]))
        .await
}

/// Whether the server offers `PIPELINING`. lettre keeps only the EHLO
/// keywords it uses, so this says EHLO once more (RFC 5321 §4.1.4 allows
/// it; it resets nothing a new session has) and reads the keywords. Call
/// it before AUTH: some servers forget the login on a later EHLO.
pub(super) async fn offers_pipelining(
    conn: &mut AsyncSmtpConnection,
    hello: &ClientId,
) -> Result<bool, Error> {
    let reply = match conn.command(Ehlo::new(hello.clone())).await {
        Ok(reply) => reply,
        // A server that will not say it twice gets one command at a time;
        // the session is as it was (RFC 5321 §4.1.4).
        Err(e) if e.is_permanent() || e.is_transient() => return Ok(false),
        Err(e) => return Err(e),
    };
    // The first line is the server's name, the others its keywords.
    Ok(reply
        .message()
        .skip(1)
        .any(|line| line.split_whitespace().next() == Some("PIPELINING")))
}

/// Text written as it is, in pieces: lettre's `command` takes a `Display`.
struct Verbatim<'a>(&'a [&'a str]);

impl fmt::Display for Verbatim<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|piece| f.write_str(piece))
    }
}
