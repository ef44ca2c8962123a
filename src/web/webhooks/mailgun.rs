//! `POST /webhooks/mailgun`: Mailgun's signed webhooks (JSON:
//! `{"signature": {"timestamp", "token", "signature"}, "event-data": {…}}`).
//!
//! The signature is the hex HMAC-SHA256 of timestamp and token under the
//! webhook signing key (`webhooks.mailgun_signing_key`), compared in
//! constant time; the timestamp must be within [`MAX_AGE_SECS`] of now, so
//! a captured request cannot be sent again later. A `failed` event of
//! severity permanent is a DSN with its enhanced status code (5.1.1 for a
//! bare 550), a temporary one a soft bounce; `complained` is a complaint;
//! other events are ignored. The proof, as for every report: the envelope
//! sender (a VERP address) or postbode's Message-ID.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use super::{apply, not_configured, refused};
use crate::bounces::report::RecipientStatus;
use crate::bounces::{Incoming, Report};
use crate::crypto::{HmacSha256, equal_in_constant_time};
use crate::web::AppState;

const ROUTE: &str = "POST /webhooks/mailgun";
/// How far a signature's timestamp may be from now, either way.
pub const MAX_AGE_SECS: i64 = 5 * 60;

/// The signing key; Debug never shows it.
pub struct MailgunKey(SecretString);

impl std::fmt::Debug for MailgunKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MailgunKey(..)")
    }
}

impl MailgunKey {
    /// `None` when the key is empty: the route is off.
    pub fn new(key: &SecretString) -> Option<MailgunKey> {
        let trimmed = key.expose_secret().trim();
        (!trimmed.is_empty()).then(|| MailgunKey(SecretString::from(trimmed)))
    }

    /// Whether `signature` (hex) signs `timestamp` and `token`, and
    /// `timestamp` is near `now_unix`.
    pub fn verify(&self, signed: &Signature, now_unix: i64) -> Result<(), &'static str> {
        let at: i64 = signed
            .timestamp
            .trim()
            .parse()
            .map_err(|_| "bad timestamp")?;
        if (now_unix - at).abs() > MAX_AGE_SECS {
            return Err("the timestamp is more than 5 minutes from now");
        }
        let expected = decode_hex(&signed.signature).ok_or("the signature is not hex")?;
        let mac = HmacSha256::new(self.0.expose_secret().as_bytes())
            .mac(&[signed.timestamp.as_bytes(), signed.token.as_bytes()]);
        equal_in_constant_time(&mac, &expected)
            .then_some(())
            .ok_or("the signature does not verify")
    }
}

/// `signature` of a Mailgun webhook body.
#[derive(Debug, Deserialize)]
pub struct Signature {
    pub timestamp: String,
    pub token: String,
    pub signature: String,
}

#[derive(Debug, Deserialize)]
struct Body {
    signature: Signature,
    #[serde(rename = "event-data")]
    event: Value,
}

pub async fn receive(State(state): State<AppState>, body: Bytes) -> Response {
    let Some(key) = &state.inner.webhooks.mailgun else {
        return not_configured();
    };
    let body: Body = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return refused(ROUTE, &format!("not a signed Mailgun webhook: {e}")),
    };
    if let Err(why) = key.verify(&body.signature, jiff::Timestamp::now().as_second()) {
        return refused(ROUTE, &why);
    }
    let id = body.event["id"].as_str().unwrap_or_default();
    let incoming = Incoming {
        origin: format!("webhook mailgun {id}"),
        report: report(&body.event),
    };
    apply(&state, vec![incoming]).await
}

/// The report a Mailgun event makes; `None` without an event id (nothing
/// to know a repeat by).
pub fn report(event: &Value) -> Option<Report> {
    let id = text(&event["id"])?;
    let kind = text(&event["event"]).unwrap_or_default();
    let mut report = Report {
        key: format!("mailgun:{id}"),
        subject: format!("Mailgun {kind} event"),
        ..Report::default()
    };
    if let Some(sender) = text(&event["envelope"]["sender"]) {
        report.returned_senders.push(sender.to_owned());
    }
    if let Some(message_id) = text(&event["message"]["headers"]["message-id"]) {
        let bare = message_id.trim_start_matches('<').trim_end_matches('>');
        report.message_ids.push(bare.to_owned());
    }
    match kind {
        "failed" => {
            let status = &event["delivery-status"];
            let permanent = text(&event["severity"]) == Some("permanent");
            let enhanced = text(&status["enhanced-code"]).map(str::to_owned);
            let code = status["code"].as_i64();
            let status_code = match (permanent, enhanced) {
                (_, Some(enhanced)) => Some(enhanced),
                (true, None) if code == Some(550) => Some("5.1.1".to_owned()),
                (true, None) => Some("5.0.0".to_owned()),
                (false, None) => None,
            };
            let diagnostic = text(&status["message"])
                .or_else(|| text(&status["description"]))
                .map(|m| format!("smtp; {} {m}", code.unwrap_or_default()));
            report.recipients.push(RecipientStatus {
                // Temporary: a soft bounce, whatever code it carries.
                action: Some(if permanent { "failed" } else { "delayed" }.into()),
                status: status_code,
                diagnostic,
                recipient: text(&event["recipient"]).map(|r| format!("rfc822; {r}")),
            });
        }
        "complained" => report.feedback_type = Some("abuse".into()),
        "delivered" => report.recipients.push(RecipientStatus {
            action: Some("delivered".into()),
            ..RecipientStatus::default()
        }),
        _ => {}
    }
    Some(report)
}

/// A JSON string, trimmed; `None` when absent or empty.
fn text(value: &Value) -> Option<&str> {
    value.as_str().map(str::trim).filter(|s| !s.is_empty())
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().as_bytes();
    if text.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16);
    text.chunks(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect()
}

#[cfg(test)]
mod tests;
