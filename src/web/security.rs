//! Response headers and request limits every public page gets.

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// Nothing but inline styles, forms posting back here, no framing.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

/// The archived web version of an issue: its images (from anywhere) and
/// inline styles, nothing else. A handler sets it with [`with_policy`].
pub const ARCHIVE_CONTENT_SECURITY_POLICY: &str = "img-src https: http: data:; style-src 'unsafe-inline'; default-src 'none'; frame-ancestors 'none'";

/// Gives `response` its own Content-Security-Policy instead of the default
/// one ([`harden`] only adds the default where a handler set none).
pub fn with_policy(mut response: Response, policy: &'static str) -> Response {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    response
}

/// True when a form POST comes from a page on another site: the browser
/// says so (`Sec-Fetch-Site: cross-site`), or its `Origin` is neither this
/// server as the request names it (`Host`) nor `base_url`. An `Origin` of
/// `null` proves nothing: browsers send it for our own forms, because the
/// pages are served with `Referrer-Policy: no-referrer`. Requests with
/// neither header (mail clients, curl) are not cross-site by this test;
/// they meet the rate limits like any other.
pub fn cross_site(headers: &HeaderMap, base_url: &str) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if text(SEC_FETCH_SITE).is_some_and(|site| site.eq_ignore_ascii_case("cross-site")) {
        return true;
    }
    let Some(origin) = text(header::ORIGIN).filter(|o| !o.eq_ignore_ascii_case("null")) else {
        return false;
    };
    let host_of = |url: &str| {
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        rest.split('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let origin = host_of(origin);
    let own = text(header::HOST).map(str::to_ascii_lowercase);
    own.as_deref() != Some(origin.as_str()) && host_of(base_url) != origin
}

/// Fetch metadata: where the request came from, as the browser sees it.
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// The largest request body read: a one-click POST or a button's form is a
/// few dozen bytes.
pub const BODY_LIMIT: usize = 16 * 1024;

/// A request that takes longer gets 408 (a slow client, a stuck database).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Wraps `router` in the limits and the security headers.
pub fn harden(router: Router) -> Router {
    harden_with_body_limit(router, BODY_LIMIT)
}

/// [`harden`] with another body limit (the provider webhooks' events).
pub fn harden_with_body_limit(router: Router, body_limit: usize) -> Router {
    let headers: [(HeaderName, &'static str); 3] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        // Personal pages (an unsubscribe link names one person): no caches.
        (header::CACHE_CONTROL, "no-store"),
    ];
    let mut router =
        router
            .layer(RequestBodyLimitLayer::new(body_limit))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                REQUEST_TIMEOUT,
            ));
    // Added last, so they wrap the limits too: a 408 or 413 carries them.
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    // The default policy, unless a handler chose a (narrow) one itself.
    router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    ));
    // gzip for clients that ask: a web version of an issue is about 50 KB
    // of HTML. Small pages (under 32 bytes) and images are left alone.
    router = router.layer(tower_http::compression::CompressionLayer::new().gzip(true));
    router.layer(super::request_log::layer())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(name.clone(), HeaderValue::from_static(value));
        }
        h
    }

    #[test]
    fn only_an_origin_of_another_site_is_cross_site() {
        let base = "https://nieuws.example.org";
        assert!(!cross_site(&headers(&[]), base));
        let own = headers(&[
            (header::ORIGIN, "http://127.0.0.1:8080"),
            (header::HOST, "127.0.0.1:8080"),
        ]);
        assert!(!cross_site(&own, base));
        let behind_proxy = headers(&[
            (header::ORIGIN, "https://Nieuws.example.org"),
            (header::HOST, "127.0.0.1:8080"),
        ]);
        assert!(!cross_site(&behind_proxy, base));
        let other = headers(&[
            (header::ORIGIN, "https://evil.example"),
            (header::HOST, "nieuws.example.org"),
        ]);
        assert!(cross_site(&other, base));
        let opaque = headers(&[
            (header::ORIGIN, "null"),
            (header::HOST, "nieuws.example.org"),
        ]);
        assert!(!cross_site(&opaque, base), "our own form under no-referrer");
        let fetch = headers(&[(SEC_FETCH_SITE, "cross-site"), (header::ORIGIN, "null")]);
        assert!(cross_site(&fetch, base));
        let same = headers(&[(SEC_FETCH_SITE, "same-origin"), (header::ORIGIN, "null")]);
        assert!(!cross_site(&same, base));
    }
}
