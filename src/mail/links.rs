//! Checking the token of a link in a mail against the store: the id in the
//! token says whose link salt its MAC must include (see [`super::token`]).
//! Every route that takes a token checks it here, so no path can check the
//! MAC without the salt.
//!
//! A token that is not even shaped like one is refused without a query.
//! Otherwise the store is asked for the id's salt and the MAC is computed
//! whatever the answer (a dummy salt for an id nobody has), so a forged
//! token for a known id and one for an unknown id take the same work; the
//! answer says only whether the link is genuine and names someone.
//!
//! A link may carry the language of the mail it came in
//! ([`LANG_PARAM`], added by [`with_lang`]): the page behind it speaks
//! that language. It is outside the token and outside every check, so a
//! forged link and a genuine one get their page language the same way.

use super::TokenKey;
use crate::domain::{ConfirmLink, SubscriberStatus};
use crate::error::Result;
use crate::store::Store;

/// The subscriber a genuine unsubscribe token names, with their status;
/// `None` for a token that is forged, mangled, from another key, made for
/// someone else who had the id, or naming nobody (never stored, or
/// erased).
pub async fn verify_unsubscribe(
    tokens: &TokenKey,
    store: &Store,
    token: &str,
) -> Result<Option<(i64, SubscriberStatus)>> {
    let Some(id) = tokens.unsubscribe_id(token) else {
        return Ok(None);
    };
    // The status comes with the salt, in one read, so a genuine one-click
    // costs one read before its write.
    let (salt, status) = store.link_salt_and_status(id).await?;
    let now = jiff::Timestamp::now().as_second();
    Ok(tokens
        .check_unsubscribe(token, salt, now)
        .and_then(|id| Some((id, status?))))
}

/// What a genuine confirmation token says (see [`ConfirmLink`]), when it
/// is at most `max_age_secs` old; `None` otherwise, as
/// [`verify_unsubscribe`].
pub async fn verify_confirm(
    tokens: &TokenKey,
    store: &Store,
    token: &str,
    max_age_secs: u64,
) -> Result<Option<ConfirmLink>> {
    let Some(id) = tokens.confirm_id(token) else {
        return Ok(None);
    };
    let salt = store.link_salt(id).await?;
    let now = jiff::Timestamp::now().as_second();
    Ok(tokens.check_confirm(token, salt, now, max_age_secs))
}

/// The query parameter that carries a link's page language (`?lang=nl`).
pub const LANG_PARAM: &str = "lang";

/// `url` with the page language `code` (`nl`, `en`) as its query.
pub fn with_lang(url: &str, code: &str) -> String {
    format!("{url}?{LANG_PARAM}={code}")
}
