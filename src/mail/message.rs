//! One recipient's message as raw RFC 5322 bytes, ready to sign and send.
//!
//! lettre's builder writes the standard headers (with RFC 2047 for non-ASCII
//! names and subjects) and the MIME parts. postbode adds the list headers
//! mailbox providers look for: List-Id (RFC 2919), List-Unsubscribe
//! (RFC 2369) with List-Unsubscribe-Post for one-click unsubscribe
//! (RFC 8058), List-Archive and Gmail's Feedback-ID.
//!
//! This runs once per recipient, so it does no I/O and no parsing beyond
//! lettre's address check.

use std::time::SystemTime;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox as LettreMailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

use super::MailError;
use super::header_text::{
    check_feedback_id, check_list_id, check_message_id, check_text, check_url, list_id_value,
};
use crate::domain::{EmailAddress, Mailbox, SubscriberName};

/// Everything that differs between two messages. Borrowed, so the
/// dispatcher can keep the issue-wide parts in one place and fill in the
/// per-recipient ones without copying.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub from: &'a Mailbox,
    pub reply_to: &'a Mailbox,
    pub to: &'a EmailAddress,
    pub to_name: Option<&'a SubscriberName>,
    pub subject: &'a str,
    /// With angle brackets, from [`super::message_id`]. Used exactly as
    /// given, so a re-sent message is recognisably the same message.
    pub message_id: &'a str,
    pub date: jiff::Timestamp,
    /// RFC 2919 id like `nieuwsbrief.example.org` (`newsletter.list_id`).
    pub list_id: &'a str,
    /// The List-Id phrase, usually the newsletter's name.
    pub list_name: &'a str,
    /// `https://BASE/u/TOKEN`: the one-click unsubscribe endpoint.
    pub unsubscribe_url: &'a str,
    /// `https://BASE/archive`.
    pub archive_url: &'a str,
    /// Gmail's Feedback-ID, like `{slug}:{list}:postbode`.
    pub feedback_id: &'a str,
    pub html: &'a str,
    pub text: &'a str,
}

const LIST_ID: HeaderName = HeaderName::new_from_ascii_str("List-Id");
pub(super) const LIST_UNSUBSCRIBE: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe");
const LIST_UNSUBSCRIBE_POST: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe-Post");
const LIST_ARCHIVE: HeaderName = HeaderName::new_from_ascii_str("List-Archive");
const FEEDBACK_ID: HeaderName = HeaderName::new_from_ascii_str("Feedback-ID");

/// Builds the message: From, Reply-To, To, Subject, Date, Message-ID, the
/// list headers, MIME-Version and a multipart/alternative body with the
/// text part first and the HTML part second (clients show the last part
/// they understand), both UTF-8.
///
/// Fails, naming the header, when a value holds a line break or another
/// character that could change the message's structure.
pub fn build(msg: &Outgoing<'_>) -> Result<Vec<u8>, MailError> {
    build_with_boundary(msg, None)
}

/// [`build`] with the multipart boundary given (`None`: a random one, as
/// lettre makes it). A compiled issue uses one boundary for all its
/// messages (`mail::compiled`), and its tests build with it to compare.
pub(crate) fn build_with_boundary(
    msg: &Outgoing<'_>,
    boundary: Option<&str>,
) -> Result<Vec<u8>, MailError> {
    check_text("Subject", msg.subject)?;
    check_text("List-Id", msg.list_name)?;
    check_list_id(msg.list_id)?;
    check_message_id(msg.message_id)?;
    check_url("List-Unsubscribe", msg.unsubscribe_url)?;
    check_url("List-Archive", msg.archive_url)?;
    check_feedback_id(msg.feedback_id)?;
    // lettre's date formatting (httpdate) panics before 1970; jiff already
    // stops at year 9999, the other end of what it can write.
    if msg.date < jiff::Timestamp::UNIX_EPOCH {
        return Err(MailError::Header {
            header: "Date",
            reason: format!("{} is before 1970; check the system clock", msg.date),
        });
    }

    let (list_id_raw, list_id_encoded) = list_id_value(msg.list_name, msg.list_id);
    let message = Message::builder()
        .from(mailbox("From", msg.from.name.as_ref(), &msg.from.address)?)
        .reply_to(mailbox(
            "Reply-To",
            msg.reply_to.name.as_ref(),
            &msg.reply_to.address,
        )?)
        .to(mailbox("To", msg.to_name, msg.to)?)
        .subject(msg.subject)
        .date(SystemTime::from(msg.date))
        .message_id(Some(msg.message_id.to_owned()))
        .raw_header(HeaderValue::dangerous_new_pre_encoded(
            LIST_ID,
            list_id_raw,
            list_id_encoded,
        ))
        .raw_header(HeaderValue::new(
            LIST_UNSUBSCRIBE,
            format!("<{}>", msg.unsubscribe_url),
        ))
        .raw_header(HeaderValue::new(
            LIST_UNSUBSCRIBE_POST,
            "List-Unsubscribe=One-Click".to_owned(),
        ))
        .raw_header(HeaderValue::new(
            LIST_ARCHIVE,
            format!("<{}>", msg.archive_url),
        ))
        .raw_header(HeaderValue::new(FEEDBACK_ID, msg.feedback_id.to_owned()))
        .multipart(alternative(
            crlf_line_ends(msg.text),
            crlf_line_ends(msg.html),
            boundary,
        ))?;
    Ok(message.formatted())
}

/// lettre's `MultiPart::alternative_plain_html`, with the boundary given.
fn alternative(text: String, html: String, boundary: Option<&str>) -> MultiPart {
    let builder = MultiPart::alternative();
    let builder = match boundary {
        Some(b) => builder.boundary(b),
        None => builder,
    };
    builder
        .singlepart(SinglePart::plain(text))
        .singlepart(SinglePart::html(html))
}

/// `text` with every line end (LF, CR or CRLF) written as CRLF.
///
/// lettre would convert LF itself, but it inserts each CR into the string
/// in place, which is quadratic: for a 60 kB body that one step took most
/// of the time `build` needs. A lone CR is turned into a line end too, so
/// that no bare CR reaches the DKIM signer (which refuses it) in a 7bit part.
pub(crate) fn crlf_line_ends(text: &str) -> String {
    if !text.contains('\r') {
        // The usual case; both searches here are memchr-fast.
        return text.replace('\n', "\r\n");
    }
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut rest = text;
    while let Some(i) = rest.find(['\r', '\n']) {
        out.push_str(&rest[..i]);
        out.push_str("\r\n");
        let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[i + skip..];
    }
    out.push_str(rest);
    out
}

/// A lettre mailbox from postbode's parsed types. The address was validated
/// by `EmailAddress::parse`; lettre checks it once more, and a disagreement
/// is reported rather than papered over.
pub(super) fn mailbox(
    header: &'static str,
    name: Option<&SubscriberName>,
    address: &EmailAddress,
) -> Result<LettreMailbox, MailError> {
    let address = Address::new(address.local_part(), address.domain())
        .map_err(|source| MailError::Address { header, source })?;
    Ok(LettreMailbox::new(
        name.map(|n| n.as_str().to_owned()),
        address,
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn parsed<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("test input rejected: {e}"))
    }

    pub(crate) struct Fixture {
        from: Mailbox,
        reply_to: Mailbox,
        to: EmailAddress,
        to_name: SubscriberName,
    }

    pub(crate) fn fixture() -> Fixture {
        Fixture {
            from: parsed(Mailbox::parse("Redactie Één <redactie@example.org>")),
            reply_to: parsed(Mailbox::parse("Jan <jan@example.org>")),
            to: parsed(EmailAddress::parse("zoe@example.nl")),
            to_name: parsed(SubscriberName::parse("Zoë d'Ancona")),
        }
    }

    pub(crate) fn outgoing(f: &Fixture) -> Outgoing<'_> {
        Outgoing {
            from: &f.from,
            reply_to: &f.reply_to,
            to: &f.to,
            to_name: Some(&f.to_name),
            subject: "Voorbij de pilot — één stap verder ✓",
            message_id: "<pb.2026-10-voorbij-de-pilot.42@example.org>",
            date: jiff::Timestamp::from_second(1_790_000_000).unwrap_or_default(),
            list_id: "nieuwsbrief.example.org",
            list_name: "Inspiratie-nieuwsbrief",
            unsubscribe_url: "https://nieuws.example.org/u/abcDEF123_-",
            archive_url: "https://nieuws.example.org/archive",
            feedback_id: "2026-10-voorbij-de-pilot:nieuws:postbode",
            html: "<p>Hallo Zoë</p>",
            text: "Hallo Zoë\n",
        }
    }

    fn headers_of(raw: &[u8]) -> String {
        let text = String::from_utf8_lossy(raw);
        text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
    }

    #[test]
    fn the_message_carries_every_list_header() {
        let f = fixture();
        let raw = parsed(build(&outgoing(&f)));
        let headers = headers_of(&raw);
        for expected in [
            "Message-ID: <pb.2026-10-voorbij-de-pilot.42@example.org>\r\n",
            "List-Id: Inspiratie-nieuwsbrief <nieuwsbrief.example.org>\r\n",
            "List-Unsubscribe: <https://nieuws.example.org/u/abcDEF123_->\r\n",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
            "List-Archive: <https://nieuws.example.org/archive>\r\n",
            "Feedback-ID: 2026-10-voorbij-de-pilot:nieuws:postbode\r\n",
            "MIME-Version: 1.0\r\n",
            "Date: ",
            "Reply-To: Jan <jan@example.org>\r\n",
            "Content-Type: multipart/alternative;",
        ] {
            assert!(
                headers.contains(expected),
                "missing {expected:?} in\n{headers}"
            );
        }
        assert_eq!(headers.matches("Message-ID:").count(), 1, "{headers}");
        assert!(headers.is_ascii(), "non-ASCII left unencoded:\n{headers}");
    }

    #[test]
    fn the_text_part_comes_before_the_html_part() {
        let f = fixture();
        let raw = String::from_utf8_lossy(&parsed(build(&outgoing(&f)))).into_owned();
        let text = raw.find("Content-Type: text/plain; charset=utf-8");
        let html = raw.find("Content-Type: text/html; charset=utf-8");
        assert!(matches!((text, html), (Some(t), Some(h)) if t < h), "{raw}");
    }

    #[test]
    fn the_same_input_gives_the_same_headers_but_the_given_message_id() {
        let f = fixture();
        let a = parsed(build(&outgoing(&f)));
        let b = parsed(build(&outgoing(&f)));
        let id_line = |raw: &[u8]| {
            headers_of(raw)
                .lines()
                .find(|l| l.starts_with("Message-ID:"))
                .map(str::to_owned)
        };
        assert_eq!(id_line(&a), id_line(&b));
    }

    /// A line break, or a way out of the header's angle brackets.
    const EVIL: &str = "x\r\nBcc: victim@example.net";

    /// `build` refuses `msg`, with an error that names `header`.
    fn assert_refused(header: &str, msg: &Outgoing<'_>) {
        match build(msg) {
            Ok(raw) => panic!(
                "{header}: injection was accepted:\n{}",
                String::from_utf8_lossy(&raw)
            ),
            Err(error) => assert!(
                error.to_string().contains(header),
                "{header}: error does not name the header: {error}"
            ),
        }
    }

    #[test]
    fn header_injection_through_the_subject_is_refused() {
        let f = fixture();
        for subject in [EVIL, "x\nBcc: v@example.net", "x\u{85}y"] {
            let msg = Outgoing {
                subject,
                ..outgoing(&f)
            };
            assert_refused("Subject", &msg);
        }
    }

    #[test]
    fn header_injection_through_the_list_name_or_list_id_is_refused() {
        let f = fixture();
        let by_name = Outgoing {
            list_name: EVIL,
            ..outgoing(&f)
        };
        assert_refused("List-Id", &by_name);
        let by_id = Outgoing {
            list_id: "a.b>\r\nBcc: v@example.net",
            ..outgoing(&f)
        };
        assert_refused("List-Id", &by_id);
    }

    #[test]
    fn header_injection_through_the_message_id_is_refused() {
        let f = fixture();
        let msg = Outgoing {
            message_id: "<a@b>\r\nBcc: v@example.net",
            ..outgoing(&f)
        };
        assert_refused("Message-ID", &msg);
    }

    #[test]
    fn header_injection_through_the_unsubscribe_url_is_refused() {
        let f = fixture();
        for unsubscribe_url in [
            "https://e.org/u/x\r\nBcc: v@example.net",
            "https://e.org/u/x>, <mailto:v@example.net",
        ] {
            let msg = Outgoing {
                unsubscribe_url,
                ..outgoing(&f)
            };
            assert_refused("List-Unsubscribe", &msg);
        }
    }

    #[test]
    fn header_injection_through_the_archive_url_or_feedback_id_is_refused() {
        let f = fixture();
        let archive = Outgoing {
            archive_url: "https://e.org/\nX: y",
            ..outgoing(&f)
        };
        assert_refused("List-Archive", &archive);
        let feedback = Outgoing {
            feedback_id: EVIL,
            ..outgoing(&f)
        };
        assert_refused("Feedback-ID", &feedback);
    }

    #[test]
    fn names_and_addresses_cannot_even_hold_a_line_break() {
        // Their types refuse it, so no header of theirs needs a check.
        assert!(SubscriberName::parse("Zoë\r\nBcc: v@example.net").is_err());
        assert!(Mailbox::parse("Zoë\r\nBcc: v@example.net <z@example.nl>").is_err());
    }

    #[test]
    fn a_body_that_looks_like_headers_stays_in_the_body() {
        let f = fixture();
        let msg = Outgoing {
            text: "\r\n\r\nBcc: victim@example.net\r\n",
            html: "\r\n.\r\nBcc: victim@example.net",
            ..outgoing(&f)
        };
        let raw = parsed(build(&msg));
        assert!(!headers_of(&raw).contains("Bcc"));
    }

    #[test]
    fn dates_at_the_ends_of_the_range_do_not_panic() {
        let f = fixture();
        let before_1970 = jiff::Timestamp::from_millisecond(-500).unwrap_or_default();
        let error = build(&Outgoing {
            date: before_1970,
            ..outgoing(&f)
        });
        assert!(matches!(&error, Err(e) if e.to_string().contains("Date")));
        for date in [jiff::Timestamp::UNIX_EPOCH, jiff::Timestamp::MAX] {
            assert!(
                build(&Outgoing {
                    date,
                    ..outgoing(&f)
                })
                .is_ok(),
                "{date}"
            );
        }
    }

    #[test]
    fn every_kind_of_line_end_becomes_crlf() {
        assert_eq!(
            crlf_line_ends("a\nb\r\nc\rd\n\n"),
            "a\r\nb\r\nc\r\nd\r\n\r\n"
        );
        assert_eq!(crlf_line_ends("\r\r\n"), "\r\n\r\n");
        assert_eq!(crlf_line_ends("één"), "één");
    }

    #[test]
    fn a_name_with_specials_is_quoted_in_the_list_id() {
        let f = fixture();
        let msg = Outgoing {
            list_name: "Nieuws, en meer",
            ..outgoing(&f)
        };
        let headers = headers_of(&parsed(build(&msg)));
        assert!(
            headers.contains("List-Id: \"Nieuws, en meer\" <nieuwsbrief.example.org>\r\n"),
            "{headers}"
        );
    }

    const HEADER_NAMES: [&str; 14] = [
        "From",
        "Reply-To",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "List-Id",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "List-Archive",
        "Feedback-ID",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
    ];

    /// Whatever the strings, a built message's header holds only the
    /// headers `build` writes, each once, plus folded lines, and no bare
    /// CR or LF.
    fn header_is_intact(raw: &[u8]) -> Result<(), String> {
        let headers = headers_of(raw);
        let mut seen = Vec::new();
        for line in headers.split("\r\n") {
            if line.contains(['\r', '\n']) {
                return Err(format!("bare line end in {line:?}"));
            }
            if line.starts_with([' ', '\t']) {
                continue;
            }
            let name = line.split(':').next().unwrap_or_default();
            if !HEADER_NAMES.contains(&name) || seen.contains(&name) {
                return Err(format!("unexpected header line {line:?}"));
            }
            seen.push(name);
        }
        Ok(())
    }

    #[test]
    fn the_built_header_passes_the_injection_check() {
        let f = fixture();
        assert_eq!(header_is_intact(&parsed(build(&outgoing(&f)))), Ok(()));
    }

    proptest::proptest! {
        #[test]
        fn no_string_can_add_a_header_or_make_build_panic(
            subject in proptest::prelude::any::<String>(),
            list_name in "\\PC*|.*\r\nBcc: x@example.net.*",
            url in "https://[ -~\r\n]{0,40}",
            id in "<[ -~\r\n]{0,20}@[ -~\r\n]{0,20}>",
            feedback in "[ -~\r\n]{0,30}",
        ) {
            let f = fixture();
            let msg = Outgoing {
                subject: &subject,
                list_name: &list_name,
                unsubscribe_url: &url,
                archive_url: &url,
                message_id: &id,
                feedback_id: &feedback,
                ..outgoing(&f)
            };
            if let Ok(raw) = build(&msg) {
                proptest::prop_assert_eq!(header_is_intact(&raw), Ok(()));
            }
        }
    }

    /// A real rendered issue (about 40 kB of HTML and 6 kB of text) when
    /// the golden files are there, else text of about that size.
    pub(crate) fn sample_issue() -> (String, String) {
        let golden = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/golden/2026-10-voorbij-de-pilot"
        );
        let read = |ext: &str| std::fs::read_to_string(format!("{golden}.{ext}")).ok();
        match (read("html"), read("txt")) {
            (Some(html), Some(text)) => (html, text),
            _ => (
                "<p>Een alinea met één paar woorden — en een link.</p>\n".repeat(700),
                "Een alinea met één paar woorden — en een link.\n".repeat(130),
            ),
        }
    }

    /// `cargo test --release --lib mail::message -- --ignored --nocapture`
    #[test]
    #[ignore = "timing; run in release mode"]
    fn building_a_message_takes_microseconds() {
        let f = fixture();
        let (issue_html, issue_text) = sample_issue();
        let samples = [
            ("<p>Hallo</p>".to_owned(), "Hallo".to_owned()),
            (issue_html, issue_text),
        ];
        for (html, text) in &samples {
            let msg = Outgoing {
                html,
                text,
                ..outgoing(&f)
            };
            let rounds = 2000;
            let start = std::time::Instant::now();
            let mut bytes = 0;
            for _ in 0..rounds {
                bytes += parsed(build(&msg)).len();
            }
            let per = start.elapsed() / rounds;
            println!(
                "build: {per:?} per message of {} bytes (html {} bytes, text {} bytes)",
                bytes / rounds as usize,
                html.len(),
                text.len()
            );
        }
    }
}
