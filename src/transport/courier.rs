//! The courier: sign → wait for the sender's turn → send, in one place,
//! for every path that sends mail (the send loop, `issue test`, the
//! confirmation and unsubscribe-link mails). Built once from the settings:
//! the [`Transport`], the DKIM signer and the envelope policy (the From
//! address, or with `[bounces] address` a VERP sender naming the
//! delivery).
//!
//! It sits in `transport`, below both `dispatch` and `web`, so the public
//! pages send through it without knowing the dispatcher; it uses `mail`
//! (the signer, VERP) below it. Building the message stays with the
//! caller: an issue's letter and a system mail differ, their sending does
//! not.

use std::future::Future;

use super::{Accepted, Envelope, SendError, Transport};
use crate::config::Settings;
use crate::domain::EmailAddress;
use crate::error::{Error, Result};
use crate::mail::{DkimSigner, MailError, Sign, VerpAddress};

/// The sending kit, built once per process (or per command).
#[derive(Debug)]
pub struct Courier {
    transport: Transport,
    signer: Option<DkimSigner>,
    /// `newsletter.from`'s address: the envelope sender without VERP.
    from: EmailAddress,
    /// With `[bounces] address`: the envelope sender of an issue's
    /// message names its delivery.
    verp: Option<VerpAddress>,
}

/// Why a message did not go out.
#[derive(Debug)]
pub enum Undelivered<E> {
    /// Signing failed; nothing was sent.
    Unsigned(MailError),
    /// The caller's gate said no (a shutdown, no send slot); nothing was
    /// sent.
    Held(E),
    /// The server (or the outbox) did not take it.
    Refused(SendError),
}

impl Courier {
    /// Fails (a configuration error naming the key) on an unusable
    /// `smtp.url`, DKIM key or bounce address; connects to nothing yet.
    pub fn from_settings(settings: &Settings) -> Result<Courier> {
        let signer =
            DkimSigner::from_settings(&settings.dkim).map_err(|e| Error::Config(e.to_string()))?;
        let verp =
            VerpAddress::from_settings(settings).map_err(|e| Error::Config(e.to_string()))?;
        Ok(Courier {
            transport: Transport::from_settings(&settings.smtp)?
                .with_file_access(&settings.files.group),
            signer,
            from: settings.newsletter.from.address.clone(),
            verp,
        })
    }

    /// The envelope of a message to `to`: the sender names `delivery`
    /// (VERP) when there is one and `[bounces] address` is set, else it
    /// is the From address (system mails and `issue test` have no
    /// delivery for a bounce to name).
    pub fn envelope(&self, to: &EmailAddress, delivery: Option<i64>) -> Envelope {
        let from = match (&self.verp, delivery) {
            (Some(verp), Some(id)) => verp.make(id),
            _ => self.from.as_str().to_owned(),
        };
        Envelope {
            from,
            to: to.as_str().to_owned(),
        }
    }

    /// Signs `message` (when DKIM is set), waits for `gate` (the caller's
    /// pace: the shared rate, throttling, a shutdown), then hands it to the
    /// transport. Signing comes first so the turn, once given, is spent on
    /// the wire only. `file_stem` names the outbox file.
    pub async fn send<E>(
        &self,
        message: &(impl Sign + Sync + ?Sized),
        envelope: &Envelope,
        file_stem: &str,
        gate: impl Future<Output = std::result::Result<(), E>>,
    ) -> std::result::Result<Accepted, Undelivered<E>> {
        // A compiled issue's letter signs from its pieces (mail::compiled).
        let raw = message
            .signed(self.signer.as_ref())
            .map_err(Undelivered::Unsigned)?;
        gate.await.map_err(Undelivered::Held)?;
        self.transport
            .send(envelope, &raw, file_stem)
            .await
            .map_err(Undelivered::Refused)
    }

    /// Checks the way out without sending (see [`Transport::probe`]).
    pub async fn probe(&self) -> std::result::Result<(), SendError> {
        self.transport.probe().await
    }

    /// Says QUIT on idle connections (see [`Transport::close`]).
    pub async fn close(&self) {
        self.transport.close().await;
    }

    /// Where mail goes, for logs and messages to the admin.
    pub fn describe(&self) -> String {
        self.transport.describe()
    }
}

/// No gate: send as soon as signed.
pub async fn at_once() -> std::result::Result<(), std::convert::Infallible> {
    Ok(())
}
