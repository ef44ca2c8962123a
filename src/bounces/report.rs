//! One message that came back, read into the facts the classifier and the
//! proof rule need: the per-recipient fields of a delivery status
//! notification (RFC 3464), the feedback type of an abuse report (RFC
//! 5965), the text of a non-standard bounce, the addresses the report was
//! sent to, and the Message-IDs and envelope senders of the returned
//! message.
//!
//! MIME, the header fields and the returned message are parsed by
//! mail-parser. The `message/delivery-status` and `message/feedback-report`
//! bodies are blocks of header fields separated by blank lines (the
//! per-message block, then one block per recipient); mail-parser's header
//! parser reads each block, so only the split at blank lines is done here.

use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};

/// What one recipient block of a DSN says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecipientStatus {
    /// `Action:` lowercased: failed, delayed, delivered, relayed, expanded.
    pub action: Option<String>,
    /// `Status:`, the enhanced status code, e.g. `5.1.1`.
    pub status: Option<String>,
    /// `Diagnostic-Code:`, e.g. `smtp; 550 5.1.1 user unknown`.
    pub diagnostic: Option<String>,
    /// `Final-Recipient:` (or `Original-Recipient:`), e.g. `rfc822; a@b.nl`.
    pub recipient: Option<String>,
}

/// A report, as far as it could be read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Keys a report so that reading it twice is noticed: its own
    /// Message-ID, or else a SHA-256 of its bytes.
    pub key: String,
    pub subject: String,
    /// The recipient blocks of a `message/delivery-status` part.
    pub recipients: Vec<RecipientStatus>,
    /// `Feedback-Type:` of a `message/feedback-report` part, lowercased.
    pub feedback_type: Option<String>,
    /// The text of a bounce without a `message/delivery-status` part, when
    /// it is one of the recognised non-standard formats.
    pub nonstandard: Option<String>,
    /// `Auto-Submitted: auto-replied`, `X-Autoreply`, `Precedence:
    /// auto_reply` and the like: an auto-reply (unless it is a DSN or ARF
    /// report, which carry these too).
    pub auto_reply: bool,
    /// Addresses the report was delivered to (`Delivered-To`,
    /// `X-Original-To`, `Envelope-To`, `To`): a VERP address among them
    /// names the delivery.
    pub sent_to: Vec<String>,
    /// Envelope senders of the returned message (its `Return-Path`, or
    /// `Original-Mail-From` of a feedback report).
    pub returned_senders: Vec<String>,
    /// Message-IDs the report refers to: its `In-Reply-To` and
    /// `References`, and the returned message's `Message-ID`; without
    /// angle brackets.
    pub message_ids: Vec<String>,
}

/// Reads `raw`; `None` when it is not a mail message at all (no header).
pub fn parse(raw: &[u8]) -> Option<Report> {
    let parser = MessageParser::default();
    let message = parser.parse(raw)?;
    if message.root_part().headers.is_empty() {
        return None;
    }
    let mut report = Report {
        key: match message.message_id() {
            Some(id) if !id.trim().is_empty() => format!("mid:{}", id.trim()),
            _ => {
                let hex: String = crate::crypto::sha256(raw)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                format!("sha256:{hex}")
            }
        },
        subject: message.subject().unwrap_or_default().to_owned(),
        ..Report::default()
    };
    for name in ["Delivered-To", "X-Original-To", "Envelope-To", "To"] {
        for value in message.header_values(name) {
            push_addresses(&mut report.sent_to, value);
        }
    }
    push_ids(&mut report.message_ids, message.in_reply_to());
    push_ids(&mut report.message_ids, message.references());
    report.auto_reply = is_auto_reply(&message);

    for part in &message.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let ctype = ct.ctype().to_ascii_lowercase();
        let subtype = ct.subtype().unwrap_or_default().to_ascii_lowercase();
        match (ctype.as_str(), subtype.as_str()) {
            ("message", "delivery-status" | "global-delivery-status") => {
                read_delivery_status(&parser, part.contents(), &mut report);
            }
            ("message", "feedback-report") => {
                read_feedback_report(&parser, part.contents(), &mut report);
            }
            ("message", "rfc822" | "global") => {
                if let PartType::Message(returned) = &part.body {
                    read_returned(returned, &mut report);
                }
            }
            ("message" | "text", "rfc822-headers" | "global-headers") => {
                if let Some(returned) = parser.parse_headers(part.contents()) {
                    read_returned(&returned, &mut report);
                }
            }
            _ => {}
        }
    }
    if report.recipients.is_empty() && report.feedback_type.is_none() {
        read_nonstandard(&parser, &message, &mut report);
    }
    Some(report)
}

/// The field blocks of a `message/delivery-status` body: the first is
/// about the message, the others each about one recipient.
fn read_delivery_status(parser: &MessageParser, body: &[u8], report: &mut Report) {
    for block in field_blocks(body).skip(1) {
        let Some(fields) = parser.parse_headers(block) else {
            continue;
        };
        let text = |name: &str| {
            fields
                .header(name)
                .and_then(HeaderValue::as_text)
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let status = RecipientStatus {
            action: text("Action").map(|a| a.to_ascii_lowercase()),
            status: text("Status"),
            diagnostic: text("Diagnostic-Code"),
            recipient: text("Final-Recipient").or_else(|| text("Original-Recipient")),
        };
        if status != RecipientStatus::default() {
            report.recipients.push(status);
        }
    }
}

/// A `message/feedback-report` body is one block of fields.
fn read_feedback_report(parser: &MessageParser, body: &[u8], report: &mut Report) {
    let Some(fields) = parser.parse_headers(body) else {
        return;
    };
    if let Some(kind) = fields
        .header("Feedback-Type")
        .and_then(HeaderValue::as_text)
    {
        report.feedback_type = Some(kind.trim().to_ascii_lowercase());
    }
    for value in fields.header_values("Original-Mail-From") {
        push_addresses(&mut report.returned_senders, value);
    }
}

/// The returned message (or its headers): its Message-ID and envelope
/// sender point at the delivery.
fn read_returned(returned: &Message, report: &mut Report) {
    if let Some(id) = returned.message_id() {
        push_unique(&mut report.message_ids, id);
    }
    push_addresses(&mut report.returned_senders, returned.return_path());
}

/// Splits a body of field blocks at its blank lines. mail-parser reads one
/// block of header fields at a time, and RFC 3464 separates the blocks
/// with blank lines (CRLF or, after a local delivery, LF).
fn field_blocks(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = body;
    std::iter::from_fn(move || {
        while let Some(stripped) = rest
            .strip_prefix(b"\r\n")
            .or_else(|| rest.strip_prefix(b"\n"))
        {
            rest = stripped;
        }
        if rest.is_empty() {
            return None;
        }
        let end = (0..rest.len()).find_map(|i| {
            let tail = &rest[i..];
            if tail.starts_with(b"\n\n") {
                Some((i + 1, i + 2))
            } else if tail.starts_with(b"\n\r\n") {
                Some((i + 1, i + 3))
            } else {
                None
            }
        });
        let (block, next) = match end {
            Some((block_end, next)) => (&rest[..block_end], &rest[next..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        Some(block)
    })
}

/// qmail's bounces and old Exchange NDRs are plain text without a
/// delivery-status part. They are recognised by their fixed wording only;
/// the text then is classified by the status code in it, and the copy of
/// the message after it (qmail) gives its Message-ID.
fn read_nonstandard(parser: &MessageParser, message: &Message, report: &mut Report) {
    let Some(text) = message.body_text(0) else {
        return;
    };
    // (marker, the line after which a copy of the message follows)
    const FORMATS: [(&str, Option<&str>); 5] = [
        (
            "This is the qmail-send program",
            Some("--- Below this line is a copy of the message."),
        ),
        (
            "Delivery to the following recipient failed permanently",
            Some("----- Original message -----"),
        ),
        ("Delivery has failed to these recipients or groups", None),
        ("Your message couldn't be delivered", None),
        ("Remote Server returned '", None),
    ];
    let Some((_, copy_marker)) = FORMATS.iter().find(|(marker, _)| text.contains(marker)) else {
        return;
    };
    let (notice, copy) = match copy_marker.and_then(|m| text.find(m).map(|at| (at, m.len()))) {
        Some((at, len)) => (&text[..at], Some(&text[at + len..])),
        None => (&text[..], None),
    };
    report.nonstandard = Some(notice.to_owned());
    if let Some(copy) = copy {
        let copy = copy.trim_start_matches([' ', '\r', '\n']);
        if let Some(returned) = parser.parse_headers(copy.as_bytes()) {
            read_returned(&returned, report);
        }
    }
}

fn is_auto_reply(message: &Message) -> bool {
    let field = |name: &str| {
        message
            .header(name)
            .and_then(HeaderValue::as_text)
            .map(|s| s.trim().to_ascii_lowercase())
    };
    if field("Auto-Submitted").is_some_and(|v| v != "no") {
        return true;
    }
    if ["X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"]
        .iter()
        .any(|name| message.header(*name).is_some())
    {
        return true;
    }
    if field("Precedence").is_some_and(|v| v == "auto_reply") {
        return true;
    }
    let subject = message.subject().unwrap_or_default().to_ascii_lowercase();
    [
        "out of office",
        "automatic reply",
        "auto reply",
        "autoreply",
        "afwezig",
        "automatisch antwoord",
    ]
    .iter()
    .any(|marker| subject.contains(marker))
}

fn push_addresses(into: &mut Vec<String>, value: &HeaderValue) {
    match value {
        HeaderValue::Address(address) => {
            for addr in address.iter() {
                if let Some(email) = addr.address() {
                    push_unique(into, email);
                }
            }
        }
        HeaderValue::Text(_) | HeaderValue::TextList(_) => {
            for text in value.as_text_list().unwrap_or_default() {
                // `rfc822; a@b` (a feedback report) or `<a@b>`.
                let text = text.rsplit(';').next().unwrap_or_default();
                push_unique(into, text.trim().trim_matches(['<', '>']).trim());
            }
        }
        _ => {}
    }
}

fn push_ids(into: &mut Vec<String>, value: &HeaderValue) {
    for id in value.as_text_list().unwrap_or_default() {
        push_unique(into, id.trim().trim_matches(['<', '>']));
    }
}

fn push_unique(into: &mut Vec<String>, value: &str) {
    if !value.is_empty() && !into.iter().any(|v| v == value) {
        into.push(value.to_owned());
    }
}
