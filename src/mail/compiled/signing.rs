//! Putting one recipient's message together from the compiled pieces and
//! signing it: the body hash is fed the shared pieces' canonical forms,
//! made once per issue, and canonicalises only the recipient's own lines;
//! the signed header fields are likewise canonical already but for the
//! four per-recipient ones.

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lettre::message::SinglePart;
use lettre::message::header::{ContentTransferEncoding, ContentType};

use super::header::HeaderBlock;
use super::piece::{Chunk, Piece};
use super::{Personal, Spliced, body_chunks};
use crate::mail::MailError;
use crate::mail::dkim::{DkimSigner, SIGNED_HEADERS, canonical};

/// One recipient's message in pieces.
pub struct Assembled<'a> {
    header: HeaderBlock<'a>,
    body: Vec<Chunk<'a>>,
}

/// `--boundary` and each part's MIME header as lettre writes them, for
/// [text, html] × [7bit, quoted-printable].
pub(super) fn glue(boundary: &str) -> Option<[[Piece; 2]; 2]> {
    let one = |content_type: ContentType, encoding: ContentTransferEncoding| {
        let part = SinglePart::builder()
            .header(content_type)
            .header(encoding)
            .body(String::new())
            .formatted();
        let head = part.strip_suffix(b"\r\n")?;
        let mut bytes = format!("--{boundary}\r\n").into_bytes();
        bytes.extend_from_slice(head);
        Piece::new(bytes)
    };
    let both = |content_type: ContentType| -> Option<[Piece; 2]> {
        Some([
            one(content_type.clone(), ContentTransferEncoding::SevenBit)?,
            one(content_type, ContentTransferEncoding::QuotedPrintable)?,
        ])
    };
    Some([
        both(ContentType::TEXT_PLAIN)?,
        both(ContentType::TEXT_HTML)?,
    ])
}

/// The pieces of one recipient's message; `Ok(None)` when it must be
/// built whole. Header values are checked as `mail::build` checks them.
pub(super) fn assemble<'a>(
    s: &'a Spliced,
    boundary: &str,
    p: &Personal<'_>,
) -> Result<Option<Assembled<'a>>, MailError> {
    let header = s.header.render(&p.header_values())?;
    Ok(body_chunks(s, boundary, p).map(|body| Assembled { header, body }))
}

/// The message's bytes, with a DKIM-Signature field in front when `signer`
/// is given.
pub(super) fn finish(
    a: &Assembled<'_>,
    signer: Option<&DkimSigner>,
    time: jiff::Timestamp,
) -> Result<Vec<u8>, MailError> {
    let size = a
        .header
        .fields
        .iter()
        .map(|(_, f)| f.bytes().len())
        .sum::<usize>()
        + a.body.iter().map(|c| c.bytes().len()).sum::<usize>()
        + 2;
    let signature = match signer {
        Some(signer) => signer.signature_field(
            header_canonical(&a.header),
            &signed_names(&a.header),
            &body_hash(&a.body)?,
            time,
        )?,
        None => String::new(),
    };
    let mut out = Vec::with_capacity(signature.len() + size);
    out.extend_from_slice(signature.as_bytes());
    for (_, field) in &a.header.fields {
        out.extend_from_slice(field.bytes());
    }
    out.extend_from_slice(b"\r\n");
    for chunk in &a.body {
        out.extend_from_slice(chunk.bytes());
    }
    Ok(out)
}

/// The signed fields that are there, in [`SIGNED_HEADERS`] order.
fn signed_names(h: &HeaderBlock<'_>) -> Vec<&'static str> {
    SIGNED_HEADERS
        .into_iter()
        .filter(|name| h.fields.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)))
        .collect()
}

/// Each signed field's relaxed form, its last instance (RFC 6376 §5.4.2).
fn header_canonical(h: &HeaderBlock<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    for name in SIGNED_HEADERS {
        if let Some((_, field)) = h
            .fields
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            out.extend_from_slice(field.canonical());
        }
    }
    out
}

/// The relaxed body hash (bh=), base64.
fn body_hash(body: &[Chunk<'_>]) -> Result<String, MailError> {
    let mut context = digest::Context::new(&digest::SHA256);
    let mut scratch = Vec::new();
    for chunk in body {
        match chunk {
            Chunk::Shared(p) => context.update(&p.canonical),
            Chunk::Own(bytes) => {
                let canonical = canonical::relaxed_chunk(bytes, &mut scratch).map_err(|line| {
                    MailError::DkimMessage(format!(
                        "line {line} of a recipient's lines is not a whole CRLF line"
                    ))
                })?;
                context.update(canonical);
            }
        }
    }
    Ok(STANDARD.encode(context.finish()))
}
