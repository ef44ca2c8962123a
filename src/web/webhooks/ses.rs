//! `POST /webhooks/ses`: Amazon SNS HTTP(S) messages from a topic that SES
//! publishes bounce and complaint notifications to.
//!
//! In order: the topic must be in `webhooks.ses_topic_arns`, the signing
//! certificate's URL on a trusted host ([`sns_signature::TrustedHosts`]),
//! and the signature must verify with that certificate's key; else 401
//! before anything else is done. A verified `SubscriptionConfirmation` is
//! confirmed by fetching its `SubscribeURL` (the same host rule); a
//! `Notification` is read by [`super::ses_event`] and applied.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::fetch::{self, CertCache, KeyError};
use super::sns_signature::{self, Envelope, TrustedHosts};
use super::{apply, not_configured, refused, ses_event};
use crate::bounces::Incoming;
use crate::web::AppState;

const ROUTE: &str = "POST /webhooks/ses";

/// The SES route's settings and its certificate cache.
#[derive(Debug)]
pub struct SesHook {
    topics: Vec<String>,
    hosts: TrustedHosts,
    certs: CertCache,
}

impl SesHook {
    /// `None` when no topic is allowed: the route is off.
    pub fn new(topics: &[String], cert_hosts: &[String]) -> Option<SesHook> {
        (!topics.is_empty()).then(|| SesHook {
            topics: topics.to_vec(),
            hosts: TrustedHosts::new(cert_hosts),
            certs: CertCache::default(),
        })
    }
}

pub async fn receive(State(state): State<AppState>, body: Bytes) -> Response {
    let Some(hook) = &state.inner.webhooks.ses else {
        return not_configured();
    };
    let envelope: Envelope = match serde_json::from_slice(&body) {
        Ok(envelope) => envelope,
        Err(e) => return refused(ROUTE, &format!("not a signed SNS message: {e}")),
    };
    if !hook.topics.contains(&envelope.topic_arn) {
        return refused(
            ROUTE,
            &format!(
                "topic {} is not in webhooks.ses_topic_arns",
                envelope.topic_arn
            ),
        );
    }
    if let Err(refusal) = hook.hosts.check(&envelope.signing_cert_url) {
        return refused(ROUTE, &refusal);
    }
    let key = match hook.certs.key(&envelope.signing_cert_url).await {
        Ok(key) => key,
        Err(KeyError::Refused(refusal)) => return refused(ROUTE, &refusal),
        Err(KeyError::Unavailable(error)) => {
            tracing::warn!(%error, "{ROUTE}: the signing certificate could not be fetched");
            return (StatusCode::SERVICE_UNAVAILABLE, "try again later\n").into_response();
        }
    };
    if let Err(refusal) = sns_signature::verify(&envelope, &key) {
        return refused(ROUTE, &refusal);
    }
    match envelope.kind.as_str() {
        "Notification" => notification(&state, &envelope).await,
        "SubscriptionConfirmation" => confirm(hook, &envelope).await,
        _ => {
            tracing::info!(topic = %envelope.topic_arn, "{ROUTE}: {}", envelope.kind);
            (StatusCode::OK, "ok\n").into_response()
        }
    }
}

async fn notification(state: &AppState, envelope: &Envelope) -> Response {
    let key = format!("ses:{}", envelope.message_id);
    let report = ses_event::report(&key, &envelope.message);
    if report.is_none() {
        tracing::info!(message = %envelope.message_id, "{ROUTE}: not an SES notification, ignored");
    }
    let incoming = Incoming {
        origin: format!("webhook ses {}", envelope.message_id),
        report,
    };
    apply(state, vec![incoming]).await
}

/// Confirms the subscription, so SNS starts sending notifications.
async fn confirm(hook: &SesHook, envelope: &Envelope) -> Response {
    let url = envelope.subscribe_url.as_deref().unwrap_or_default();
    if let Err(refusal) = hook.hosts.check(url) {
        return refused(ROUTE, &refusal);
    }
    match fetch::get(url).await {
        Ok(_) => {
            tracing::info!(topic = %envelope.topic_arn, "{ROUTE}: subscription confirmed");
            (StatusCode::OK, "confirmed\n").into_response()
        }
        Err(error) => {
            tracing::warn!(%error, "{ROUTE}: confirming the subscription failed");
            (StatusCode::BAD_GATEWAY, "confirmation failed\n").into_response()
        }
    }
}
