//! The client address every per-client limit counts, and whose network the
//! subscribe form keeps as proof of consent: [`ClientIp`].
//!
//! It is the TCP peer, unless that peer is a trusted reverse proxy
//! (`server.trusted_proxies`). Then it is read from `X-Forwarded-For`, or
//! when there is none from `Forwarded: for=` (RFC 7239), walking from the
//! right: each proxy appends the address it got the request from, so the
//! right-most entry that is not itself a trusted proxy is the client.
//! Entries left of it were written by the client (or by a hop nobody
//! trusts) and are never read, so a forged header cannot choose the
//! bucket a request is counted in; from an untrusted peer the headers are
//! not read at all. A header that cannot be read where the walk needs it
//! (a garbled entry, `for=unknown`, an obfuscated `for=_hidden`) counts as
//! no header: the client is the peer.
//!
//! Which header: the proxy must write `X-Forwarded-For` (nginx, Caddy,
//! HAProxy and Traefik do), or write `Forwarded` and drop a client's
//! `X-Forwarded-For`; a header the proxy passes on unchanged is the
//! client's word.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, StatusCode, header};

use super::AppState;
use crate::domain::TrustedProxies;

/// The client's address, as described above. Rejects (500) a request that
/// did not come over TCP, which `serve` never makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = StatusCode;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        of(
            &parts.extensions,
            &parts.headers,
            &state.inner.trusted_proxies,
        )
        .map(ClientIp)
        .ok_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The client of a request with these extensions and headers; `None`
/// without a peer address.
pub fn of(
    extensions: &Extensions,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let ConnectInfo(peer) = extensions.get::<ConnectInfo<SocketAddr>>()?;
    Some(client(peer.ip(), headers, trusted))
}

/// The client of a request from `peer` with `headers`.
pub fn client(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.trusts(peer) {
        return peer;
    }
    let hops: Vec<Option<IpAddr>> = match joined(headers) {
        Some(Header::ForwardedFor(text)) => text.split(',').map(forwarded_for_entry).collect(),
        Some(Header::Forwarded(text)) => elements(&text).map(forwarded_element).collect(),
        Some(Header::Unreadable) => return peer,
        None => return peer,
    };
    walk(&hops, trusted).unwrap_or(peer)
}

/// From the right: the first hop that is not a trusted proxy; when every
/// hop is one, the left-most. `None` when an unreadable hop comes first,
/// or there are no hops.
fn walk(hops: &[Option<IpAddr>], trusted: &TrustedProxies) -> Option<IpAddr> {
    let mut last = None;
    for hop in hops.iter().rev() {
        let ip = (*hop)?;
        if !trusted.trusts(ip) {
            return Some(ip);
        }
        last = Some(ip);
    }
    last
}

const X_FORWARDED_FOR: &str = "x-forwarded-for";

enum Header {
    ForwardedFor(String),
    Forwarded(String),
    Unreadable,
}

/// Every `X-Forwarded-For` line joined with commas (several lines mean the
/// same as one), else every `Forwarded` line; `None` when neither has any.
fn joined(headers: &HeaderMap) -> Option<Header> {
    for (name, wrap) in [
        (
            X_FORWARDED_FOR,
            Header::ForwardedFor as fn(String) -> Header,
        ),
        (header::FORWARDED.as_str(), Header::Forwarded),
    ] {
        let mut text = String::new();
        for value in headers.get_all(name) {
            let Ok(value) = value.to_str() else {
                return Some(Header::Unreadable);
            };
            if !text.is_empty() {
                text.push(',');
            }
            text.push_str(value);
        }
        if !text.trim().is_empty() {
            return Some(wrap(text));
        }
    }
    None
}

/// One `X-Forwarded-For` entry: an address, or one with a port
/// (`192.0.2.7:4711`, `[2001:db8::7]:4711`), or a bracketed IPv6 address.
fn forwarded_for_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse::<IpAddr>().ok())
        })
        .map(|ip| ip.to_canonical())
}

/// The elements of a `Forwarded` value: split at commas outside quotes.
fn elements(text: &str) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    let mut escaped = false;
    text.split(move |c| {
        let split = c == ',' && !quoted;
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') if quoted => escaped = true,
            (false, '"') => quoted = !quoted,
            _ => {}
        }
        split
    })
}

/// The `for=` address of one `Forwarded` element (`for=192.0.2.60;proto=https`,
/// `for="[2001:db8:cafe::17]:4711"`); `None` without one, or for
/// `unknown` and obfuscated identifiers.
fn forwarded_element(element: &str) -> Option<IpAddr> {
    let value = element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim())
    })?;
    let value = match value.strip_prefix('"') {
        Some(inner) => inner.strip_suffix('"')?,
        None => value,
    };
    forwarded_for_entry(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(list.iter().copied()).expect("networks")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("header value"));
        }
        map
    }

    const PROXY: &str = "10.0.0.2";

    fn behind_proxy(pairs: &[(&'static str, &str)]) -> IpAddr {
        client(ip(PROXY), &headers(pairs), &proxies(&["10.0.0.0/8"]))
    }

    #[test]
    fn without_trusted_proxies_the_headers_are_never_read() {
        let h = headers(&[
            ("x-forwarded-for", "198.51.100.1"),
            ("forwarded", "for=198.51.100.2"),
        ]);
        assert_eq!(
            client(ip("203.0.113.5"), &h, &TrustedProxies::default()),
            ip("203.0.113.5")
        );
        // A peer outside the trusted networks is not asked either.
        assert_eq!(
            client(ip("203.0.113.5"), &h, &proxies(&["10.0.0.0/8"])),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client_and_forged_ones_left_of_it_are_ignored() {
        assert_eq!(
            behind_proxy(&[("x-forwarded-for", "198.51.100.1")]),
            ip("198.51.100.1")
        );
        assert_eq!(
            behind_proxy(&[("x-forwarded-for", "1.2.3.4, 198.51.100.1, 10.0.0.9")]),
            ip("198.51.100.1")
        );
        // Two header lines are one list.
        assert_eq!(
            behind_proxy(&[
                ("x-forwarded-for", "1.2.3.4"),
                ("x-forwarded-for", "198.51.100.1")
            ]),
            ip("198.51.100.1")
        );
        // Every hop trusted: the left-most, a client inside the network.
        assert_eq!(
            behind_proxy(&[("x-forwarded-for", "10.1.1.1, 10.0.0.9")]),
            ip("10.1.1.1")
        );
        assert_eq!(
            behind_proxy(&[("x-forwarded-for", "[2001:db8::7]:4711, ::ffff:198.51.100.3")]),
            ip("198.51.100.3")
        );
        assert_eq!(
            behind_proxy(&[("x-forwarded-for", "192.0.2.7:4711")]),
            ip("192.0.2.7")
        );
    }

    #[test]
    fn forwarded_is_read_when_there_is_no_x_forwarded_for() {
        assert_eq!(
            behind_proxy(&[(
                "forwarded",
                "for=1.2.3.4, for=\"[2001:db8:cafe::17]:4711\";proto=https"
            )]),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(
            behind_proxy(&[("forwarded", "for=198.51.100.1;by=\"a,b\", For=10.0.0.5")]),
            ip("198.51.100.1")
        );
        assert_eq!(
            behind_proxy(&[
                ("forwarded", "for=198.51.100.9"),
                ("x-forwarded-for", "198.51.100.1")
            ]),
            ip("198.51.100.1"),
            "X-Forwarded-For first"
        );
    }

    #[test]
    fn a_header_that_cannot_be_read_where_the_walk_needs_it_means_the_peer() {
        for pairs in [
            &[("x-forwarded-for", "not-an-address")][..],
            &[("x-forwarded-for", "198.51.100.1, , 10.0.0.9")],
            &[("x-forwarded-for", "198.51.100.1,")],
            &[("forwarded", "for=unknown")],
            &[("forwarded", "for=_hidden, for=10.0.0.3")],
            &[("forwarded", "proto=https")],
            &[("forwarded", "for=\"198.51.100.1")],
            &[("x-forwarded-for", " ")],
        ] {
            assert_eq!(behind_proxy(pairs), ip(PROXY), "{pairs:?}");
        }
        // Garbage left of the client is never looked at.
        assert_eq!(
            behind_proxy(&[("x-forwarded-for", "garbage, 198.51.100.1")]),
            ip("198.51.100.1")
        );
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"198.51.100.\xff").expect("bytes"),
        );
        assert_eq!(client(ip(PROXY), &h, &proxies(&["10.0.0.0/8"])), ip(PROXY));
    }

    proptest! {
        #[test]
        fn any_header_is_read_without_panicking_and_only_from_a_trusted_peer(
            xff in "[ -~]{0,80}", fwd in "[ -~]{0,80}",
        ) {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-for", HeaderValue::from_str(&xff).expect("printable"));
            h.insert("forwarded", HeaderValue::from_str(&fwd).expect("printable"));
            let trusted = proxies(&["10.0.0.0/8"]);
            let _ = client(ip(PROXY), &h, &trusted);
            prop_assert_eq!(client(ip("203.0.113.5"), &h, &trusted), ip("203.0.113.5"));
        }
    }
}
