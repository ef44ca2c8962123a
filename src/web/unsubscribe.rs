//! `/u/TOKEN`: the unsubscribe link of every mail.
//!
//! - `GET` shows a page with one button and changes nothing: mail scanners
//!   and link previews follow GET links.
//! - `POST` unsubscribes at once: the RFC 8058 one-click body
//!   (`List-Unsubscribe=One-Click`, from a mail client) or the page's button
//!   (`from=page`). Repeating it is harmless. The write goes through the
//!   [`super::status_writer`] (group commit); the page is answered after
//!   the commit.
//! - `POST /u/TOKEN/resubscribe` is the "I changed my mind" button.
//!
//! Honest answers: a link that does not work (forged, truncated, mangled,
//! or for nobody: an erased person's) gets 404 and the same page for all
//! of them, saying nothing changed and offering to unsubscribe by address
//! ([`super::unsubscribe_form`]). A genuine link gets a page that says
//! what happened: unsubscribed, already unsubscribed, or, when the change
//! is refused (a bounced address, an unsubscribe "I changed my mind"
//! cannot undo), that nothing changed (409 for a refused resubscribe). The
//! token is checked in constant time; what a response reveals is only
//! whether the link is genuine and names someone. Unsubscribe links never
//! expire. Every page behind a link, genuine or not, speaks the link's
//! language (`?lang=`, written in when the mail was built), else the
//! browser's, else the newsletter's ([`AppState::link_lang`]): never the
//! stored subscriber's, which would tell a genuine link from a forged one.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use super::AppState;
use super::pages::{BrokenLink, Lang};
use crate::domain::{ChangeSource, StatusOutcome, SubscriberStatus};
use crate::store::StatusRequest;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/u/{token}", get(show).post(unsubscribe))
        .route("/u/{token}/resubscribe", post(resubscribe))
}

/// The token in the path; anything undecodable counts as a forged token.
fn token_of(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(token)| token).unwrap_or_default()
}

/// 404: the link does not work (in the link's language, as a genuine
/// one's page would be).
fn broken(state: &AppState, lang: Lang) -> Response {
    let page = state.pages().broken_link(lang, BrokenLink::Unsubscribe);
    (StatusCode::NOT_FOUND, Html(page)).into_response()
}

/// The subscriber a genuine token names and their status; `None` when the
/// token is not genuine or names nobody.
async fn named(
    state: &AppState,
    token: &str,
) -> crate::error::Result<Option<(i64, SubscriberStatus)>> {
    let (tokens, store) = (&state.inner.tokens, &state.inner.store);
    crate::mail::links::verify_unsubscribe(tokens, store, token).await
}

/// `GET /u/TOKEN`: one button, in the link's language; 404 and the
/// honest page for a link that does not work.
async fn show(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = state.link_lang(&headers, query.as_deref());
    match named(&state, &token_of(path)).await {
        Ok(Some(_)) => {}
        Ok(None) => return broken(&state, lang),
        Err(e) => return state.failure(&headers, &e),
    }
    Html(state.pages().unsubscribe(lang)).into_response()
}

/// `POST /u/TOKEN`.
async fn unsubscribe(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = state.link_lang(&headers, query.as_deref());
    let token = token_of(path);
    let (id, status) = match named(&state, &token).await {
        Ok(Some(named)) => named,
        Ok(None) => return broken(&state, lang),
        Err(e) => return state.failure(&headers, &e),
    };
    let source = source_of(&body);
    // A repeat (a provider's retry, a second click) is answered from the
    // read; only a real change goes to the writer task and its commit.
    let done = match status {
        SubscriberStatus::Unsubscribed => Done::Already,
        SubscriberStatus::Bounced | SubscriberStatus::Complained => Done::NotReceiving,
        SubscriberStatus::Pending | SubscriberStatus::Active => {
            let request = StatusRequest {
                subscriber_id: id,
                to: SubscriberStatus::Unsubscribed,
                source,
                detail: None,
            };
            match state.inner.status_writer.set_status(request).await {
                Ok(StatusOutcome::Changed { .. }) => {
                    tracing::info!(subscriber = id, source = source.as_str(), "unsubscribed");
                    Done::Unsubscribed
                }
                Ok(StatusOutcome::Unchanged(_)) => Done::Already,
                // Moved under us (a bounce landed first): nothing changed,
                // and they get no mail.
                Ok(StatusOutcome::Refused { current }) => match current {
                    SubscriberStatus::Unsubscribed => Done::Already,
                    _ => Done::NotReceiving,
                },
                // Erased in the meantime.
                Ok(StatusOutcome::Unknown) => return broken(&state, lang),
                Err(e) => return state.failure(&headers, &e),
            }
        }
    };

    // The button posts back with the same language.
    let action = format!(
        "/u/{}/resubscribe?{}={}",
        percent_encode(&token),
        crate::mail::links::LANG_PARAM,
        lang.code()
    );
    Html(match done {
        Done::Unsubscribed => state.pages().unsubscribed(lang, &action),
        Done::Already => state.pages().already_unsubscribed(lang, &action),
        Done::NotReceiving => state.pages().not_receiving(lang),
    })
    .into_response()
}

/// What a genuine one-click or page POST came to.
enum Done {
    Unsubscribed,
    /// They had unsubscribed before: nothing changed.
    Already,
    /// Bounced or complained: they get no mail anyway; nothing changed.
    NotReceiving,
}

/// `POST /u/TOKEN/resubscribe`: "I changed my mind", back to where they
/// were before the unsubscribe (someone who never confirmed stays
/// pending), as the status rules allow: only an unsubscribe made through
/// their own link, within a day. Anything else is refused with 409 and a
/// page that says nothing changed.
async fn resubscribe(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = state.link_lang(&headers, query.as_deref());
    let id = match named(&state, &token_of(path)).await {
        Ok(Some((id, _))) => id,
        Ok(None) => return broken(&state, lang),
        Err(e) => return state.failure(&headers, &e),
    };
    let outcome = match state.inner.store.resubscribe_by_id(id).await {
        Ok(outcome) => outcome,
        Err(e) => return state.failure(&headers, &e),
    };

    let page = match outcome {
        StatusOutcome::Changed { to, .. } => {
            tracing::info!(subscriber = id, to = to.as_str(), "resubscribed");
            match to {
                SubscriberStatus::Pending => state.pages().resubscribed_pending(lang),
                _ => state.pages().resubscribed(lang),
            }
        }
        StatusOutcome::Unchanged(SubscriberStatus::Pending) => {
            state.pages().resubscribed_pending(lang)
        }
        StatusOutcome::Unchanged(_) => state.pages().still_subscribed(lang),
        StatusOutcome::Refused { .. } => {
            let page = state.pages().resubscribe_refused(lang);
            return (StatusCode::CONFLICT, Html(page)).into_response();
        }
        StatusOutcome::Unknown => return broken(&state, lang),
    };
    Html(page).into_response()
}

/// `page` when the page's button sent the form (`from=page`); otherwise a
/// mail client's one-click POST (RFC 8058: `List-Unsubscribe=One-Click`,
/// form-urlencoded or multipart).
fn source_of(body: &[u8]) -> ChangeSource {
    let from_page = form_pairs(body).any(|(k, v)| k == "from" && v == "page");
    if from_page {
        ChangeSource::Page
    } else {
        ChangeSource::OneClick
    }
}

/// The pairs of an `application/x-www-form-urlencoded` body, decoded.
pub(super) fn form_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut kv = pair.splitn(2, |b| *b == b'=');
            let key = form_decode(kv.next().unwrap_or_default());
            let value = form_decode(kv.next().unwrap_or_default());
            (key, value)
        })
}

fn form_decode(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() && hex(raw[i + 1]).is_some() && hex(raw[i + 2]).is_some() => {
                out.push(hex(raw[i + 1]).unwrap_or(0) * 16 + hex(raw[i + 2]).unwrap_or(0));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for a
/// path segment.
fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_is_page_only_for_the_pages_button() {
        assert_eq!(
            source_of(b"List-Unsubscribe=One-Click"),
            ChangeSource::OneClick
        );
        assert_eq!(source_of(b"from=page"), ChangeSource::Page);
        assert_eq!(source_of(b"x=1&from=%70age"), ChangeSource::Page);
        assert_eq!(source_of(b""), ChangeSource::OneClick);
        assert_eq!(source_of(b"from=pages"), ChangeSource::OneClick);
    }

    #[test]
    fn form_decoding_handles_plus_percent_and_junk() {
        assert_eq!(form_decode(b"a+b%21"), "a b!");
        assert_eq!(form_decode(b"100%"), "100%");
        assert_eq!(form_decode(b"%zz%4"), "%zz%4");
        assert_eq!(form_decode(b"%FF"), "\u{FFFD}");
    }

    #[test]
    fn percent_encoding_keeps_tokens_and_escapes_the_rest() {
        assert_eq!(percent_encode("Ab-_9"), "Ab-_9");
        assert_eq!(percent_encode("a/\"b é"), "a%2F%22b%20%C3%A9");
    }
}
