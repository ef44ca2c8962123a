//! An issue's message compiled once, then finished per recipient.
//!
//! Building every message from scratch with lettre (`mail::build`) meant
//! quoted-printable-encoding 50 kB of HTML, converting line ends and
//! DKIM-canonicalising the whole body for each recipient, although all but
//! a few hundred bytes are the same for everyone (BENCHMARKS.md, sending).
//! A [`CompiledMessage`] does that work once: the header fields everyone
//! shares, both parts' shared lines in CRLF, encoded both ways lettre may
//! choose and in DKIM's relaxed form. Per recipient it renders only the
//! per-recipient expressions (`slots.rs`), re-encodes only the lines that
//! hold one (`part.rs`), writes the four per-recipient header fields with
//! lettre's header types (`header.rs`) and hashes the body from the
//! canonical pieces (`signing.rs`). The message is byte for byte the one
//! `mail::build` makes with the same boundary (the property test in
//! `tests.rs` holds it to that); the boundary is one random string per
//! compiled issue instead of one per message.
//!
//! Whenever a message falls outside what splicing reproduces exactly (a
//! value with a line break or the boundary in it, a part lettre would
//! base64-encode, a template the cut does not handle) it is built whole
//! with `mail::build`, as before.
//!
//! DATA dot-stuffing is the transport's (`transport::crlf`): a jump from
//! line end to line end over the finished message, which seldom has a line
//! starting with a dot, so it is cheaper there than splicing stuffed pieces.
//!
//! - `choose.rs`: lettre's choice of transfer encoding, from counts;
//! - `slots.rs`: the templates cut into shared text and expressions;
//! - `part.rs`: one body part; `header.rs`: the header block;
//! - `qp.rs`: quoted-printable as lettre writes it, fast, and the start
//!   of a long line that every recipient shares;
//! - `piece.rs`: shared pieces and per-recipient chunks;
//! - `signing.rs`: the DKIM signature over the pieces.

mod choose;
mod header;
mod letter;
mod part;
mod piece;
mod qp;
mod signing;
mod slots;
#[cfg(test)]
mod tests;

use rand::Rng;

pub use letter::{Letter, Sign};

use super::MailError;
use super::dkim::DkimSigner;
use super::message::{Outgoing, build_with_boundary};
use crate::domain::{EmailAddress, Mailbox, SubscriberName};
use crate::render::{CompiledIssue, Recipient};
use header::{CompiledHeader, HeaderValues};
use part::CompiledPart;
use piece::{Chunk, Piece};
use slots::{Slots, SplitTemplate};

/// The issue-wide values of every message (as in [`Outgoing`]).
#[derive(Clone, Debug)]
pub struct IssueHeaders {
    pub from: Mailbox,
    pub reply_to: Mailbox,
    pub subject: String,
    pub list_id: String,
    pub list_name: String,
    pub archive_url: String,
    pub feedback_id: String,
}

impl IssueHeaders {
    /// The whole message's values for `mail::build`: these and `p`'s,
    /// with the personalised parts.
    fn outgoing<'a>(&'a self, p: &Personal<'a>, html: &'a str, text: &'a str) -> Outgoing<'a> {
        Outgoing {
            from: &self.from,
            reply_to: &self.reply_to,
            to: p.to,
            to_name: p.to_name,
            subject: &self.subject,
            message_id: p.message_id,
            date: p.date,
            list_id: &self.list_id,
            list_name: &self.list_name,
            unsubscribe_url: p.unsubscribe_url,
            archive_url: &self.archive_url,
            feedback_id: &self.feedback_id,
            html,
            text,
        }
    }
}

/// One recipient's values.
#[derive(Clone, Copy, Debug)]
pub struct Personal<'a> {
    /// What the templates see (name, attributes, unsubscribe link).
    pub recipient: &'a Recipient,
    pub to: &'a EmailAddress,
    pub to_name: Option<&'a SubscriberName>,
    pub message_id: &'a str,
    pub date: jiff::Timestamp,
    pub unsubscribe_url: &'a str,
}

/// Why a message could not be made: a template value (the render error,
/// naming the line) or the message itself.
#[derive(Debug, thiserror::Error)]
pub enum CompiledError {
    #[error(transparent)]
    Render(#[from] crate::error::Error),
    #[error(transparent)]
    Mail(#[from] MailError),
}

/// See the module documentation.
pub struct CompiledMessage {
    issue: IssueHeaders,
    templates: CompiledIssue,
    boundary: String,
    /// `None`: every message is built whole.
    spliced: Option<Spliced>,
}

impl std::fmt::Debug for CompiledMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledMessage")
            .field("spliced", &self.spliced.is_some())
            .finish_non_exhaustive()
    }
}

struct Spliced {
    slots: Slots,
    text: (SplitTemplate, CompiledPart),
    html: (SplitTemplate, CompiledPart),
    header: CompiledHeader,
    /// `--boundary` and the part's header, per part and encoding
    /// (7bit, quoted-printable), and the closing boundary.
    glue: [[Piece; 2]; 2],
    close: Piece,
}

impl CompiledMessage {
    /// Compiles the issue's stage-two templates (`templates` is the same
    /// pair compiled by `render`, used for messages built whole and for
    /// errors). Fails when the issue-wide headers are refused by `build`.
    pub fn compile(
        issue: IssueHeaders,
        templates: CompiledIssue,
        html_template: &str,
        text_template: &str,
    ) -> Result<CompiledMessage, MailError> {
        let boundary: String =
            std::iter::repeat_with(|| rand::rng().sample(rand::distr::Alphanumeric))
                .take(40)
                .map(char::from)
                .collect();
        Self::compile_with_boundary(issue, templates, html_template, text_template, boundary)
    }

    pub(crate) fn compile_with_boundary(
        issue: IssueHeaders,
        templates: CompiledIssue,
        html_template: &str,
        text_template: &str,
        boundary: String,
    ) -> Result<CompiledMessage, MailError> {
        let mut compiled = CompiledMessage {
            issue,
            templates,
            boundary,
            spliced: None,
        };
        let sample = Recipient::sample("https://example.invalid");
        let to = EmailAddress::parse("sample@example.invalid")
            .map_err(|e| MailError::DkimMessage(e.to_string()))?;
        let sample_message = compiled.whole_message(
            &Personal {
                recipient: &sample,
                to: &to,
                to_name: None,
                message_id: "<sample@example.invalid>",
                date: jiff::Timestamp::UNIX_EPOCH,
                unsubscribe_url: "https://example.invalid/u/sample",
            },
            Some(("", "")),
        );
        let header = CompiledHeader::compile(&sample_message.map_err(|e| match e {
            CompiledError::Mail(m) => m,
            CompiledError::Render(r) => MailError::DkimMessage(r.to_string()),
        })?)?;
        compiled.spliced = compiled.splice(header, html_template, text_template, &sample);
        Ok(compiled)
    }

    /// The spliced form, or `None` when the templates hold something the
    /// cut does not reproduce (checked on the sample recipient).
    fn splice(
        &self,
        header: CompiledHeader,
        html_template: &str,
        text_template: &str,
        sample: &Recipient,
    ) -> Option<Spliced> {
        let mut slots = Slots::new();
        let text = slots.split("txt", text_template)?;
        let html = slots.split("html", html_template)?;
        if let Ok(full) = self.templates.personalise(sample) {
            let ctx = slots::context(sample);
            let joined = |split: &SplitTemplate| {
                let mut values = Vec::new();
                slots.values(split, &ctx, &mut values)?;
                let mut out = split.statics[0].clone();
                for (v, s) in values.iter().zip(&split.statics[1..]) {
                    out.push_str(v);
                    out.push_str(s);
                }
                Some(out)
            };
            if joined(&text)? != full.text || joined(&html)? != full.html {
                return None;
            }
        }
        let (text_part, html_part) = (
            CompiledPart::compile(&text.statics)?,
            CompiledPart::compile(&html.statics)?,
        );
        let glue = signing::glue(&self.boundary)?;
        let close = Piece::new(format!("--{}--\r\n", self.boundary).into_bytes())?;
        Some(Spliced {
            slots,
            text: (text, text_part),
            html: (html, html_part),
            header,
            glue,
            close,
        })
    }

    /// One recipient's message, unsigned: spliced, or built whole when
    /// splicing cannot reproduce it. Values are checked as `mail::build`
    /// checks them; a failing template expression is the render's error.
    pub fn letter(&self, p: &Personal<'_>) -> Result<Letter<'_>, CompiledError> {
        if let Some(spliced) = &self.spliced
            && let Some(parts) = signing::assemble(spliced, &self.boundary, p)?
        {
            return Ok(Letter::Spliced(parts));
        }
        Ok(Letter::Whole(self.whole_message(p, None)?))
    }

    /// The finished message signed with `signer` at `time` (or unsigned).
    pub fn message_at(
        &self,
        p: &Personal<'_>,
        signer: Option<&DkimSigner>,
        time: jiff::Timestamp,
    ) -> Result<Vec<u8>, CompiledError> {
        Ok(self.letter(p)?.signed_at(signer, time)?.into_owned())
    }

    /// The message as `mail::build` makes it with this issue's boundary;
    /// `bodies` instead of the personalised parts when given.
    fn whole_message(
        &self,
        p: &Personal<'_>,
        bodies: Option<(&str, &str)>,
    ) -> Result<Vec<u8>, CompiledError> {
        let personalised;
        let (html, text) = match bodies {
            Some(b) => b,
            None => {
                personalised = self.templates.personalise(p.recipient)?;
                (personalised.html.as_str(), personalised.text.as_str())
            }
        };
        let outgoing = self.issue.outgoing(p, html, text);
        Ok(build_with_boundary(&outgoing, Some(&self.boundary))?)
    }

    /// Whether messages are spliced (false: every one is built whole).
    pub fn is_spliced(&self) -> bool {
        self.spliced.is_some()
    }
}

impl<'a> Personal<'a> {
    fn header_values(&self) -> HeaderValues<'a> {
        HeaderValues {
            to: self.to,
            to_name: self.to_name,
            message_id: self.message_id,
            date: self.date,
            unsubscribe_url: self.unsubscribe_url,
        }
    }
}

/// Both parts' chunks for one recipient, or `None` to build whole.
fn body_chunks<'a>(s: &'a Spliced, boundary: &str, p: &Personal<'_>) -> Option<Vec<Chunk<'a>>> {
    let ctx = slots::context(p.recipient);
    let mut chunks = Vec::with_capacity(16);
    for (i, (split, part)) in [&s.text, &s.html].into_iter().enumerate() {
        let mut values = Vec::new();
        s.slots.values(split, &ctx, &mut values)?;
        if values
            .iter()
            .any(|v| v.contains(['\r', '\n']) || v.contains(boundary))
        {
            return None;
        }
        let start = chunks.len();
        chunks.push(Chunk::Own(Vec::new()));
        let encoding = part.render(&values, &mut chunks)?;
        let glue = &s.glue[i][usize::from(encoding == choose::Encoding::QuotedPrintable)];
        chunks[start] = Chunk::Shared(glue);
    }
    chunks.push(Chunk::Shared(&s.close));
    Some(chunks)
}
