//! `/subscribe` and `/confirm/TOKEN`: signing up with double opt-in.
//!
//! - `GET /subscribe` shows the form; `POST /subscribe` answers every
//!   acceptable address with the same "check your inbox" page, whether it
//!   was new, pending, active, unsubscribed or bounced, so the form reveals
//!   nothing about who is subscribed. Behind that page: a new address
//!   becomes `pending` and gets a confirmation mail; a pending or
//!   unsubscribed one gets (another) confirmation mail; an active or
//!   bounced one gets nothing. The mail is sent in the background, so the
//!   answer does not take longer when a mail goes out.
//! - A filled honeypot field (`website`) gets the same page and nothing
//!   happens.
//! - Limits (see [`limits`]): POSTs per client address (over it: 429),
//!   and confirmation mails per address (over it: the same page, no mail).
//! - `GET /confirm/TOKEN` shows a button and changes nothing (mail scanners
//!   follow links); `POST /confirm/TOKEN` makes a pending or unsubscribed
//!   subscriber active (source `confirm`) when the token is genuine and at
//!   most [`CONFIRM_MAX_AGE_SECS`] old.

use std::net::SocketAddr;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::pages::{self, FormError, Lang};
use super::unsubscribe::form_pairs;
use super::{AppState, Inner, limits};
use crate::dispatch::transport::Envelope;
use crate::domain::{ChangeSource, EmailAddress, Language, SubscriberName, SubscriberStatus};
use crate::mail::confirmation::{self, Confirmation};
use crate::store::NewSubscriber;

/// A confirmation link works for seven days.
pub const CONFIRM_MAX_AGE_SECS: u64 = 7 * 24 * 3600;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/subscribe", get(form).post(subscribe))
        .route("/confirm/{token}", get(show_confirm).post(confirm))
}

/// `GET /subscribe`.
async fn form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    Html(pages::subscribe_form(
        state.lang(&headers),
        &state.inner.newsletter,
        "",
        "",
        None,
    ))
    .into_response()
}

/// `POST /subscribe`.
async fn subscribe(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = state.lang(&headers);
    let newsletter = &state.inner.newsletter;
    let now = Instant::now();
    if let Err(wait) = state.inner.limits.allow_subscribe(client.ip(), now) {
        tracing::warn!(client = %client.ip(), "subscribe: too many requests");
        return limits::too_many(pages::too_many(lang, newsletter), wait);
    }
    let (mut email, mut name, mut website) = (String::new(), String::new(), String::new());
    for (key, value) in form_pairs(&body) {
        match key.as_str() {
            "email" => email = value,
            "name" => name = value,
            "website" => website = value,
            _ => {}
        }
    }
    let thanks = || Html(pages::subscribe_thanks(lang, newsletter)).into_response();
    if !website.trim().is_empty() {
        tracing::info!(client = %client.ip(), "subscribe: honeypot filled, ignored");
        return thanks();
    }
    let again = |error| {
        let page = pages::subscribe_form(lang, newsletter, &email, &name, Some(error));
        (StatusCode::BAD_REQUEST, Html(page)).into_response()
    };
    let Ok(address) = EmailAddress::parse(&email) else {
        return again(FormError::Email);
    };
    let person = if name.trim().is_empty() {
        None
    } else {
        match SubscriberName::parse(&name) {
            Ok(n) => Some(n),
            Err(_) => return again(FormError::Name),
        }
    };
    match confirmation_due(&state, &address, person.as_ref(), lang).await {
        Ok(Some(id)) => {
            if state.inner.limits.allow_address(&address, now) {
                let state = state.clone();
                tokio::spawn(async move {
                    send_confirmation(&state.inner, id, &address, person.as_ref(), lang).await;
                });
            } else {
                tracing::warn!(subscriber = id, "subscribe: confirmation limit reached");
            }
        }
        Ok(None) => {}
        Err(e) => return state.failure(&headers, &e),
    }
    thanks()
}

/// Adds a new address as pending. Returns the subscriber id when a
/// confirmation mail should go out (new, pending or unsubscribed).
async fn confirmation_due(
    state: &AppState,
    address: &EmailAddress,
    name: Option<&SubscriberName>,
    lang: Lang,
) -> crate::error::Result<Option<i64>> {
    let store = &state.inner.store;
    let known = match store.find_subscriber(address).await? {
        Some(s) => s,
        None => {
            let new = NewSubscriber {
                email: address.clone(),
                name: name.cloned(),
                status: SubscriberStatus::Pending,
                language: Language::parse(lang.code()).ok(),
            };
            let lists = [state.inner.default_list.clone()];
            if let Some(s) = store
                .add_subscriber(&new, &lists, ChangeSource::Page)
                .await?
            {
                tracing::info!(subscriber = s.id, "subscribe: new pending subscriber");
                return Ok(Some(s.id));
            }
            // Added by someone else in the meantime.
            match store.find_subscriber(address).await? {
                Some(s) => s,
                None => return Ok(None),
            }
        }
    };
    Ok(match known.status {
        SubscriberStatus::Pending | SubscriberStatus::Unsubscribed => Some(known.id),
        _ => None,
    })
}

/// Renders, signs and sends one confirmation mail; failures go to the log.
async fn send_confirmation(
    inner: &Inner,
    id: i64,
    address: &EmailAddress,
    name: Option<&SubscriberName>,
    lang: Lang,
) {
    let issued = jiff::Timestamp::now();
    let token = inner.tokens.confirm_token(id, issued.as_second());
    let confirm_url = format!("{}/confirm/{token}", inner.base_url);
    let message_id =
        confirmation::confirmation_message_id(id, issued.as_second(), inner.from.address.domain());
    let mail = Confirmation {
        from: &inner.from,
        reply_to: &inner.reply_to,
        to: address,
        to_name: name,
        newsletter: &inner.newsletter,
        confirm_url: &confirm_url,
        language: lang.code(),
        message_id: &message_id,
        date: issued,
    };
    let html = inner
        .emails
        .as_deref()
        .and_then(|dir| match mail.html(dir) {
            Ok(html) => Some(html),
            Err(error) => {
                tracing::error!(%error, "confirmation mail: template failed, sending text only");
                None
            }
        });
    let raw = match confirmation::build(&mail, html.as_deref()) {
        Ok(raw) => raw,
        Err(error) => {
            tracing::error!(%error, subscriber = id, "confirmation mail: cannot build it");
            return;
        }
    };
    let raw = match &inner.signer {
        Some(signer) => match signer.sign(&raw) {
            Ok(signed) => signed,
            Err(error) => {
                tracing::error!(%error, subscriber = id, "confirmation mail: cannot sign it");
                return;
            }
        },
        None => raw,
    };
    let envelope = Envelope {
        from: inner.from.address.as_str().to_owned(),
        to: address.as_str().to_owned(),
    };
    let stem = format!("confirm-{id}-{}", issued.as_second());
    match inner.transport.send(&envelope, &raw, &stem).await {
        Ok(accepted) => {
            tracing::info!(subscriber = id, reply = %accepted.reply, "confirmation mail sent");
        }
        Err(error) => {
            tracing::error!(%error, subscriber = id, "confirmation mail: sending failed");
        }
    }
}

/// The subscriber a confirmation link names, when it is genuine and not
/// older than [`CONFIRM_MAX_AGE_SECS`].
fn confirming(state: &AppState, path: Result<Path<String>, PathRejection>) -> Option<i64> {
    let token = path.map(|Path(t)| t).unwrap_or_default();
    let now = jiff::Timestamp::now().as_second();
    state
        .inner
        .tokens
        .verify_confirm(&token, now, CONFIRM_MAX_AGE_SECS)
}

/// `GET /confirm/TOKEN`: the same page for every token, valid or not (in
/// the language they subscribed in, when the token is genuine).
async fn show_confirm(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let subscriber = confirming(&state, path);
    Html(pages::confirm(
        state.lang_for(&headers, subscriber).await,
        &state.inner.newsletter,
    ))
    .into_response()
}

/// `POST /confirm/TOKEN`.
async fn confirm(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let newsletter = &state.inner.newsletter;
    let subscriber = confirming(&state, path);
    let lang = state.lang_for(&headers, subscriber).await;
    let invalid = || Html(pages::confirm_invalid(lang, newsletter)).into_response();
    let Some(id) = subscriber else {
        return invalid();
    };
    let store = &state.inner.store;
    let result = async {
        match store.status_by_id(id).await? {
            Some(SubscriberStatus::Pending | SubscriberStatus::Unsubscribed) => {
                store
                    .set_status_by_id(id, SubscriberStatus::Active, ChangeSource::Confirm, None)
                    .await?;
                store
                    .join_lists(id, std::slice::from_ref(&state.inner.default_list))
                    .await?;
                tracing::info!(subscriber = id, "confirmed");
                Ok(true)
            }
            Some(SubscriberStatus::Active) => Ok(true),
            _ => Ok(false),
        }
    };
    match result.await {
        Ok(true) => Html(pages::confirmed(lang, newsletter)).into_response(),
        Ok(false) => invalid(),
        Err(e) => state.failure(&headers, &e),
    }
}
