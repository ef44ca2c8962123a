//! Signed provider webhooks (docs/bounces.md, "The ways in"): bounce and
//! complaint events from Amazon SES (through SNS, [`ses`]) and Mailgun
//! ([`mailgun`]), mapped onto [`crate::bounces::Report`] and applied with
//! the same classification, proof rule and repeat check as `bounces
//! ingest`.
//!
//! A request whose signature does not verify gets 401 and changes nothing.
//! A signed event that proves no delivery (no genuine VERP tag, no stored
//! Message-ID) gets 200, so the provider does not send it again and
//! again, changes nothing and is logged as unmatched. A route whose keys
//! are not configured answers 404.

pub mod fetch;
pub mod mailgun;
pub mod ses;
pub mod ses_event;
pub mod sns_signature;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::AppState;
use crate::bounces::{self, Incoming, Options};
use crate::config::Settings;
use crate::mail::{BounceTag, TokenKey};

/// The largest webhook body read: SNS messages are at most 256 KB, and an
/// SES notification with the original headers comes near that.
pub const BODY_LIMIT: usize = 256 * 1024;

/// What the webhook handlers share, built once from the settings.
#[derive(Debug)]
pub struct Webhooks {
    /// `None`: `webhooks.ses_topic_arns` is empty, the route is off.
    ses: Option<ses::SesHook>,
    mailgun: Option<mailgun::MailgunKey>,
    tags: BounceTag,
    options: Options,
}

impl Webhooks {
    pub fn new(settings: &Settings, tokens: TokenKey) -> Webhooks {
        let hooks = &settings.webhooks;
        Webhooks {
            ses: ses::SesHook::new(&hooks.ses_topic_arns.0, &hooks.ses_cert_hosts.0),
            mailgun: mailgun::MailgunKey::new(&hooks.mailgun_signing_key),
            tags: BounceTag::new(tokens),
            options: Options::from_settings(&settings.bounces, false),
        }
    }
}

/// `POST /webhooks/ses` and `POST /webhooks/mailgun`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks/ses", post(ses::receive))
        .route("/webhooks/mailgun", post(mailgun::receive))
}

/// Applies signed events; 200 unless the store failed (500, so the
/// provider sends them again).
async fn apply(state: &AppState, incoming: Vec<Incoming>) -> Response {
    let hooks = &state.inner.webhooks;
    let verp = |tag: &str| hooks.tags.verify(tag);
    let summary =
        match bounces::ingest_reports(&state.inner.store, &incoming, &verp, hooks.options).await {
            Ok(summary) => summary,
            Err(error) => {
                tracing::error!(%error, "webhook: applying an event failed");
                return (StatusCode::INTERNAL_SERVER_ERROR, "failed\n").into_response();
            }
        };
    for unmatched in &summary.unmatched {
        // No address: the log is not erased with a subscriber.
        tracing::warn!(
            origin = %unmatched.origin,
            kind = unmatched.kind.as_str(),
            code = %unmatched.code,
            "webhook: unmatched event (no valid VERP tag and no Message-ID of postbode's): not applied"
        );
    }
    tracing::info!(
        applied = summary.applied,
        repeats = summary.repeats,
        unmatched = summary.unmatched.len(),
        bounced = summary.bounced,
        complained = summary.complained,
        "webhook events read: {}",
        summary.read()
    );
    (StatusCode::OK, "ok\n").into_response()
}

fn refused(route: &str, why: &dyn std::fmt::Display) -> Response {
    tracing::warn!("{route}: refused: {why}");
    (StatusCode::UNAUTHORIZED, "signature refused\n").into_response()
}

fn not_configured() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}
