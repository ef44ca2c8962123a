//! Which settings hold secrets, in one place: config errors never show
//! their values ([`super::toml_error`]), and [`super::redact_secrets`] hides
//! URL parameters named like them. When you add a setting that holds a
//! password, key or token, make sure [`is_secret_setting`] says so: add it
//! to [`SECRET_SETTINGS`] unless its name already ends in a secret word.

/// Settings, by full name (`section.key`), whose values are secret
/// although their names do not say so: URLs that may carry a password.
pub const SECRET_SETTINGS: &[&str] = &[
    "smtp.url",
    "database.url",
    "bounces.imap_url",
    "dkim.private_key",
];

/// A name (a setting's last part or a URL parameter) ending in one of
/// these `_`-separated words names a secret: `token_key`, `metrics_token`,
/// `signing_secret`, `api_key`. `private_key_file` does not: it names
/// where a secret lives.
const SECRET_WORDS: &[&str] = &["key", "token", "secret", "pwd", "apikey", "credentials"];

/// True when `full` (`section.key`, or a bare key) holds a secret.
pub fn is_secret_setting(full: &str) -> bool {
    let full = full.trim().to_ascii_lowercase();
    let name = full.rsplit('.').next().unwrap_or(&full);
    SECRET_SETTINGS.contains(&full.as_str()) || is_secret_name(name)
}

/// True when a setting or parameter called `name` holds a secret: its last
/// word is a secret word, or it mentions a password (`password`, `pass`,
/// `passwd`, `sslpassword`, `passphrase`).
pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let last = name.rsplit(['_', '-']).next().unwrap_or(&name);
    last.contains("pass") || SECRET_WORDS.contains(&last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_passwords_tokens_and_urls_with_credentials_are_secret() {
        for secret in [
            "secrets.token_key",
            "secrets.previous_token_key",
            "secrets.suppression_key",
            "smtp.url",
            "database.url",
            "bounces.imap_url",
            "dkim.private_key",
            "server.metrics_token",
            "webhooks.signing_secret",
            "smtp.password",
            "token_key",
            "SMTP.URL",
        ] {
            assert!(is_secret_setting(secret), "{secret}");
        }
        for name in [
            "password",
            "pass",
            "sslpassword",
            "passwd",
            "pwd",
            "api_key",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn settings_that_only_name_a_secret_are_not_secret() {
        for plain in [
            "dkim.private_key_file",
            "secrets.previous_token_key_until",
            "newsletter.base_url",
            "smtp.starttls",
            "smtp.allow_plaintext_auth",
            "sending.rate_per_second",
            "newsletter.list_id",
            "bounces.complaint_pause_rate",
        ] {
            assert!(!is_secret_setting(plain), "{plain}");
        }
        for name in ["sslmode", "user", "host", "dbname"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
