//! Typed configuration values that parse while the TOML is read, so a bad
//! value is reported with its file, line and key. Values holding passwords
//! print redacted in `Debug`.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::domain::TrustedProxies;

use super::redact::redact_secrets;
use super::secret_keys::is_secret_name;

/// Where the subscriber store lives.
#[derive(Clone)]
pub enum DatabaseUrl {
    /// A SQLite file. Relative paths are resolved against the config file's
    /// folder by [`super::load`].
    Sqlite(PathBuf),
    /// A PostgreSQL URL; it may hold a password.
    Postgres(SecretString),
}

impl DatabaseUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() || path.starts_with(':') {
                return Err("give a file, like sqlite://postbode.db".into());
            }
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            check_postgres_parameters(s)?;
            Ok(DatabaseUrl::Postgres(SecretString::from(s)))
        } else {
            Err("expected sqlite://FILE or postgres://USER@HOST/DB".into())
        }
    }

    pub(super) fn resolve_relative_to(&mut self, dir: &Path) {
        if let DatabaseUrl::Sqlite(path) = self
            && path.is_relative()
        {
            *path = dir.join(&*path);
        }
    }
}

/// The URL parameters our PostgreSQL driver (sqlx 0.8) understands. It
/// ignores any other, logging its value: a password-like one it does not
/// know (`pass=`, `sslpassword=`) is refused here instead, by name only.
const POSTGRES_PARAMETERS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
];

fn check_postgres_parameters(url: &str) -> Result<(), String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    for pair in query.split(['&', '#']) {
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        if is_secret_name(name) && !POSTGRES_PARAMETERS.contains(&name) {
            return Err(format!(
                "the parameter {name} is not supported; give the password as \
                 postgres://USER:PASSWORD@HOST/DB or ?password="
            ));
        }
    }
    Ok(())
}

impl Default for DatabaseUrl {
    fn default() -> Self {
        DatabaseUrl::Sqlite(PathBuf::from("postbode.db"))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => write!(f, "{}", redact_secrets(url.expose_secret())),
        }
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DatabaseUrl::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The SMTP server to send through; empty means "write to the outbox".
#[derive(Clone, Default)]
pub struct SmtpUrl(Option<SecretString>);

impl SmtpUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(SmtpUrl(None));
        }
        let rest = s
            .strip_prefix("smtp://")
            .or_else(|| s.strip_prefix("smtps://"))
            .ok_or("expected smtp://HOST:PORT or smtps://USER:PASSWORD@HOST:465")?;
        let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
        if host.split(['/', '?']).next().is_none_or(str::is_empty) {
            return Err("the URL has no host".into());
        }
        Ok(SmtpUrl(Some(SecretString::from(s))))
    }

    /// The URL with its password, for the transport only.
    pub fn expose(&self) -> Option<&str> {
        self.0.as_ref().map(|s| s.expose_secret())
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("(outbox)"),
            Some(url) => f.write_str(&redact_secrets(url.expose_secret())),
        }
    }
}

impl<'de> Deserialize<'de> for SmtpUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SmtpUrl::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The public address of the pages, without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().trim_end_matches('/');
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or("expected an http:// or https:// URL, like https://nieuws.example.org")?;
        if rest.is_empty() || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the URL has no host or contains spaces".into());
        }
        Ok(BaseUrl(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for BaseUrl {
    fn default() -> Self {
        BaseUrl("http://localhost:8080".into())
    }
}

impl<'de> Deserialize<'de> for BaseUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        BaseUrl::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An IANA time zone name known to this machine's time zone database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        jiff::tz::TimeZone::get(s)
            .map(|_| TimeZoneName(s.to_owned()))
            .map_err(|_| "unknown time zone; use an IANA name like Europe/Amsterdam".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.0).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

impl Default for TimeZoneName {
    fn default() -> Self {
        TimeZoneName("Europe/Amsterdam".into())
    }
}

impl<'de> Deserialize<'de> for TimeZoneName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TimeZoneName::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// `server.trusted_proxies`: a TOML list of networks, or (from
/// `POSTBODE_SERVER__TRUSTED_PROXIES`) one string of them separated by
/// commas or spaces. The error names the key and the entry at fault.
pub(super) fn trusted_proxies<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<TrustedProxies, D::Error> {
    let super::sections::StringList(entries) = super::sections::StringList::deserialize(d)?;
    TrustedProxies::parse(entries.iter().map(String::as_str))
        .map_err(|e| serde::de::Error::custom(format!("server.trusted_proxies: {e}")))
}

/// `server.allowed_origins`: a TOML list of origins, or (from
/// `POSTBODE_SERVER__ALLOWED_ORIGINS`) one string of them separated by
/// commas or spaces. The error names the key and the entry at fault.
pub(super) fn allowed_origins<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<crate::domain::WebOrigin>, D::Error> {
    let super::sections::StringList(entries) = super::sections::StringList::deserialize(d)?;
    entries
        .iter()
        .map(|e| {
            crate::domain::WebOrigin::parse(e).map_err(|why| {
                serde::de::Error::custom(format!("server.allowed_origins: {e:?}: {why}"))
            })
        })
        .collect()
}

/// `server.metrics_token`: the bearer token `/metrics` asks for; none
/// (empty) turns `/metrics` off. Never printed, not even its length.
#[derive(Clone, Default)]
pub struct MetricsToken(Option<SecretString>);

impl MetricsToken {
    /// Shorter tokens can be guessed; `openssl rand -hex 32` makes a good one.
    pub const MIN_LEN: usize = 16;

    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(MetricsToken(None));
        }
        if s.chars().count() < Self::MIN_LEN
            || s.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "server.metrics_token must be at least {} characters without spaces \
                 (e.g. the output of `openssl rand -hex 32`), or empty to turn /metrics off",
                Self::MIN_LEN
            ));
        }
        Ok(MetricsToken(Some(SecretString::from(s))))
    }

    /// The token, for the one comparison with what a scraper sends.
    pub fn expose(&self) -> Option<&str> {
        self.0.as_ref().map(|s| s.expose_secret())
    }
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "(set)" } else { "(none)" })
    }
}

impl<'de> Deserialize<'de> for MetricsToken {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        MetricsToken::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show_in_debug_output() {
        let smtp = SmtpUrl::parse("smtps://user:hunter2@mail.example.org:465").expect("valid");
        assert_eq!(format!("{smtp:?}"), "smtps://***@mail.example.org:465");
        let db = DatabaseUrl::parse("postgres://app:hunter2@db/postbode").expect("valid");
        assert!(!format!("{db:?}").contains("hunter2"));
        let db = DatabaseUrl::parse("postgres://app@db/postbode?password=hunter3").expect("valid");
        assert!(!format!("{db:?}").contains("hunter3"), "{db:?}");
        for unknown in ["pass", "sslpassword"] {
            let url = format!("postgres://app@db/postbode?sslmode=disable&{unknown}=hunter4");
            let err = DatabaseUrl::parse(&url).expect_err("a password the driver ignores");
            assert!(err.contains(unknown) && !err.contains("hunter4"), "{err}");
        }
    }

    #[test]
    fn urls_without_a_known_scheme_are_rejected() {
        assert!(SmtpUrl::parse("mail.example.org:25").is_err());
        assert!(SmtpUrl::parse("smtp://").is_err());
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite::memory:").is_err());
        assert!(BaseUrl::parse("nieuws.example.org").is_err());
    }

    #[test]
    fn a_base_url_loses_its_trailing_slash() {
        let url = BaseUrl::parse("https://nieuws.example.org/").expect("valid");
        assert_eq!(url.as_str(), "https://nieuws.example.org");
    }
}
