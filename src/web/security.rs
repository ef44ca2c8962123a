//! Response headers and request limits every public page gets.

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
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
    let headers: [(HeaderName, &'static str); 2] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
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
    // Personal pages (an unsubscribe link names one person): no caches,
    // unless a handler says otherwise (the images under /media/, which
    // never change).
    router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ));
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
