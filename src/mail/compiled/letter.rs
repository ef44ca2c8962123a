//! One recipient's message, made but not yet signed, and [`Sign`]: what
//! the courier signs. A compiled letter signs from its pieces (only the
//! recipient's own lines are canonicalised); raw bytes are signed whole.

use std::borrow::Cow;

use super::signing::{self, Assembled};
use crate::mail::{DkimSigner, MailError};

/// A message ready for signing.
pub enum Letter<'a> {
    /// Spliced from an issue's compiled pieces.
    Spliced(Assembled<'a>),
    /// Built whole (`mail::build`), for what splicing does not reproduce.
    Whole(Vec<u8>),
}

impl std::fmt::Debug for Letter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Letter::Spliced(_) => "Letter::Spliced",
            Letter::Whole(_) => "Letter::Whole",
        })
    }
}

/// A message the courier can sign (when DKIM is on) and send.
pub trait Sign {
    /// The bytes to send: signed now with `signer`, or as they are.
    fn signed(&self, signer: Option<&DkimSigner>) -> Result<Cow<'_, [u8]>, MailError> {
        self.signed_at(signer, jiff::Timestamp::now())
    }

    /// [`Self::signed`] at `time` (t=).
    fn signed_at(
        &self,
        signer: Option<&DkimSigner>,
        time: jiff::Timestamp,
    ) -> Result<Cow<'_, [u8]>, MailError>;
}

impl Sign for [u8] {
    fn signed_at(
        &self,
        signer: Option<&DkimSigner>,
        time: jiff::Timestamp,
    ) -> Result<Cow<'_, [u8]>, MailError> {
        match signer {
            Some(s) => s.sign_at(self, time).map(Cow::Owned),
            None => Ok(Cow::Borrowed(self)),
        }
    }
}

impl Sign for Vec<u8> {
    fn signed_at(
        &self,
        signer: Option<&DkimSigner>,
        time: jiff::Timestamp,
    ) -> Result<Cow<'_, [u8]>, MailError> {
        self.as_slice().signed_at(signer, time)
    }
}

impl Sign for Letter<'_> {
    fn signed_at(
        &self,
        signer: Option<&DkimSigner>,
        time: jiff::Timestamp,
    ) -> Result<Cow<'_, [u8]>, MailError> {
        match self {
            Letter::Spliced(a) => signing::finish(a, signer, time).map(Cow::Owned),
            Letter::Whole(raw) => raw.signed_at(signer, time),
        }
    }
}
