//! What one check found: a verdict, a sentence in plain words, and where it
//! can, the exact TXT record to publish.

use std::fmt;

/// How one check came out. Only [`Verdict::Fail`] makes `dns check` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Works, but weaker than it should be (e.g. DMARC `p=none`).
    Warn,
    /// Receivers will reject, junk or misjudge the mail until it is fixed.
    Fail,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // pad, not write_str: the CLI lines them up with `{:<5}`.
        f.pad(match self {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        })
    }
}

/// A TXT record to publish: its owner name (without the final dot) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxtRecord {
    pub name: String,
    pub text: String,
}

impl TxtRecord {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> TxtRecord {
        TxtRecord {
            name: name.into(),
            text: text.into(),
        }
    }

    /// As a zone-file line, split into strings DNS can hold.
    pub fn zone_file_line(&self) -> String {
        crate::mail::zone_file_txt(&self.name, &self.text)
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `DKIM`, `SPF`, `DMARC` or `alignment`.
    pub check: &'static str,
    /// The DNS name (or domain) it is about.
    pub subject: String,
    pub verdict: Verdict,
    /// What was found and what to do, in plain words.
    pub message: String,
    /// The record that fixes it, when one can be named.
    pub publish: Option<TxtRecord>,
}

impl Finding {
    pub fn new(
        check: &'static str,
        subject: impl Into<String>,
        verdict: Verdict,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            check,
            subject: subject.into(),
            verdict,
            message: message.into(),
            publish: None,
        }
    }

    pub fn publish(mut self, record: TxtRecord) -> Finding {
        self.publish = Some(record);
        self
    }
}
