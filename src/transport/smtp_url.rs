//! `smtp.url` taken apart: `smtp[s]://[user:password@]host[:port][/]`,
//! parsed by the `url` crate. Errors never repeat the user info, which
//! holds the password.

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use url::{Host, Url};

/// What `smtp.url` says: where, how encrypted from the start, who logs in.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct SmtpUrl {
    pub(super) implicit_tls: bool,
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) credentials: Option<(String, String)>,
}

/// What must be escaped in a user name or password before the URL parser
/// sees it, so that it cannot end the user info early. `%` is left as it
/// is: an escape the operator wrote stays one, a stray `%` stays a `%`.
const USERINFO: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'/')
    .add(b':')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

impl SmtpUrl {
    /// Parses `smtp.url`. The last `@` ends the user info, so a password
    /// may contain `@`, `/` and `?` without percent-encoding (operators
    /// paste them raw); the `url` crate would end the user info at the
    /// first `/`, so the user info is escaped before it parses the rest.
    pub(super) fn parse(url: &str) -> Result<SmtpUrl, String> {
        let url = url.trim();
        let (scheme, rest) = url
            .split_once("://")
            .filter(|(scheme, _)| matches!(*scheme, "smtp" | "smtps"))
            .ok_or("expected smtp://HOST:PORT or smtps://USER:PASSWORD@HOST:465")?;
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, rest),
        };
        let escaped = match userinfo {
            None => String::new(),
            Some(userinfo) => {
                let (user, password) = userinfo
                    .split_once(':')
                    .ok_or("the user name has no password (write USER:PASSWORD@HOST)")?;
                let (user, password) = (
                    utf8_percent_encode(user, USERINFO),
                    utf8_percent_encode(password, USERINFO),
                );
                format!("{user}:{password}@")
            }
        };
        if hostport.is_empty() || hostport.starts_with(['/', '?', '#', ':']) {
            return Err("the URL has no host".into());
        }
        let parsed = Url::parse(&format!("{scheme}://{escaped}{hostport}"))
            .map_err(|e| format!("not a usable URL: {e}"))?;
        if !matches!(parsed.path(), "" | "/")
            || parsed.query().is_some()
            || parsed.fragment().is_some()
        {
            return Err(format!(
                "nothing may follow the host and port (found {:?}); STARTTLS is set with smtp.starttls",
                &hostport[hostport.find(['/', '?', '#']).unwrap_or(0)..]
            ));
        }
        let implicit_tls = scheme == "smtps";
        let host = match parsed.host() {
            Some(Host::Ipv6(ip)) => ip.to_string(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Domain(name)) if !name.is_empty() => name.to_ascii_lowercase(),
            _ => return Err("the URL has no host".into()),
        };
        let port = match parsed.port() {
            None => {
                if implicit_tls {
                    465
                } else {
                    25
                }
            }
            Some(0) => return Err("0 is not a port number".into()),
            Some(p) => p,
        };
        let credentials = match userinfo {
            None => None,
            Some(_) => {
                let user = decode(parsed.username())
                    .ok_or("the user name is not valid percent-encoded UTF-8")?;
                let password = decode(parsed.password().unwrap_or_default())
                    .ok_or("the password is not valid percent-encoded UTF-8")?;
                if user.is_empty() {
                    return Err("the user name is empty".into());
                }
                Some((user, password))
            }
        };
        Ok(SmtpUrl {
            implicit_tls,
            host,
            port,
            credentials,
        })
    }

    /// `smtp://host:port`: for logs and error messages, never a password.
    pub(super) fn endpoint(&self) -> String {
        let scheme = if self.implicit_tls { "smtps" } else { "smtp" };
        if self.host.contains(':') {
            format!("{scheme}://[{}]:{}", self.host, self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// `%XX` escapes to bytes, then UTF-8. A `%` not followed by two hex
/// digits is kept as it is, so a raw password containing `%` still works.
fn decode(s: &str) -> Option<String> {
    percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_smtp_url_defaults_to_port_25_and_no_login() {
        let url = SmtpUrl::parse("smtp://Mail.Example.org").expect("parses");
        assert_eq!(
            url,
            SmtpUrl {
                implicit_tls: false,
                host: "mail.example.org".into(),
                port: 25,
                credentials: None
            }
        );
    }

    #[test]
    fn an_smtps_url_defaults_to_port_465_and_decodes_its_credentials() {
        let url = SmtpUrl::parse("smtps://news%40example.org:p%40ss:w@rd/?@mail.example.org")
            .expect("parses");
        assert!(url.implicit_tls);
        assert_eq!(url.port, 465);
        assert_eq!(url.host, "mail.example.org");
        assert_eq!(
            url.credentials,
            Some(("news@example.org".into(), "p@ss:w@rd/?".into()))
        );
    }

    #[test]
    fn ports_and_ipv6_literals_are_read() {
        let url = SmtpUrl::parse("smtp://[::1]:2525/").expect("parses");
        assert_eq!((url.host.as_str(), url.port), ("::1", 2525));
        assert_eq!(url.endpoint(), "smtp://[::1]:2525");
        let url = SmtpUrl::parse("smtp://127.0.0.1:587").expect("parses");
        assert_eq!(url.endpoint(), "smtp://127.0.0.1:587");
    }

    #[test]
    fn bad_urls_are_refused_without_repeating_the_password() {
        for bad in [
            "smtp://user:hunter2@host:99999",
            "smtp://user:hunter2@host:0",
            "smtp://user:hunter2@host?tls=required",
            "smtp://user:hunter2@host/ehlo-name",
            "smtp://user:hunter2@",
            "smtp://hunter2@host",
            "smtp://user:hunter2%FF@host",
            "http://host",
        ] {
            let err = SmtpUrl::parse(bad).expect_err(bad);
            assert!(!err.contains("hunter2"), "{bad}: {err}");
        }
    }

    #[test]
    fn percent_decoding_keeps_stray_percent_signs() {
        assert_eq!(decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(decode("100%").as_deref(), Some("100%"));
        assert_eq!(decode("%zz").as_deref(), Some("%zz"));
        assert_eq!(decode("%C3%A9").as_deref(), Some("é"));
        assert_eq!(decode("%FF"), None);
    }
}
