//! Where a finished message goes: an SMTP server, over a pool of reused
//! connections, or the outbox folder as one `.eml` file per message when no
//! server is configured. This module owns the SMTP session and the meaning
//! of its replies ([`SendError`]); what to do about a reply (retry, fail,
//! mark bounced, pause) is the dispatcher's business.
//!
//! The SMTP session itself is lettre's client
//! ([`AsyncSmtpConnection`](lettre::transport::smtp::client::AsyncSmtpConnection));
//! the pool around it is ours (the private `pool` module), because lettre's own
//! `AsyncSmtpTransport` opens its sockets without `TCP_NODELAY` (fixed
//! upstream in lettre#1159, not in 0.11.23). Every message then ends with
//! a small write (`\r\n.\r\n`) that Nagle's algorithm holds back until the
//! server's delayed ACK, about 40 ms: some 22 messages/s per connection
//! however fast the server is.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::address::{Address, Envelope as LettreEnvelope};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::TlsParameters;
use lettre::transport::smtp::extension::ClientId;

use crate::config::{SmtpSettings, redact_secrets};
use crate::error::{Error, Result};
use crate::private_file::FileAccess;

/// Where messages go: an SMTP server (pooled) or the outbox folder.
#[derive(Debug)]
pub enum Transport {
    /// An SMTP server; see [`SmtpRelay`]. Boxed: it is much larger than a
    /// path.
    Smtp(Box<SmtpRelay>),
    /// A folder that receives `{file_stem}.eml` per message, each made
    /// with the access given (`files.group`). Used by `quickstart` and
    /// whenever `smtp.url` is empty.
    Outbox(PathBuf, FileAccess),
}

/// The envelope of one message: bare addresses (`a@example.org`), no
/// display names. `from` may be empty for a null reverse path (`<>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub from: String,
    pub to: String,
}

/// The server (or the outbox) took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The final reply, e.g. `250 2.0.0 Ok: queued as 4Xk2`, or
    /// `outbox: PATH`. Stored with the delivery as proof.
    pub reply: String,
}

/// A message was not taken. `code`/`enhanced` are set when the server said
/// no; for everything else (refused connection, timeout, local I/O) they are
/// `None` and `message` says what happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.reply())]
pub struct SendError {
    /// The three-digit SMTP reply code.
    pub code: Option<u16>,
    /// The RFC 3463 enhanced status code (`5.1.1`) when the reply starts
    /// with one.
    pub enhanced: Option<String>,
    /// The reply text after the code (enhanced code included), or a
    /// description of the failure. Never contains a password.
    pub message: String,
    pub kind: SendErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendErrorKind {
    /// A 4xx reply: try again later.
    Transient,
    /// A 5xx reply: this will not work as it is.
    Permanent,
    /// No usable connection: refused, DNS, TLS, dropped mid-session, or a
    /// reply that is not SMTP.
    Connection,
    /// The server did not answer in time (`smtp.command_timeout_secs`).
    Timeout,
    /// Our side: the outbox could not be written, an address lettre
    /// refuses, the server lacks something the message needs (8BITMIME),
    /// no common AUTH mechanism.
    Local,
}

impl SendError {
    fn new(kind: SendErrorKind, message: impl Into<String>) -> SendError {
        SendError {
            code: None,
            enhanced: None,
            message: message.into(),
            kind,
        }
    }

    /// The server answered with `code` and `text` (the text after the code).
    pub fn from_reply(code: u16, text: &str) -> SendError {
        let kind = match code {
            400..=499 => SendErrorKind::Transient,
            500..=599 => SendErrorKind::Permanent,
            // lettre only reports 4xx and 5xx as errors; anything else in a
            // failure position means the session is confused.
            _ => SendErrorKind::Connection,
        };
        SendError {
            code: Some(code),
            enhanced: enhanced_status(code, text).map(str::to_owned),
            message: text.trim().to_owned(),
            kind,
        }
    }

    /// Worth retrying later: a 4xx reply, a connection problem or a timeout.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            SendErrorKind::Transient | SendErrorKind::Connection | SendErrorKind::Timeout
        )
    }

    /// A 5xx reply: retrying the same message will fail the same way.
    pub fn is_permanent(&self) -> bool {
        self.kind == SendErrorKind::Permanent
    }

    /// The recipient's mailbox or domain does not exist: a permanent reply
    /// with an enhanced status 5.1.x, or a 550/551/553 whose text carries
    /// one further along (servers that put it after a prefix or in
    /// parentheses).
    ///
    /// 5.1.7 and 5.1.8 are left out: they are about the *sender's*
    /// address, and treating them as "no such user" would mark every
    /// subscriber bounced because of our own From address.
    pub fn is_no_such_user(&self) -> bool {
        if !self.is_permanent() {
            return false;
        }
        if self
            .enhanced
            .as_deref()
            .is_some_and(is_recipient_address_status)
        {
            return true;
        }
        matches!(self.code, Some(550 | 551 | 553))
            && self
                .message
                .split(|c: char| c.is_whitespace() || "()[]<>,;:".contains(c))
                .filter_map(|word| enhanced_status(500, word.trim_end_matches('.')))
                .any(is_recipient_address_status)
    }

    /// The server is asking us to slow down or come back later
    /// (421, 450, 451, 454), as opposed to refusing this message.
    pub fn is_throttling(&self) -> bool {
        matches!(self.code, Some(421 | 450 | 451 | 454))
    }

    /// The failure is not about this recipient, so the next one would fail
    /// the same way: no connection, a timeout, a local problem, the server
    /// closing down (421), or the server refusing *us* (530/534/535/538:
    /// authentication required, too weak, wrong or needing encryption).
    /// A dispatcher should pause the send on these rather than spend every
    /// recipient's attempts.
    pub fn affects_every_recipient(&self) -> bool {
        match self.kind {
            SendErrorKind::Connection | SendErrorKind::Timeout | SendErrorKind::Local => true,
            SendErrorKind::Transient | SendErrorKind::Permanent => {
                matches!(self.code, Some(421 | 530 | 534 | 535 | 538))
            }
        }
    }

    /// The SMTP reply as text, for storing with the delivery: `550 5.1.1
    /// no such user`, or the description when there was no reply.
    pub fn reply(&self) -> String {
        match self.code {
            Some(code) if self.message.is_empty() => code.to_string(),
            Some(code) => format!("{code} {}", self.message),
            None => self.message.clone(),
        }
    }
}

/// An SMTP server, reached over a pool of at most `smtp.pool_size`
/// connections (the private `pool` module).
pub struct SmtpRelay {
    /// `smtp://host:port`: for logs and error messages, never a password.
    endpoint: String,
    /// Limit for one whole send or probe; see [`SmtpRelay::deadline`].
    deadline: Duration,
    pool: pool::Pool,
}

impl fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpRelay")
            .field("endpoint", &self.endpoint)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl SmtpRelay {
    fn new(connector: pool::Connector, pool_size: u32, deadline: Duration) -> SmtpRelay {
        SmtpRelay {
            endpoint: connector.endpoint.clone(),
            deadline,
            pool: pool::Pool::new(connector, pool_size),
        }
    }

    /// The time one send (or probe) may take from start to final reply,
    /// taken from `smtp.command_timeout_secs`.
    ///
    /// lettre's client has no timeouts of its own; we only limit the TCP
    /// connect (`smtp.connect_timeout_secs`, per address). So the whole
    /// exchange (connecting, TLS and AUTH if no idle connection is left,
    /// MAIL, RCPT, DATA, final reply) runs under this one deadline. A
    /// healthy server answers all of it in well under one command's
    /// allowance, and a timeout is retried anyway. Waiting for a free
    /// connection when `pool_size` are busy does not count: that is our own
    /// queue, not the server being slow.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    fn timeout_error(&self) -> SendError {
        SendError::new(
            SendErrorKind::Timeout,
            format!(
                "{}: no answer within {} s",
                self.endpoint,
                self.deadline.as_secs()
            ),
        )
    }

    async fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<Accepted, SendError> {
        let envelope = lettre_envelope(envelope)?;
        let raw = to_crlf(raw);
        let data = without_final_crlf(&raw);
        let _turn = self.pool.turn().await?;
        // A connection lives inside this future until it is handed back.
        // When the deadline cancels the future, the connection is dropped
        // (closed) with it: it may be mid-transaction, and the next message
        // on it would read the previous command's late reply.
        let exchange = async {
            let mut session = self.pool.checkout().await?;
            let sent = session.send(&envelope, data).await;
            self.pool.checkin(session);
            sent.map_err(|e| smtp_error(&self.endpoint, &e))
        };
        match tokio::time::timeout(self.deadline, exchange).await {
            Ok(Ok(response)) => {
                let code = u16::from(response.code());
                let text: Vec<&str> = response.message().collect();
                Ok(Accepted {
                    reply: format!("{code} {}", text.join(" ")).trim_end().to_owned(),
                })
            }
            Ok(Err(e)) => Err(e),
            Err(_) => {
                tracing::warn!(server = %self.endpoint, "SMTP send timed out; closing its connection");
                Err(self.timeout_error())
            }
        }
    }

    async fn probe(&self) -> Result<(), SendError> {
        let _turn = self.pool.turn().await?;
        let check = async {
            loop {
                let mut session = self.pool.checkout().await?;
                if session.noop().await {
                    self.pool.checkin(session);
                    return Ok(());
                }
                // An idle connection the server gave up on; try the next
                // one, and in the end a new one, as lettre's pool did.
                if !session.reused() {
                    return Err(SendError::new(
                        SendErrorKind::Connection,
                        format!("{}: the server did not answer NOOP", self.endpoint),
                    ));
                }
            }
        };
        match tokio::time::timeout(self.deadline, check).await {
            Ok(result) => result,
            Err(_) => Err(self.timeout_error()),
        }
    }

    async fn close(&self) {
        let idle = self.pool.take_idle();
        let quits = idle.into_iter().map(pool::Session::quit);
        // QUIT to a stalled server could hang; dropping closes anyway.
        let _ = tokio::time::timeout(self.deadline, futures_util::future::join_all(quits)).await;
    }
}

/// A lettre error as a [`SendError`]; `endpoint` prefixes descriptions.
fn smtp_error(endpoint: &str, e: &lettre::transport::smtp::Error) -> SendError {
    if let Some(code) = e.status() {
        // For a negative reply lettre keeps the reply text (all lines
        // joined) as the error's source.
        let text = std::error::Error::source(e)
            .map(ToString::to_string)
            .unwrap_or_default();
        return SendError::from_reply(u16::from(code), &text);
    }
    let kind = if e.is_timeout() {
        SendErrorKind::Timeout
    } else if e.is_client() {
        SendErrorKind::Local
    } else {
        // Connection, network, TLS, an unreadable or missing reply (the
        // server hung up).
        SendErrorKind::Connection
    };
    SendError::new(kind, format!("{endpoint}: {e}"))
}

impl Transport {
    /// The transport `smtp` describes: the outbox folder when `smtp.url` is
    /// empty, else the SMTP server. Fails (naming the key) on a URL or TLS
    /// setting it cannot use; connects to nothing yet.
    pub fn from_settings(s: &SmtpSettings) -> Result<Transport> {
        let Some(url) = s.url.expose() else {
            return Ok(Transport::Outbox(
                s.outbox.clone(),
                FileAccess::owner_only(),
            ));
        };
        let url = parse_smtp_url(url)
            .map_err(|e| Error::Config(format!("smtp.url: {}", redact_secrets(&e))))?;
        let tls_parameters = || {
            TlsParameters::new(url.host.clone()).map_err(|e| {
                Error::Config(format!("smtp.url: cannot set up TLS for {}: {e}", url.host))
            })
        };
        let security = if url.implicit_tls {
            pool::Security::Wrapper(tls_parameters()?)
        } else {
            match s.starttls.trim() {
                "opportunistic" => pool::Security::Opportunistic(tls_parameters()?),
                "required" => pool::Security::Required(tls_parameters()?),
                other => {
                    return Err(Error::Config(format!(
                        "smtp.starttls: must be \"opportunistic\" or \"required\", not {other:?}"
                    )));
                }
            }
        };
        let endpoint = url.endpoint();
        let connector = pool::Connector {
            host: url.host,
            port: url.port,
            security,
            credentials: url
                .credentials
                .map(|(user, password)| Credentials::new(user, password)),
            allow_plaintext_auth: s.allow_plaintext_auth,
            connect_timeout: Duration::from_secs(s.connect_timeout_secs.max(1)),
            hello: ClientId::default(),
            endpoint,
        };
        Ok(Transport::Smtp(Box::new(SmtpRelay::new(
            connector,
            s.pool_size,
            Duration::from_secs(s.command_timeout_secs.max(1)),
        ))))
    }

    /// Hands one message to the server (or writes it to the outbox).
    /// `raw` is the complete message; bare LF or CR line ends become CRLF,
    /// as SMTP requires. `file_stem` names the outbox file and must be a
    /// plain file name (no `/`, no leading dot); the SMTP path ignores it.
    pub async fn send(
        &self,
        envelope: &Envelope,
        raw: &[u8],
        file_stem: &str,
    ) -> Result<Accepted, SendError> {
        match self {
            Transport::Smtp(relay) => relay.send(envelope, raw).await,
            Transport::Outbox(dir, access) => {
                let path = write_outbox(dir, access, file_stem, &to_crlf(raw)).await?;
                Ok(Accepted {
                    reply: format!("outbox: {}", path.display()),
                })
            }
        }
    }

    /// Checks the way out works without sending anything: connects (or
    /// reuses an idle connection) and sends NOOP; for the outbox, creates
    /// the folder. For a circuit breaker deciding whether to resume.
    pub async fn probe(&self) -> Result<(), SendError> {
        match self {
            Transport::Smtp(relay) => relay.probe().await,
            Transport::Outbox(dir, access) => access
                .create_dir_all(dir)
                .map_err(|e| outbox_error(dir, &e)),
        }
    }

    /// This transport with outbox files made with `access` (0600, or 0640
    /// for `files.group`); an SMTP transport is unchanged.
    pub fn with_file_access(self, access: &FileAccess) -> Transport {
        match self {
            Transport::Outbox(dir, _) => Transport::Outbox(dir, access.clone()),
            smtp @ Transport::Smtp(_) => smtp,
        }
    }

    /// Says QUIT on idle connections and closes them. Optional (dropping
    /// the transport closes connections too, just less politely); a later
    /// send opens new ones.
    pub async fn close(&self) {
        if let Transport::Smtp(relay) = self {
            relay.close().await;
        }
    }

    /// `smtp://host:port` (never the user or password) or
    /// `outbox folder PATH`, for logs and status output.
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(relay) => relay.endpoint.clone(),
            Transport::Outbox(dir, _) => format!("outbox folder {}", dir.display()),
        }
    }
}

fn lettre_envelope(envelope: &Envelope) -> Result<LettreEnvelope, SendError> {
    let address = |s: &str| {
        s.trim().parse::<Address>().map_err(|e| {
            SendError::new(
                SendErrorKind::Local,
                format!("bad envelope address {s:?}: {e}"),
            )
        })
    };
    let from = match envelope.from.trim() {
        "" => None,
        from => Some(address(from)?),
    };
    LettreEnvelope::new(from, vec![address(&envelope.to)?])
        .map_err(|e| SendError::new(SendErrorKind::Local, format!("bad envelope: {e}")))
}

/// The enhanced status code (RFC 3463 `class.subject.detail`) that `text`
/// starts with, if its class matches the reply code's first digit as
/// RFC 2034 requires.
fn enhanced_status(code: u16, text: &str) -> Option<&str> {
    let word = text.split_whitespace().next()?;
    let mut parts = word.split('.');
    let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
    let digits =
        |s: &str, max: usize| (1..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    let class_ok = matches!(class, "2" | "4" | "5") && class == (code / 100).to_string();
    (parts.next().is_none() && class_ok && digits(subject, 3) && digits(detail, 3)).then_some(word)
}

/// 5.1.x except the two about the sender's own address (5.1.7, 5.1.8).
fn is_recipient_address_status(enhanced: &str) -> bool {
    enhanced
        .strip_prefix("5.1.")
        .is_some_and(|detail| detail != "7" && detail != "8")
}

/// Bare LF and bare CR become CRLF. Servers increasingly reject bare line
/// ends (they enable "SMTP smuggling"), and lettre's dot-stuffing only
/// recognises CRLF lines. Borrowed when there is nothing to change.
fn to_crlf(raw: &[u8]) -> Cow<'_, [u8]> {
    let clean = raw.iter().enumerate().all(|(i, &b)| match b {
        b'\n' => i > 0 && raw[i - 1] == b'\r',
        b'\r' => raw.get(i + 1) == Some(&b'\n'),
        _ => true,
    });
    if clean {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if raw.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// The message without its last CRLF. lettre ends DATA with `\r\n.\r\n`
/// after the bytes it is given; per RFC 5321 that first CRLF already ends
/// the message's last line, so passing the message's own final CRLF too
/// would append an empty line to every message.
fn without_final_crlf(raw: &[u8]) -> &[u8] {
    raw.strip_suffix(b"\r\n").unwrap_or(raw)
}

/// Writes `{dir}/{stem}.eml` so that it appears complete or not at all:
/// the bytes go to a new hidden temporary file in the same folder (made
/// with `access`, never through a link), are synced to disk, then renamed
/// over the final name ([`FileAccess::write_replacing`]). Writing the same
/// stem again (a retry after a crash) replaces the file, so a message
/// never appears twice.
async fn write_outbox(
    dir: &Path,
    access: &FileAccess,
    stem: &str,
    raw: &[u8],
) -> Result<PathBuf, SendError> {
    if stem.is_empty()
        || stem.starts_with('.')
        || stem.contains(['/', '\\', '\0'])
        || stem.chars().any(char::is_control)
    {
        return Err(SendError::new(
            SendErrorKind::Local,
            format!("outbox: {stem:?} is not usable as a file name"),
        ));
    }
    let dir = dir.to_path_buf();
    let path = dir.join(format!("{stem}.eml"));
    let (raw, access, target) = (raw.to_vec(), access.clone(), path.clone());
    let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        access.create_dir_all(&dir)?;
        access.write_replacing(&target, &raw)
    })
    .await
    .map_err(|e| SendError::new(SendErrorKind::Local, format!("outbox: {e}")))?;
    written.map_err(|e| outbox_error(&path, &e))?;
    Ok(path)
}

fn outbox_error(path: &Path, e: &std::io::Error) -> SendError {
    SendError::new(
        SendErrorKind::Local,
        format!("outbox: {}: {e}", path.display()),
    )
}

/// `smtp.url` taken apart. The `url` crate is not a dependency of ours,
/// and this grammar is small: `smtp[s]://[user:password@]host[:port][/]`.
#[derive(Debug, PartialEq, Eq)]
struct SmtpUrl {
    implicit_tls: bool,
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
}

impl SmtpUrl {
    fn endpoint(&self) -> String {
        let scheme = if self.implicit_tls { "smtps" } else { "smtp" };
        if self.host.contains(':') {
            format!("{scheme}://[{}]:{}", self.host, self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// Parses `smtp.url`. Errors never repeat the user info, which holds the
/// password.
fn parse_smtp_url(url: &str) -> std::result::Result<SmtpUrl, String> {
    let url = url.trim();
    let (implicit_tls, rest) = if let Some(rest) = url.strip_prefix("smtps://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("smtp://") {
        (false, rest)
    } else {
        return Err("expected smtp://HOST:PORT or smtps://USER:PASSWORD@HOST:465".into());
    };
    // The last '@' ends the user info, so a password may contain '@'
    // (and '/', '?') without percent-encoding.
    let (userinfo, hostport) = match rest.rsplit_once('@') {
        Some((userinfo, hostport)) => (Some(userinfo), hostport),
        None => (None, rest),
    };
    let end = hostport.find(['/', '?', '#']).unwrap_or(hostport.len());
    let (hostport, tail) = hostport.split_at(end);
    if !tail.is_empty() && tail != "/" {
        return Err(format!(
            "nothing may follow the host and port (found {tail:?}); STARTTLS is set with smtp.starttls"
        ));
    }
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or("an IPv6 address needs its closing ']'")?;
        match after {
            "" => (host, None),
            _ => (
                host,
                Some(after.strip_prefix(':').ok_or("expected :PORT after ']'")?),
            ),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err("the URL has no host".into());
    }
    let port = match port {
        None => {
            if implicit_tls {
                465
            } else {
                25
            }
        }
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("{p:?} is not a port number"))?,
    };
    let credentials = match userinfo {
        None => None,
        Some(userinfo) => {
            let (user, password) = userinfo
                .split_once(':')
                .ok_or("the user name has no password (write USER:PASSWORD@HOST)")?;
            let user =
                percent_decode(user).ok_or("the user name is not valid percent-encoded UTF-8")?;
            let password = percent_decode(password)
                .ok_or("the password is not valid percent-encoded UTF-8")?;
            if user.is_empty() {
                return Err("the user name is empty".into());
            }
            Some((user, password))
        }
    };
    Ok(SmtpUrl {
        implicit_tls,
        host: host.to_ascii_lowercase(),
        port,
        credentials,
    })
}

/// `%XX` escapes to bytes, then UTF-8. A `%` not followed by two hex
/// digits is kept as it is, so a raw password containing `%` still works.
/// Hand-written because `percent-encoding` is only an indirect dependency.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(hi * 16 + lo).ok()?);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Our SMTP connection pool, on lettre's public client API.
///
/// * At most `pool_size` connections are open at once: a send takes a
///   *turn* (a semaphore permit) before it takes a connection, and only
///   opens a new one when no idle one is left, so busy plus idle never
///   exceeds the number of turns. With `sending.concurrency` above
///   `pool_size` the surplus sends wait for a turn; keep `pool_size` at
///   least `sending.concurrency`.
/// * A connection goes back to the idle list only when lettre has not
///   marked it broken. Its `send` marks it broken (after a polite QUIT)
///   when any command fails, a refused recipient included, so after any
///   negative reply the next message gets a new connection; the only
///   errors that leave it usable are its own checks before MAIL (a message
///   needing 8BITMIME or SMTPUTF8 the server lacks), where nothing was
///   sent. A cancelled (timed-out) send drops its connection.
/// * Sockets get `TCP_NODELAY`; see the module docs for why.
/// * An idle connection is reused only if it was parked less than
///   [`MAX_IDLE`] ago and nothing has arrived on it since: a server that
///   hung up (EOF) or said `421` while we were not listening is noticed
///   without a round trip. lettre sent NOOP before every reuse instead,
///   one more round trip per message; [`super::SmtpRelay::probe`] still
///   does.
/// * Nothing runs in the background: idle connections are closed when
///   found stale, by [`super::Transport::close`], or when the transport is
///   dropped.
pub(super) mod pool {
    use std::io;
    use std::net::TcpStream as StdTcpStream;
    use std::pin::Pin;
    use std::sync::{Mutex, PoisonError};
    use std::task::{Context, Poll, ready};
    use std::time::{Duration, Instant};

    #[allow(deprecated)] // see `ImplicitTls`
    use lettre::transport::smtp::client::AsyncNetworkStream;
    use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
    use lettre::transport::smtp::{authentication::Credentials, authentication::Mechanism};
    use lettre::transport::smtp::{extension::ClientId, response::Response};
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    use tokio::net::TcpStream;
    use tokio::sync::{Semaphore, SemaphorePermit};

    use super::{LettreEnvelope, SendError, SendErrorKind, smtp_error};

    /// An idle connection older than this is closed instead of reused
    /// (lettre's default idle timeout); servers drop idle sessions after
    /// a few minutes (RFC 5321 suggests 5), often without a word.
    pub(super) const MAX_IDLE: Duration = Duration::from_secs(60);

    /// Why a session with a password ends before AUTH when nothing
    /// encrypts it; the password was not sent.
    const PLAINTEXT_AUTH_REFUSED: &str = "the server offers no STARTTLS, so the password in \
        smtp.url would go unencrypted; nothing was sent. Use smtps://, or a server that offers \
        STARTTLS (and set smtp.starttls = \"required\"), or set smtp.allow_plaintext_auth = true \
        if the link to the server is trusted";

    /// How `smtp.url` and `smtp.starttls` say to encrypt.
    pub(super) enum Security {
        /// `smtps://`: TLS from the first byte.
        Wrapper(TlsParameters),
        /// STARTTLS when the server offers it, plain text otherwise.
        Opportunistic(TlsParameters),
        /// STARTTLS or no session (a `Local` error).
        Required(TlsParameters),
    }

    /// Everything needed to open one ready-to-send session. No `Debug`:
    /// it holds the password.
    pub(super) struct Connector {
        pub(super) host: String,
        pub(super) port: u16,
        pub(super) security: Security,
        pub(super) credentials: Option<Credentials>,
        /// `smtp.allow_plaintext_auth`: AUTH on a connection that is not
        /// encrypted. Off: such a session fails before AUTH.
        pub(super) allow_plaintext_auth: bool,
        /// Per address the host name resolves to.
        pub(super) connect_timeout: Duration,
        /// The EHLO name: this machine's host name, as lettre's default.
        pub(super) hello: ClientId,
        /// `smtp://host:port`, for error messages.
        pub(super) endpoint: String,
    }

    impl Connector {
        /// Connects, reads the greeting, EHLO, STARTTLS (+ EHLO) as
        /// configured, AUTH when there are credentials. The caller's
        /// deadline covers all of it. A session that fails on the way is
        /// dropped, which closes its socket.
        async fn connect(&self) -> Result<Session, SendError> {
            let tcp = self.open_socket().await?;
            let socket_error = |what: &str, e: io::Error| {
                SendError::new(
                    SendErrorKind::Connection,
                    format!("{}: {what}: {e}", self.endpoint),
                )
            };
            tcp.set_nodelay(true)
                .map_err(|e| socket_error("cannot set TCP_NODELAY", e))?;
            // A second handle on the same socket, to look for unexpected
            // bytes while the connection is idle (see `Session::is_quiet`).
            let std = tcp
                .into_std()
                .map_err(|e| socket_error("cannot take the socket", e))?;
            let watch = std
                .try_clone()
                .map_err(|e| socket_error("cannot duplicate the socket", e))?;
            let tcp = TcpStream::from_std(std)
                .map_err(|e| socket_error("cannot register the socket", e))?;

            let lettre_error = |e: lettre::transport::smtp::Error| smtp_error(&self.endpoint, &e);
            let mut conn = match &self.security {
                Security::Wrapper(tls) => {
                    let stream = ImplicitTls::handshake(tcp, tls.clone())
                        .await
                        .map_err(lettre_error)?;
                    AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await
                }
                Security::Opportunistic(_) | Security::Required(_) => {
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await
                }
            }
            .map_err(lettre_error)?;
            let encrypted = match &self.security {
                Security::Opportunistic(tls) if conn.can_starttls() => {
                    conn.starttls(tls.clone(), &self.hello)
                        .await
                        .map_err(lettre_error)?;
                    true
                }
                // Fails with a client (`Local`) error when the server does
                // not offer STARTTLS, before anything else is sent.
                Security::Required(tls) => {
                    conn.starttls(tls.clone(), &self.hello)
                        .await
                        .map_err(lettre_error)?;
                    true
                }
                Security::Wrapper(_) => true,
                Security::Opportunistic(_) => false,
            };
            if self.credentials.is_some() && !encrypted && !self.allow_plaintext_auth {
                return Err(SendError::new(
                    SendErrorKind::Local,
                    format!("{}: {PLAINTEXT_AUTH_REFUSED}", self.endpoint),
                ));
            }
            if let Some(credentials) = &self.credentials {
                conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                    .await
                    .map_err(lettre_error)?;
            }
            tracing::debug!(server = %self.endpoint, "SMTP connection opened");
            Ok(Session {
                conn,
                watch,
                parked: None,
            })
        }

        /// A TCP connection to the first address of `host` that accepts
        /// one within `connect_timeout`, as lettre tries them.
        async fn open_socket(&self) -> Result<TcpStream, SendError> {
            let addresses = tokio::net::lookup_host((self.host.as_str(), self.port))
                .await
                .map_err(|e| {
                    SendError::new(
                        SendErrorKind::Connection,
                        format!("{}: cannot resolve the host: {e}", self.endpoint),
                    )
                })?;
            let mut failure = None;
            for address in addresses {
                match tokio::time::timeout(self.connect_timeout, TcpStream::connect(address)).await
                {
                    Ok(Ok(tcp)) => return Ok(tcp),
                    Ok(Err(e)) => {
                        failure = Some(SendError::new(
                            SendErrorKind::Connection,
                            format!("{}: cannot connect to {address}: {e}", self.endpoint),
                        ));
                    }
                    Err(_) => {
                        failure = Some(SendError::new(
                            SendErrorKind::Timeout,
                            format!(
                                "{}: no connection to {address} within {} s",
                                self.endpoint,
                                self.connect_timeout.as_secs()
                            ),
                        ));
                    }
                }
            }
            Err(failure.unwrap_or_else(|| {
                SendError::new(
                    SendErrorKind::Connection,
                    format!("{}: the host name has no address", self.endpoint),
                )
            }))
        }
    }

    /// One open SMTP session, ready for MAIL.
    pub(super) struct Session {
        conn: AsyncSmtpConnection,
        /// The same socket as `conn`'s (a duplicated descriptor), only
        /// ever peeked at.
        watch: StdTcpStream,
        /// When it was last handed back; `None` while it has not been
        /// used yet.
        parked: Option<Instant>,
    }

    impl Session {
        pub(super) async fn send(
            &mut self,
            envelope: &LettreEnvelope,
            data: &[u8],
        ) -> Result<Response, lettre::transport::smtp::Error> {
            self.conn.send(envelope, data).await
        }

        /// NOOP answered positively.
        pub(super) async fn noop(&mut self) -> bool {
            self.conn.test_connected().await
        }

        /// Came from the idle list rather than a fresh connect.
        pub(super) fn reused(&self) -> bool {
            self.parked.is_some()
        }

        /// QUIT, then close (with TLS: close_notify first).
        pub(super) async fn quit(mut self) {
            self.conn.abort().await;
        }

        /// Nothing has arrived since the last reply. An idle SMTP client
        /// connection never receives anything, so readable bytes mean the
        /// server hung up (EOF), reset it, or talked without being asked
        /// (`421` before closing, a TLS alert): not reusable. Peeking does
        /// not consume, and the connection is dropped in every case but
        /// "would block".
        fn is_quiet(&self) -> bool {
            matches!(
                self.watch.peek(&mut [0_u8; 1]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock
            )
        }

        fn is_reusable(&self) -> bool {
            self.parked.is_none_or(|at| at.elapsed() < MAX_IDLE) && self.is_quiet()
        }
    }

    /// The idle connections and the turns; see the [module docs](self).
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
            if session.conn.has_broken() {
                return;
            }
            session.parked = Some(Instant::now());
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

    /// An `smtps://` stream, TLS from the first byte, that lettre can take
    /// as a plain one.
    ///
    /// lettre's only public way to start a session on a socket we opened
    /// (with `TCP_NODELAY`) is `connect_with_transport`, which reads the
    /// greeting right away, so there is no moment to start TLS in between.
    /// Its own `connect_tokio1(.., Some(tls), ..)` opens the socket itself
    /// (without `TCP_NODELAY`). So we let lettre's stream type do the
    /// handshake on our socket (`use_existing_tokio1` + `upgrade_tls`:
    /// public, but `AsyncNetworkStream` is deprecated as "not meant to be
    /// public"; revisit with lettre 0.12 or once lettre#1159 is released)
    /// and hand the encrypted stream back through `connect_with_transport`
    /// behind this adapter from the futures I/O traits to tokio's.
    /// lettre then sees a plain stream: `is_encrypted()` is false and
    /// `can_starttls()` may be true, which only matters for STARTTLS, not
    /// used with `smtps://`.
    /// (`futures_util::io`, which the adapter needs, is there because
    /// lettre enables futures-util's `io` feature.)
    #[allow(deprecated)]
    #[derive(Debug)]
    struct ImplicitTls(AsyncNetworkStream);

    impl ImplicitTls {
        #[allow(deprecated)]
        async fn handshake(
            tcp: TcpStream,
            tls: TlsParameters,
        ) -> Result<ImplicitTls, lettre::transport::smtp::Error> {
            let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
            stream.upgrade_tls(tls).await?;
            Ok(ImplicitTls(stream))
        }
    }

    impl AsyncTokioStream for ImplicitTls {
        fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
            self.0.peer_addr()
        }
    }

    impl AsyncRead for ImplicitTls {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let n = ready!(futures_util::io::AsyncRead::poll_read(
                Pin::new(&mut self.0),
                cx,
                buf.initialize_unfilled()
            ))?;
            buf.advance(n);
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for ImplicitTls {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            futures_util::io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            futures_util::io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            futures_util::io::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
        }
    }
}

/// The tests' one way to find outside programs and to skip (or, under
/// POSTBODE_REQUIRE_ALL_TESTS=1, fail) without them.
#[cfg(test)]
#[path = "../../tests/support/outside.rs"]
mod outside;

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> SmtpSettings {
        SmtpSettings {
            url: crate::config::SmtpUrl::parse(url).expect("valid smtp url"),
            ..Default::default()
        }
    }

    #[test]
    fn a_plain_smtp_url_defaults_to_port_25_and_no_login() {
        let url = parse_smtp_url("smtp://Mail.Example.org").expect("parses");
        assert_eq!(
            url,
            SmtpUrl {
                implicit_tls: false,
                host: "mail.example.org".into(),
                port: 25,
                credentials: None
            }
        );
    }

    #[test]
    fn an_smtps_url_defaults_to_port_465_and_decodes_its_credentials() {
        let url = parse_smtp_url("smtps://news%40example.org:p%40ss:w@rd/?@mail.example.org")
            .expect("parses");
        assert!(url.implicit_tls);
        assert_eq!(url.port, 465);
        assert_eq!(url.host, "mail.example.org");
        assert_eq!(
            url.credentials,
            Some(("news@example.org".into(), "p@ss:w@rd/?".into()))
        );
    }

    #[test]
    fn ports_and_ipv6_literals_are_read() {
        let url = parse_smtp_url("smtp://[::1]:2525/").expect("parses");
        assert_eq!((url.host.as_str(), url.port), ("::1", 2525));
        assert_eq!(url.endpoint(), "smtp://[::1]:2525");
        let url = parse_smtp_url("smtp://127.0.0.1:587").expect("parses");
        assert_eq!(url.endpoint(), "smtp://127.0.0.1:587");
    }

    #[test]
    fn bad_urls_are_refused_without_repeating_the_password() {
        for bad in [
            "smtp://user:hunter2@host:99999",
            "smtp://user:hunter2@host:0",
            "smtp://user:hunter2@host?tls=required",
            "smtp://user:hunter2@host/ehlo-name",
            "smtp://user:hunter2@",
            "smtp://hunter2@host",
            "smtp://user:hunter2%FF@host",
            "http://host",
        ] {
            let err = parse_smtp_url(bad).expect_err(bad);
            assert!(!err.contains("hunter2"), "{bad}: {err}");
        }
    }

    #[test]
    fn describe_never_shows_the_password() {
        let t = Transport::from_settings(&settings("smtps://u:hunter2@mail.example.org"))
            .expect("valid");
        assert_eq!(t.describe(), "smtps://mail.example.org:465");
        assert!(!format!("{t:?}").contains("hunter2"));
        let t = Transport::from_settings(&SmtpSettings::default()).expect("valid");
        assert_eq!(t.describe(), "outbox folder outbox");
    }

    #[test]
    fn an_unknown_starttls_mode_names_the_key() {
        let mut s = settings("smtp://mail.example.org");
        s.starttls = "sometimes".into();
        let err = Transport::from_settings(&s).expect_err("bad mode");
        assert!(err.to_string().contains("smtp.starttls"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn percent_decoding_keeps_stray_percent_signs() {
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("100%").as_deref(), Some("100%"));
        assert_eq!(percent_decode("%zz").as_deref(), Some("%zz"));
        assert_eq!(percent_decode("%C3%A9").as_deref(), Some("é"));
        assert_eq!(percent_decode("%FF"), None);
    }

    #[test]
    fn replies_are_classified_by_code_and_enhanced_status() {
        let e = SendError::from_reply(550, "5.1.1 <x@example.org>: Recipient address rejected");
        assert!(e.is_permanent() && e.is_no_such_user() && !e.is_transient());
        assert_eq!(e.enhanced.as_deref(), Some("5.1.1"));
        assert_eq!(
            e.reply(),
            "550 5.1.1 <x@example.org>: Recipient address rejected"
        );

        let e = SendError::from_reply(
            550,
            "Requested action not taken: mailbox unavailable (5.1.1)",
        );
        assert!(e.is_no_such_user() && e.enhanced.is_none());

        let e = SendError::from_reply(554, "5.7.1 Message rejected as spam");
        assert!(e.is_permanent() && !e.is_no_such_user());

        let e = SendError::from_reply(553, "5.1.8 Sender address domain does not exist");
        assert!(e.is_permanent() && !e.is_no_such_user());

        let e = SendError::from_reply(550, "Mailbox unavailable");
        assert!(e.is_permanent() && !e.is_no_such_user());

        let e = SendError::from_reply(451, "4.7.1 Try again later");
        assert!(e.is_transient() && e.is_throttling() && !e.is_permanent());
        assert!(!e.is_no_such_user());

        let e = SendError::from_reply(452, "4.2.2 Mailbox full");
        assert!(e.is_transient() && !e.is_throttling());

        let e = SendError::from_reply(535, "5.7.8 Authentication credentials invalid");
        assert!(e.is_permanent() && e.affects_every_recipient());
        assert!(!SendError::from_reply(550, "5.1.1 no").affects_every_recipient());
    }

    #[test]
    fn an_enhanced_status_must_agree_with_the_reply_code() {
        assert_eq!(enhanced_status(550, "5.1.1 x"), Some("5.1.1"));
        assert_eq!(enhanced_status(550, "4.1.1 x"), None);
        assert_eq!(enhanced_status(550, "5.1 x"), None);
        assert_eq!(enhanced_status(550, "5.1.1.1 x"), None);
        assert_eq!(enhanced_status(550, "5.1000.1 x"), None);
        assert_eq!(enhanced_status(250, "2.0.0 Ok"), Some("2.0.0"));
    }

    #[test]
    fn bare_line_ends_become_crlf_and_clean_input_is_not_copied() {
        assert!(matches!(to_crlf(b"a\r\nb\r\n"), Cow::Borrowed(_)));
        assert_eq!(&*to_crlf(b"a\nb\rc\r\n\n"), b"a\r\nb\r\nc\r\n\r\n");
        assert_eq!(&*to_crlf(b"\n"), b"\r\n");
        assert_eq!(without_final_crlf(b"a\r\n"), b"a");
        assert_eq!(without_final_crlf(b"a"), b"a");
    }

    #[tokio::test]
    async fn outbox_file_stems_cannot_leave_the_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let t = Transport::Outbox(dir.path().join("outbox"), FileAccess::owner_only());
        let env = Envelope {
            from: "a@example.org".into(),
            to: "b@example.org".into(),
        };
        for stem in ["../escape", "", ".hidden", "a/b", "a\\b"] {
            let err = t.send(&env, b"x\r\n", stem).await.expect_err(stem);
            assert_eq!(err.kind, SendErrorKind::Local);
        }
        assert!(
            !dir.path().join("escape.eml").exists(),
            "nothing written outside the outbox"
        );
    }

    /// An SMTP server for the TLS paths, which the in-process test server
    /// lacks: Python's `ssl` module, playing STARTTLS (`starttls`) or
    /// TLS from the first byte (`smtps`). It offers AUTH only once
    /// encrypted, takes `user`/`secret`, and reports the connection,
    /// message and TLS version in the final reply.
    const TLS_SERVER_PY: &str = r#"
import base64, socket, ssl, sys, threading
mode, cert, key = sys.argv[1:]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)

class Lines:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""
    def next(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return b""
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"

def session(sock, n):
    if mode == "smtps":
        sock = ctx.wrap_socket(sock, server_side=True)
    say = lambda text: sock.sendall(text.encode() + b"\r\n")
    lines, queued = Lines(sock), 0
    say("220 tls.example ESMTP")
    while True:
        words = lines.next().decode().split()
        if not words:
            return
        verb, tls = words[0].upper(), isinstance(sock, ssl.SSLSocket)
        if verb == "EHLO":
            say("250-tls.example")
            say("250-8BITMIME")
            say("250 AUTH PLAIN LOGIN" if tls else "250 STARTTLS")
        elif verb == "STARTTLS" and not tls:
            say("220 2.0.0 ready")
            sock = ctx.wrap_socket(sock, server_side=True)
            lines = Lines(sock)
        elif verb == "AUTH":
            ok = tls and words[1:] == ["PLAIN", base64.b64encode(b"\0user\0secret").decode()]
            say("235 2.7.0 ok" if ok else "535 5.7.8 bad credentials")
        elif verb == "DATA":
            say("354 go ahead")
            while lines.next() not in (b".\r\n", b""):
                pass
            queued += 1
            say(f"250 2.0.0 queued as {n}.{queued} over {sock.version() if tls else 'plain text'}")
        elif verb == "QUIT":
            say("221 2.0.0 bye")
            return
        else:
            say("250 2.0.0 ok")

def guarded(sock, n):
    try:
        session(sock, n)
    except Exception:
        pass

n = 0
while True:
    sock, _ = server.accept()
    n += 1
    threading.Thread(target=guarded, args=(sock, n), daemon=True).start()
"#;

    /// One of the [`pool::Security`] variants.
    type MakeSecurity = fn(TlsParameters) -> pool::Security;

    /// A running [`TLS_SERVER_PY`] with a throwaway self-signed certificate.
    struct TlsTestServer {
        child: std::process::Child,
        port: u16,
        _dir: tempfile::TempDir,
    }

    impl TlsTestServer {
        /// `None` (the test is skipped) without `openssl` or `python3`;
        /// a failure instead when POSTBODE_REQUIRE_ALL_TESTS=1.
        fn start(mode: &str) -> Option<TlsTestServer> {
            use std::io::BufRead;
            use std::process::{Command, Stdio};
            let openssl = outside::program("openssl", "Debian package openssl")?;
            let python = outside::python_with(&["ssl"], "Debian package python3")?;
            let dir = tempfile::tempdir().expect("temp dir");
            let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
            let made = Command::new(openssl)
                .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
                .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
                .args([
                    "-subj",
                    "/CN=localhost",
                    "-addext",
                    "subjectAltName=DNS:localhost",
                ])
                .arg("-keyout")
                .arg(&key)
                .arg("-out")
                .arg(&cert)
                .output()
                .expect("run openssl");
            assert!(
                made.status.success(),
                "openssl made no certificate: {}",
                String::from_utf8_lossy(&made.stderr)
            );
            let mut child = Command::new(python)
                .arg("-c")
                .arg(TLS_SERVER_PY)
                .arg(mode)
                .arg(&cert)
                .arg(&key)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .spawn()
                .expect("run python3");
            let mut line = String::new();
            let stdout = child.stdout.take().expect("piped stdout");
            std::io::BufReader::new(stdout)
                .read_line(&mut line)
                .expect("read the port");
            let port = match line.trim().parse() {
                Ok(port) => port,
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("the TLS test server did not start: {line:?}");
                }
            };
            Some(TlsTestServer {
                child,
                port,
                _dir: dir,
            })
        }

        /// A relay to this server, accepting its self-signed certificate.
        fn relay(
            &self,
            security: fn(TlsParameters) -> pool::Security,
            password: &str,
        ) -> SmtpRelay {
            let tls = TlsParameters::builder("localhost".into())
                .dangerous_accept_invalid_certs(true)
                .build()
                .expect("TLS parameters");
            let connector = pool::Connector {
                host: "127.0.0.1".into(),
                port: self.port,
                security: security(tls),
                credentials: Some(Credentials::new("user".into(), password.into())),
                allow_plaintext_auth: false,
                connect_timeout: Duration::from_secs(5),
                hello: ClientId::default(),
                endpoint: format!("smtp://127.0.0.1:{}", self.port),
            };
            SmtpRelay::new(connector, 2, Duration::from_secs(10))
        }
    }

    impl Drop for TlsTestServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    #[tokio::test]
    async fn starttls_and_smtps_encrypt_log_in_and_reuse_their_connection() {
        let cases: [(&str, MakeSecurity); 3] = [
            ("starttls", pool::Security::Opportunistic),
            ("starttls", pool::Security::Required),
            ("smtps", pool::Security::Wrapper),
        ];
        let env = Envelope {
            from: "a@example.org".into(),
            to: "b@example.org".into(),
        };
        for (mode, security) in cases {
            let Some(server) = TlsTestServer::start(mode) else {
                return;
            };
            let relay = server.relay(security, "secret");
            for n in 1..=3 {
                let accepted = relay
                    .send(&env, "Subject: tls\r\n\r\nhallo, één\r\n".as_bytes())
                    .await
                    .unwrap_or_else(|e| panic!("{mode}: {e}"));
                assert!(
                    accepted
                        .reply
                        .starts_with(&format!("250 2.0.0 queued as 1.{n} over TLSv1.")),
                    "{mode}: {}",
                    accepted.reply
                );
            }
            relay.probe().await.expect("NOOP over TLS");
            relay.close().await;

            let refused = server.relay(security, "wrong");
            let err = refused
                .send(&env, b"x\r\n")
                .await
                .expect_err("bad password");
            assert_eq!(err.code, Some(535), "{mode}: {err:?}");
            assert!(err.affects_every_recipient());
        }
    }
}
