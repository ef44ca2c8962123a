//! `bounces.imap_url`: the mailbox `bounces fetch` reads,
//! `imaps://USER:PASSWORD@HOST[:PORT]/FOLDER` (TLS from the first byte) or
//! `imap://…` (STARTTLS, required). There is no way to say "log in over
//! cleartext": a URL that could mean it is refused.
//!
//! The URL holds a password, so nothing here ever echoes it: not `Debug`,
//! not a parse error (which names what is wrong, never the value).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// How the connection becomes private before the password is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImapSecurity {
    /// `imaps://`, port 993 by default: TLS from the first byte.
    Implicit,
    /// `imap://`, port 143 by default: STARTTLS, and no login when the
    /// server refuses it.
    StartTls,
}

/// A parsed `bounces.imap_url`.
#[derive(Clone)]
pub struct ImapUrl {
    pub security: ImapSecurity,
    /// A name or an IP address (without the brackets of `[::1]`).
    pub host: String,
    pub port: u16,
    /// Percent-decoded.
    pub user: String,
    /// Percent-decoded.
    password: SecretString,
    /// The folder to read, percent-decoded; `INBOX` when the URL has no
    /// path.
    pub folder: String,
}

const SHAPE: &str = "expected imaps://USER:PASSWORD@HOST[:PORT]/FOLDER, \
                     or imap://… to use STARTTLS";

impl ImapUrl {
    pub fn parse(s: &str) -> Result<ImapUrl, String> {
        let s = s.trim();
        let (security, default_port, rest) = if let Some(rest) = s.strip_prefix("imaps://") {
            (ImapSecurity::Implicit, 993, rest)
        } else if let Some(rest) = s.strip_prefix("imap://") {
            (ImapSecurity::StartTls, 143, rest)
        } else {
            return Err(SHAPE.into());
        };
        if rest.contains(['?', '#']) {
            return Err("the URL may not have a ?query or #fragment".into());
        }
        // The last @ ends the user information: a password may hold an
        // unescaped @, a host never does.
        let (userinfo, location) = rest.rsplit_once('@').ok_or(
            "the URL needs the user and password, like imaps://USER:PASSWORD@HOST/INBOX \
             (write @, : and / in them as %40, %3A and %2F)",
        )?;
        let (user, password) = userinfo
            .split_once(':')
            .ok_or("the URL has a user but no password (USER:PASSWORD@HOST)")?;
        let user = percent_decode(user).ok_or("the user has a broken %-escape")?;
        let password = percent_decode(password).ok_or("the password has a broken %-escape")?;
        if user.is_empty() || password.is_empty() {
            return Err("the user and the password must not be empty".into());
        }
        let (authority, path) = location.split_once('/').unwrap_or((location, ""));
        let (host, port) = host_and_port(authority, default_port)?;
        let folder = percent_decode(path).ok_or("the folder has a broken %-escape")?;
        let folder = if folder.is_empty() {
            "INBOX".to_owned()
        } else {
            folder
        };
        check_folder(&folder).map_err(|e| format!("the folder {e}"))?;
        Ok(ImapUrl {
            security,
            host,
            port,
            user,
            password: SecretString::from(password),
            folder,
        })
    }

    /// The password, for the login command only.
    pub fn password(&self) -> &str {
        self.password.expose_secret()
    }
}

impl fmt::Debug for ImapUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.security {
            ImapSecurity::Implicit => "imaps",
            ImapSecurity::StartTls => "imap",
        };
        write!(
            f,
            "{scheme}://***@{}:{}/{}",
            self.host, self.port, self.folder
        )
    }
}

/// A folder name postbode can hand to the server as it is: printable
/// ASCII (a non-ASCII name is given in IMAP's modified UTF-7, as the
/// server lists it), without the LIST wildcards `*` and `%`.
pub fn check_folder(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if !name.chars().all(|c| c.is_ascii_graphic() || c == ' ') || name.contains(['*', '%']) {
        return Err(
            "must be printable ASCII without * or % (give a non-ASCII name \
                    as the server lists it, in IMAP's modified UTF-7)"
                .into(),
        );
    }
    Ok(())
}

fn host_and_port(authority: &str, default_port: u16) -> Result<(String, u16), String> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or("the host has a [ without its ]")?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the URL has no host, or a host with spaces".into());
    }
    let port = match port {
        None => default_port,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or("the port must be a number from 1 to 65535")?,
    };
    Ok((host.to_owned(), port))
}

/// `%XX` escapes decoded; `None` when one is broken or the result is not
/// UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_imaps_url_gives_user_password_host_port_and_folder_decoded() {
        let url =
            ImapUrl::parse("imaps://bounce%40example.org:p%40ss:w@mail.example.org/Bounces%2FNew")
                .expect("valid");
        assert_eq!(url.security, ImapSecurity::Implicit);
        assert_eq!(url.user, "bounce@example.org");
        assert_eq!(url.password(), "p@ss:w");
        assert_eq!((url.host.as_str(), url.port), ("mail.example.org", 993));
        assert_eq!(url.folder, "Bounces/New");
    }

    #[test]
    fn imap_means_starttls_and_the_folder_defaults_to_inbox() {
        let url = ImapUrl::parse("imap://u:p@[::1]:1143").expect("valid");
        assert_eq!(url.security, ImapSecurity::StartTls);
        assert_eq!((url.host.as_str(), url.port), ("::1", 1143));
        assert_eq!(url.folder, "INBOX");
        let url = ImapUrl::parse("imap://u:p@127.0.0.1/").expect("valid");
        assert_eq!((url.port, url.folder.as_str()), (143, "INBOX"));
    }

    #[test]
    fn the_password_never_shows_in_debug_output_or_in_an_error() {
        let url = ImapUrl::parse("imaps://u:hunter2@mail.example.org/INBOX").expect("valid");
        assert_eq!(format!("{url:?}"), "imaps://***@mail.example.org:993/INBOX");
        for bad in [
            "imaps://u:hunter2@mail.example.org:99999/INBOX",
            "imaps://u:hunter2%zz@mail.example.org/INBOX",
            "imaps://u:hunter2@mail.example.org/IN*",
            "pop3://u:hunter2@mail.example.org",
            "imaps://u:hunter2@/INBOX",
        ] {
            let err = ImapUrl::parse(bad).expect_err(bad);
            assert!(!err.contains("hunter2"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_url_without_credentials_or_host_or_with_a_query_is_refused() {
        for bad in [
            "imaps://mail.example.org/INBOX",
            "imaps://user@mail.example.org/INBOX",
            "imaps://:p@mail.example.org",
            "imaps://u:p@mail.example.org/INBOX?x=1",
            "imaps://u:p@[::1/INBOX",
            "mail.example.org",
        ] {
            assert!(ImapUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
