//! What an applied bounce or complaint report was, as `bounce_reports.kind`
//! keeps it: the kinds that change something (docs/bounces.md).

use super::ParseError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// DSN 5.1.x or 5.2.1: the address does not work.
    Hard,
    /// Another 5.x.x: this delivery failed, the address is not to blame.
    Failed,
    /// 4.x.x or delayed: counted.
    Soft,
    /// An abuse or fraud report.
    Complaint,
}

impl ReportKind {
    pub const ALL: [Self; 4] = [Self::Hard, Self::Failed, Self::Soft, Self::Complaint];

    /// The stored name, exactly.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| {
                ParseError::new("unknown report kind; use hard, failed, soft or complaint")
            })
    }

    /// As stored: `hard`, `failed`, `soft`, `complaint`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hard => "hard",
            Self::Failed => "failed",
            Self::Soft => "soft",
            Self::Complaint => "complaint",
        }
    }

    /// In words, as `bounces ingest` names the kinds.
    pub fn words(self) -> &'static str {
        match self {
            Self::Hard => "hard bounce",
            Self::Failed => "failed delivery",
            Self::Soft => "soft bounce",
            Self::Complaint => "complaint",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_back_from_its_stored_name_and_nothing_else_does() {
        for kind in ReportKind::ALL {
            assert_eq!(ReportKind::parse(kind.as_str()), Ok(kind));
        }
        for bad in ["", "Hard", "bounce", "hard "] {
            assert!(ReportKind::parse(bad).is_err(), "{bad:?}");
        }
    }
}
