//! [`redact_secrets`]: the one function that hides passwords in text about
//! to be shown (an error, a log line, a `Debug` of a URL).

use super::secret_keys::is_secret_name;

/// What replaces a hidden value.
const HIDDEN: &str = "***";

/// Hides, anywhere in `text`:
///
/// * the user info of every URL: `postgres://app:pw@db/x` becomes
///   `postgres://***@db/x`. As `smtp.url` allows, the password may hold
///   `@`, `/` and `?`: the user info ends at the URL's last `@`. A URL ends
///   at white space or a quote, so a password with a space must be written
///   `%20`;
/// * the value of every `NAME=VALUE` whose name is a secret's
///   ([`is_secret_name`]): `?password=`, `&sslpassword=`, `pass=`,
///   `token=`. The value ends at `&`, `;`, `,`, `#`, a quote or white space.
pub fn redact_secrets(text: &str) -> String {
    hide_parameters(&hide_user_info(text))
}

/// Characters that end a URL in running text.
fn ends_url(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>')
}

fn hide_user_info(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let end = after.find(ends_url).unwrap_or(after.len());
        let (url, tail) = after.split_at(end);
        match url.rfind('@') {
            Some(user_info_end) => {
                out.push_str(HIDDEN);
                out.push_str(&url[user_info_end..]);
            }
            None => out.push_str(url),
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

fn hide_parameters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(eq) = rest.find('=') {
        let (before, after) = rest.split_at(eq);
        out.push_str(before);
        out.push('=');
        let after = &after[1..];
        let name_start = before
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let name = &before[name_start..];
        if !name.is_empty() && is_secret_name(name) {
            let end = after
                .find(|c: char| ends_url(c) || matches!(c, '&' | ';' | ',' | '#'))
                .unwrap_or(after.len());
            if end > 0 {
                out.push_str(HIDDEN);
            }
            rest = &after[end..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_info_of_a_url_is_hidden_wherever_it_stands() {
        assert_eq!(
            redact_secrets("smtps://user:hunter2@mail.example.org:465"),
            "smtps://***@mail.example.org:465"
        );
        assert_eq!(
            redact_secrets("cannot connect to postgres://app:p@ss/w?rd@db:5432/x: refused"),
            "cannot connect to postgres://***@db:5432/x: refused"
        );
        assert_eq!(
            redact_secrets("url = \"smtp://u:pw@h\" and \"postgres://db/x\""),
            "url = \"smtp://***@h\" and \"postgres://db/x\""
        );
        assert_eq!(redact_secrets("postgres://u@h/x"), "postgres://***@h/x");
    }

    #[test]
    fn password_parameters_are_hidden_and_others_kept() {
        assert_eq!(
            redact_secrets("postgres://h:1/x?sslmode=disable&password=S2&pass=S3"),
            "postgres://h:1/x?sslmode=disable&password=***&pass=***"
        );
        assert_eq!(
            redact_secrets("postgres://u:S1@h/x?sslpassword=S4#frag"),
            "postgres://***@h/x?sslpassword=***#frag"
        );
        assert_eq!(
            redact_secrets("host=db password=S5 user=app"),
            "host=db password=*** user=app"
        );
        assert_eq!(
            redact_secrets("https://x/?token=T1&lang=nl"),
            "https://x/?token=***&lang=nl"
        );
        assert_eq!(redact_secrets("a == b, password="), "a == b, password=");
    }

    #[test]
    fn text_without_secrets_is_unchanged() {
        for text in [
            "",
            "TOML parse error at line 3, column 19\n  |\n3 | rate_per_second = fast\n",
            "smtp://127.0.0.1:2525",
            "sqlite://postbode.db?mode=rwc",
            "a=b=c",
            "émoji ✉ = ü",
            "✉=ü&é=password",
        ] {
            assert_eq!(redact_secrets(text), text);
        }
    }

    #[test]
    fn nothing_of_a_secret_survives_whatever_surrounds_it() {
        for url in [
            "postgres://u:SECRET@127.0.0.1:1/x?password=SECRET",
            "postgres://u@127.0.0.1:1/x?sslmode=disable&password=SECRET",
            "postgresql://h/x?user=u&pass=SECRET&sslpassword=SECRET",
            "smtps://user:SECRET@mail.example.org",
        ] {
            for text in [
                url.to_owned(),
                format!("at {url}: refused"),
                format!("\"{url}\""),
                format!("({url})"),
            ] {
                assert!(
                    !redact_secrets(&text).contains("SECRET"),
                    "{text}: {}",
                    redact_secrets(&text)
                );
            }
        }
    }
}
