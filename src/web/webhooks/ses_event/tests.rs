use serde_json::json;

use super::*;
use crate::bounces::{Kind, classify};

fn mail() -> Value {
    json!({
        "timestamp": "2026-10-01T10:00:00.000Z",
        "source": "Redactie <bounces+0123abcd@example.org>",
        "messageId": "0100018f-ses-own-id",
        "destination": ["lezer1@example.nl"],
        "headers": [
            {"name": "Message-ID", "value": "<pb.abc@example.org>"},
            {"name": "Subject", "value": "Nieuws"}
        ],
        "commonHeaders": {"messageId": "<pb.abc@example.org>", "subject": "Nieuws"}
    })
}

fn bounce(kind_field: &str, bounce_type: &str, sub_type: &str, status: Option<&str>) -> String {
    let mut recipient = json!({
        "emailAddress": "lezer1@example.nl",
        "action": "failed",
        "diagnosticCode": "smtp; 550 5.1.1 user unknown"
    });
    if let Some(status) = status {
        recipient["status"] = json!(status);
    }
    json!({
        kind_field: "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": sub_type,
            "bouncedRecipients": [recipient],
            "timestamp": "2026-10-01T10:00:05.000Z",
            "feedbackId": "0100018f-feedback"
        },
        "mail": mail()
    })
    .to_string()
}

fn kind_and_code(message: &str) -> (Kind, String) {
    let report = report("ses:1", message).expect("an SES notification");
    let class = classify(&report);
    (class.kind, class.code)
}

#[test]
fn a_permanent_bounce_carries_its_status_and_the_proof_of_both_shapes() {
    for field in ["notificationType", "eventType"] {
        let message = bounce(field, "Permanent", "General", Some("5.1.1"));
        let report = report("ses:abc", &message).expect("read");
        assert_eq!(report.key, "ses:abc");
        assert_eq!(report.returned_senders, ["bounces+0123abcd@example.org"]);
        assert_eq!(report.message_ids, ["pb.abc@example.org"]);
        assert_eq!(
            report.recipients[0].recipient.as_deref(),
            Some("rfc822; lezer1@example.nl")
        );
        assert_eq!(
            kind_and_code(&message),
            (Kind::Hard, "5.1.1".into()),
            "{field}"
        );
    }
    let policy = bounce("notificationType", "Permanent", "General", Some("5.7.1"));
    assert_eq!(kind_and_code(&policy), (Kind::Failed, "5.7.1".into()));
}

#[test]
fn a_permanent_bounce_without_a_status_is_hard_only_for_an_address_that_does_not_exist() {
    for sub_type in [
        "General",
        "NoEmail",
        "Suppressed",
        "OnAccountSuppressionList",
    ] {
        let message = bounce("notificationType", "Permanent", sub_type, None);
        assert_eq!(
            kind_and_code(&message),
            (Kind::Hard, "5.1.1".into()),
            "{sub_type}"
        );
    }
    for sub_type in ["Undetermined", "UnsubscribedRecipient"] {
        let message = bounce("notificationType", "Permanent", sub_type, None);
        assert_eq!(kind_and_code(&message).0, Kind::Failed, "{sub_type}");
    }
}

#[test]
fn a_transient_bounce_is_soft_whatever_its_code() {
    for status in [Some("4.2.2"), Some("5.2.2"), None] {
        let message = bounce("eventType", "Transient", "MailboxFull", status);
        assert_eq!(kind_and_code(&message).0, Kind::Soft, "{status:?}");
    }
}

#[test]
fn a_complaint_of_abuse_fraud_or_no_type_complains_and_others_are_ignored() {
    let complaint = |feedback: Option<&str>| {
        let mut complaint = json!({
            "complainedRecipients": [{"emailAddress": "lezer1@example.nl"}],
            "timestamp": "2026-10-01T11:00:00.000Z",
            "feedbackId": "0100018f-complaint"
        });
        if let Some(feedback) = feedback {
            complaint["complaintFeedbackType"] = json!(feedback);
        }
        json!({"notificationType": "Complaint", "complaint": complaint, "mail": mail()}).to_string()
    };
    for feedback in [Some("abuse"), Some("fraud"), None] {
        assert_eq!(
            kind_and_code(&complaint(feedback)).0,
            Kind::Complaint,
            "{feedback:?}"
        );
    }
    for feedback in ["not-spam", "virus", "other"] {
        assert_eq!(
            kind_and_code(&complaint(Some(feedback))).0,
            Kind::Informational,
            "{feedback}"
        );
    }
}

#[test]
fn deliveries_and_other_events_change_nothing_and_garbage_is_no_notification() {
    let delivery = json!({"notificationType": "Delivery", "delivery": {}, "mail": mail()});
    assert!(!kind_and_code(&delivery.to_string()).0.acts());
    let open = json!({"eventType": "Open", "open": {}, "mail": mail()});
    assert!(!kind_and_code(&open.to_string()).0.acts());
    assert!(report("ses:1", "Hello world!").is_none());
    assert!(report("ses:1", "{\"no\": \"type\"}").is_none());
    // A bounce without recipients names nobody: not acted on.
    let empty = json!({"notificationType": "Bounce", "bounce": {"bounceType": "Permanent"}});
    assert!(!kind_and_code(&empty.to_string()).0.acts());
}
