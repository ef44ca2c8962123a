//! The sections of `postbode.toml`. Fields are typed: a value that does not
//! parse is rejected by the TOML reader itself, so the error carries the
//! file, line and column. Defaults live here and in `config.example.toml`;
//! a test keeps the two equal.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use super::values::{BaseUrl, DatabaseUrl, LogFormat, MetricsToken, SmtpUrl, TimeZoneName};
use crate::domain::{Language, ListName, Mailbox, TrustedProxies, WebOrigin};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub files: FilesSettings,
    pub newsletter: NewsletterSettings,
    pub smtp: SmtpSettings,
    pub sending: SendingSettings,
    pub dkim: DkimSettings,
    pub server: ServerSettings,
    pub subscribers: SubscribersSettings,
    pub secrets: SecretsSettings,
    pub bounces: BouncesSettings,
    pub webhooks: WebhooksSettings,
    pub log: LogSettings,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://FILE` (relative to the config file's folder) or `postgres://...`.
    pub url: DatabaseUrl,
    /// Connections in the pool; SQLite serialises writes anyway.
    pub max_connections: u32,
    /// How long a statement waits for a lock held by another process (a
    /// second `postbode send` from an overlapping cron run) before failing.
    pub busy_timeout_ms: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: DatabaseUrl::default(),
            max_connections: 8,
            busy_timeout_ms: 5000,
        }
    }
}

impl DatabaseSettings {
    pub fn busy_timeout(&self) -> Duration {
        Duration::from_millis(self.busy_timeout_ms)
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct FilesSettings {
    /// Who may read the files postbode creates: empty, the owner only
    /// (0600); a group's name, that group too (0640).
    pub group: crate::private_file::FileAccess,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewsletterSettings {
    /// Shown in the masthead, the pages and the List-Id header's phrase.
    pub name: String,
    /// The From header: `Name <address>`.
    pub from: Mailbox,
    /// Where replies go (the editor). Empty: replies go to `from`.
    pub reply_to: String,
    /// RFC 2919 List-Id, a domain-like identifier that must stay stable so
    /// mail filters keep working.
    pub list_id: String,
    /// Where the public pages live; used for unsubscribe and archive links.
    pub base_url: BaseUrl,
    /// Lets `issue queue` and `send` put real mail (smtp.url set) on its
    /// way with a loopback or plain-http `base_url` or the shipped `from`;
    /// for development and tests only (see `real_mail.rs`).
    pub allow_insecure_links: bool,
    /// Language of pages and mails when nothing better is known.
    pub language: Language,
    /// The languages the public pages are offered in (`nl`, `en`). One:
    /// every page in it, whatever the browser asks; both: the reader's
    /// (the link's `?lang=`, then `Accept-Language`), else `language`.
    pub languages: Vec<Language>,
    /// Time zone for `issue queue --at "YYYY-MM-DD HH:MM"` and dates in mails.
    pub timezone: TimeZoneName,
    /// The sender's postal address for the footer (required by law in some
    /// countries). Empty: no sender line.
    pub postal_address: String,
    /// The list new subscribers join when none is named.
    pub default_list: ListName,
}

impl Default for NewsletterSettings {
    fn default() -> Self {
        Self {
            name: "Nieuwsbrief".into(),
            from: Mailbox::parse("Nieuwsbrief <nieuwsbrief@example.org>")
                .expect("the built-in default sender parses"),
            reply_to: String::new(),
            list_id: "nieuwsbrief.example.org".into(),
            base_url: BaseUrl::default(),
            allow_insecure_links: false,
            language: Language::parse("nl").expect("the built-in default language parses"),
            languages: ["nl", "en"]
                .into_iter()
                .filter_map(|l| Language::parse(l).ok())
                .collect(),
            timezone: TimeZoneName::default(),
            postal_address: String::new(),
            default_list: ListName::default_list(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSettings {
    /// `smtp://host:25`, `smtp://user:pass@host:587` (STARTTLS) or
    /// `smtps://user:pass@host:465`. Empty: write `.eml` files to `outbox`.
    pub url: SmtpUrl,
    /// STARTTLS on `smtp://`: `opportunistic` or `required`.
    pub starttls: String,
    /// Send the password in smtp.url even when the connection is not
    /// encrypted (no smtps://, and the server offered no STARTTLS). Off:
    /// such a connection fails before AUTH. Only for a trusted link, such
    /// as a relay on this machine.
    pub allow_plaintext_auth: bool,
    /// Folder for `.eml` files when no SMTP server is configured.
    pub outbox: PathBuf,
    /// SMTP connections open at most (busy and idle), reused between
    /// messages. Keep it at least `sending.concurrency`.
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
    /// Limits one whole message exchange (MAIL FROM to the reply after
    /// DATA), so a stalled server cannot hang a send.
    pub command_timeout_secs: u64,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            url: SmtpUrl::default(),
            starttls: "opportunistic".into(),
            allow_plaintext_auth: false,
            outbox: PathBuf::from("outbox"),
            pool_size: 4,
            connect_timeout_secs: 10,
            command_timeout_secs: 30,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SendingSettings {
    /// Messages per second, never exceeded in any one-second window.
    pub rate_per_second: f64,
    /// Provider caps; 0 means no cap.
    pub max_per_hour: u64,
    pub max_per_day: u64,
    /// Messages in flight at once.
    pub concurrency: u32,
    /// Deliveries claimed per database round trip.
    pub batch_size: u32,
    /// Attempts per delivery before it fails for good.
    pub max_attempts: u32,
    /// How long a claim lasts; a crashed worker's claims come back after it.
    pub lease_secs: u64,
    /// First retry delay after a 4xx; it doubles per attempt (with
    /// jitter), up to an hour.
    pub retry_base_secs: u64,
    /// Permanent failures in a row that pause the issue for a person: a
    /// run of 5xx usually means a problem on our side (a blocklist, a
    /// broken DNS record), not that every recipient is gone.
    pub max_consecutive_failures: u32,
    /// How long `send` waits for an unreachable mail server (probing with
    /// backoff) before it exits; the issue stays paused by the circuit
    /// breaker and the next run resumes it.
    pub breaker_max_wait_secs: u64,
}

impl Default for SendingSettings {
    fn default() -> Self {
        Self {
            rate_per_second: 20.0,
            max_per_hour: 0,
            max_per_day: 0,
            concurrency: 4,
            batch_size: 200,
            max_attempts: 5,
            lease_secs: 300,
            retry_base_secs: 60,
            max_consecutive_failures: 50,
            breaker_max_wait_secs: 300,
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DkimSettings {
    /// Signing domain (d=). Empty: messages are not signed.
    pub domain: String,
    /// Selector (s=): the DNS record is `SELECTOR._domainkey.DOMAIN`.
    pub selector: String,
    /// PEM file with the private key (RSA or Ed25519).
    pub private_key_file: PathBuf,
}

impl DkimSettings {
    pub fn enabled(&self) -> bool {
        !self.domain.is_empty()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address the public pages listen on.
    pub bind: String,
    /// POSTs to token links (`/u/TOKEN`, `/u/TOKEN/resubscribe`,
    /// `/confirm/TOKEN`) one client IP may make per minute. Generous:
    /// mail providers send RFC 8058 one-click POSTs for many people from
    /// few addresses.
    pub link_posts_per_minute: u32,
    /// Reverse proxies (networks) whose `X-Forwarded-For` or `Forwarded`
    /// names the client; from any other peer those headers are ignored.
    /// Empty: the client is always the TCP peer.
    #[serde(deserialize_with = "super::values::trusted_proxies")]
    pub trusted_proxies: TrustedProxies,
    /// The bearer token `/metrics` asks for. Empty: `/metrics` is off (404).
    pub metrics_token: MetricsToken,
    /// Sites besides `newsletter.base_url` whose pages may post the
    /// subscribe and unsubscribe forms (a form on the publisher's own
    /// site), e.g. `["https://www.example.org"]`.
    #[serde(deserialize_with = "super::values::allowed_origins")]
    pub allowed_origins: Vec<WebOrigin>,
    /// Open connections at most. 0: as many as the process's file limit
    /// allows, less a reserve for the database, files and SMTP; a
    /// number above that is lowered to it.
    pub max_connections: u32,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            link_posts_per_minute: 600,
            trusted_proxies: TrustedProxies::default(),
            metrics_token: MetricsToken::default(),
            allowed_origins: Vec::new(),
            max_connections: 0,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubscribersSettings {
    /// Subscribers still pending (never confirmed) this many days after
    /// they were added, or after their last confirmation mail, are erased
    /// by the housekeeping of `send` and `serve`. The confirmation mail
    /// promises it.
    pub pending_expiry_days: u32,
}

impl Default for SubscribersSettings {
    fn default() -> Self {
        Self {
            pending_expiry_days: 30,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsSettings {
    /// Key for unsubscribe and confirmation tokens (HMAC). `postbode init`
    /// writes a random one. Changing it invalidates links already sent.
    pub token_key: SecretString,
    /// The token key before a rotation: links made with it are still
    /// accepted (new ones are made with `token_key`). Empty: none.
    pub previous_token_key: SecretString,
    /// RFC 3339 time after which `previous_token_key` is refused. Empty:
    /// no deadline.
    pub previous_token_key_until: String,
    /// Key for the suppression list's hashes of addresses that left.
    /// `postbode init` writes a random one. Never rotated: under another
    /// key the list matches nothing, so back it up with the database.
    pub suppression_key: SecretString,
}

impl Default for SecretsSettings {
    fn default() -> Self {
        Self {
            token_key: SecretString::from(""),
            previous_token_key: SecretString::from(""),
            previous_token_key_until: String::new(),
            suppression_key: SecretString::from(""),
        }
    }
}

impl SecretsSettings {
    /// `suppression_key`, ready to use; `None` when it is not set. A key
    /// that is set but unusable (too short) is an error naming the setting.
    pub fn suppression_key(&self) -> Result<Option<crate::domain::SuppressionKey>, String> {
        let raw = secrecy::ExposeSecret::expose_secret(&self.suppression_key);
        if raw.is_empty() {
            return Ok(None);
        }
        crate::domain::SuppressionKey::parse(raw)
            .map(Some)
            .map_err(|e| e.to_string())
    }

    /// `previous_token_key_until` as a time; `None` when it is empty.
    pub fn previous_token_key_until(&self) -> Result<Option<jiff::Timestamp>, String> {
        let raw = self.previous_token_key_until.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse::<jiff::Timestamp>().map(Some).map_err(|_| {
            "must be an RFC 3339 time with an offset, like 2027-01-31T00:00:00Z, or empty".into()
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BouncesSettings {
    /// Where bounce reports go: with it set, each issue message's envelope
    /// sender is `LOCAL+TAG@DOMAIN` (VERP, see `mail::verp`). Empty: the
    /// envelope sender is the From address.
    pub address: String,
    /// This many soft bounces (DSN 4.x.x, `Action: delayed`) of one
    /// subscriber within `soft_window_days` make them bounced
    /// (`bounces ingest`, `crate::bounces`).
    pub soft_limit: u32,
    /// The window, in days, that `soft_limit` counts in.
    pub soft_window_days: u32,
    /// The brake: when `bounces ingest` applies a complaint and the
    /// issue's complaint rate (complaints / sent) is above this, with at
    /// least `complaint_min_sent` messages sent, that issue and the next
    /// scheduled one are paused. 0.003 is 0.3 %, Gmail's and Yahoo's line.
    pub complaint_pause_rate: f64,
    /// The brake acts only once an issue has this many messages sent, so
    /// one complaint among a few mails does not stop a newsletter.
    pub complaint_min_sent: u32,
    /// The failure brake: when `bounces ingest` applies failed-delivery
    /// reports (5.x.x that is not the address's fault, above all 5.7.x:
    /// policy, blocklists, DMARC) and more than this fraction of the
    /// issue's messages sent failed so, with at least `failed_min_count`
    /// of them, that issue (only that one) is paused. 0.02 is 2 %.
    pub failed_pause_rate: f64,
    /// The failure brake acts only from this many failed deliveries of one
    /// issue, so a few strict receiving servers do not stop a small list.
    pub failed_min_count: u32,
    /// `bounces fetch` (and `serve --dispatch` every
    /// `fetch_interval_secs`): the IMAP folder to read reports from,
    /// `imaps://USER:PASSWORD@HOST[:PORT]/FOLDER` or `imap://…` with
    /// STARTTLS required (user, password and folder percent-encoded; the
    /// folder defaults to INBOX). Empty: no fetching. A secret.
    pub imap_url: SecretString,
    /// Where `bounces fetch` moves the messages it has read (created when
    /// missing).
    pub imap_done_folder: String,
    /// A PEM file of CA certificates trusted for the IMAP server besides
    /// the web PKI roots (a private CA). Empty: none.
    pub imap_ca_file: PathBuf,
    /// How often `serve --dispatch` fetches, in seconds, when `imap_url`
    /// is set.
    pub fetch_interval_secs: u64,
}

impl Default for BouncesSettings {
    fn default() -> Self {
        Self {
            address: String::new(),
            soft_limit: 3,
            soft_window_days: 30,
            complaint_pause_rate: 0.003,
            complaint_min_sent: 1000,
            failed_pause_rate: 0.02,
            failed_min_count: 20,
            imap_url: SecretString::from(""),
            imap_done_folder: "postbode-done".into(),
            imap_ca_file: PathBuf::new(),
            fetch_interval_secs: 300,
        }
    }
}

impl BouncesSettings {
    /// The longest local part `address` may have: SMTP allows 64, and VERP
    /// adds `+` and a 36-character tag (`mail::verp`).
    pub const MAX_LOCAL_LEN: usize = 27;

    /// `address`, parsed; `None` when it is empty. The config loader has
    /// checked it, so a bad one here is treated as unset.
    pub fn address(&self) -> Option<crate::domain::EmailAddress> {
        let raw = self.address.trim();
        if raw.is_empty() {
            return None;
        }
        crate::domain::EmailAddress::parse(raw).ok()
    }

    /// `imap_url`, parsed; `None` when it is empty. The error never holds
    /// the URL (it has the password).
    pub fn imap(&self) -> Result<Option<super::ImapUrl>, String> {
        let raw = secrecy::ExposeSecret::expose_secret(&self.imap_url).trim();
        if raw.is_empty() {
            return Ok(None);
        }
        super::ImapUrl::parse(raw).map(Some)
    }

    /// `imap_ca_file`; `None` when it is empty.
    pub fn imap_ca_file(&self) -> Option<&std::path::Path> {
        Some(self.imap_ca_file.as_path()).filter(|p| !p.as_os_str().is_empty())
    }
}

/// `[webhooks]`: the signed provider webhooks of `serve` (docs/bounces.md,
/// "The ways in"). Each route answers 404 until its keys are set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksSettings {
    /// SNS topics whose notifications `POST /webhooks/ses` accepts
    /// (`arn:aws:sns:REGION:ACCOUNT:NAME`). Empty: the route is off.
    pub ses_topic_arns: StringList,
    /// Hosts (with `:PORT` where not the default) the SNS signing
    /// certificate and the subscription confirmation may come from, besides
    /// `sns.REGION.amazonaws.com[.cn]` over https: a private endpoint, or a
    /// test's server. A loopback host may use http.
    pub ses_cert_hosts: StringList,
    /// Mailgun's HTTP webhook signing key, for `POST /webhooks/mailgun`.
    /// Empty: the route is off.
    pub mailgun_signing_key: SecretString,
}

impl Default for WebhooksSettings {
    fn default() -> Self {
        Self {
            ses_topic_arns: StringList::default(),
            ses_cert_hosts: StringList::default(),
            mailgun_signing_key: SecretString::from(""),
        }
    }
}

impl WebhooksSettings {
    /// Checks the lists; returns the key at fault and why.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for arn in &self.ses_topic_arns.0 {
            let parts: Vec<&str> = arn.split(':').collect();
            let well_formed = parts.len() == 6
                && parts[0] == "arn"
                && parts[1].starts_with("aws")
                && parts[2] == "sns"
                && parts[3..].iter().all(|p| !p.is_empty());
            if !well_formed {
                return Err((
                    "webhooks.ses_topic_arns",
                    format!(
                        "{arn:?} is not a topic ARN like arn:aws:sns:eu-west-1:123456789012:bounces"
                    ),
                ));
            }
        }
        for host in &self.ses_cert_hosts.0 {
            let ok = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if !ok {
                return Err((
                    "webhooks.ses_cert_hosts",
                    format!(
                        "{host:?} is not a host name with an optional port, like sns.internal.example.org or 127.0.0.1:8125 (no scheme, no path)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A list of strings: a TOML array, or (for an environment override) one
/// string with the items separated by commas or spaces.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StringList(pub Vec<String>);

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        let items = match Raw::deserialize(d)? {
            Raw::One(s) => s.split([',', ' ', '\t', '\n']).map(str::to_owned).collect(),
            Raw::Many(v) => v,
        };
        Ok(StringList(
            items
                .into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
    /// A tracing filter like `info` or `postbode=debug,sqlx=warn`.
    /// `RUST_LOG` overrides it.
    pub filter: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".into(),
        }
    }
}
