//! The mail with a fresh one-click unsubscribe link, sent when someone asks
//! for it by address on the public pages (after a link that did not work,
//! or on `/unsubscribe`). Kind and short: what it is, the link, and that
//! nothing changes when they did not ask.
//!
//! The HTML part comes from `emails/system/unsubscribe.mjml`, the text part
//! is written here; headers and fallbacks as for every
//! [`system_mail`](super::system_mail).

use std::path::Path;

use super::system_mail::{self, SystemHeaders};
use super::{MailError, TokenKey};

/// The template, relative to the `emails/` folder.
pub const TEMPLATE: &str = "system/unsubscribe.mjml";

/// Everything one such mail needs.
#[derive(Debug, Clone, Copy)]
pub struct UnsubscribeLink<'a> {
    /// From, Reply-To, To, Message-ID, Date.
    pub headers: SystemHeaders<'a>,
    pub newsletter: &'a str,
    /// `{base_url}/u/{token}`: the link every issue carries.
    pub unsubscribe_url: &'a str,
    /// `en` for English; anything else gets Dutch (as the template does).
    pub language: &'a str,
}

impl UnsubscribeLink<'_> {
    fn english(&self) -> bool {
        self.language == "en"
    }

    /// The Subject header.
    pub fn subject(&self) -> String {
        if self.english() {
            format!("Unsubscribe from {}", self.newsletter)
        } else {
            format!("Afmelden voor {}", self.newsletter)
        }
    }

    /// The plain-text part.
    pub fn text(&self) -> String {
        let (n, url, email) = (
            self.newsletter,
            self.unsubscribe_url,
            self.headers.to.as_str(),
        );
        if self.english() {
            format!(
                "{n}\n\nUnsubscribe\n\n\
                 Someone, hopefully you, asked for a link to unsubscribe {email} from {n}. \
                 Open this link and click the button:\n{url}\n\n\
                 Didn't ask for this? Then you need not do anything: nothing changes.\n"
            )
        } else {
            format!(
                "{n}\n\nAfmelden\n\n\
                 Iemand, hopelijk jij, vroeg om een link om {email} af te melden voor {n}. \
                 Open deze link en klik op de knop:\n{url}\n\n\
                 Heb je hier niet om gevraagd? Dan hoef je niets te doen: er verandert niets.\n"
            )
        }
    }

    /// The HTML part from `emails/system/unsubscribe.mjml`; the error says
    /// what went wrong (for the log).
    pub fn html(&self, emails: &Path) -> Result<String, String> {
        system_mail::render_html(
            emails,
            TEMPLATE,
            serde_json::json!({
                "newsletter": { "name": self.newsletter },
                "unsubscribe_url": self.unsubscribe_url,
                "subscriber": { "email": self.headers.to.as_str() },
                "language": self.language,
            }),
        )
    }
}

/// The Message-ID: a MAC of `unsubscribe-link-{issued}` and the subscriber
/// (see [`super::message_id`]).
pub fn unsubscribe_link_message_id(
    key: &TokenKey,
    subscriber_id: i64,
    issued_at_unix: i64,
    domain: &str,
) -> String {
    super::message_id(
        key,
        &format!("unsubscribe-link-{issued_at_unix}"),
        subscriber_id,
        domain,
    )
}

/// The message, with `html` as its HTML part (see [`system_mail::build`]).
pub fn build(u: &UnsubscribeLink<'_>, html: Option<&str>) -> Result<Vec<u8>, MailError> {
    system_mail::build(&u.headers, &u.subject(), &u.text(), html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EmailAddress, Mailbox};

    fn test_key() -> TokenKey {
        parsed(TokenKey::new("0123456789abcdef-test-key"))
    }

    fn parsed<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("test input rejected: {e}"))
    }

    #[test]
    fn the_mail_has_the_link_in_both_parts_and_no_list_headers() {
        let from = parsed(Mailbox::parse("Redactie <redactie@example.org>"));
        let to = parsed(EmailAddress::parse("zoe@example.nl"));
        let emails = Path::new(env!("CARGO_MANIFEST_DIR")).join("emails");
        for (language, subject, lead) in [
            ("nl", "Afmelden voor Publiek", "vroeg om een link"),
            ("en", "Unsubscribe from Publiek", "asked for a link"),
        ] {
            let message_id =
                unsubscribe_link_message_id(&test_key(), 7, 1_790_000_000, "example.org");
            let u = UnsubscribeLink {
                headers: SystemHeaders {
                    from: &from,
                    reply_to: &from,
                    to: &to,
                    to_name: None,
                    message_id: &message_id,
                    date: jiff::Timestamp::from_second(1_790_000_000).unwrap_or_default(),
                },
                newsletter: "Publiek",
                unsubscribe_url: "https://n.example.org/u/abc_DEF",
                language,
            };
            assert!(u.text().contains("https://n.example.org/u/abc_DEF"));
            assert!(u.text().contains(lead), "{}", u.text());
            let html = parsed(u.html(&emails));
            assert!(html.contains("u&#x2f;abc_DEF"), "{html}");
            let raw = String::from_utf8(parsed(build(&u, Some(&html)))).unwrap_or_default();
            assert!(raw.contains(&format!("Subject: {subject}")), "{raw}");
            assert!(raw.contains(&format!(
                "Message-ID: {}",
                unsubscribe_link_message_id(&test_key(), 7, 1_790_000_000, "example.org")
            )));
            assert!(raw.contains("multipart/alternative"));
            assert!(!raw.contains("List-Unsubscribe"));
        }
    }
}
