//! The bytes a message is put together from: pieces every recipient shares
//! (encoded and DKIM-canonicalised once per issue) and a recipient's own.
//! Every chunk holds whole lines ending in CRLF, so the relaxed body
//! canonicalisation of a message is the canonical chunks one after another.

use crate::mail::dkim::canonical;

/// Shared bytes and their relaxed canonical form.
#[derive(Debug, Default)]
pub(super) struct Piece {
    pub bytes: Vec<u8>,
    pub canonical: Vec<u8>,
}

impl Piece {
    /// `bytes` must be whole CRLF lines (the compiler makes them so).
    pub fn new(bytes: Vec<u8>) -> Option<Piece> {
        let mut canonical = Vec::with_capacity(bytes.len());
        canonical::relaxed_lines(&bytes, &mut canonical).ok()?;
        Some(Piece { bytes, canonical })
    }
}

/// One stretch of a message.
#[derive(Debug)]
pub(super) enum Chunk<'a> {
    Shared(&'a Piece),
    Own(Vec<u8>),
}

impl Chunk<'_> {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Chunk::Shared(p) => &p.bytes,
            Chunk::Own(b) => b,
        }
    }
}
