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
//! A forged, mangled or unknown token gets exactly the answer a genuine one
//! gets (same status, same page) and changes nothing, so the pages reveal
//! nothing about who is subscribed.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use super::{AppState, pages};
use crate::domain::{ChangeSource, SubscriberStatus};
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

/// `GET /u/TOKEN`: the same page for every token, valid or not (in the
/// subscriber's language when the token is genuine and they have one).
async fn show(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let subscriber = state.inner.tokens.verify_unsubscribe(&token_of(path));
    Html(pages::unsubscribe(
        state.lang_for(&headers, subscriber).await,
        &state.inner.newsletter,
    ))
    .into_response()
}

/// `POST /u/TOKEN`.
async fn unsubscribe(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = token_of(path);
    let subscriber = state.inner.tokens.verify_unsubscribe(&token);
    if let Some(id) = subscriber {
        let source = source_of(&body);
        // A repeat (a provider's retry, a second click) is answered from a
        // read; only a real change goes to the writer task and its commit.
        let written = match state.inner.store.status_by_id(id).await {
            Ok(None | Some(SubscriberStatus::Unsubscribed)) => Ok(None),
            Ok(Some(_)) => {
                let request = StatusRequest {
                    subscriber_id: id,
                    to: SubscriberStatus::Unsubscribed,
                    source,
                    detail: None,
                };
                state.inner.status_writer.set_status(request).await
            }
            Err(e) => Err(e),
        };
        match written {
            Ok(Some(change)) if change.from != Some(change.to) => {
                tracing::info!(subscriber = id, source = source.as_str(), "unsubscribed");
            }
            Ok(_) => {}
            Err(e) => return state.failure(&headers, &e),
        }
    }
    let action = format!("/u/{}/resubscribe", percent_encode(&token));
    Html(pages::unsubscribed(
        state.lang_for(&headers, subscriber).await,
        &state.inner.newsletter,
        &action,
    ))
    .into_response()
}

/// `POST /u/TOKEN/resubscribe`: back to active, but only from
/// `unsubscribed` (a bounced address stays bounced).
async fn resubscribe(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let token = token_of(path);
    let subscriber = state.inner.tokens.verify_unsubscribe(&token);
    if let Some(id) = subscriber {
        let store = &state.inner.store;
        let result = match store.status_by_id(id).await {
            Ok(Some(SubscriberStatus::Unsubscribed)) => {
                // Back to where they were: someone who never confirmed
                // stays pending.
                let back = match store.status_before_unsubscribe(id).await {
                    Ok(Some(SubscriberStatus::Pending)) => SubscriberStatus::Pending,
                    Ok(_) => SubscriberStatus::Active,
                    Err(e) => return state.failure(&headers, &e),
                };
                store
                    .set_status_by_id(id, back, ChangeSource::Page, None)
                    .await
                    .map(|_| tracing::info!(subscriber = id, "resubscribed"))
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            return state.failure(&headers, &e);
        }
    }
    Html(pages::resubscribed(
        state.lang_for(&headers, subscriber).await,
        &state.inner.newsletter,
    ))
    .into_response()
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
