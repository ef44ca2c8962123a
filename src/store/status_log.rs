//! One subscriber's status history as recorded, oldest first, for
//! `subscribers show`: every change with its time, old and new status,
//! source and detail, and the bounce or complaint report that made it
//! (joined on its key, `status_changes.report_key`).

use jiff::Timestamp;

use super::Store;
use super::backend::on_db;
use crate::domain::{ChangeSource, ReportKind, SubscriberStatus};
use crate::error::{Error, Result};

/// One recorded status change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedChange {
    pub at: Timestamp,
    /// `None` for the first status a subscriber was stored with.
    pub from: Option<SubscriberStatus>,
    pub to: SubscriberStatus,
    pub source: ChangeSource,
    /// What came with it, e.g. the SMTP reply of a bounce or the reason an
    /// admin gave.
    pub detail: Option<String>,
    /// The report that made the change, for a bounce or complaint report.
    pub report: Option<ChangeReport>,
}

/// The bounce or complaint report behind a status change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeReport {
    /// `mid:` and its Message-ID, or `sha256:` and a hash of its bytes.
    pub key: String,
    /// `None` (with the rest) when the report is not recorded: the change
    /// was written and the run stopped before the report was; the same
    /// report again records it.
    pub recorded: Option<RecordedReport>,
}

/// What `bounce_reports` keeps of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedReport {
    pub kind: ReportKind,
    /// The status code (`5.1.1`) or feedback type (`abuse`).
    pub code: String,
    /// The slug of the issue whose delivery the report proved; `None`
    /// once that issue is deleted.
    pub issue: Option<String>,
    pub applied_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct LoggedRow {
    id: i64,
    at: i64,
    from_status: Option<String>,
    to_status: String,
    source: String,
    detail: Option<String>,
    report_key: Option<String>,
    report_kind: Option<String>,
    report_code: Option<String>,
    report_issue: Option<String>,
    report_at: Option<i64>,
}

impl TryFrom<LoggedRow> for LoggedChange {
    type Error = Error;

    /// Rows were written through the domain types, so a failure here means
    /// the database was edited by hand; say which row.
    fn try_from(row: LoggedRow) -> Result<LoggedChange> {
        let bad = |field: &str, reason: String| {
            Error::Input(format!(
                "status change #{} in the database has a bad {field}: {reason}",
                row.id
            ))
        };
        let status = |field: &str, s: &str| {
            SubscriberStatus::parse(s).map_err(|e| bad(field, e.to_string()))
        };
        Ok(LoggedChange {
            at: Timestamp::from_millisecond(row.at).map_err(|e| bad("time", e.to_string()))?,
            from: row
                .from_status
                .as_deref()
                .map(|s| status("old status", s))
                .transpose()?,
            to: status("new status", &row.to_status)?,
            source: ChangeSource::parse(&row.source).map_err(|e| bad("source", e.to_string()))?,
            report: match row.report_key {
                None => None,
                Some(key) => Some(ChangeReport {
                    key,
                    recorded: match (row.report_kind, row.report_code, row.report_at) {
                        (Some(kind), Some(code), Some(at)) => Some(RecordedReport {
                            kind: ReportKind::parse(&kind)
                                .map_err(|e| bad("report kind", e.to_string()))?,
                            code,
                            issue: row.report_issue,
                            applied_at: Timestamp::from_millisecond(at)
                                .map_err(|e| bad("report time", e.to_string()))?,
                        }),
                        _ => None,
                    },
                }),
            },
            detail: row.detail,
        })
    }
}

impl Store {
    /// Subscriber `subscriber_id`'s status changes, oldest first; empty for
    /// an unknown id (an erased person's changes are no longer theirs).
    pub async fn status_log(&self, subscriber_id: i64) -> Result<Vec<LoggedChange>> {
        let rows: Vec<LoggedRow> = on_db!(self, pool, _sql => sqlx::query_as(
            "SELECT c.id, c.at, c.from_status, c.to_status, c.source, c.detail, c.report_key, \
             b.kind AS report_kind, b.reason AS report_code, i.slug AS report_issue, \
             b.at AS report_at FROM status_changes c \
             LEFT JOIN bounce_reports b ON b.report_key = c.report_key \
             LEFT JOIN deliveries d ON d.id = b.delivery_id \
             LEFT JOIN issues i ON i.id = d.issue_id \
             WHERE c.subscriber_id = $1 ORDER BY c.id",
        )
        .bind(subscriber_id)
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(LoggedChange::try_from).collect()
    }
}
