//! Everything that turns one delivery into bytes on the wire, apart from
//! the sending itself (that is `dispatch`):
//!
//! - `token.rs`: [`TokenKey`], HMAC tokens for unsubscribe and confirmation
//!   links; they carry a subscriber id, never an address, and MAC the
//!   subscriber's link salt too.
//! - `links.rs`: checking a token against the store (whose salt it needs).
//! - `verp.rs`: [`VerpAddress`], the envelope sender `bounces+TAG@...`
//!   whose MAC-protected TAG names the delivery a bounce report is about.
//! - `message_id.rs`: [`message_id`], the stable Message-ID of an issue's
//!   mail to one subscriber, so a re-sent message is the same message: a
//!   MAC of the two, so it shows no id and cannot be guessed.
//! - `message.rs`: [`build`] an RFC 5322 message from an [`Outgoing`]:
//!   headers, the List-* headers for one-click unsubscribe, text and HTML.
//! - `compiled/`: [`CompiledMessage`], an issue's message compiled once
//!   (shared header fields, both parts encoded, DKIM-canonical pieces) and
//!   finished per recipient by splicing in their values; byte for byte
//!   what `build` makes, which it falls back to when splicing cannot.
//! - `header_text.rs`: the checks that keep line breaks and other
//!   structure-changing characters out of headers, and the List-Id phrase.
//! - `system_mail.rs`: what mails to one person outside an issue share:
//!   headers, MIME structure, HTML from a template in `emails/system/`.
//!   Two of them: `confirmation.rs`, the double opt-in mail
//!   (`system/confirm.mjml`), and `unsubscribe_link.rs`, a fresh
//!   unsubscribe link asked for on the public pages
//!   (`system/unsubscribe.mjml`). `system_check.rs`: their checks when
//!   `serve` starts.
//! - `dkim.rs` (and `dkim/`): [`DkimSigner`], DKIM signatures on ring, and
//!   [`keygen`] for new keys and their DNS records.
//! - `error.rs`: [`MailError`], with messages that say what to fix.
//!
//! The per-recipient path of an issue is `message_id` →
//! `CompiledMessage::letter` → the courier's signing (`Sign`: a letter
//! signs from its pieces); system mails and `issue test` use `build` →
//! `DkimSigner::sign`. All of it is pure CPU work with no I/O.

pub mod compiled;
pub mod confirmation;
pub mod dkim;
mod error;
mod header_text;
pub mod links;
pub mod message;
mod message_id;
pub mod system_check;
pub mod system_mail;
pub mod token;
pub mod unsubscribe_link;
pub mod verp;

pub use compiled::{CompiledMessage, IssueHeaders, Letter, Personal, Sign};
pub use dkim::{DkimSigner, GeneratedKey, KeyKind, keygen, zone_file_txt};
pub use error::MailError;
pub use message::{Outgoing, build};
pub use message_id::message_id;
pub use token::TokenKey;
pub use verp::{BounceTag, VerpAddress};
