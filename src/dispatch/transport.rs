//! Where a finished message goes: an SMTP server, over a pool of reused
//! connections (lettre), or the outbox folder as one `.eml` file per message
//! when no server is configured. This module owns the SMTP session and the
//! meaning of its replies ([`SendError`]); what to do about a reply (retry,
//! fail, mark bounced, pause) is the dispatcher's business.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use lettre::address::{Address, Envelope as LettreEnvelope};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::{AsyncSmtpTransportBuilder, PoolConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::SmtpSettings;
use crate::error::{Error, Result};

/// Where messages go: an SMTP server (pooled) or the outbox folder.
#[derive(Debug)]
pub enum Transport {
    /// An SMTP server; see [`SmtpRelay`]. Boxed: it is much larger than a
    /// path.
    Smtp(Box<SmtpRelay>),
    /// A folder that receives `{file_stem}.eml` per message. Used by
    /// `quickstart` and whenever `smtp.url` is empty.
    Outbox(PathBuf),
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

/// An SMTP server reached through lettre's pooled async transport.
///
/// The lettre transport (and with it the pool) is created on first use
/// rather than in [`Transport::from_settings`], because creating it spawns
/// the pool's clean-up task and so needs a running tokio runtime, while
/// settings are read before one exists.
pub struct SmtpRelay {
    builder: AsyncSmtpTransportBuilder,
    /// `smtp://host:port`: for logs and error messages, never a password.
    endpoint: String,
    /// Limit for one whole send or probe; see [`SmtpRelay::deadline`].
    deadline: Duration,
    pool: Mutex<Option<Arc<AsyncSmtpTransport<Tokio1Executor>>>>,
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
    /// The time one send (or probe) may take from start to final reply,
    /// taken from `smtp.command_timeout_secs`.
    ///
    /// lettre's async client only applies its own timeout to the TCP
    /// connect (`smtp.connect_timeout_secs`); it waits for every reply
    /// without limit. So the whole exchange (connecting if the pool has no
    /// idle connection, MAIL, RCPT, DATA, final reply) runs under this one
    /// deadline. A healthy server answers all of it in well under one
    /// command's allowance, and a timeout is retried anyway.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    fn pool(&self) -> Arc<AsyncSmtpTransport<Tokio1Executor>> {
        let mut slot = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert_with(|| Arc::new(self.builder.clone().build()))
            .clone()
    }

    /// Throws away a pool after a timeout. The cancelled send may have left
    /// a connection mid-transaction; lettre would park it again (it only
    /// discards connections that failed), and the next message on it would
    /// read the previous command's late reply. Shutting the pool down makes
    /// lettre close that connection instead; new sends get a fresh pool.
    fn discard(&self, broken: &Arc<AsyncSmtpTransport<Tokio1Executor>>) {
        {
            let mut slot = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
            if slot.as_ref().is_some_and(|p| Arc::ptr_eq(p, broken)) {
                *slot = None;
            }
        }
        let old = Arc::clone(broken);
        let limit = self.deadline;
        // QUIT on the idle connections of a stalled server could hang too.
        tokio::spawn(async move {
            let _ = tokio::time::timeout(limit, old.shutdown()).await;
        });
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
        let pool = self.pool();
        match tokio::time::timeout(self.deadline, pool.send_raw(&envelope, data)).await {
            Ok(Ok(response)) => {
                // lettre puts the connection back into the pool from a task
                // it spawns when the send finishes. If the caller's next
                // send looks for an idle connection before that task ran,
                // it opens another (and lettre closes one again when the
                // pool is full). Yielding lets the task run first; on a
                // current-thread runtime that makes reuse exact, on a
                // multi-threaded one it only narrows the race.
                tokio::task::yield_now().await;
                let code = u16::from(response.code());
                let text: Vec<&str> = response.message().collect();
                Ok(Accepted {
                    reply: format!("{code} {}", text.join(" ")).trim_end().to_owned(),
                })
            }
            Ok(Err(e)) => Err(self.map_error(&e)),
            Err(_) => {
                tracing::warn!(server = %self.endpoint, "SMTP send timed out; reconnecting");
                self.discard(&pool);
                Err(self.timeout_error())
            }
        }
    }

    async fn probe(&self) -> Result<(), SendError> {
        let pool = self.pool();
        match tokio::time::timeout(self.deadline, pool.test_connection()).await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(SendError::new(
                SendErrorKind::Connection,
                format!("{}: the server did not answer NOOP", self.endpoint),
            )),
            Ok(Err(e)) => Err(self.map_error(&e)),
            Err(_) => {
                self.discard(&pool);
                Err(self.timeout_error())
            }
        }
    }

    async fn close(&self) {
        let pool = self
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(pool) = pool {
            let _ = tokio::time::timeout(self.deadline, pool.shutdown()).await;
        }
    }

    fn map_error(&self, e: &lettre::transport::smtp::Error) -> SendError {
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
            // Connection, network, TLS, an unreadable or missing reply
            // (the server hung up), a pool shut down after a timeout.
            SendErrorKind::Connection
        };
        SendError::new(kind, format!("{}: {e}", self.endpoint))
    }
}

impl Transport {
    /// The transport `smtp` describes: the outbox folder when `smtp.url` is
    /// empty, else the SMTP server. Fails (naming the key) on a URL or TLS
    /// setting it cannot use; connects to nothing yet.
    pub fn from_settings(s: &SmtpSettings) -> Result<Transport> {
        let Some(url) = s.url.expose() else {
            return Ok(Transport::Outbox(s.outbox.clone()));
        };
        let url = parse_smtp_url(url).map_err(|e| Error::Config(format!("smtp.url: {e}")))?;
        let tls_parameters = || {
            TlsParameters::new(url.host.clone()).map_err(|e| {
                Error::Config(format!("smtp.url: cannot set up TLS for {}: {e}", url.host))
            })
        };
        let tls = if url.implicit_tls {
            Tls::Wrapper(tls_parameters()?)
        } else {
            match s.starttls.trim() {
                "opportunistic" => Tls::Opportunistic(tls_parameters()?),
                "required" => Tls::Required(tls_parameters()?),
                other => {
                    return Err(Error::Config(format!(
                        "smtp.starttls: must be \"opportunistic\" or \"required\", not {other:?}"
                    )));
                }
            }
        };
        let endpoint = url.endpoint();
        let pool = PoolConfig::new().min_idle(0).max_size(s.pool_size.max(1));
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(url.host.clone())
            .port(url.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(s.connect_timeout_secs.max(1))))
            .pool_config(pool);
        if let Some((user, password)) = url.credentials {
            if !url.implicit_tls && s.starttls.trim() == "opportunistic" {
                tracing::warn!(
                    server = %endpoint,
                    "smtp.url has a password but smtp.starttls is \"opportunistic\": \
                     if the server does not offer STARTTLS the password is sent unencrypted; \
                     set smtp.starttls = \"required\" or use smtps://"
                );
            }
            builder = builder
                .credentials(Credentials::new(user, password))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(Transport::Smtp(Box::new(SmtpRelay {
            builder,
            endpoint,
            deadline: Duration::from_secs(s.command_timeout_secs.max(1)),
            pool: Mutex::new(None),
        })))
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
            Transport::Outbox(dir) => {
                let path = write_outbox(dir, file_stem, &to_crlf(raw)).await?;
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
            Transport::Outbox(dir) => tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| outbox_error(dir, &e)),
        }
    }

    /// Says QUIT on idle connections and drops the pool. Optional (dropping
    /// the transport closes connections too, just less politely); a later
    /// send opens a new pool.
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
            Transport::Outbox(dir) => format!("outbox folder {}", dir.display()),
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

/// Makes temporary names unique within the process, so two workers writing
/// the same stem never share a half-written file.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `{dir}/{stem}.eml` so that it appears complete or not at all:
/// the bytes go to a hidden temporary file in the same folder, are synced
/// to disk, then renamed over the final name. Writing the same stem again
/// (a retry after a crash) replaces the file, so a message never appears
/// twice.
async fn write_outbox(dir: &Path, stem: &str, raw: &[u8]) -> Result<PathBuf, SendError> {
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
    let tmp = dir.join(format!(
        ".{stem}.{}-{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let raw = raw.to_vec();
    let (target, temp) = (path.clone(), tmp.clone());
    let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::io::Write;
        std::fs::create_dir_all(&dir)?;
        let result = (|| {
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(&raw)?;
            file.sync_all()?;
            std::fs::rename(&temp, &target)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result
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
        let t = Transport::Outbox(dir.path().join("outbox"));
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
}
