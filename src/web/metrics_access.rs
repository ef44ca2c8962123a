//! Who may read `/metrics`: whoever sends `Authorization: Bearer TOKEN`
//! with `server.metrics_token`. Without a token set, `/metrics` does not
//! exist (404); with a wrong or missing one it answers 401.
//!
//! The metrics are not for strangers: the `pending` gauge tells, after a
//! POST to `/subscribe`, whether an address was known; they also show list
//! sizes and the slugs of issues not yet published.
//!
//! The token is compared in constant time: both it and what was sent are
//! HMACed under a key made at start, and a constant-time check compares
//! the two (so neither the position of the first wrong byte nor
//! the token's length shows in the answer's timing). The token itself is
//! not kept.

use crate::config::MetricsToken;
use crate::crypto::{HmacSha256, equal_in_constant_time};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The check of `/metrics` requests.
pub struct MetricsAccess {
    /// HMAC under a key made at start, and HMAC(key, token); `None`: no
    /// token, `/metrics` is off.
    keyed: Option<(HmacSha256, [u8; 32])>,
}

impl std::fmt::Debug for MetricsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let on = if self.keyed.is_some() { "on" } else { "off" };
        write!(f, "MetricsAccess({on})")
    }
}

impl MetricsAccess {
    pub fn new(token: &MetricsToken) -> MetricsAccess {
        let key: [u8; 32] = rand::random();
        let mac = HmacSha256::new(&key);
        let keyed = token.expose().map(|token| {
            let expected = mac.mac(&[token.as_bytes()]);
            (mac, expected)
        });
        MetricsAccess { keyed }
    }

    /// `Ok` when `headers` carry the token; else why not (its
    /// [`IntoResponse`] is the answer to give).
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Refused> {
        let Some((mac, expected)) = &self.keyed else {
            return Err(Refused::Off);
        };
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer);
        match presented {
            Some(token) if equal_in_constant_time(&mac.mac(&[token.as_bytes()]), expected) => {
                Ok(())
            }
            _ => Err(Refused::NoToken),
        }
    }
}

/// The token of `Bearer TOKEN` (the scheme in any case, RFC 7235).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Why `/metrics` was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// No `server.metrics_token`: 404, as if there were no such page.
    Off,
    /// No token, or a wrong one: 401.
    NoToken,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Off => StatusCode::NOT_FOUND.into_response(),
            Refused::NoToken => (
                StatusCode::UNAUTHORIZED,
                [(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"postbode metrics\""),
                )],
                "401 unauthorized: send Authorization: Bearer with server.metrics_token\n",
            )
                .into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef-metrics";

    fn with(authorization: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = authorization {
            h.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(a).expect("value"),
            );
        }
        h
    }

    fn status(access: &MetricsAccess, authorization: Option<&str>) -> StatusCode {
        match access.check(&with(authorization)) {
            Ok(()) => StatusCode::OK,
            Err(refused) => refused.into_response().status(),
        }
    }

    #[test]
    fn only_the_right_bearer_token_opens_metrics() {
        let access = MetricsAccess::new(&MetricsToken::parse(TOKEN).expect("token"));
        assert_eq!(
            status(&access, Some(&format!("Bearer {TOKEN}"))),
            StatusCode::OK
        );
        assert_eq!(
            status(&access, Some(&format!("bearer  {TOKEN} "))),
            StatusCode::OK
        );
        for wrong in [
            None,
            Some("Bearer"),
            Some("Bearer "),
            Some("Bearer 0123456789abcdef-metric"),
            Some("Bearer 0123456789abcdef-metricsX"),
            Some("Basic MDEyMzQ1Njc4OWFiY2RlZi1tZXRyaWNz"),
            Some(TOKEN),
        ] {
            assert_eq!(
                status(&access, wrong),
                StatusCode::UNAUTHORIZED,
                "{wrong:?}"
            );
        }
    }

    #[test]
    fn without_a_token_metrics_is_not_there_and_debug_shows_no_token() {
        let off = MetricsAccess::new(&MetricsToken::default());
        assert_eq!(
            status(&off, Some(&format!("Bearer {TOKEN}"))),
            StatusCode::NOT_FOUND
        );
        let on = MetricsAccess::new(&MetricsToken::parse(TOKEN).expect("token"));
        assert_eq!(format!("{on:?}"), "MetricsAccess(on)");
    }
}
