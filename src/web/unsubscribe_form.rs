//! `/unsubscribe`: unsubscribing by address, for when the link in a mail
//! does not work (the honest 404 page of [`super::unsubscribe`] and
//! [`super::subscribe`] carries this form too).
//!
//! - `GET /unsubscribe` shows the form.
//! - `POST /unsubscribe` mails the address its one-click unsubscribe link
//!   (the one every issue carries; unsubscribe links never expire) when it
//!   is subscribed (active or pending), and nothing otherwise. The answer is
//!   the same "check your inbox" page either way, in the same time: the
//!   address is looked up and mailed in the background, after the answer.
//!   Asking changes nothing by itself; the link in the mail does.
//! - Like `/subscribe`: a filled honeypot field (`website`) gets the same
//!   page and nothing happens; [`IP_LIMIT`](super::limits::IP_LIMIT) POSTs
//!   per client per ten minutes (over it: 429); at most
//!   [`ADDRESS_LIMIT`](super::limits::ADDRESS_LIMIT) mails per mailbox per
//!   hour, counted with confirmation mails and checked in the background
//!   (over it: the same page, no mail). A POST from another site's page
//!   ([`super::form_origin`]) gets 403 and changes nothing.

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::client_ip::ClientIp;
use super::pages::{FormError, Lang};
use super::unsubscribe::form_pairs;
use super::{AppState, form_origin, limits};
use crate::domain::{EmailAddress, SubscriberStatus};
use crate::store::Recipient;

pub fn routes() -> Router<AppState> {
    Router::new().route("/unsubscribe", get(form).post(ask))
}

/// `GET /unsubscribe`.
async fn form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let page = state
        .pages()
        .unsubscribe_by_address(state.lang(&headers), "", None);
    Html(page).into_response()
}

/// `POST /unsubscribe`.
async fn ask(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = state.lang(&headers);
    if state.inner.form_origins.cross_site(&headers) {
        tracing::warn!(%client, "unsubscribe form: posted from another site");
        return form_origin::refused(state.pages(), lang);
    }
    let now = Instant::now();
    if let Err(wait) = state.inner.limits.allow_link_request(client, now) {
        tracing::warn!(%client, "unsubscribe form: too many requests");
        return limits::too_many(state.pages().too_many_link_requests(lang), wait);
    }
    let (mut email, mut website) = (String::new(), String::new());
    for (key, value) in form_pairs(&body) {
        match key.as_str() {
            "email" => email = value,
            "website" => website = value,
            _ => {}
        }
    }
    let sent = || Html(state.pages().unsubscribe_link_sent(lang)).into_response();
    if !website.trim().is_empty() {
        tracing::info!(%client, "unsubscribe form: honeypot filled, ignored");
        return sent();
    }
    let Ok(address) = EmailAddress::parse(&email) else {
        let page = state
            .pages()
            .unsubscribe_by_address(lang, &email, Some(FormError::Email));
        return (StatusCode::BAD_REQUEST, Html(page)).into_response();
    };
    let state = state.clone();
    let after = state.inner.after_answer.clone();
    after.spawn(async move { mail_link(&state, &address, lang).await });
    sent()
}

/// Looks `address` up and, when it gets the newsletter (or is waiting to
/// confirm), mails it its unsubscribe link; everything else, and every
/// failure, goes to the log only.
async fn mail_link(state: &AppState, address: &EmailAddress, lang: Lang) {
    let found = match state.inner.store.find_subscriber(address).await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(%error, "unsubscribe form: cannot look the address up");
            return;
        }
    };
    let Some(s) = found.filter(|s| {
        matches!(
            s.status,
            SubscriberStatus::Active | SubscriberStatus::Pending
        )
    }) else {
        tracing::info!("unsubscribe form: not a subscribed address, nothing sent");
        return;
    };
    if !limits::allow_address_mail(&state.inner.store, address).await {
        tracing::warn!("unsubscribe form: mail limit for this mailbox reached");
        return;
    }
    // Their own language when the mails speak it, else the page's.
    let language = s
        .language
        .as_ref()
        .and_then(|l| Lang::from_tag(l.as_str()))
        .unwrap_or(lang);
    let who = Recipient {
        id: s.id,
        email: s.email,
        name: s.name,
        language: s.language,
    };
    if let Err(error) = state
        .inner
        .mailer
        .send_unsubscribe_link(&who, language.code())
        .await
    {
        tracing::error!(%error, subscriber = who.id, "unsubscribe-link mail");
    }
}
