//! The transport against real sockets: an in-process SMTP server
//! (tests/support/smtp.rs), a port nobody listens on, a server that never
//! speaks, and the outbox folder.

mod support;

use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use postbode::config::{SmtpSettings, SmtpUrl};
use postbode::dispatch::transport::{Envelope, SendError, SendErrorKind, Transport};
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

/// A port with nothing listening on it.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
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
    let url = format!("smtp://user:hunter2@127.0.0.1:{}", closed_port());
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
    // Usually exactly 4. lettre returns a connection to the pool from a
    // task of its own, so a sender can occasionally open one more before
    // that has happened.
    assert!(
        server.connections() <= 8,
        "{} connections for 100 messages",
        server.connections()
    );
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
    let transport = Transport::Outbox(blocker);
    let err = transport
        .send(&envelope("lezer@example.nl"), &message(0), "x")
        .await
        .expect_err("cannot create the folder");
    assert_eq!(err.kind, SendErrorKind::Local);
    assert!(!err.is_transient() && !err.is_permanent());
}
