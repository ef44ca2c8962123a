//! The request log (tower-http's `TraceLayer`) without tokens: each
//! request's span names its method and route pattern (`/u/{token}`),
//! never the path. The path of a link page holds the subscriber's token,
//! which unsubscribes them; logs are read by more people than should hold
//! it. The route is only known once the router has matched, so the span
//! starts without it and [`record_route`] fills it in.

use axum::body::Body;
use axum::http::Request;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// Makes a request's span.
type MakeSpan = fn(&Request<Body>) -> Span;

/// The layer that logs each request (at debug level) in a span of its own.
pub fn layer() -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan> {
    TraceLayer::new_for_http().make_span_with(span as MakeSpan)
}

fn span(request: &Request<Body>) -> Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        route = tracing::field::Empty
    )
}

/// Names the matched route (a pattern such as `/u/{token}`, or
/// `unmatched`) in the current request's span.
pub fn record_route(route: &str) {
    Span::current().record("route", route);
}
