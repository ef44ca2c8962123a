//! Applying reports: the proof rule, the repeat check, and what each kind
//! changes (docs/bounces.md).
//!
//! **The proof rule.** A report changes something only when it proves
//! which delivery it is about: a VERP tag that verifies under the token key
//! (in an address the report was delivered to, or in the returned
//! message's Return-Path), or a Message-ID that postbode stored for a
//! delivery. A forged report names neither, so it is counted as unmatched
//! and listed for the operator, never applied. A Final-Recipient address
//! alone proves nothing: anyone can write one.
//!
//! **Once.** Each applied report is recorded under its own Message-ID (or
//! a hash of its bytes); the same report again is a repeat and changes
//! nothing. Status changes go through the table of status changes
//! (`Store::set_status_for_report`, sources `bounce` and `complaint`, with
//! the report's key, so `subscribers show` names it), which also puts the
//! address on the suppression list.

use std::collections::BTreeMap;

use super::classify::{Classification, Kind, classify};
use super::failure_brake::{FailureAlert, failure_brake};
use super::report::{self, Report};
use super::source::RawMessage;
use crate::domain::{ChangeSource, StatusOutcome, SubscriberStatus};
use crate::error::Result;
use crate::store::{BounceRecord, DeliveryRecipient, FeedbackCounts, Store};

/// Checks a VERP tag (the part after `+`), giving the delivery id it names
/// when it is genuine.
pub type VerpCheck<'a> = &'a (dyn Fn(&str) -> Option<i64> + Send + Sync);

/// How to apply.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Read, classify and match, but change nothing.
    pub dry_run: bool,
    /// `bounces.soft_limit`.
    pub soft_limit: u32,
    /// `bounces.soft_window_days`.
    pub soft_window_days: u32,
    /// `bounces.complaint_pause_rate`.
    pub complaint_pause_rate: f64,
    /// `bounces.complaint_min_sent`.
    pub complaint_min_sent: u32,
    /// `bounces.failed_pause_rate`.
    pub failed_pause_rate: f64,
    /// `bounces.failed_min_count`.
    pub failed_min_count: u32,
}

impl Options {
    /// The `[bounces]` settings, for every way in (files, IMAP, webhooks).
    pub fn from_settings(bounces: &crate::config::BouncesSettings, dry_run: bool) -> Options {
        Options {
            dry_run,
            soft_limit: bounces.soft_limit,
            soft_window_days: bounces.soft_window_days,
            complaint_pause_rate: bounces.complaint_pause_rate,
            complaint_min_sent: bounces.complaint_min_sent,
            failed_pause_rate: bounces.failed_pause_rate,
            failed_min_count: bounces.failed_min_count,
        }
    }
}

/// Above this complaint rate (0.1 %) ingest warns; above
/// `bounces.complaint_pause_rate` it pauses.
pub const COMPLAINT_WARN_RATE: f64 = 0.001;

/// An issue whose complaint rate, after complaints applied now, is above
/// [`COMPLAINT_WARN_RATE`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplaintAlert {
    pub slug: String,
    pub counts: FeedbackCounts,
    /// Above `bounces.complaint_pause_rate` with enough sent: the brake
    /// acted (false: a warning).
    pub braked: bool,
    /// The issues the brake paused now (this one and the next scheduled
    /// one); empty for a warning, or when none was left to pause.
    pub paused: Vec<String>,
    /// Why, as `issue status` shows it; for a warning, the warning.
    pub reason: String,
}

/// A report that could not prove which delivery it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unmatched {
    pub origin: String,
    pub kind: Kind,
    pub code: String,
    /// Who the report says it is about (its Final-Recipient), if anyone.
    pub recipient: Option<String>,
}

/// What an ingest did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Messages read, by kind.
    pub by_kind: BTreeMap<Kind, usize>,
    /// Proven reports applied now (with `dry_run`: that would be).
    pub applied: usize,
    /// Proven reports applied before: nothing changed.
    pub repeats: usize,
    /// Reports of an acting kind that proved nothing.
    pub unmatched: Vec<Unmatched>,
    /// Subscribers who became bounced (hard bounces, or soft ones over the
    /// limit).
    pub bounced: usize,
    /// Subscribers who became complained.
    pub complained: usize,
    /// Issues over the warning line after the complaints applied now.
    pub complaint_alerts: Vec<ComplaintAlert>,
    /// Issues over the failure brake's line after the failed-delivery
    /// reports applied now.
    pub failure_alerts: Vec<FailureAlert>,
}

impl Summary {
    pub fn read(&self) -> usize {
        self.by_kind.values().sum()
    }
}

/// One report to apply, from wherever it came: a message read by
/// [`report::parse`] or a provider's webhook event mapped onto the same
/// fields.
#[derive(Clone, Debug)]
pub struct Incoming {
    /// Where it came from, for the list of unmatched reports: a file, a
    /// maildir entry, an IMAP message, a webhook.
    pub origin: String,
    /// `None`: not a mail message at all (counted as other).
    pub report: Option<Report>,
}

/// Ingests raw `messages` in order.
pub async fn ingest(
    store: &Store,
    messages: &[RawMessage],
    verp: VerpCheck<'_>,
    options: Options,
) -> Result<Summary> {
    let incoming: Vec<Incoming> = messages
        .iter()
        .map(|message| Incoming {
            origin: message.origin.clone(),
            report: report::parse(&message.bytes),
        })
        .collect();
    ingest_reports(store, &incoming, verp, options).await
}

/// Ingests reports already read, in order: the same classification, proof
/// rule and repeat check for every way in.
pub async fn ingest_reports(
    store: &Store,
    incoming: &[Incoming],
    verp: VerpCheck<'_>,
    options: Options,
) -> Result<Summary> {
    let mut summary = Summary::default();
    // Issues that got a complaint, or a failed delivery, applied now: the
    // brakes look at them.
    let mut complained_issues = Vec::new();
    let mut failed_issues = Vec::new();
    for message in incoming {
        let Some(report) = &message.report else {
            *summary.by_kind.entry(Kind::Other).or_default() += 1;
            continue;
        };
        let class = classify(report);
        *summary.by_kind.entry(class.kind).or_default() += 1;
        if !class.kind.acts() {
            continue;
        }
        let Some(delivery) = proven_delivery(store, report, verp).await? else {
            summary.unmatched.push(Unmatched {
                origin: message.origin.clone(),
                kind: class.kind,
                code: class.code.clone(),
                recipient: report.recipients.iter().find_map(|r| {
                    let named = r.recipient.as_deref()?;
                    // `rfc822; anna@example.nl`: the address after the type.
                    Some(named.rsplit(';').next().unwrap_or(named).trim().to_owned())
                }),
            });
            continue;
        };
        if store.bounce_report_seen(&report.key).await? {
            summary.repeats += 1;
            continue;
        }
        summary.applied += 1;
        if options.dry_run {
            continue;
        }
        apply(store, report, &class, delivery, options, &mut summary).await?;
        let looked_at = match class.kind {
            Kind::Complaint => Some(&mut complained_issues),
            Kind::Failed => Some(&mut failed_issues),
            _ => None,
        };
        if let Some(issues) = looked_at {
            if !issues.contains(&delivery.issue_id) {
                issues.push(delivery.issue_id);
            }
        }
    }
    for issue_id in complained_issues {
        if let Some(alert) = brake(store, issue_id, options).await? {
            summary.complaint_alerts.push(alert);
        }
    }
    for issue_id in failed_issues {
        if let Some(alert) = failure_brake(store, issue_id, options).await? {
            summary.failure_alerts.push(alert);
        }
    }
    Ok(summary)
}

/// The brake (docs/bounces.md, "Per issue"): above
/// `bounces.complaint_pause_rate`, with at least
/// `bounces.complaint_min_sent` messages sent, pauses the issue and the
/// next scheduled one; above [`COMPLAINT_WARN_RATE`] warns.
async fn brake(store: &Store, issue_id: i64, options: Options) -> Result<Option<ComplaintAlert>> {
    let counts = store.feedback_counts(issue_id).await?;
    let rate = counts.complaint_rate();
    if rate <= COMPLAINT_WARN_RATE {
        return Ok(None);
    }
    let Some(slug) = store.issue_slug(issue_id).await? else {
        return Ok(None);
    };
    let line = format!(
        "{} complaints of {} messages sent, {:.2} %",
        counts.complaints,
        counts.sent,
        rate * 100.0
    );
    let over =
        rate > options.complaint_pause_rate && counts.sent >= i64::from(options.complaint_min_sent);
    if !over {
        let reason = format!(
            "complaint rate of issue {slug} is above 0.1 %: {line} \
             (the brake pauses above bounces.complaint_pause_rate {:.2} % \
             with at least {} sent)",
            options.complaint_pause_rate * 100.0,
            options.complaint_min_sent
        );
        tracing::warn!(issue = %slug, complaints = counts.complaints, sent = counts.sent, "{reason}");
        return Ok(Some(ComplaintAlert {
            slug,
            counts,
            braked: false,
            paused: Vec::new(),
            reason,
        }));
    }
    // The start of the reason, the same for every complaint about this
    // issue: the store pauses the next issue only while none is paused
    // with it, so later complaints do not pause one issue after another.
    let marker = format!("complaint rate of issue {slug} is above");
    let reason = format!(
        "{marker} bounces.complaint_pause_rate {:.2} %: {line}; \
         find out why, then `postbode issue resume`",
        options.complaint_pause_rate * 100.0
    );
    let paused = store
        .pause_for_complaints(issue_id, &marker, &reason)
        .await?;
    tracing::warn!(issue = %slug, complaints = counts.complaints, sent = counts.sent, paused = ?paused, "{reason}");
    Ok(Some(ComplaintAlert {
        slug,
        counts,
        braked: true,
        paused,
        reason,
    }))
}

/// The delivery the report proves it is about: a verified VERP tag first,
/// then a stored Message-ID.
async fn proven_delivery(
    store: &Store,
    report: &Report,
    verp: VerpCheck<'_>,
) -> Result<Option<DeliveryRecipient>> {
    for address in report.sent_to.iter().chain(&report.returned_senders) {
        let Some((local, _domain)) = address.rsplit_once('@') else {
            continue;
        };
        let Some((_, tag)) = local.split_once('+') else {
            continue;
        };
        if let Some(id) = verp(tag) {
            if let Some(delivery) = store.delivery_recipient(id).await? {
                return Ok(Some(delivery));
            }
        }
    }
    for message_id in &report.message_ids {
        if let Some(id) = store.delivery_by_message_id(message_id).await? {
            if let Some(delivery) = store.delivery_recipient(id).await? {
                return Ok(Some(delivery));
            }
        }
    }
    Ok(None)
}

async fn apply(
    store: &Store,
    report: &Report,
    class: &Classification,
    delivery: DeliveryRecipient,
    options: Options,
    summary: &mut Summary,
) -> Result<()> {
    // The report's key goes with the change in a column of its own
    // (`subscribers show` names the report).
    let detail = format!("{} {}", class.code, class.diagnostic);
    let reply = detail.clone();
    let key = Some(report.key.as_str());
    let (kind, failure_reply) = match class.kind {
        Kind::Hard => ("hard", Some(reply.as_str())),
        Kind::Failed => ("failed", Some(reply.as_str())),
        Kind::Soft => ("soft", None),
        _ => ("complaint", None),
    };
    let subscriber = delivery.subscriber_id;
    // Hard bounces and complaints change the status before the report is
    // recorded: a crash in between leaves a repeat that changes nothing
    // (the status is there already), never a recorded report whose change
    // was lost.
    if let Some(id) = subscriber {
        match class.kind {
            Kind::Hard => summary.bounced += bounce(store, id, &detail, key).await?,
            Kind::Complaint => {
                let outcome = store
                    .set_status_for_report(
                        id,
                        SubscriberStatus::Complained,
                        ChangeSource::Complaint,
                        Some(&detail),
                        key,
                    )
                    .await?;
                store.remove_from_every_list(id).await?;
                summary.complained += usize::from(matches!(outcome, StatusOutcome::Changed { .. }));
            }
            _ => {}
        }
    }
    let window_ms = i64::from(options.soft_window_days) * 86_400_000;
    let record = BounceRecord {
        report_key: &report.key,
        kind,
        delivery,
        code: &class.code,
        failure_reply,
    };
    let soft_count = store
        .record_bounce_report(&record, crate::store::now_ms() - window_ms)
        .await?;
    if let (Kind::Soft, Some(count), Some(id)) = (class.kind, soft_count, subscriber) {
        if count >= i64::from(options.soft_limit) {
            let detail = format!(
                "{count} soft bounces within {} days, the last {detail}",
                options.soft_window_days
            );
            summary.bounced += bounce(store, id, &detail, key).await?;
        }
    }
    Ok(())
}

/// Marks subscriber `id` bounced because of report `key`; 1 when that
/// changed their status, 0 when it did not (already bounced, or refused).
async fn bounce(store: &Store, id: i64, detail: &str, key: Option<&str>) -> Result<usize> {
    let outcome = store
        .set_status_for_report(
            id,
            SubscriberStatus::Bounced,
            ChangeSource::Bounce,
            Some(detail),
            key,
        )
        .await?;
    Ok(usize::from(matches!(
        outcome,
        StatusOutcome::Changed { .. }
    )))
}
