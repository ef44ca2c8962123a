//! Feedback from the receiving side (docs/bounces.md): delivery status
//! notifications (RFC 3464), abuse reports (RFC 5965) and the common
//! non-standard bounces in, status changes out.
//!
//! - [`imap`]: `bounces fetch`, the same from an IMAP folder;
//! - [`source`]: reading raw messages from files, maildirs, mbox files and
//!   standard input;
//! - [`report`]: one message read into the facts that matter (mail-parser);
//! - [`classify`]: what a report means (hard, failed, soft, complaint,
//!   ignored), pure;
//! - [`apply`]: the proof rule (a VERP tag or a stored Message-ID), the
//!   repeat check, and the changes, through the store, with the complaint
//!   brake;
//! - [`failure_brake`]: many failed deliveries of one issue pause it.

pub mod apply;
pub mod classify;
pub mod failure_brake;
pub mod imap;
pub mod report;
pub mod source;

pub use apply::{
    COMPLAINT_WARN_RATE, ComplaintAlert, Incoming, Options, Summary, Unmatched, VerpCheck, ingest,
    ingest_reports,
};
pub use classify::{Classification, Kind, classify};
pub use failure_brake::FailureAlert;
pub use report::Report;
pub use source::{Input, RawMessage, Unreadable};
