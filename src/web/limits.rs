//! Rate limits of the public pages: per client, in memory per process
//! (they start afresh on restart), as sliding windows of recent hits per
//! key; per mailbox, in the database ([`allow_address_mail`]), so a
//! restart does not reset them.
//!
//! - POST `/subscribe`: [`IP_LIMIT`] per client IP per [`IP_WINDOW`], and
//!   [`ADDRESS_LIMIT`] confirmation mails per mailbox per
//!   [`ADDRESS_WINDOW`]. A mailbox is the address with case, `+tag` and
//!   gmail's dots folded ([`NormalisedMailbox`]), so 40 spellings of one
//!   inbox share one limit.
//! - POST `/unsubscribe` (a fresh unsubscribe link by mail): the same
//!   per-client limit, counted apart, and the same per-mailbox limit,
//!   counted together with confirmation mails (mails one inbox may get
//!   from the public pages, whichever form asked).
//! - POSTs to the links in mails (`/u/TOKEN`, `/u/TOKEN/resubscribe`,
//!   `/confirm/TOKEN`): `server.link_posts_per_minute` per client IP, all
//!   three together, checked by [`limit_link_posts`] before the token is
//!   looked at, so a forged token and a genuine one get the same 429.
//!
//! The client IP is [`super::client_ip`]'s: the TCP peer, or behind a
//! proxy in `server.trusted_proxies` the client it forwarded for.
//!
//! [`NormalisedMailbox`]: crate::domain::NormalisedMailbox

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::{AppState, client_ip};
use crate::domain::EmailAddress;
use crate::store::Store;

/// POST `/subscribe` requests one client address may make per [`IP_WINDOW`].
pub const IP_LIMIT: usize = 5;
pub const IP_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Mails from the public pages one mailbox may get per [`ADDRESS_WINDOW`].
pub const ADDRESS_LIMIT: usize = 3;
pub const ADDRESS_WINDOW: Duration = Duration::from_secs(60 * 60);
/// The window of `server.link_posts_per_minute`.
pub const LINK_WINDOW: Duration = Duration::from_secs(60);

/// The routes whose POSTs [`limit_link_posts`] counts (route patterns).
const LINK_ROUTES: [&str; 3] = ["/u/{token}", "/u/{token}/resubscribe", "/confirm/{token}"];

/// Above this many keys a map is swept of keys with no recent hits.
const SWEEP_AT: usize = 10_000;

type Hits<K> = Mutex<HashMap<K, VecDeque<Instant>>>;

#[derive(Debug)]
pub struct Limits {
    by_ip: Hits<IpAddr>,
    link_requests_by_ip: Hits<IpAddr>,
    links_by_ip: Hits<IpAddr>,
    link_limit: usize,
}

impl Limits {
    /// `link_posts_per_minute` is `server.link_posts_per_minute` (at least 1).
    pub fn new(link_posts_per_minute: u32) -> Limits {
        Limits {
            by_ip: Hits::default(),
            link_requests_by_ip: Hits::default(),
            links_by_ip: Hits::default(),
            link_limit: usize::try_from(link_posts_per_minute)
                .unwrap_or(usize::MAX)
                .max(1),
        }
    }

    /// Counts a POST `/subscribe` from `ip`; over the limit: how long to wait.
    pub fn allow_subscribe(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        hit(&self.by_ip, ip, IP_LIMIT, IP_WINDOW, now)
    }

    /// Counts a POST `/unsubscribe` from `ip`; over the limit: how long to
    /// wait.
    pub fn allow_link_request(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        hit(&self.link_requests_by_ip, ip, IP_LIMIT, IP_WINDOW, now)
    }

    /// Counts a POST to a link from a mail; over the limit: how long to wait.
    pub fn allow_link_post(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        hit(&self.links_by_ip, ip, self.link_limit, LINK_WINDOW, now)
    }
}

/// Counts a mail to `address`'s mailbox from the public pages (a
/// confirmation or an unsubscribe link) in the database; false when it is
/// over [`ADDRESS_LIMIT`] (and then no mail goes out), or when the count
/// cannot be kept (logged: no mail without a count).
pub async fn allow_address_mail(store: &Store, address: &EmailAddress) -> bool {
    let limit = u32::try_from(ADDRESS_LIMIT).unwrap_or(u32::MAX);
    match store
        .allow_address_mail(address, limit, ADDRESS_WINDOW)
        .await
    {
        Ok(allowed) => allowed,
        Err(error) => {
            tracing::error!(%error, "cannot count the mails to this mailbox; none sent");
            false
        }
    }
}

/// Records a hit for `key` unless it already had `max` within `window`;
/// then returns how long until the oldest of them leaves the window.
fn hit<K: Hash + Eq>(
    map: &Hits<K>,
    key: K,
    max: usize,
    window: Duration,
    now: Instant,
) -> Result<(), Duration> {
    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
    let recent = |t: &Instant| now.saturating_duration_since(*t) < window;
    if map.len() >= SWEEP_AT {
        map.retain(|_, hits| hits.back().is_some_and(recent));
    }
    let hits = map.entry(key).or_default();
    while hits.front().is_some_and(|t| !recent(t)) {
        hits.pop_front();
    }
    if hits.len() >= max {
        let oldest = hits.front().copied().unwrap_or(now);
        return Err(window.saturating_sub(now.saturating_duration_since(oldest)));
    }
    hits.push_back(now);
    Ok(())
}

/// Middleware: a POST to one of the [`LINK_ROUTES`] over the client's limit
/// gets [`too_many`] with the neutral page, before its handler runs.
/// Requests without a peer address (not served over TCP) are not limited.
pub async fn limit_link_posts(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let limited = request.method() == Method::POST
        && request
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|p| LINK_ROUTES.contains(&p.as_str()));
    let client = client_ip::of(
        request.extensions(),
        request.headers(),
        &state.inner.trusted_proxies,
    );
    if let (true, Some(ip)) = (limited, client)
        && let Err(wait) = state.inner.limits.allow_link_post(ip, Instant::now())
    {
        // debug, not warn: a flood of these must not flood the log.
        tracing::debug!(client = %ip, "link POST over the per-IP limit");
        let page = state
            .pages()
            .too_many_requests(state.lang(request.headers()));
        return too_many(page, wait);
    }
    next.run(request).await
}

/// 429 with `page` and `Retry-After` in whole seconds (at least 1).
pub fn too_many(page: String, wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut headers = HeaderMap::new();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    (StatusCode::TOO_MANY_REQUESTS, headers, Html(page)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subscribe_limit_allows_five_per_window_per_ip() {
        let limits = Limits::new(600);
        let ip: IpAddr = [192, 0, 2, 1].into();
        let start = Instant::now();
        for _ in 0..IP_LIMIT {
            assert!(limits.allow_subscribe(ip, start).is_ok());
        }
        assert_eq!(limits.allow_subscribe(ip, start), Err(IP_WINDOW));
        assert!(limits.allow_subscribe([192, 0, 2, 2].into(), start).is_ok());
        assert!(limits.allow_subscribe(ip, start + IP_WINDOW).is_ok());
    }

    #[test]
    fn the_link_limit_is_per_ip_and_says_when_to_come_back() {
        let limits = Limits::new(3);
        let ip: IpAddr = [198, 51, 100, 7].into();
        let start = Instant::now();
        for i in 0..3 {
            assert!(
                limits
                    .allow_link_post(ip, start + Duration::from_secs(i))
                    .is_ok()
            );
        }
        let later = start + Duration::from_secs(10);
        assert_eq!(
            limits.allow_link_post(ip, later),
            Err(Duration::from_secs(50))
        );
        assert!(
            limits
                .allow_link_post([198, 51, 100, 8].into(), later)
                .is_ok()
        );
        assert!(limits.allow_link_post(ip, start + LINK_WINDOW).is_ok());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let response = too_many(String::new(), Duration::from_millis(1500));
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let response = too_many(String::new(), Duration::ZERO);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }
}
