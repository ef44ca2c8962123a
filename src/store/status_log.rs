//! One subscriber's status history as recorded, oldest first, for
//! `subscribers show`: every change with its time, old and new status,
//! source and detail.

use jiff::Timestamp;

use super::Store;
use super::backend::on_db;
use crate::domain::{ChangeSource, SubscriberStatus};
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
}

#[derive(sqlx::FromRow)]
struct LoggedRow {
    id: i64,
    at: i64,
    from_status: Option<String>,
    to_status: String,
    source: String,
    detail: Option<String>,
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
            detail: row.detail,
        })
    }
}

impl Store {
    /// Subscriber `subscriber_id`'s status changes, oldest first; empty for
    /// an unknown id (an erased person's changes are no longer theirs).
    pub async fn status_log(&self, subscriber_id: i64) -> Result<Vec<LoggedChange>> {
        let rows: Vec<LoggedRow> = on_db!(self, pool, _sql => sqlx::query_as(
            "SELECT id, at, from_status, to_status, source, detail FROM status_changes \
             WHERE subscriber_id = $1 ORDER BY id",
        )
        .bind(subscriber_id)
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(LoggedChange::try_from).collect()
    }
}
