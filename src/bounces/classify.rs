//! What a report means (docs/bounces.md): one [`Kind`] per report, from
//! the facts [`super::report`] read. Pure: no store, no proof. Whether it
//! may change anything is decided later, by the proof rule
//! ([`super::apply`]).
//!
//! - a DSN with 5.1.x (no such mailbox or domain) or 5.2.1 (mailbox
//!   disabled): [`Kind::Hard`], the subscriber bounced;
//! - another 5.x.x (above all 5.7.x: policy, blocklists, DMARC, the relay's
//!   reputation): [`Kind::Failed`], that delivery failed, the subscriber is
//!   not to blame;
//! - 4.x.x or `Action: delayed`: [`Kind::Soft`], counted;
//! - an ARF report of feedback type abuse or fraud: [`Kind::Complaint`];
//! - qmail's and old Exchange text bounces, by the enhanced status code in
//!   them, as above;
//! - auto-replies, and everything else: ignored.

use super::report::Report;

/// What a report is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// The address does not work: bounced and suppressed.
    Hard,
    /// This delivery failed for a reason that is not the address's.
    Failed,
    /// Delayed or temporarily refused: counted.
    Soft,
    /// "This is spam": complained, suppressed, off every list.
    Complaint,
    /// An out-of-office or other automatic reply.
    AutoReply,
    /// A DSN that says the mail arrived (delivered, relayed, expanded), or
    /// an ARF report of another feedback type.
    Informational,
    /// Not a report at all.
    Other,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Hard,
        Kind::Failed,
        Kind::Soft,
        Kind::Complaint,
        Kind::AutoReply,
        Kind::Informational,
        Kind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Hard => "hard bounce",
            Kind::Failed => "failed delivery",
            Kind::Soft => "soft bounce",
            Kind::Complaint => "complaint",
            Kind::AutoReply => "auto-reply",
            Kind::Informational => "informational",
            Kind::Other => "not a report",
        }
    }

    /// Whether a report of this kind, once proven, changes anything.
    pub fn acts(self) -> bool {
        matches!(
            self,
            Kind::Hard | Kind::Failed | Kind::Soft | Kind::Complaint
        )
    }
}

/// A report's kind with its reason: the status code (or feedback type)
/// and the diagnostic text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classification {
    pub kind: Kind,
    /// `5.1.1`, `4.2.2`, `abuse`: short, never naming anyone.
    pub code: String,
    /// The diagnostic, e.g. `smtp; 550 5.1.1 <anna@example.nl>: user
    /// unknown`; may name the address, so it goes only where an erasure
    /// reaches (the status log's detail).
    pub diagnostic: String,
}

impl Classification {
    fn new(kind: Kind, code: &str, diagnostic: &str) -> Classification {
        Classification {
            kind,
            code: code.to_owned(),
            diagnostic: one_line(diagnostic),
        }
    }
}

pub fn classify(report: &Report) -> Classification {
    if let Some(feedback) = &report.feedback_type {
        let kind = match feedback.as_str() {
            "abuse" | "fraud" => Kind::Complaint,
            _ => Kind::Informational,
        };
        return Classification::new(kind, feedback, &report.subject);
    }
    if !report.recipients.is_empty() {
        // One issue message has one recipient; should a report name more,
        // the most serious verdict counts.
        return report
            .recipients
            .iter()
            .map(|r| {
                let code = r
                    .status
                    .as_deref()
                    .and_then(status_code)
                    .or_else(|| r.diagnostic.as_deref().and_then(status_code));
                let diagnostic = r.diagnostic.as_deref().unwrap_or_default();
                let kind = match (r.action.as_deref(), code.as_deref()) {
                    (Some("delayed"), _) => Kind::Soft,
                    (_, Some(code)) => kind_of_code(code),
                    (Some("failed"), None) => Kind::Failed,
                    _ => Kind::Informational,
                };
                let code = code.unwrap_or_else(|| r.action.clone().unwrap_or_default());
                Classification::new(kind, &code, diagnostic)
            })
            .min_by_key(|c| c.kind)
            .unwrap_or_else(|| Classification::new(Kind::Other, "", ""));
    }
    if let Some(text) = &report.nonstandard {
        // The first enhanced status code in the notice; qmail's own
        // permanent failures carry it as `(#5.1.1)`.
        return match status_code(text) {
            Some(code) => {
                Classification::new(kind_of_code(&code), &code, &first_line_with(text, &code))
            }
            None => Classification::new(Kind::Failed, "5.0.0", &report.subject),
        };
    }
    if report.auto_reply {
        return Classification::new(Kind::AutoReply, "", &report.subject);
    }
    Classification::new(Kind::Other, "", &report.subject)
}

/// The kind an enhanced status code (RFC 3463) gives.
pub fn kind_of_code(code: &str) -> Kind {
    let mut parts = code.split('.');
    let (class, subject, detail) = (parts.next(), parts.next(), parts.next());
    match (class, subject, detail) {
        (Some("5"), Some("1"), _) | (Some("5"), Some("2"), Some("1")) => Kind::Hard,
        (Some("5"), _, _) => Kind::Failed,
        (Some("4"), _, _) => Kind::Soft,
        _ => Kind::Informational,
    }
}

/// The first enhanced status code (`class.subject.detail`, class 2, 4 or
/// 5, at most three digits each) in `text`.
pub fn status_code(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    for (i, &b) in bytes.iter().enumerate() {
        if !matches!(b, b'2' | b'4' | b'5') {
            continue;
        }
        if i > 0 && (bytes[i - 1].is_ascii_digit() || bytes[i - 1] == b'.') {
            continue;
        }
        if bytes.get(i + 1) != Some(&b'.') {
            continue;
        }
        let subject = digits(i + 2);
        if !(1..=3).contains(&subject) || bytes.get(i + 2 + subject) != Some(&b'.') {
            continue;
        }
        let detail_at = i + 3 + subject;
        let detail = digits(detail_at);
        if !(1..=3).contains(&detail) {
            continue;
        }
        let end = detail_at + detail;
        if bytes
            .get(end)
            .is_some_and(|b| *b == b'.' || b.is_ascii_digit())
        {
            continue;
        }
        return Some(text[i..end].to_owned());
    }
    None
}

fn first_line_with(text: &str, needle: &str) -> String {
    text.lines()
        .find(|line| line.contains(needle))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn one_line(text: &str) -> String {
    let joined: Vec<&str> = text.split_whitespace().collect();
    let mut line = joined.join(" ");
    if line.len() > 300 {
        let mut cut = 300;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounces::report;

    /// Real-world samples (tests/fixtures/bounces/README.md names their
    /// sources), each with the kind and code it must get.
    #[test]
    fn every_sample_is_classified_right() {
        let cases: [(&str, Kind, &str); 17] = [
            ("postfix-5.1.1-hard.eml", Kind::Hard, "5.1.1"),
            (
                "postfix-5.1.1-hard-with-returned-message.eml",
                Kind::Hard,
                "5.1.1",
            ),
            ("postfix-5.2.1-hard.eml", Kind::Hard, "5.2.1"),
            ("exchange2007-5.1.1-hard.eml", Kind::Hard, "5.1.1"),
            ("office365-5.1.0-hard.eml", Kind::Hard, "5.1.0"),
            ("office365-5.1.8-hard.eml", Kind::Hard, "5.1.8"),
            ("gmail-text-5.1.1-hard.eml", Kind::Hard, "5.1.1"),
            ("qmail-5.1.1-hard.eml", Kind::Hard, "5.1.1"),
            ("qmail-5.0.0-failed.eml", Kind::Failed, "5.0.0"),
            ("rfc3464-5.7.1-failed.eml", Kind::Failed, "5.7.1"),
            ("rfc3464-delayed-soft.eml", Kind::Soft, "4.4.0"),
            ("rfc3464-4.3.0-delayed-soft.eml", Kind::Soft, "4.3.0"),
            ("arf-abuse-complaint.eml", Kind::Complaint, "abuse"),
            ("arf-ses-abuse-complaint.eml", Kind::Complaint, "abuse"),
            (
                "arf-opt-out-informational.eml",
                Kind::Informational,
                "opt-out",
            ),
            ("out-of-office.eml", Kind::AutoReply, ""),
            ("not-a-bounce.eml", Kind::Other, ""),
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bounces");
        for (file, kind, code) in cases {
            let raw = std::fs::read(dir.join(file)).unwrap();
            let report = report::parse(&raw).unwrap_or_else(|| panic!("{file}: not parsed"));
            let class = classify(&report);
            assert_eq!(
                (class.kind, class.code.as_str()),
                (kind, code),
                "{file}: {report:#?}"
            );
        }
    }

    #[test]
    fn the_returned_message_id_and_envelope_sender_are_read() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bounces");
        let raw = std::fs::read(dir.join("postfix-5.1.1-hard-with-returned-message.eml")).unwrap();
        let report = report::parse(&raw).unwrap();
        assert_eq!(report.key, "mid:20150213024813.E068820C1A@2jo.example.jp");
        assert_eq!(
            report.message_ids,
            ["20150213024813.DE9FF20C16@2jo.example.jp"]
        );
        assert_eq!(report.returned_senders, ["root@2jo.example.jp"]);
        assert!(report.sent_to.contains(&"root@2jo.example.jp".to_owned()));
        let raw = std::fs::read(dir.join("arf-ses-abuse-complaint.eml")).unwrap();
        let report = report::parse(&raw).unwrap();
        assert!(
            report.message_ids.contains(
                &"2222222222222222-00000000-eeee-eeee-ffff-222222222222-111111@email.amazonses.com"
                    .to_owned()
            )
        );
    }

    #[test]
    fn status_codes_are_found_in_text_and_nothing_else_is() {
        assert_eq!(
            status_code("smtp; 550 5.1.1 <a@b>: no").as_deref(),
            Some("5.1.1")
        );
        assert_eq!(status_code("(#5.7.1)").as_deref(), Some("5.7.1"));
        assert_eq!(status_code("4.2.2").as_deref(), Some("4.2.2"));
        assert_eq!(status_code("version 15.1.2.3"), None);
        assert_eq!(status_code("192.0.2.1"), None);
        assert_eq!(status_code("5.1"), None);
        assert_eq!(status_code(""), None);
    }

    #[test]
    fn the_codes_map_as_the_table_says() {
        assert_eq!(kind_of_code("5.1.1"), Kind::Hard);
        assert_eq!(kind_of_code("5.1.10"), Kind::Hard);
        assert_eq!(kind_of_code("5.2.1"), Kind::Hard);
        assert_eq!(kind_of_code("5.2.2"), Kind::Failed);
        assert_eq!(kind_of_code("5.7.1"), Kind::Failed);
        assert_eq!(kind_of_code("4.2.2"), Kind::Soft);
        assert_eq!(kind_of_code("2.0.0"), Kind::Informational);
    }
}
