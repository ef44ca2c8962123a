//! The transport against real sockets: an in-process SMTP server
//! (tests/support/smtp.rs), a port nobody listens on, a server that never
//! speaks, and the outbox folder.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use postbode::config::{SmtpSettings, SmtpUrl};
use postbode::transport::{Envelope, SendError, SendErrorKind, Transport};
use support::smtp::{Reply, TestSmtp};

const WAIT: Duration = Duration::from_secs(10);

fn smtp_settings(url: &str) -> SmtpSettings {
    SmtpSettings {
        url: SmtpUrl::parse(url).expect("valid smtp url"),
        command_timeout_secs: 10,
        ..Default::default()
    }
}

fn transport(url: &str) -> Transport {
    Transport::from_settings(&smtp_settings(url)).expect("valid settings")
}

fn envelope(to: &str) -> Envelope {
    Envelope {
        from: "nieuwsbrief@example.org".into(),
        to: to.into(),
    }
}

/// A message with what SMTP has to escape: lines starting with a dot, a
/// line that is only a dot, 8-bit UTF-8, a blank line at the end of the
/// body.
fn message(n: usize) -> Vec<u8> {
    format!(
        "From: Nieuwsbrief <nieuwsbrief@example.org>\r\n\
         To: lezer@example.nl\r\n\
         Subject: =?utf-8?q?Inspiratie_{n}?=\r\n\
         Message-ID: <pb.{n}@example.org>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n\
         Beste lezer, één idee per nummer.\r\n\
         .\r\n\
         ..twee punten\r\n\
         .een punt\r\n\
         \r\n"
    )
    .into_bytes()
}

async fn send_expecting_error(transport: &Transport, to: &str) -> SendError {
    transport
        .send(&envelope(to), &message(0), "x")
        .await
        .expect_err("the server refuses this recipient")
}

/// A port that refuses connections: bound but never listening, and held
/// (keep the socket) so no other test can take it meanwhile.
fn closed_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("address"))
        .expect("bind");
    let port = socket.local_addr().expect("address").port();
    (socket, port)
}

#[tokio::test]
async fn a_message_sent_over_smtp_arrives_byte_for_byte_with_its_envelope() {
    let server = TestSmtp::start();
    let transport = transport(&server.url());
    let raw = message(1);
    let accepted = transport
        .send(&envelope("lezer@example.nl"), &raw, "ignored")
        .await
        .expect("accepted");
    assert!(
        accepted.reply.starts_with("250 2.0.0 Ok: queued as"),
        "{}",
        accepted.reply
    );
    let got = server.wait_for(1, WAIT);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].from, "nieuwsbrief@example.org");
    assert_eq!(got[0].to, vec!["lezer@example.nl".to_owned()]);
    assert_eq!(
        String::from_utf8_lossy(&got[0].data),
        String::from_utf8_lossy(&raw)
    );
    assert_eq!(got[0].data, raw);
}

#[tokio::test]
async fn bare_line_feeds_are_sent_as_crlf() {
    let server = TestSmtp::start();
    let transport = transport(&server.url());
    let raw = b"Subject: lf\n\n.line\nend\n";
    transport
        .send(&envelope("lezer@example.nl"), raw, "x")
        .await
        .expect("accepted");
    let got = server.wait_for(1, WAIT);
    assert_eq!(got[0].data, b"Subject: lf\r\n\r\n.line\r\nend\r\n");
}

#[tokio::test]
async fn a_451_reply_is_transient_and_asks_us_to_slow_down() {
    let server = TestSmtp::start_with(|_| Reply::new(451, "4.7.1 Try again later"));
    let err = send_expecting_error(&transport(&server.url()), "lezer@example.nl").await;
    assert_eq!(err.code, Some(451));
    assert_eq!(err.enhanced.as_deref(), Some("4.7.1"));
    assert!(err.is_transient() && err.is_throttling(), "{err:?}");
    assert!(!err.is_permanent() && !err.is_no_such_user());
    assert_eq!(err.reply(), "451 4.7.1 Try again later");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_550_5_1_1_reply_is_permanent_and_means_no_such_user() {
    let server = TestSmtp::start_with(|_| Reply::new(550, "5.1.1 <weg@example.nl>: user unknown"));
    let err = send_expecting_error(&transport(&server.url()), "weg@example.nl").await;
    assert_eq!(err.kind, SendErrorKind::Permanent);
    assert!(err.is_permanent() && err.is_no_such_user(), "{err:?}");
    assert!(!err.is_transient() && !err.is_throttling());
    assert_eq!(err.reply(), "550 5.1.1 <weg@example.nl>: user unknown");
}

#[tokio::test]
async fn a_554_5_7_1_reply_is_permanent_but_not_no_such_user() {
    let server = TestSmtp::start_with(|_| Reply::new(554, "5.7.1 Message rejected"));
    let err = send_expecting_error(&transport(&server.url()), "lezer@example.nl").await;
    assert!(err.is_permanent(), "{err:?}");
    assert!(!err.is_no_such_user() && !err.is_transient());
    assert_eq!(err.enhanced.as_deref(), Some("5.7.1"));
}

#[tokio::test]
async fn after_a_refused_recipient_the_next_message_still_goes_out() {
    let server = TestSmtp::start_with(|to| {
        if to.starts_with("weg@") {
            Reply::new(550, "5.1.1 user unknown")
        } else {
            Reply::ok()
        }
    });
    let transport = transport(&server.url());
    for to in ["a@example.nl", "weg@example.nl", "b@example.nl"] {
        let result = transport.send(&envelope(to), &message(2), "x").await;
        assert_eq!(result.is_ok(), !to.starts_with("weg@"), "{to}: {result:?}");
    }
    let got = server.wait_for(2, WAIT);
    let to: Vec<&str> = got.iter().map(|m| m.to[0].as_str()).collect();
    assert_eq!(to, ["a@example.nl", "b@example.nl"]);
}

#[tokio::test]
async fn required_starttls_refuses_a_server_without_it_and_sends_nothing() {
    let server = TestSmtp::start();
    let mut settings = smtp_settings(&server.url());
    settings.starttls = "required".into();
    let transport = Transport::from_settings(&settings).expect("valid settings");
    let err = send_expecting_error(&transport, "lezer@example.nl").await;
    assert_eq!(err.kind, SendErrorKind::Local, "{err:?}");
    assert!(err.affects_every_recipient() && !err.is_transient());
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_refused_connection_is_a_transient_connection_error() {
    let (_held, port) = closed_port();
    let url = format!("smtp://user:hunter2@127.0.0.1:{port}");
    let transport = transport(&url);
    let err = send_expecting_error(&transport, "lezer@example.nl").await;
    assert_eq!(err.kind, SendErrorKind::Connection, "{err:?}");
    assert!(err.is_transient() && err.affects_every_recipient());
    assert!(err.code.is_none());
    assert!(err.reply().contains("127.0.0.1"), "{}", err.reply());
    assert!(!err.reply().contains("hunter2"));
    let probed = transport.probe().await.expect_err("nothing listens");
    assert_eq!(probed.kind, SendErrorKind::Connection);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_within_the_command_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("smtp://{}", listener.local_addr().expect("address"));
    // Accepts connections and keeps them open without a word.
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().flatten() {
            open.push(stream);
        }
    });
    let mut settings = smtp_settings(&url);
    settings.command_timeout_secs = 1;
    let transport = Transport::from_settings(&settings).expect("valid settings");

    let started = Instant::now();
    let err = send_expecting_error(&transport, "lezer@example.nl").await;
    let took = started.elapsed();
    assert_eq!(err.kind, SendErrorKind::Timeout, "{err:?}");
    assert!(err.is_transient());
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "took {took:?}"
    );

    let started = Instant::now();
    let err = transport.probe().await.expect_err("silent server");
    assert_eq!(err.kind, SendErrorKind::Timeout, "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_server_that_hangs_up_is_a_connection_error() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("smtp://{}", listener.local_addr().expect("address"));
    // Greets, then closes the connection before answering EHLO.
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(b"220 bye.example ESMTP\r\n");
        }
    });
    let err = send_expecting_error(&transport(&url), "lezer@example.nl").await;
    assert_eq!(err.kind, SendErrorKind::Connection, "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_messages_share_the_pooled_connections() {
    let server = TestSmtp::start();
    let mut settings = smtp_settings(&server.url());
    settings.pool_size = 2;
    let transport = Transport::from_settings(&settings).expect("valid settings");
    transport.probe().await.expect("the server answers");
    for n in 0..20 {
        transport
            .send(&envelope(&format!("lezer{n}@example.nl")), &message(n), "x")
            .await
            .expect("accepted");
    }
    let got = server.wait_for(20, WAIT);
    assert_eq!(got.len(), 20);
    assert!(
        server.connections() <= 2,
        "{} connections for 20 messages with pool_size 2",
        server.connections()
    );
    transport.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_concurrent_senders_reuse_connections_instead_of_opening_one_per_message() {
    let server = TestSmtp::start();
    let mut settings = smtp_settings(&server.url());
    settings.pool_size = 4;
    let transport = Arc::new(Transport::from_settings(&settings).expect("valid settings"));
    let tasks: Vec<_> = (0..4)
        .map(|task| {
            let transport = Arc::clone(&transport);
            tokio::spawn(async move {
                for n in 0..25 {
                    let to = format!("lezer{task}-{n}@example.nl");
                    transport
                        .send(&envelope(&to), &message(n), "x")
                        .await
                        .expect("accepted");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("sender task");
    }
    assert_eq!(server.wait_for(100, WAIT).len(), 100);
    // A connection goes back to the pool before its send returns, and no
    // more than pool_size are ever open.
    assert!(
        server.connections() <= 4,
        "{} connections for 100 messages",
        server.connections()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn more_senders_than_pool_size_wait_for_a_connection_instead_of_opening_one() {
    let server = TestSmtp::start();
    let mut settings = smtp_settings(&server.url());
    settings.pool_size = 2;
    let transport = Arc::new(Transport::from_settings(&settings).expect("valid settings"));
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let transport = Arc::clone(&transport);
            tokio::spawn(async move {
                for n in 0..10 {
                    let to = format!("lezer{task}-{n}@example.nl");
                    transport
                        .send(&envelope(&to), &message(n), "x")
                        .await
                        .expect("accepted");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("sender task");
    }
    assert_eq!(server.wait_for(80, WAIT).len(), 80);
    assert!(
        server.connections() <= 2,
        "{} connections with pool_size 2",
        server.connections()
    );
    transport.close().await;
}

/// With Nagle's algorithm on, the message's last small write (`\r\n.\r\n`)
/// waits for the server's delayed ACK, about 40 ms: 50 messages would take
/// two seconds or more on one connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_on_one_connection_do_not_wait_for_delayed_acks() {
    let server = TestSmtp::start();
    let mut settings = smtp_settings(&server.url());
    settings.pool_size = 1;
    let transport = Transport::from_settings(&settings).expect("valid settings");
    transport.probe().await.expect("the server answers");
    let started = Instant::now();
    for n in 0..50 {
        transport
            .send(&envelope("lezer@example.nl"), &message(n), "x")
            .await
            .expect("accepted");
    }
    let took = started.elapsed();
    assert_eq!(server.connections(), 1);
    assert!(
        took < Duration::from_millis(1500),
        "50 messages took {took:?}"
    );
}

/// What a [`scripted_server`] does after a message's final dot on its
/// `n`th connection (counting from 1).
#[derive(Clone, Copy, PartialEq, Eq)]
enum AfterData {
    /// `250 queued on connection N`.
    Accept,
    /// Nothing, ever: the reply is lost.
    Stall,
    /// `250 queued on connection N`, then, a moment later and unasked,
    /// `421` and close, as a server ending an idle session does.
    AcceptThenHangUp,
}

/// A minimal SMTP server, for what mailin-embedded cannot play. Returns
/// its `smtp://` URL and its connection count.
fn scripted_server(script: fn(usize) -> AfterData) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("smtp://{}", listener.local_addr().expect("address"));
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connections);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            std::thread::spawn(move || {
                let _ = scripted_session(stream, script(n), n);
            });
        }
    });
    (url, connections)
}

fn scripted_session(mut out: TcpStream, after_data: AfterData, n: usize) -> std::io::Result<()> {
    let mut lines = BufReader::new(out.try_clone()?);
    out.write_all(b"220 scripted.example ESMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => out.write_all(b"250-scripted.example\r\n250 8BITMIME\r\n")?,
            "QUIT" => return out.write_all(b"221 2.0.0 bye\r\n"),
            "DATA" => {
                out.write_all(b"354 go ahead\r\n")?;
                loop {
                    line.clear();
                    if lines.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                }
                match after_data {
                    AfterData::Stall => {
                        // Keep the connection open, unanswered, until the
                        // client closes it.
                        while lines.read_line(&mut line)? > 0 {}
                        return Ok(());
                    }
                    AfterData::Accept => {
                        write!(out, "250 2.0.0 queued on connection {n}\r\n")?;
                    }
                    AfterData::AcceptThenHangUp => {
                        write!(out, "250 2.0.0 queued on connection {n}\r\n")?;
                        std::thread::sleep(Duration::from_millis(50));
                        return out.write_all(b"421 4.4.2 idle too long, bye\r\n");
                    }
                }
            }
            _ => out.write_all(b"250 2.0.0 ok\r\n")?,
        }
    }
}

#[tokio::test]
async fn a_connection_whose_send_timed_out_is_closed_not_reused() {
    let (url, connections) = scripted_server(|n| {
        if n == 1 {
            AfterData::Stall
        } else {
            AfterData::Accept
        }
    });
    let mut settings = smtp_settings(&url);
    settings.command_timeout_secs = 1;
    settings.pool_size = 1;
    let transport = Transport::from_settings(&settings).expect("valid settings");
    let err = send_expecting_error(&transport, "lezer@example.nl").await;
    assert_eq!(err.kind, SendErrorKind::Timeout, "{err:?}");
    // On the old connection this would read nothing (or the late reply
    // to the previous message) and time out again.
    let accepted = transport
        .send(&envelope("lezer@example.nl"), &message(1), "x")
        .await
        .expect("accepted on a new connection");
    assert_eq!(accepted.reply, "250 2.0.0 queued on connection 2");
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_idle_connection_the_server_closed_is_replaced_without_a_failed_send() {
    let (url, connections) = scripted_server(|_| AfterData::AcceptThenHangUp);
    let mut settings = smtp_settings(&url);
    settings.pool_size = 1;
    let transport = Transport::from_settings(&settings).expect("valid settings");
    for n in 1..=3 {
        let accepted = transport
            .send(&envelope("lezer@example.nl"), &message(n), "x")
            .await
            .expect("accepted");
        assert_eq!(
            accepted.reply,
            format!("250 2.0.0 queued on connection {n}")
        );
        // Idle long enough for the server's 421 and close to arrive.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(connections.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn the_outbox_gets_one_complete_eml_file_per_message_and_nothing_else() {
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox = dir.path().join("outbox");
    let settings = SmtpSettings {
        outbox: outbox.clone(),
        ..Default::default()
    };
    let transport = Transport::from_settings(&settings).expect("valid settings");
    assert_eq!(
        transport.describe(),
        format!("outbox folder {}", outbox.display())
    );
    transport.probe().await.expect("the folder can be created");
    for n in 0..3 {
        let stem = format!("inspiratie-1-{n}");
        let accepted = transport
            .send(&envelope("lezer@example.nl"), &message(n), &stem)
            .await
            .expect("written");
        let path = outbox.join(format!("{stem}.eml"));
        assert_eq!(accepted.reply, format!("outbox: {}", path.display()));
        assert_eq!(std::fs::read(&path).expect("read .eml"), message(n));
    }
    // A retry of the same delivery replaces its file instead of adding one.
    transport
        .send(&envelope("lezer@example.nl"), &message(9), "inspiratie-1-0")
        .await
        .expect("written again");
    let mut names: Vec<String> = std::fs::read_dir(&outbox)
        .expect("list outbox")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "inspiratie-1-0.eml",
            "inspiratie-1-1.eml",
            "inspiratie-1-2.eml"
        ]
    );
    assert_eq!(
        std::fs::read(outbox.join("inspiratie-1-0.eml")).expect("read"),
        message(9)
    );
}

#[tokio::test]
async fn an_outbox_that_cannot_be_written_is_a_local_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "a file where the outbox should be").expect("write");
    let transport = Transport::Outbox(blocker, postbode::private_file::FileAccess::owner_only());
    let err = transport
        .send(&envelope("lezer@example.nl"), &message(0), "x")
        .await
        .expect_err("cannot create the folder");
    assert_eq!(err.kind, SendErrorKind::Local);
    assert!(!err.is_transient() && !err.is_permanent());
}
