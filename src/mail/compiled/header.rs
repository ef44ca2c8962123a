//! The header block of an issue's messages: the fields every recipient
//! shares written (and DKIM-canonicalised) once from the message
//! `mail::build` makes, and the four that differ (To, Date, Message-ID,
//! List-Unsubscribe) written per recipient by lettre's own header types,
//! so they are encoded (RFC 2047, folding) exactly as `build` encodes them.

use std::time::SystemTime;

use lettre::message::Mailboxes;
use lettre::message::header::{self, HeaderValue, Headers};

use super::piece::Piece;
use crate::domain::{EmailAddress, SubscriberName};
use crate::mail::MailError;
use crate::mail::dkim::{canonical, fields};
use crate::mail::header_text::{check_message_id, check_url};
use crate::mail::message::{LIST_UNSUBSCRIBE, mailbox};

/// A header field of the compiled block.
#[derive(Debug)]
enum Field {
    Shared { name: String, piece: Piece },
    Own(Own),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Own {
    To,
    Date,
    MessageId,
    ListUnsubscribe,
}

impl Own {
    fn from_name(name: &[u8]) -> Option<Own> {
        [
            ("To", Own::To),
            ("Date", Own::Date),
            ("Message-ID", Own::MessageId),
            ("List-Unsubscribe", Own::ListUnsubscribe),
        ]
        .into_iter()
        .find(|(n, _)| name.eq_ignore_ascii_case(n.as_bytes()))
        .map(|(_, own)| own)
    }

    fn name(self) -> &'static str {
        match self {
            Own::To => "To",
            Own::Date => "Date",
            Own::MessageId => "Message-ID",
            Own::ListUnsubscribe => "List-Unsubscribe",
        }
    }
}

/// What the per-recipient fields hold.
#[derive(Clone, Copy, Debug)]
pub(super) struct HeaderValues<'a> {
    pub to: &'a EmailAddress,
    pub to_name: Option<&'a SubscriberName>,
    pub message_id: &'a str,
    pub date: jiff::Timestamp,
    pub unsubscribe_url: &'a str,
}

#[derive(Debug)]
pub(super) struct CompiledHeader {
    fields: Vec<Field>,
}

/// One recipient's header block: each field's bytes (with CRLF) and, for
/// the fields DKIM signs, its relaxed form.
pub(super) struct HeaderBlock<'a> {
    pub fields: Vec<(&'a str, FieldBytes<'a>)>,
}

pub(super) enum FieldBytes<'a> {
    Shared(&'a Piece),
    Own { bytes: Vec<u8>, canonical: Vec<u8> },
}

impl FieldBytes<'_> {
    pub fn bytes(&self) -> &[u8] {
        match self {
            FieldBytes::Shared(p) => &p.bytes,
            FieldBytes::Own { bytes, .. } => bytes,
        }
    }

    pub fn canonical(&self) -> &[u8] {
        match self {
            FieldBytes::Shared(p) => &p.canonical,
            FieldBytes::Own { canonical, .. } => canonical,
        }
    }
}

impl CompiledHeader {
    /// From the header of a message `build` made for the issue.
    pub fn compile(sample: &[u8]) -> Result<CompiledHeader, MailError> {
        let parsed = fields::split(sample)?;
        let fields = parsed
            .fields
            .iter()
            .map(|f| match Own::from_name(f.name) {
                Some(own) => Field::Own(own),
                None => {
                    let mut canonical = Vec::new();
                    canonical::relaxed_header(f.raw, &mut canonical);
                    let mut bytes = f.raw.to_vec();
                    bytes.extend_from_slice(b"\r\n");
                    Field::Shared {
                        name: String::from_utf8_lossy(f.name).into_owned(),
                        piece: Piece { bytes, canonical },
                    }
                }
            })
            .collect();
        Ok(CompiledHeader { fields })
    }

    /// One recipient's block, checked as `build` checks it.
    pub fn render<'a>(&'a self, v: &HeaderValues<'_>) -> Result<HeaderBlock<'a>, MailError> {
        check_message_id(v.message_id)?;
        check_url("List-Unsubscribe", v.unsubscribe_url)?;
        if v.date < jiff::Timestamp::UNIX_EPOCH {
            return Err(MailError::Header {
                header: "Date",
                reason: format!("{} is before 1970; check the system clock", v.date),
            });
        }
        let mut fields = Vec::with_capacity(self.fields.len());
        for field in &self.fields {
            fields.push(match field {
                Field::Shared { name, piece } => (name.as_str(), FieldBytes::Shared(piece)),
                Field::Own(own) => (own.name(), own_field(*own, v)?),
            });
        }
        Ok(HeaderBlock { fields })
    }
}

fn own_field<'a>(own: Own, v: &HeaderValues<'_>) -> Result<FieldBytes<'a>, MailError> {
    let mut headers = Headers::new();
    match own {
        Own::To => headers.set(header::To::from(Mailboxes::from(mailbox(
            "To", v.to_name, v.to,
        )?))),
        Own::Date => headers.set(header::Date::new(SystemTime::from(v.date))),
        Own::MessageId => headers.set(header::MessageId::from(v.message_id.to_owned())),
        Own::ListUnsubscribe => headers.insert_raw(HeaderValue::new(
            LIST_UNSUBSCRIBE,
            format!("<{}>", v.unsubscribe_url),
        )),
    }
    let bytes = headers.to_string().into_bytes();
    let mut canonical = Vec::new();
    canonical::relaxed_header(
        bytes.strip_suffix(b"\r\n").unwrap_or(&bytes),
        &mut canonical,
    );
    Ok(FieldBytes::Own { bytes, canonical })
}
