//! An Amazon SES notification (the `Message` of an SNS notification) read
//! into a [`Report`], so it meets the same classification and proof rule
//! as a DSN or ARF report (`crate::bounces`).
//!
//! Both shapes SES publishes are read: identity notifications
//! (`notificationType`) and configuration-set event publishing
//! (`eventType`). A permanent bounce carries the recipient's DSN status
//! (5.1.1 when SES gives none and says the address does not exist); a
//! transient one is a soft bounce; a complaint of feedback type abuse or
//! fraud, or of none, is a complaint. Deliveries and other events are
//! ignored. The proof: `mail.source`, the envelope sender postbode set (a
//! VERP address), and `mail.commonHeaders.messageId`, postbode's
//! Message-ID.

use serde_json::Value;

use crate::bounces::Report;
use crate::bounces::report::RecipientStatus;

/// The report `message` (an SES notification, as JSON text) makes; `key`
/// names it (`ses:` and the SNS MessageId). `None`: not an SES
/// notification at all.
pub fn report(key: &str, message: &str) -> Option<Report> {
    let event: Value = serde_json::from_str(message).ok()?;
    let kind = event
        .get("notificationType")
        .or_else(|| event.get("eventType"))
        .and_then(Value::as_str)?;
    let mut report = Report {
        key: key.to_owned(),
        subject: format!("SES {kind} notification"),
        ..Report::default()
    };
    read_mail(&event["mail"], &mut report);
    match kind {
        "Bounce" => read_bounce(&event["bounce"], &mut report),
        "Complaint" => {
            let complaint = &event["complaint"];
            let feedback = text(complaint, "complaintFeedbackType")
                .map_or_else(|| "abuse".to_owned(), |t| t.to_ascii_lowercase());
            report.feedback_type = Some(feedback);
        }
        "Delivery" => report.recipients.push(RecipientStatus {
            action: Some("delivered".into()),
            ..RecipientStatus::default()
        }),
        // Sends, opens, clicks, rejects, delivery delays of SES's own:
        // nothing a subscriber's status follows from.
        _ => {}
    }
    Some(report)
}

/// The envelope sender and the Message-ID of the message SES sent.
fn read_mail(mail: &Value, report: &mut Report) {
    if let Some(source) = text(mail, "source") {
        report.returned_senders.push(bare(source).to_owned());
    }
    if let Some(id) = text(&mail["commonHeaders"], "messageId") {
        push_id(&mut report.message_ids, id);
    }
    // With "include original headers": the same, as sent.
    for header in mail["headers"].as_array().into_iter().flatten() {
        let name = text(header, "name").unwrap_or_default();
        if name.eq_ignore_ascii_case("Message-ID") {
            if let Some(id) = text(header, "value") {
                push_id(&mut report.message_ids, id);
            }
        }
    }
}

fn read_bounce(bounce: &Value, report: &mut Report) {
    let permanent = text(bounce, "bounceType") == Some("Permanent");
    let sub_type = text(bounce, "bounceSubType").unwrap_or_default();
    let recipients = bounce["bouncedRecipients"].as_array();
    for recipient in recipients.into_iter().flatten() {
        let given = text(recipient, "status").map(str::to_owned);
        let status = if permanent {
            given.or_else(|| Some(permanent_default(sub_type).to_owned()))
        } else {
            given
        };
        report.recipients.push(RecipientStatus {
            // Transient: a soft bounce, whatever code it carries.
            action: Some(if permanent { "failed" } else { "delayed" }.into()),
            status,
            diagnostic: text(recipient, "diagnosticCode").map(str::to_owned),
            recipient: text(recipient, "emailAddress").map(|a| format!("rfc822; {a}")),
        });
    }
}

/// The status of a permanent bounce SES gives no status for: the address
/// does not exist (or SES suppresses it for having bounced so) is 5.1.1;
/// anything else fails the delivery only.
fn permanent_default(sub_type: &str) -> &'static str {
    match sub_type {
        "General" | "NoEmail" | "Suppressed" | "OnAccountSuppressionList" => "5.1.1",
        _ => "5.0.0",
    }
}

fn text<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `<a@b>` or `Name <a@b>` to `a@b`.
fn bare(address: &str) -> &str {
    match (address.rfind('<'), address.rfind('>')) {
        (Some(open), Some(close)) if open < close => &address[open + 1..close],
        _ => address,
    }
}

fn push_id(into: &mut Vec<String>, id: &str) {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    if !id.is_empty() && !into.iter().any(|known| known == id) {
        into.push(id.to_owned());
    }
}

#[cfg(test)]
mod tests;
