//! `postbode issue status`: counts by status, rate and ETA, bounces and
//! complaints; for an issue not yet started, its audience now. Times in
//! the table are in `newsletter.timezone`; the JSON keeps RFC 3339 UTC.

use std::io::Write;

use super::issue::StatusFormat;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::store::{
    DeliveryCounts, FeedbackCounts, Issue, IssueStatus, Store, format_ms, format_ms_in, now_ms,
};

/// One issue with what the status shows of it.
struct Row {
    issue: Issue,
    counts: DeliveryCounts,
    rate: f64,
    eta_secs: Option<i64>,
    errors: Vec<(String, i64)>,
    feedback: FeedbackCounts,
    /// Recipients it would go to now; `None` once sending has started
    /// and the recipients are fixed.
    audience: Option<i64>,
}

pub async fn status(
    settings: &Settings,
    store: &Store,
    slug: Option<&str>,
    format: StatusFormat,
) -> Result<()> {
    let issues = match slug {
        Some(s) => vec![
            store
                .issue(s)
                .await?
                .ok_or_else(|| Error::Input(format!("no issue with slug {s}")))?,
        ],
        None => store.issues().await?,
    };
    let now = now_ms();
    let mut rows = Vec::new();
    for issue in issues {
        let counts = store.delivery_counts(issue.id).await?;
        let per_minute = store.sent_since(issue.id, now - 60_000).await?;
        let rate = per_minute as f64 / 60.0;
        let eta_secs = (rate > 0.0).then(|| (counts.remaining() as f64 / rate).round() as i64);
        let audience = match issue.started_at {
            None if !matches!(issue.status, IssueStatus::Sent | IssueStatus::Cancelled) => {
                Some(store.audience(issue.id).await?)
            }
            _ => None,
        };
        rows.push(Row {
            errors: store.failure_replies(issue.id, 5).await?,
            feedback: store.feedback_counts(issue.id).await?,
            issue,
            counts,
            rate,
            eta_secs,
            audience,
        });
    }
    let mut out = std::io::stdout().lock();
    match format {
        StatusFormat::Json => json(&mut out, &rows),
        StatusFormat::Table => {
            let tz = settings.newsletter.timezone.time_zone();
            if rows.is_empty() {
                writeln!(out, "no issues queued yet (postbode issue queue DIR)").map_err(io)?;
            }
            rows.iter().try_for_each(|row| table(&mut out, row, &tz))
        }
    }
}

fn io(e: std::io::Error) -> Error {
    Error::io("standard output", e)
}

fn json(out: &mut impl Write, rows: &[Row]) -> Result<()> {
    let json: Vec<_> = rows
        .iter()
        .map(|r| {
            let (i, f) = (&r.issue, &r.feedback);
            serde_json::json!({
                "slug": i.slug, "subject": i.subject, "list": i.list, "status": i.status.as_str(),
                "send_at": format_ms(i.send_at), "recipients": i.recipients,
                "audience": r.audience, "counts": r.counts,
                "rate_per_second": r.rate, "eta_seconds": r.eta_secs, "paused_reason": i.paused_reason,
                "errors": r.errors.iter().map(|(r, n)| serde_json::json!({"reply": r, "count": n})).collect::<Vec<_>>(),
                "feedback": {"hard_bounces": f.hard_bounces, "soft_bounces": f.soft_bounces,
                    "complaints": f.complaints, "sent": f.sent, "complaint_rate": f.complaint_rate()},
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &json).map_err(|e| Error::Input(e.to_string()))?;
    writeln!(out).map_err(io)
}

fn table(out: &mut impl Write, row: &Row, tz: &jiff::tz::TimeZone) -> Result<()> {
    let (i, c, f) = (&row.issue, &row.counts, &row.feedback);
    writeln!(
        out,
        "{}  [{}]  list {}  send at {}",
        i.slug,
        i.status.as_str(),
        i.list,
        format_ms_in(i.send_at, tz)
    )
    .map_err(io)?;
    writeln!(out, "  {}", i.subject).map_err(io)?;
    if let Some(audience) = row.audience {
        writeln!(
            out,
            "  audience {audience}: would go to that many now (fixed when sending starts)"
        )
        .map_err(io)?;
    }
    // A scheduled issue has no deliveries yet, unless it was cancelled
    // part-way and queued again.
    if row.audience.is_none() || c.total() > 0 {
        writeln!(
            out,
            "  recipients {}: sent {}, failed {}, skipped {}, cancelled {}, queued {}, sending {}",
            i.recipients, c.sent, c.failed, c.skipped, c.cancelled, c.queued, c.sending
        )
        .map_err(io)?;
    }
    if c.remaining() > 0 && i.started_at.is_some() {
        let eta = row.eta_secs.map_or("unknown".to_owned(), |s| {
            format!("{}m{:02}s", s / 60, s % 60)
        });
        writeln!(
            out,
            "  rate {:.1}/s over the last minute, ETA {eta}",
            row.rate
        )
        .map_err(io)?;
    }
    if let Some(finished) = i.finished_at {
        writeln!(out, "  finished at {}", format_ms_in(finished, tz)).map_err(io)?;
    }
    if f.hard_bounces + f.soft_bounces + f.complaints > 0 {
        writeln!(
            out,
            "  bounces: {} hard, {} soft; complaints {} ({:.2} % of {} sent)",
            f.hard_bounces,
            f.soft_bounces,
            f.complaints,
            f.complaint_rate() * 100.0,
            f.sent
        )
        .map_err(io)?;
    }
    if let Some(reason) = &i.paused_reason {
        writeln!(out, "  paused: {reason}").map_err(io)?;
    }
    for (reply, n) in &row.errors {
        writeln!(out, "  {n} × {reply}").map_err(io)?;
    }
    Ok(())
}
