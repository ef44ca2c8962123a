//! `GET /metrics`: Prometheus text format 0.0.4, only with the bearer
//! token (see [`super::metrics_access`]), made at most once per 15 s (see
//! [`super::metrics_cache`]). Delivery (sent, failed,
//! skipped, … and retried, by issue), bounce and complaint (and the
//! complaint rate, by issue), subscriber, unsubscribe and erasure
//! (by reason, e.g. pending people expired) counts come from the database
//! at scrape time; HTTP request
//! counts are kept in this process by [`track`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use crate::store::MetricsSnapshot;

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The route label of requests no route matched.
const UNMATCHED: &str = "unmatched";

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Requests served, by (route pattern, status code).
#[derive(Debug, Default)]
pub struct HttpCounts(Mutex<BTreeMap<(String, u16), u64>>);

impl HttpCounts {
    fn add(&self, route: &str, status: u16) {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry((route.to_owned(), status)).or_default() += 1;
    }

    fn snapshot(&self) -> Vec<((String, u16), u64)> {
        let counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        counts.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

/// Middleware counting every response by its route pattern (`/u/{token}`,
/// never the token itself) and status.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, |p| p.as_str())
        .to_owned();
    // Here the route is known; the request's log span gets it too.
    super::request_log::record_route(&route);
    let response = next.run(request).await;
    state.inner.http.add(&route, response.status().as_u16());
    response
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refused) = state.inner.metrics_access.check(&headers) {
        return refused.into_response();
    }
    let made = state.inner.metrics_cache.get(async || {
        let snapshot = state.inner.store.metrics_snapshot().await?;
        Ok(render(&snapshot, &state.inner.http.snapshot()))
    });
    match made.await {
        Ok(text) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, CONTENT_TYPE)],
            text.to_string(),
        )
            .into_response(),
        Err(e) => state.failure(&headers, &e),
    }
}

/// The exposition text.
pub fn render(s: &MetricsSnapshot, http: &[((String, u16), u64)]) -> String {
    let mut out = String::with_capacity(2048);
    deliveries(&mut out, s);
    feedback(&mut out, s);
    people(&mut out, s);
    sending(&mut out, s);
    http_requests(&mut out, http);
    out
}

/// Deliveries by issue: by status, and those retried.
fn deliveries(out: &mut String, s: &MetricsSnapshot) {
    family(
        out,
        "postbode_deliveries",
        "Deliveries by issue and status.",
        "gauge",
    );
    for (issue, status, n) in &s.deliveries {
        let _ = writeln!(
            out,
            "postbode_deliveries{{issue=\"{}\",status=\"{}\"}} {n}",
            label(issue),
            label(status)
        );
    }
    family(
        out,
        "postbode_deliveries_retried",
        "Deliveries by issue that needed more than one attempt or wait for a retry.",
        "gauge",
    );
    for (issue, n) in &s.retried {
        let _ = writeln!(
            out,
            "postbode_deliveries_retried{{issue=\"{}\"}} {n}",
            label(issue)
        );
    }
}

/// Bounces, complaints and the complaint rate, by issue.
fn feedback(out: &mut String, s: &MetricsSnapshot) {
    family(
        out,
        "postbode_bounces",
        "Deliveries by issue that bounced, by kind: hard (5.1.x at the SMTP reply, or a hard-bounce report) or soft (a soft-bounce report).",
        "gauge",
    );
    for (issue, f) in &s.feedback {
        for (kind, n) in [("hard", f.hard_bounces), ("soft", f.soft_bounces)] {
            let _ = writeln!(
                out,
                "postbode_bounces{{issue=\"{}\",kind=\"{kind}\"}} {n}",
                label(issue)
            );
        }
    }
    family(
        out,
        "postbode_complaints",
        "Deliveries by issue with a spam complaint (ARF abuse or fraud).",
        "gauge",
    );
    for (issue, f) in &s.feedback {
        let _ = writeln!(
            out,
            "postbode_complaints{{issue=\"{}\"}} {}",
            label(issue),
            f.complaints
        );
    }
    family(
        out,
        "postbode_complaint_rate",
        "Complaints per message sent, by issue (0.003 is 0.3 %; bounces.complaint_pause_rate pauses above it).",
        "gauge",
    );
    for (issue, f) in &s.feedback {
        let _ = writeln!(
            out,
            "postbode_complaint_rate{{issue=\"{}\"}} {}",
            label(issue),
            f.complaint_rate()
        );
    }
}

/// Subscribers by status, unsubscribes by source, erasures by reason.
fn people(out: &mut String, s: &MetricsSnapshot) {
    family(
        out,
        "postbode_subscribers",
        "Subscribers by status.",
        "gauge",
    );
    for (status, n) in &s.subscribers {
        let _ = writeln!(
            out,
            "postbode_subscribers{{status=\"{}\"}} {n}",
            label(status)
        );
    }
    family(
        out,
        "postbode_unsubscribes_total",
        "Changes to unsubscribed, by where they came from.",
        "counter",
    );
    for (source, n) in &s.unsubscribes {
        let _ = writeln!(
            out,
            "postbode_unsubscribes_total{{source=\"{}\"}} {n}",
            label(source)
        );
    }
    family(
        out,
        "postbode_erasures_total",
        "People erased, by reason: admin (subscribers remove) or pending-expired (never confirmed within subscribers.pending_expiry_days).",
        "counter",
    );
    for (reason, n) in &s.erasures {
        let _ = writeln!(
            out,
            "postbode_erasures_total{{reason=\"{}\"}} {n}",
            label(reason)
        );
    }
}

/// The queue and the send rate now.
fn sending(out: &mut String, s: &MetricsSnapshot) {
    family(
        out,
        "postbode_queue_depth",
        "Queued and in-flight deliveries of issues being sent.",
        "gauge",
    );
    let _ = writeln!(out, "postbode_queue_depth {}", s.queue_depth);
    family(
        out,
        "postbode_send_rate",
        "Messages sent per second, averaged over the last 60 seconds.",
        "gauge",
    );
    // A count of messages in a minute: exact as f64.
    let rate = s.sent_last_minute as f64 / 60.0;
    let _ = writeln!(out, "postbode_send_rate {rate}");
}

/// This process's HTTP requests.
fn http_requests(out: &mut String, http: &[((String, u16), u64)]) {
    family(
        out,
        "postbode_http_requests_total",
        "HTTP requests served by this process, by route and status.",
        "counter",
    );
    for ((route, status), n) in http {
        let _ = writeln!(
            out,
            "postbode_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
            label(route)
        );
    }
}

fn family(out: &mut String, name: &str, help: &str, kind: &str) {
    let help = help.replace('\\', "\\\\").replace('\n', "\\n");
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Escapes a label value: backslash, double quote and newline.
pub fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn every_family_has_help_and_type_and_the_rate_is_a_float() {
        let snapshot = MetricsSnapshot {
            deliveries: vec![("x".into(), "sent".into(), 3)],
            retried: vec![("x".into(), 1)],
            subscribers: vec![("active".into(), 2)],
            unsubscribes: vec![("one-click".into(), 1)],
            queue_depth: 0,
            sent_last_minute: 3,
            erasures: vec![("pending-expired".into(), 2)],
            feedback: vec![(
                "x".into(),
                crate::store::FeedbackCounts {
                    hard_bounces: 1,
                    soft_bounces: 0,
                    complaints: 1,
                    sent: 4,
                },
            )],
        };
        let text = render(&snapshot, &[(("/u/{token}".into(), 200), 4)]);
        assert_eq!(text.matches("# HELP ").count(), 11);
        assert_eq!(text.matches("# TYPE ").count(), 11);
        assert!(text.contains("postbode_bounces{issue=\"x\",kind=\"hard\"} 1\n"));
        assert!(text.contains("postbode_complaints{issue=\"x\"} 1\n"));
        assert!(text.contains("postbode_complaint_rate{issue=\"x\"} 0.25\n"));
        assert!(text.contains("postbode_erasures_total{reason=\"pending-expired\"} 2\n"));
        assert!(text.contains("postbode_deliveries_retried{issue=\"x\"} 1\n"));
        assert!(text.contains("postbode_deliveries{issue=\"x\",status=\"sent\"} 3\n"));
        assert!(text.contains("postbode_send_rate 0.05\n"), "{text}");
        assert!(
            text.contains("postbode_http_requests_total{route=\"/u/{token}\",status=\"200\"} 4\n")
        );
    }
}
