//! `/subscribe` and `/confirm/TOKEN`: signing up with double opt-in.
//!
//! - `GET /subscribe` shows the form; `POST /subscribe` answers every
//!   acceptable address with the same "check your inbox" page, whether it
//!   was new, pending, active, unsubscribed or bounced, so the form reveals
//!   nothing about who is subscribed. Behind that page: a new address
//!   becomes `pending` and gets a confirmation mail; a pending or
//!   unsubscribed one gets (another) confirmation mail; an active or
//!   bounced one gets nothing. All of that (the lookup, the writes, the
//!   mail) happens in the background after the answer, the same for every
//!   address, so neither the page nor its timing tells a known address
//!   from an unknown one.
//! - A filled honeypot field (`website`) gets the same page and nothing
//!   happens.
//! - A POST from another site's page gets 403 and changes nothing
//!   ([`super::form_origin`]).
//! - Limits (see [`limits`]): POSTs per client address (over it: 429),
//!   and confirmation mails per mailbox (over it: the same page, no mail).
//! - Pages behind a confirmation link speak the link's language
//!   ([`AppState::link_lang`]), genuine or not.
//! - `GET /confirm/TOKEN` shows a button and changes nothing (mail scanners
//!   follow links); `POST /confirm/TOKEN` makes a pending or unsubscribed
//!   subscriber active (source `confirm`) when the token is genuine and at
//!   most [`CONFIRM_MAX_AGE_SECS`] old.
//! - Honest answers: a confirmation link that does not work (forged,
//!   truncated, expired, or for nobody) gets 404 and a page that says so,
//!   offers to sign up again and to unsubscribe by address; one the status
//!   rules refuse (a bounced address) gets 409 and says nothing changed.
//!
//! The confirmation mail goes through the [`SystemMailer`]: the transport,
//! signer and shared rate of every mail, recorded in the store.
//!
//! [`SystemMailer`]: crate::transport::system_mailer::SystemMailer

use std::net::IpAddr;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::client_ip::ClientIp;
use super::pages::{BrokenLink, FormError, Lang};
use super::unsubscribe::form_pairs;
use super::{AppState, form_origin, limits};
use crate::domain::{
    ChangeSource, ClientNetwork, ConfirmLink, EmailAddress, Language, StatusOutcome,
    SubscriberName, SubscriberStatus,
};
use crate::store::{ConsentWay, NewSubscriber, Recipient};

/// A confirmation link works for seven days.
pub const CONFIRM_MAX_AGE_SECS: u64 = 7 * 24 * 3600;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/subscribe", get(form).post(subscribe))
        .route("/confirm/{token}", get(show_confirm).post(confirm))
}

/// `GET /subscribe`.
async fn form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    Html(
        state
            .pages()
            .subscribe_form(state.lang(&headers), "", "", None),
    )
    .into_response()
}

/// `POST /subscribe`.
async fn subscribe(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = state.lang(&headers);
    if state.inner.form_origins.cross_site(&headers) {
        tracing::warn!(%client, "subscribe: posted from another site");
        return form_origin::refused(state.pages(), lang);
    }
    let now = Instant::now();
    if let Err(wait) = state.inner.limits.allow_subscribe(client, now) {
        tracing::warn!(%client, "subscribe: too many requests");
        return limits::too_many(state.pages().too_many(lang), wait);
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
    let thanks = || Html(state.pages().subscribe_thanks(lang)).into_response();
    if !website.trim().is_empty() {
        tracing::info!(%client, "subscribe: honeypot filled, ignored");
        return thanks();
    }
    let again = |error| {
        let page = state
            .pages()
            .subscribe_form(lang, &email, &name, Some(error));
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
    // Whatever depends on the address being known happens after the
    // answer, for every address alike.
    let state = state.clone();
    let after = state.inner.after_answer.clone();
    after.spawn(async move { sign_up(&state, address, person, lang, client).await });
    thanks()
}

/// Behind the "check your inbox" page: stores the request and, when a
/// confirmation is due and the mailbox is under its limit, mails it.
/// Failures go to the log only (the answer has gone).
async fn sign_up(
    state: &AppState,
    address: EmailAddress,
    person: Option<SubscriberName>,
    lang: Lang,
    client: IpAddr,
) {
    let id = match confirmation_due(state, &address, person.as_ref(), lang, client).await {
        Ok(Some(id)) => id,
        Ok(None) => return,
        Err(error) => {
            tracing::error!(%error, "subscribe: cannot store the request");
            return;
        }
    };
    if !limits::allow_address_mail(&state.inner.store, &address).await {
        tracing::warn!(subscriber = id, "subscribe: confirmation limit reached");
        return;
    }
    let who = Recipient {
        id,
        email: address,
        name: person,
        language: None,
    };
    let mailer = &state.inner.mailer;
    if let Err(error) = mailer
        .send_confirmation(&who, lang.code(), ChangeSource::Page)
        .await
    {
        tracing::error!(%error, subscriber = id, "confirmation mail");
    }
}

/// Adds a new address as pending. Returns the subscriber id when a
/// confirmation mail should go out (new, pending or unsubscribed). The
/// request is kept as proof of consent (the form's list and language, the
/// client's network), confirmed when they click the link.
async fn confirmation_due(
    state: &AppState,
    address: &EmailAddress,
    name: Option<&SubscriberName>,
    lang: Lang,
    client: IpAddr,
) -> crate::error::Result<Option<i64>> {
    let store = &state.inner.store;
    let (list, language) = (&state.inner.default_list, Language::parse(lang.code()).ok());
    let network = ClientNetwork::of(client);
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
                .add_subscriber_consenting(
                    &new,
                    &lists,
                    ChangeSource::Page,
                    &ConsentWay::Form {
                        list: list.clone(),
                        language: language.clone(),
                        client: Some(network.clone()),
                    },
                )
                .await?
                .new_subscriber()
            {
                tracing::info!(subscriber = s.id, "subscribe: new pending subscriber");
                return Ok(Some(s.id));
            }
            // Added by someone else in the meantime, or suppressed (a
            // bounce or complaint only an admin can lift): no mail.
            match store.find_subscriber(address).await? {
                Some(s) => s,
                None => return Ok(None),
            }
        }
    };
    Ok(match known.status {
        SubscriberStatus::Pending | SubscriberStatus::Unsubscribed => {
            store
                .record_form_request(known.id, list.clone(), language, Some(network))
                .await?;
            Some(known.id)
        }
        _ => None,
    })
}

/// What a confirmation link says, when it is genuine (checked with their
/// link salt) and not older than [`CONFIRM_MAX_AGE_SECS`].
async fn confirming(
    state: &AppState,
    path: Result<Path<String>, PathRejection>,
) -> crate::error::Result<Option<ConfirmLink>> {
    let token = path.map(|Path(t)| t).unwrap_or_default();
    let (tokens, store) = (&state.inner.tokens, &state.inner.store);
    crate::mail::links::verify_confirm(tokens, store, &token, CONFIRM_MAX_AGE_SECS).await
}

/// 404: the link does not work (in the link's language, as a genuine
/// one's page would be).
fn broken(state: &AppState, lang: Lang) -> Response {
    let page = state.pages().broken_link(lang, BrokenLink::Confirm);
    (StatusCode::NOT_FOUND, Html(page)).into_response()
}

/// The subscriber a working confirmation link names, what the link says,
/// and their status.
async fn named(
    state: &AppState,
    path: Result<Path<String>, PathRejection>,
) -> crate::error::Result<Option<(i64, ConfirmLink, SubscriberStatus)>> {
    let Some(link) = confirming(state, path).await? else {
        return Ok(None);
    };
    let id = link.subscriber_id;
    Ok(state
        .inner
        .store
        .status_by_id(id)
        .await?
        .map(|s| (id, link, s)))
}

/// `GET /confirm/TOKEN`: one button (in the link's language); 404 and the
/// honest page for a link that does not work.
async fn show_confirm(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = state.link_lang(&headers, query.as_deref());
    match named(&state, path).await {
        Ok(Some(_)) => {}
        Ok(None) => return broken(&state, lang),
        Err(e) => return state.failure(&headers, &e),
    }
    Html(state.pages().confirm(lang)).into_response()
}

/// `POST /confirm/TOKEN`: pending (or unsubscribed, with a link asked for
/// after leaving) becomes active, once per link, as the status rules
/// allow; the page says what happened, and 409 when nothing could.
async fn confirm(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = state.link_lang(&headers, query.as_deref());
    let (id, link) = match named(&state, path).await {
        Ok(Some((id, link, _))) => (id, link),
        Ok(None) => return broken(&state, lang),
        Err(e) => return state.failure(&headers, &e),
    };
    let store = &state.inner.store;
    let outcome = match store.confirm(&link).await {
        Ok(outcome) => outcome,
        Err(e) => return state.failure(&headers, &e),
    };
    if outcome.changed() {
        let lists = std::slice::from_ref(&state.inner.default_list);
        if let Err(e) = store.join_lists(id, lists).await {
            return state.failure(&headers, &e);
        }
        tracing::info!(subscriber = id, "confirmed");
    }
    match outcome {
        StatusOutcome::Changed { .. } => Html(state.pages().confirmed(lang)).into_response(),
        StatusOutcome::Unchanged(SubscriberStatus::Active) => {
            Html(state.pages().already_confirmed(lang)).into_response()
        }
        StatusOutcome::Unchanged(_) | StatusOutcome::Refused { .. } => (
            StatusCode::CONFLICT,
            Html(state.pages().confirm_refused(lang)),
        )
            .into_response(),
        // Erased in the meantime.
        StatusOutcome::Unknown => broken(&state, lang),
    }
}
