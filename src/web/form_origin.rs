//! Which sites' pages may post the subscribe and unsubscribe forms:
//! `newsletter.base_url`'s origin and `server.allowed_origins` (a form
//! embedded on the publisher's own site). Scheme, host and port must all
//! match: `http://` is another site than `https://`.
//! A POST from any other site's page is refused with 403 and changes
//! nothing, so a stranger's page cannot make its visitors' browsers sign
//! someone up or ask for mail.
//!
//! What is read, in order:
//! - `Origin`, which browsers send with every form POST. It decides.
//! - `Origin: null` or none: `Referer`, whose origin must be one of ours.
//!   Our own pages are served with `Referrer-Policy: no-referrer`, so
//!   browsers send `Origin: null` and no `Referer` for our own forms.
//! - Neither (or `null` and no `Referer`): allowed, unless the browser
//!   says the page was on another site (`Sec-Fetch-Site: cross-site`).
//!   Mail clients, curl and privacy settings strip both headers, and a
//!   request without them is no browser being steered by another site's
//!   page; it meets the rate limits like any other. A publisher's page
//!   that posts the form must therefore not use `no-referrer` itself (its
//!   `Origin` would be `null` and count as cross-site).

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::pages::{Lang, Pages};
use crate::domain::WebOrigin;

/// The sites whose pages may post the forms.
#[derive(Debug)]
pub struct FormOrigins {
    own: Vec<WebOrigin>,
}

impl FormOrigins {
    /// `base_url`'s origin (when it parses, as a checked `base_url` does)
    /// and `allowed`.
    pub fn new(base_url: &str, allowed: &[WebOrigin]) -> FormOrigins {
        let own = WebOrigin::parse(base_url)
            .into_iter()
            .chain(allowed.iter().cloned())
            .collect();
        FormOrigins { own }
    }

    /// True when a form POST with these headers came from another site's
    /// page (see the module doc).
    pub fn cross_site(&self, headers: &HeaderMap) -> bool {
        let text = |name: HeaderName| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let origin = text(header::ORIGIN).filter(|o| !o.trim().eq_ignore_ascii_case("null"));
        if let Some(origin) = origin {
            return !self.ours(origin);
        }
        if let Some(referer) = text(header::REFERER).filter(|r| WebOrigin::parse(r).is_ok()) {
            return !self.ours(referer);
        }
        text(SEC_FETCH_SITE).is_some_and(|site| site.eq_ignore_ascii_case("cross-site"))
    }

    /// True when `url`'s origin is one of ours.
    fn ours(&self, url: &str) -> bool {
        WebOrigin::parse(url).is_ok_and(|origin| self.own.contains(&origin))
    }
}

/// 403 with a page that says the form came from another site and nothing
/// changed.
pub fn refused(pages: &Pages, lang: Lang) -> Response {
    let page = pages.cross_site(lang);
    (StatusCode::FORBIDDEN, Html(page)).into_response()
}

/// Fetch metadata: where the request came from, as the browser sees it.
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(HeaderName, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(name.clone(), HeaderValue::from_static(value));
        }
        h
    }

    fn origins() -> FormOrigins {
        let shop = WebOrigin::parse("https://www.publiek-leren.nl").expect("origin");
        FormOrigins::new("https://nieuws.example.org", &[shop])
    }

    #[test]
    fn our_own_site_and_the_allowed_ones_may_post() {
        let o = origins();
        for origin in [
            "https://nieuws.example.org",
            "https://Nieuws.Example.org:443",
            "https://www.publiek-leren.nl",
        ] {
            let h = headers(&[(header::ORIGIN, origin), (header::HOST, "127.0.0.1:8080")]);
            assert!(!o.cross_site(&h), "{origin}");
        }
        let referer = headers(&[(header::REFERER, "https://www.publiek-leren.nl/brief?x=1")]);
        assert!(!o.cross_site(&referer));
    }

    #[test]
    fn another_site_is_refused_by_origin_or_referer() {
        let o = origins();
        for (name, value) in [
            (header::ORIGIN, "https://evil.example"),
            (header::ORIGIN, "http://nieuws.example.org"),
            (header::ORIGIN, "https://nieuws.example.org.evil.example"),
            (header::ORIGIN, "garbage"),
            (header::REFERER, "https://evil.example/form"),
            // Not base_url: the Host a request names is the client's word.
            (header::ORIGIN, "http://127.0.0.1:8080"),
        ] {
            let h = headers(&[(name.clone(), value), (header::HOST, "nieuws.example.org")]);
            assert!(o.cross_site(&h), "{name}: {value}");
        }
    }

    #[test]
    fn without_origin_and_referer_only_the_browsers_word_counts() {
        let o = origins();
        assert!(!o.cross_site(&headers(&[])), "curl, a mail client");
        let own_form = headers(&[(header::ORIGIN, "null"), (SEC_FETCH_SITE, "same-origin")]);
        assert!(!o.cross_site(&own_form), "our own form under no-referrer");
        let other = headers(&[(header::ORIGIN, "null"), (SEC_FETCH_SITE, "cross-site")]);
        assert!(o.cross_site(&other));
    }
}
