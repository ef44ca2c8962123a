//! Configuration: `postbode.toml`, then `POSTBODE_<SECTION>__<KEY>`
//! environment overrides, parsed into [`Settings`] once at start.
//!
//! Which file: `--config FILE`, else `POSTBODE_CONFIG`, else `./postbode.toml`
//! when it exists, else the built-in defaults (the same as
//! `config.example.toml`). Relative paths in the file are resolved against
//! the file's folder, so a cron job works whatever its working directory.
//!
//! Every error names the key; errors in the file also give its line. No
//! error shows a secret's value (`secret_keys.rs` says which settings are
//! secrets; `redact.rs` hides URL passwords).

mod check;
mod imap_url;
mod real_mail;
mod redact;
mod secret_keys;
mod sections;
#[cfg(test)]
mod server_tests;
mod toml_error;
mod values;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub use imap_url::{ImapSecurity, ImapUrl};
pub use redact::redact_secrets;
pub use secret_keys::is_secret_setting;
pub use sections::{
    BouncesSettings, DatabaseSettings, DkimSettings, LogSettings, NewsletterSettings,
    SecretsSettings, SendingSettings, ServerSettings, Settings, SmtpSettings, StringList,
    SubscribersSettings, WebhooksSettings,
};
pub use values::{BaseUrl, DatabaseUrl, LogFormat, MetricsToken, SmtpUrl, TimeZoneName};

use crate::domain::Mailbox;
use crate::error::{Error, Result};

/// The documented example; it is also the schema the environment overrides
/// are checked and typed against.
pub const EXAMPLE: &str = include_str!("../../config.example.toml");

/// Name of the file looked for in the working directory.
pub const DEFAULT_FILE: &str = "postbode.toml";

/// Settings and where they came from.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    /// The file read, if any (`None`: built-in defaults).
    pub file: Option<PathBuf>,
}

/// Finds the config file and reads it with the process environment.
pub fn load(explicit: Option<&Path>) -> Result<Loaded> {
    let env = postbode_env()?;
    let file = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => match env.get("POSTBODE_CONFIG") {
            Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
            _ => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.exists()),
        },
    };
    let settings = load_from(file.as_deref(), &env)?;
    Ok(Loaded { settings, file })
}

/// The `POSTBODE_*` variables of this process. A non-UTF-8 value is an
/// error rather than silently ignored.
fn postbode_env() -> Result<BTreeMap<String, String>> {
    let mut env = BTreeMap::new();
    for (key, value) in std::env::vars_os() {
        let Some(key) = key.to_str().filter(|k| k.starts_with("POSTBODE_")) else {
            continue;
        };
        let value = value.into_string().map_err(|_: OsString| {
            Error::Config(format!(
                "environment variable {key}: the value is not valid UTF-8"
            ))
        })?;
        env.insert(key.to_owned(), value);
    }
    Ok(env)
}

/// Reads settings from `file` (or the defaults) and applies the
/// `POSTBODE_<SECTION>__<KEY>` entries of `env`.
pub fn load_from(file: Option<&Path>, env: &BTreeMap<String, String>) -> Result<Settings> {
    let (text, origin) = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::Config(format!("cannot read config file {}: {e}", path.display()))
            })?;
            (text, path.display().to_string())
        }
        None => (String::new(), "the built-in defaults".to_owned()),
    };
    let mut settings: Settings = toml::from_str(&text)
        .map_err(|e| Error::Config(format!("in {origin}: {}", toml_error::describe(&text, &e))))?;

    let overrides = env_overrides(env)?;
    if !overrides.is_empty() {
        settings = apply_overrides(&text, &origin, &overrides)?;
    }

    let dir = file
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    settings.database.url.resolve_relative_to(&dir);
    if settings.smtp.outbox.is_relative() {
        settings.smtp.outbox = dir.join(&settings.smtp.outbox);
    }
    if settings.dkim.enabled() && settings.dkim.private_key_file.is_relative() {
        settings.dkim.private_key_file = dir.join(&settings.dkim.private_key_file);
    }
    if settings
        .bounces
        .imap_ca_file()
        .is_some_and(Path::is_relative)
    {
        settings.bounces.imap_ca_file = dir.join(&settings.bounces.imap_ca_file);
    }

    check::check(&settings).map_err(|(key, reason)| {
        let place = overrides.iter().find(|o| o.key() == key).map_or_else(
            || origin.clone(),
            |o| format!("environment variable {}", o.var),
        );
        Error::Config(format!("setting {key} (in {place}): {reason}"))
    })?;
    Ok(settings)
}

/// One `POSTBODE_<SECTION>__<KEY>=VALUE` variable.
struct Override {
    var: String,
    section: String,
    name: String,
    value: toml::Value,
}

impl Override {
    fn key(&self) -> String {
        format!("{}.{}", self.section, self.name)
    }
}

/// Picks the overrides out of the environment, checks they name a real
/// setting, and types their values like the example file's.
fn env_overrides(env: &BTreeMap<String, String>) -> Result<Vec<Override>> {
    let schema: toml::Table = toml::from_str(EXAMPLE)
        .map_err(|e| Error::Config(format!("the built-in config.example.toml is broken: {e}")))?;
    let mut out = Vec::new();
    for (var, raw) in env {
        let Some((section, name)) = var
            .strip_prefix("POSTBODE_")
            .and_then(|rest| rest.split_once("__"))
        else {
            continue;
        };
        let (section, name) = (section.to_ascii_lowercase(), name.to_ascii_lowercase());
        let expected = schema
            .get(&section)
            .and_then(toml::Value::as_table)
            .and_then(|t| t.get(&name))
            .ok_or_else(|| {
                Error::Config(format!(
                    "environment variable {var}: there is no setting {section}.{name} \
                     (see config.example.toml for every setting)"
                ))
            })?;
        let value = typed_like(expected, raw).ok_or_else(|| {
            Error::Config(format!(
                "environment variable {var}: expected {}",
                describe(expected)
            ))
        })?;
        out.push(Override {
            var: var.clone(),
            section,
            name,
            value,
        });
    }
    Ok(out)
}

fn typed_like(expected: &toml::Value, raw: &str) -> Option<toml::Value> {
    let raw = raw.trim();
    match expected {
        toml::Value::Integer(_) | toml::Value::Float(_) => raw
            .parse::<i64>()
            .map(toml::Value::Integer)
            .ok()
            .or_else(|| raw.parse::<f64>().ok().map(toml::Value::Float)),
        toml::Value::Boolean(_) => match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(toml::Value::Boolean(true)),
            "false" | "0" | "no" => Some(toml::Value::Boolean(false)),
            _ => None,
        },
        _ => Some(toml::Value::String(raw.to_owned())),
    }
}

fn describe(expected: &toml::Value) -> &'static str {
    match expected {
        toml::Value::Integer(_) | toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "true or false",
        _ => "a string",
    }
}

/// Merges the overrides into the file's table one at a time, so an error
/// names the variable that caused it. Values are never echoed: they may be
/// passwords.
fn apply_overrides(text: &str, origin: &str, overrides: &[Override]) -> Result<Settings> {
    let mut table: toml::Table = toml::from_str(text)
        .map_err(|e| Error::Config(format!("in {origin}: {}", toml_error::describe(text, &e))))?;
    let mut settings = None;
    for o in overrides {
        let section = table
            .entry(o.section.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(section) = section {
            section.insert(o.name.clone(), o.value.clone());
        }
        settings = Some(
            toml::Value::Table(table.clone())
                .try_into::<Settings>()
                .map_err(|e| {
                    Error::Config(format!(
                        "environment variable {}: {}",
                        o.var,
                        redact_secrets(e.message())
                    ))
                })?,
        );
    }
    settings.ok_or_else(|| Error::Config("no overrides to apply".into()))
}

impl Settings {
    /// Reply-To: the configured one, else the sender.
    pub fn reply_to(&self) -> Mailbox {
        Mailbox::parse(&self.newsletter.reply_to).unwrap_or_else(|_| self.newsletter.from.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn load_text(text: &str, vars: &[(&str, &str)]) -> Result<Settings> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("postbode.toml");
        std::fs::write(&path, text).expect("write config");
        load_from(Some(&path), &env(vars))
    }

    #[test]
    fn the_example_file_holds_exactly_the_defaults() {
        let example: Settings = toml::from_str(EXAMPLE).expect("example parses");
        assert_eq!(format!("{example:?}"), format!("{:?}", Settings::default()));
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let err =
            load_text("[sending]\nrate_per_second = 5\nspeed = 3\n", &[]).expect_err("unknown key");
        let msg = err.to_string();
        assert!(msg.contains("speed") && msg.contains("line 3"), "{msg}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn a_bad_value_is_named_with_its_line() {
        let err = load_text(
            "[newsletter]\nname = \"X\"\nfrom = \"not an address\"\n",
            &[],
        )
        .expect_err("bad from");
        let msg = err.to_string();
        assert!(msg.contains("line 3") && msg.contains("from"), "{msg}");
    }

    #[test]
    fn environment_variables_override_the_file() {
        let s = load_text(
            "[sending]\nrate_per_second = 5\n",
            &[
                ("POSTBODE_SENDING__RATE_PER_SECOND", "12.5"),
                ("POSTBODE_SMTP__URL", "smtp://localhost:2525"),
            ],
        )
        .expect("valid");
        assert_eq!(s.sending.rate_per_second, 12.5);
        assert_eq!(s.smtp.url.expose(), Some("smtp://localhost:2525"));
    }

    #[test]
    fn an_unknown_environment_setting_is_named() {
        let err = load_text("", &[("POSTBODE_SENDING__SPEED", "3")]).expect_err("unknown");
        assert!(err.to_string().contains("POSTBODE_SENDING__SPEED"), "{err}");
    }

    #[test]
    fn a_bad_environment_value_names_the_variable() {
        let err = load_text("", &[("POSTBODE_SENDING__CONCURRENCY", "many")]).expect_err("bad");
        assert!(
            err.to_string().contains("POSTBODE_SENDING__CONCURRENCY"),
            "{err}"
        );
        let err = load_text("", &[("POSTBODE_NEWSLETTER__FROM", "nobody")]).expect_err("bad");
        assert!(
            err.to_string().contains("POSTBODE_NEWSLETTER__FROM"),
            "{err}"
        );
    }

    #[test]
    fn a_semantic_error_names_the_key_and_where_it_was_set() {
        let err = load_text("[sending]\nrate_per_second = 0\n", &[]).expect_err("zero rate");
        assert!(err.to_string().contains("sending.rate_per_second"), "{err}");
        let err =
            load_text("", &[("POSTBODE_SENDING__RATE_PER_SECOND", "-1")]).expect_err("negative");
        assert!(
            err.to_string()
                .contains("POSTBODE_SENDING__RATE_PER_SECOND"),
            "{err}"
        );
    }

    #[test]
    fn page_languages_are_nl_or_en_and_hold_the_newsletters_language() {
        let one = load_text("[newsletter]\nlanguages = [\"nl\"]\n", &[]).expect("valid");
        assert_eq!(one.newsletter.languages.len(), 1);
        for (text, says) in [
            ("languages = [\"de\"]", "not de"),
            ("languages = []", "at least one"),
            (
                "language = \"en\"\nlanguages = [\"nl\"]",
                "newsletter.language (en)",
            ),
        ] {
            let err = load_text(&format!("[newsletter]\n{text}\n"), &[]).expect_err(text);
            let msg = err.to_string();
            assert!(
                msg.contains("newsletter.languages") && msg.contains(says),
                "{msg}"
            );
        }
    }

    #[test]
    fn a_bad_rotation_deadline_names_the_key() {
        let err = load_text(
            "[secrets]\nprevious_token_key_until = \"next tuesday\"\n",
            &[],
        )
        .expect_err("bad time");
        let msg = err.to_string();
        assert!(
            msg.contains("secrets.previous_token_key_until") && msg.contains("RFC 3339"),
            "{msg}"
        );
        assert_eq!(err.exit_code(), 2);
        let err = load_text(
            "",
            &[("POSTBODE_SECRETS__PREVIOUS_TOKEN_KEY_UNTIL", "2027-13-01")],
        )
        .expect_err("bad time");
        assert!(
            err.to_string()
                .contains("POSTBODE_SECRETS__PREVIOUS_TOKEN_KEY_UNTIL"),
            "{err}"
        );
        let s = load_text(
            "[secrets]\nprevious_token_key_until = \"2027-01-31T00:00:00+01:00\"\n",
            &[],
        )
        .expect("valid");
        assert_eq!(
            s.secrets.previous_token_key_until(),
            Ok(Some("2027-01-30T23:00:00Z".parse().expect("time")))
        );
    }

    #[test]
    fn the_complaint_pause_rate_is_a_fraction_and_defaults_to_gmails_line() {
        let s = load_text("", &[]).expect("valid");
        assert_eq!(s.bounces.complaint_pause_rate, 0.003);
        assert_eq!(s.bounces.complaint_min_sent, 1000);
        for bad in ["0", "-0.1", "1.5", "nan"] {
            let err = load_text(&format!("[bounces]\ncomplaint_pause_rate = {bad}\n"), &[])
                .expect_err(bad);
            assert!(
                err.to_string().contains("bounces.complaint_pause_rate"),
                "{bad}: {err}"
            );
        }
        let s = load_text("[bounces]\ncomplaint_pause_rate = 0.001\n", &[]).expect("valid");
        assert_eq!(s.bounces.complaint_pause_rate, 0.001);
    }

    #[test]
    fn the_failed_pause_rate_is_a_fraction_and_the_failed_min_count_positive() {
        let s = load_text("", &[]).expect("valid");
        assert_eq!(s.bounces.failed_pause_rate, 0.02);
        assert_eq!(s.bounces.failed_min_count, 20);
        for (bad, key) in [
            ("failed_pause_rate = 0", "bounces.failed_pause_rate"),
            ("failed_pause_rate = -0.1", "bounces.failed_pause_rate"),
            ("failed_pause_rate = 1.5", "bounces.failed_pause_rate"),
            ("failed_pause_rate = nan", "bounces.failed_pause_rate"),
            ("failed_min_count = 0", "bounces.failed_min_count"),
        ] {
            let err = load_text(&format!("[bounces]\n{bad}\n"), &[]).expect_err(bad);
            assert!(err.to_string().contains(key), "{bad}: {err}");
        }
        let s = load_text(
            "[bounces]\nfailed_pause_rate = 0.05\nfailed_min_count = 5\n",
            &[],
        )
        .expect("valid");
        assert_eq!(s.bounces.failed_pause_rate, 0.05);
        assert_eq!(s.bounces.failed_min_count, 5);
    }

    #[test]
    fn the_imap_keys_are_checked_and_an_error_never_shows_the_password() {
        let s = load_text("", &[]).expect("valid");
        assert!(s.bounces.imap().expect("empty is fine").is_none());
        assert_eq!(s.bounces.imap_done_folder, "postbode-done");
        assert_eq!(s.bounces.fetch_interval_secs, 300);
        assert_eq!(s.bounces.imap_ca_file(), None);
        let s = load_text(
            "[bounces]\nimap_url = \"imaps://u:hunter2@mail.example.org/Bounces\"\n\
             imap_ca_file = \"ca.pem\"\n",
            &[],
        )
        .expect("valid");
        let url = s.bounces.imap().expect("valid").expect("set");
        assert_eq!(
            (url.folder.as_str(), url.password()),
            ("Bounces", "hunter2")
        );
        assert!(s.bounces.imap_ca_file().expect("set").is_absolute());
        assert!(!format!("{s:?}").contains("hunter2"));
        for (bad, key) in [
            (
                "imap_url = \"http://u:hunter2@mail.example.org\"",
                "bounces.imap_url",
            ),
            (
                "imap_url = \"imaps://u:hunter2@mail.example.org:0\"",
                "bounces.imap_url",
            ),
            (
                "imap_url = \"imaps://mail.example.org\"",
                "bounces.imap_url",
            ),
            ("imap_done_folder = \"\"", "bounces.imap_done_folder"),
            ("imap_done_folder = \"done*\"", "bounces.imap_done_folder"),
            (
                "imap_url = \"imaps://u:hunter2@h/done\"\nimap_done_folder = \"done\"",
                "bounces.imap_done_folder",
            ),
            ("fetch_interval_secs = 0", "bounces.fetch_interval_secs"),
        ] {
            let err = load_text(&format!("[bounces]\n{bad}\n"), &[]).expect_err(bad);
            let msg = err.to_string();
            assert!(msg.contains(key), "{bad}: {msg}");
            assert!(!msg.contains("hunter2"), "{bad}: {msg}");
        }
        let err = load_text(
            "",
            &[("POSTBODE_BOUNCES__IMAP_URL", "imaps://u:hunter2@h:99999")],
        )
        .expect_err("bad port");
        assert!(
            err.to_string().contains("POSTBODE_BOUNCES__IMAP_URL"),
            "{err}"
        );
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn a_bounce_address_is_parsed_and_one_without_room_for_a_tag_is_named() {
        let s = load_text("[bounces]\naddress = \"Bounces@Example.ORG\"\n", &[]).expect("valid");
        let address = s.bounces.address().expect("set");
        assert_eq!(address.as_str(), "Bounces@example.org");
        assert!(
            load_text("", &[])
                .expect("valid")
                .bounces
                .address()
                .is_none()
        );
        let s = load_text("", &[("POSTBODE_BOUNCES__ADDRESS", "b@example.org")]).expect("valid");
        assert_eq!(
            s.bounces.address().map(|a| a.as_str().to_owned()),
            Some("b@example.org".into())
        );

        let long = format!("[bounces]\naddress = \"{}@example.org\"\n", "b".repeat(28));
        let err = load_text(&long, &[]).expect_err("no room for the tag");
        assert!(
            err.to_string().contains("bounces.address") && err.to_string().contains("27"),
            "{err}"
        );
        let fits = format!("[bounces]\naddress = \"{}@example.org\"\n", "b".repeat(27));
        assert!(load_text(&fits, &[]).is_ok());
        let err = load_text("[bounces]\naddress = \"bounces\"\n", &[]).expect_err("no domain");
        assert!(err.to_string().contains("bounces.address"), "{err}");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = load_text(
            "[secrets]\ntoken_key = \"sekrit-token-key-0123456789abcdef\"\nprevious_token_key = \"oldsekrit-key-0123456789abcdef\"\n[smtp]\nurl = \"smtps://u:hunter2@mail.example.org:465\"\n",
            &[],
        )
        .expect("valid");
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("sekrit"),
            "{debug}"
        );
        assert!(!debug.contains("oldsekrit"), "{debug}");
    }

    #[test]
    fn relative_paths_are_resolved_against_the_config_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("postbode.toml");
        std::fs::write(&path, "[database]\nurl = \"sqlite://data/p.db\"\n").expect("write");
        let s = load_from(Some(&path), &BTreeMap::new()).expect("valid");
        match s.database.url {
            DatabaseUrl::Sqlite(p) => assert_eq!(p, dir.path().join("data/p.db")),
            DatabaseUrl::Postgres(_) => panic!("expected sqlite"),
        }
    }
}
