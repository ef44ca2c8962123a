//! postbode: a self-hosted newsletter sender.
//!
//! A publisher writes an issue; postbode renders it once, sends it to every
//! subscriber at a rate the mail server accepts, and lets anyone leave with
//! one click. `../shared/DESIGN.md` (kept next to the repository) is the
//! architecture; this crate follows its layout:
//!
//! - [`bounces`]: reports that come back (DSN, ARF) in, status changes out.
//! - [`cli`]: clap commands. Each parses arguments and calls the library.
//! - [`crypto`]: the one crypto library (aws-lc-rs): SHA-256, HMAC, and
//!   rustls' provider; DKIM's keys are in `mail::dkim`.
//! - [`config`]: `postbode.toml` plus `POSTBODE_<SECTION>__<KEY>` overrides,
//!   parsed into typed settings once, at start.
//! - [`domain`]: newtypes that parse (never validate later): email addresses,
//!   names, list names, slugs, statuses.
//! - [`render`]: issue folder -> MJML -> HTML + text; per-recipient personalisation.
//! - [`media`]: images from the issue folder, resized and stripped at
//!   queue time, stored by content hash and served at `/media/`.
//! - [`store`]: the subscriber store (SQLite or PostgreSQL, through sqlx).
//! - [`import`]: streaming CSV import of subscribers.
//! - [`export`]: `subscribers list` and `export`, streamed.
//! - [`dns`]: `dns check`, the DKIM, SPF and DMARC records receivers read.
//! - [`transport`]: where a finished message goes: an SMTP server over a
//!   pool of reused connections, or the outbox folder; what replies mean.
//! - [`web`]: the public pages (`postbode serve`): one-click unsubscribe,
//!   health check; axum, with strict security headers and request limits.
//! - [`housekeeping`]: what `send` and `serve` clean up on the side: pending
//!   subscribers past `subscribers.pending_expiry_days`.
//! - [`preview`]: `issue preview --serve`, the issue on a loopback page
//!   that follows every save (file watching, server-sent events).
//! - [`private_file`]: files made for their owner (and `files.group`) only,
//!   never written through a link.
//! - [`starter`]: the starter `emails/` and example subscribers, embedded
//!   for `init` and `quickstart` with the binary alone.
//! - [`telemetry`]: tracing set-up (text or JSON logs).
//! - [`error`]: the error type and how it maps to exit codes.

pub mod bounces;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod dispatch;
pub mod dns;
pub mod domain;
pub mod error;
pub mod export;
pub mod housekeeping;
pub mod import;
pub mod mail;
pub mod media;
pub mod preview;
pub mod private_file;
pub mod render;
pub mod starter;
pub mod store;
pub mod telemetry;
pub mod transport;
pub mod web;

pub use error::{Error, Result};
