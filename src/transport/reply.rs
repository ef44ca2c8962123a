//! Reply classes: what the server's answer (or its silence) means for the
//! message. [`SendError`] says whether a failure is worth retrying
//! ([`SendError::is_transient`]), final ([`SendError::is_permanent`]),
//! about this recipient's mailbox ([`SendError::is_no_such_user`]) or
//! about every recipient ([`SendError::affects_every_recipient`]); what to
//! do about it (retry, fail, mark bounced, pause) is the dispatcher's
//! business.

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
    pub(super) fn new(kind: SendErrorKind, message: impl Into<String>) -> SendError {
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

/// A lettre error as a [`SendError`]; `endpoint` prefixes descriptions.
pub(super) fn smtp_error(endpoint: &str, e: &lettre::transport::smtp::Error) -> SendError {
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
#[cfg(test)]
mod tests {
    use super::*;

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
}
