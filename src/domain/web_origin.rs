//! A web origin (`https://host[:port]`), as browsers send it in `Origin`
//! and as `server.allowed_origins` and `newsletter.base_url` name a site:
//! scheme and host lowercase, the scheme's default port left out, and
//! anything after the host (a path, a query) dropped, so a `Referer`
//! parses to the origin of the page that sent it.

use std::fmt;

use serde::Deserialize;

use super::ParseError;

/// Only web pages post forms.
const SCHEMES: [(&str, &str); 2] = [("http", "80"), ("https", "443")];

#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct WebOrigin(String);

impl WebOrigin {
    pub fn parse(s: &str) -> Result<WebOrigin, ParseError> {
        let s = s.trim();
        let Some((scheme, rest)) = s.split_once("://") else {
            return Err(ParseError::new(
                "an origin starts with https:// or http:// (e.g. https://www.example.org)",
            ));
        };
        let scheme = scheme.to_ascii_lowercase();
        let Some(&(_, default_port)) = SCHEMES.iter().find(|(name, _)| *name == scheme) else {
            return Err(ParseError::new("an origin is https:// or http://"));
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(ParseError::new("an origin has no user name or password"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            // Not the colons inside an IPv6 address like [::1].
            Some((host, port)) if !port.contains(']') => (host, Some(port)),
            _ => (authority, None),
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.[]:".contains(c));
        if !host_ok {
            return Err(ParseError::new("the origin has no usable host name"));
        }
        let host = host.to_ascii_lowercase();
        match port {
            None => Ok(WebOrigin(format!("{scheme}://{host}"))),
            Some(p) if p == default_port => Ok(WebOrigin(format!("{scheme}://{host}"))),
            Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(WebOrigin(format!("{scheme}://{host}:{p}")))
            }
            Some(_) => Err(ParseError::new("the origin's port is not a number")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WebOrigin {
    type Error = ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        WebOrigin::parse(&s)
    }
}

impl fmt::Display for WebOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(s: &str) -> String {
        WebOrigin::parse(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .as_str()
            .to_owned()
    }

    #[test]
    fn case_default_ports_and_paths_are_folded() {
        assert_eq!(
            origin("HTTPS://Nieuws.Example.org/"),
            "https://nieuws.example.org"
        );
        assert_eq!(
            origin("https://nieuws.example.org:443"),
            "https://nieuws.example.org"
        );
        assert_eq!(
            origin("http://127.0.0.1:8080/u/x?lang=nl"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(origin("http://[::1]:8080/"), "http://[::1]:8080");
        assert_eq!(origin("http://[::1]"), "http://[::1]");
    }

    #[test]
    fn the_scheme_and_the_port_tell_sites_apart() {
        assert_ne!(origin("http://example.org"), origin("https://example.org"));
        assert_ne!(
            origin("https://example.org:8443"),
            origin("https://example.org")
        );
    }

    #[test]
    fn what_is_no_web_origin_is_refused() {
        for bad in [
            "",
            "null",
            "example.org",
            "ftp://example.org",
            "https://",
            "https://user:pw@example.org",
            "https://example.org:http",
            "https://exa mple.org",
        ] {
            assert!(WebOrigin::parse(bad).is_err(), "{bad:?}");
        }
    }
}
