//! A plain-text SMTP server on loopback that offers AUTH (PLAIN and
//! LOGIN) but no STARTTLS: the server a password must not be sent to
//! unless the operator allows it. mailin-embedded cannot play it (it
//! offers AUTH only after TLS). It records every line it receives, so a
//! test can prove an AUTH command never arrived.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

pub struct AuthSmtp {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
}

#[derive(Default)]
struct Seen {
    /// Every line received outside DATA, as sent (CRLF trimmed).
    lines: Vec<String>,
    /// Messages accepted after DATA.
    messages: usize,
}

impl AuthSmtp {
    /// A server that takes `user` with `password` (anything else: 535).
    pub fn start(user: &str, password: &str) -> AuthSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let addr = listener.local_addr().expect("local address");
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = Arc::clone(&seen);
        let plain = STANDARD.encode(format!("\0{user}\0{password}"));
        let login = [STANDARD.encode(user), STANDARD.encode(password)];
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (seen, plain, login) = (Arc::clone(&shared), plain.clone(), login.clone());
                std::thread::spawn(move || {
                    let _ = session(stream, &seen, &plain, &login);
                });
            }
        });
        AuthSmtp { addr, seen }
    }

    /// `smtp://USER:PASSWORD@127.0.0.1:PORT`, for `smtp.url`.
    pub fn url_with(&self, user: &str, password: &str) -> String {
        format!("smtp://{user}:{password}@{}", self.addr)
    }

    /// Every line received so far (outside message bodies).
    pub fn lines(&self) -> Vec<String> {
        lock(&self.seen).lines.clone()
    }

    /// Whether any AUTH command arrived.
    pub fn saw_auth(&self) -> bool {
        self.lines()
            .iter()
            .any(|l| l.to_ascii_uppercase().starts_with("AUTH"))
    }

    /// Messages accepted so far.
    pub fn messages(&self) -> usize {
        lock(&self.seen).messages
    }
}

fn lock(m: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The lines of one session; those outside DATA are recorded.
struct Lines<'a> {
    input: BufReader<TcpStream>,
    seen: &'a Mutex<Seen>,
}

impl Lines<'_> {
    fn next(&mut self, record: bool) -> std::io::Result<Option<String>> {
        let mut line = String::new();
        if self.input.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if record {
            lock(self.seen).lines.push(line.clone());
        }
        Ok(Some(line))
    }
}

fn session(
    mut out: TcpStream,
    seen: &Mutex<Seen>,
    plain: &str,
    login: &[String; 2],
) -> std::io::Result<()> {
    let mut lines = Lines {
        input: BufReader::new(out.try_clone()?),
        seen,
    };
    let reply = |good: bool| -> &'static [u8] {
        if good {
            b"235 2.7.0 authenticated\r\n"
        } else {
            b"535 5.7.8 bad credentials\r\n"
        }
    };
    out.write_all(b"220 auth.example ESMTP\r\n")?;
    while let Some(line) = lines.next(true)? {
        let words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        let word = |i: usize| words.get(i).map(|w| w.to_ascii_uppercase());
        match (word(0).as_deref(), word(1).as_deref()) {
            (Some("EHLO"), _) => {
                out.write_all(b"250-auth.example\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n")?;
            }
            (Some("AUTH"), Some("PLAIN")) => {
                out.write_all(reply(words.get(2).is_some_and(|w| w == plain)))?;
            }
            (Some("AUTH"), Some("LOGIN")) => {
                out.write_all(b"334 VXNlcm5hbWU6\r\n")?;
                let user = lines.next(true)?;
                out.write_all(b"334 UGFzc3dvcmQ6\r\n")?;
                let password = lines.next(true)?;
                out.write_all(reply(
                    user.as_deref() == Some(&login[0]) && password.as_deref() == Some(&login[1]),
                ))?;
            }
            (Some("DATA"), _) => {
                out.write_all(b"354 go ahead\r\n")?;
                while lines.next(false)?.is_some_and(|l| l != ".") {}
                lock(seen).messages += 1;
                out.write_all(b"250 2.0.0 queued\r\n")?;
            }
            (Some("QUIT"), _) => return out.write_all(b"221 2.0.0 bye\r\n"),
            _ => out.write_all(b"250 2.0.0 ok\r\n")?,
        }
    }
    Ok(())
}
