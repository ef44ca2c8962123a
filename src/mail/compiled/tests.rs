//! The compiled message against its oracle: `mail::build` (lettre's
//! builder) on the fully personalised parts, with the same boundary, for
//! random recipients; and the DKIM signature over the pieces against
//! `DkimSigner::sign_at` over the whole message (both key types sign
//! deterministically, so the fields are equal byte for byte).

use proptest::prelude::*;

use super::*;
use crate::mail::message::tests::sample_issue;
use crate::render::template::escape_template_syntax;

const BOUNDARY: &str = "Zb8kqQ2pYw7mNc4RtV1xLs9JdHf3GeA6uKo0WiTz";
const ED25519: &str = include_str!("../dkim/testdata/ed25519-openssl.pem");
const RSA: &str = include_str!("../dkim/testdata/rsa2048-pkcs8.pem");

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("test input rejected: {e}"))
}

fn issue() -> IssueHeaders {
    IssueHeaders {
        from: ok(Mailbox::parse("Redactie Één <redactie@example.org>")),
        reply_to: ok(Mailbox::parse("Jan <jan@example.org>")),
        subject: "Voorbij de pilot — één stap verder ✓".into(),
        list_id: "nieuwsbrief.example.org".into(),
        list_name: "Inspiratie-nieuwsbrief".into(),
        archive_url: "https://nieuws.example.org/archive".into(),
        feedback_id: "2026-10-voorbij-de-pilot:nieuws:postbode".into(),
    }
}

/// The longest sample issue with per-recipient expressions where authors
/// put them: a greeting, an attribute in a long line and in an attribute
/// value, the unsubscribe link, two values on one line, one at the very
/// start and one at the very end, and one in the middle of the long line
/// mrml writes the body on (where the encoded start is shared).
fn templates() -> (String, String) {
    let (html, text) = sample_issue();
    let (html, text) = (escape_template_syntax(&html), escape_template_syntax(&text));
    let html =
        in_the_middle_of_the_longest_line(&html, "<b>{{ subscriber.name | default('lezer') }}</b>");
    let html = format!(
        "{{{{ subscriber.name | default('lezer') }}}}<p>Beste {{{{ subscriber.name | default('lezer') }}}},</p>\n\
         <p style=\"margin:0 0 16px 0;font-family:Georgia,serif\" data-stad=\"{{{{ subscriber.attributes.stad | default('') }}}}\">Nieuws uit {{{{ subscriber.attributes.stad | default('uw stad') }}}} en omstreken, voor {{{{ subscriber.email }}}}.</p>\n\
         {html}\n<a href=\"{{{{ unsubscribe_url }}}}\">Afmelden</a>{{{{ subscriber.email }}}}"
    );
    let text = format!(
        "Beste {{{{ subscriber.name | default('lezer') }}}},\n\n{text}\n\
         Afmelden: {{{{ unsubscribe_url }}}}\n{{{{ subscriber.attributes.stad | default('') }}}}  \t\n"
    );
    (html, text)
}

/// `html` with `insert` before a `<` half-way along its longest line.
fn in_the_middle_of_the_longest_line(html: &str, insert: &str) -> String {
    let longest = html.lines().max_by_key(|l| l.len()).unwrap_or_default();
    assert!(longest.len() > 4096, "the sample's body line is long");
    let start = html.find(longest).unwrap_or_default();
    let middle = start + longest.len() / 2;
    let at = middle + html[middle..].find('<').unwrap_or_default();
    format!("{}{insert}{}", &html[..at], &html[at..])
}

fn compiled(html: &str, text: &str) -> CompiledMessage {
    let templates = ok(CompiledIssue::compile(html, text));
    ok(CompiledMessage::compile_with_boundary(
        issue(),
        templates,
        html,
        text,
        BOUNDARY.into(),
    ))
}

/// What `mail::build` makes of the same recipient.
fn oracle(html: &str, text: &str, p: &Personal<'_>) -> Vec<u8> {
    let body = ok(ok(CompiledIssue::compile(html, text)).personalise(p.recipient));
    let i = issue();
    ok(build_with_boundary(
        &i.outgoing(p, &body.html, &body.text),
        Some(BOUNDARY),
    ))
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_sample_issue_is_spliced_not_built_whole() {
    let (html, text) = templates();
    assert!(compiled(&html, &text).is_spliced());
}

fn name_strategy() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[a-zA-Z0-9 ]{0,10}|[a-zA-Zéëñ€ß\"'<>&,.()\\\\ ]{1,90}|Zoë d'Ancona")
}

fn value_strategy() -> impl Strategy<Value = String> {
    // Long runs (soft breaks), '=' and spaces at the end (QP escapes),
    // non-ASCII and HTML specials; now and then a line break (built whole).
    "[a-z=é€ <>&\"']{0,150}|[a-z ]{60,200}|[a-z]{0,5}\n[a-z]{0,5}|[\t ]{1,3}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_spliced_message_is_byte_for_byte_what_build_makes(
        name in name_strategy(),
        stad in proptest::option::of(value_strategy()),
        local in "[a-z0-9]{1,20}",
        token in "[A-Za-z0-9_-]{1,80}",
        id in 0u64..u64::MAX,
        second in 0i64..4_000_000_000,
    ) {
        let (html, text) = templates();
        let message = compiled(&html, &text);
        let to = ok(EmailAddress::parse(&format!("{local}x@example.nl")));
        let to_name = name.as_deref().and_then(|n| SubscriberName::parse(n).ok());
        let mut attributes = serde_json::Map::new();
        if let Some(stad) = &stad {
            attributes.insert("stad".into(), serde_json::Value::String(stad.clone()));
        }
        let unsubscribe_url = format!("https://nieuws.example.org/u/{token}");
        let recipient = Recipient {
            email: to.as_str().to_owned(),
            name: to_name.as_ref().map(|n| n.as_str().to_owned()),
            attributes,
            unsubscribe_url: unsubscribe_url.clone(),
        };
        let message_id = format!("<pb.{id}@example.org>");
        let p = Personal {
            recipient: &recipient,
            to: &to,
            to_name: to_name.as_ref(),
            message_id: &message_id,
            date: ok(jiff::Timestamp::from_second(second)),
            unsubscribe_url: &unsubscribe_url,
        };
        let time = ok(jiff::Timestamp::from_second(1_790_000_000));
        let expected = oracle(&html, &text, &p);
        let got = ok(message.message_at(&p, None, time));
        prop_assert!(got == expected, "spliced:\n{}\nbuild:\n{}", show(&got), show(&expected));

        let signer = ok(DkimSigner::from_pem("example.org", "s1", ED25519));
        let signed = ok(message.message_at(&p, Some(&signer), time));
        let oracle_signed = ok(signer.sign_at(&expected, time));
        prop_assert!(signed == oracle_signed, "spliced:\n{}\nsign_at:\n{}", show(&signed), show(&oracle_signed));
    }
}

#[test]
fn an_rsa_signature_over_the_pieces_is_the_one_over_the_whole_message() {
    let (html, text) = templates();
    let message = compiled(&html, &text);
    let to = ok(EmailAddress::parse("zoe@example.nl"));
    let name = ok(SubscriberName::parse("Zoë d'Ancona"));
    let recipient = Recipient {
        email: to.as_str().to_owned(),
        name: Some(name.as_str().to_owned()),
        unsubscribe_url: "https://nieuws.example.org/u/abc".into(),
        ..Recipient::default()
    };
    let p = Personal {
        recipient: &recipient,
        to: &to,
        to_name: Some(&name),
        message_id: "<pb.1@example.org>",
        date: ok(jiff::Timestamp::from_second(1_790_000_000)),
        unsubscribe_url: "https://nieuws.example.org/u/abc",
    };
    let spliced = message.spliced.as_ref().expect("spliced");
    let assembled = ok(signing::assemble(spliced, BOUNDARY, &p));
    assert!(assembled.is_some(), "built whole");
    let signer = ok(DkimSigner::from_pem("example.org", "s1", RSA));
    let time = p.date;
    let signed = ok(message.message_at(&p, Some(&signer), time));
    let whole = ok(signer.sign_at(&oracle(&html, &text, &p), time));
    assert!(signed == whole, "{}\n---\n{}", show(&signed), show(&whole));
}

#[test]
fn a_failing_expression_is_reported_as_the_render_reports_it() {
    let html = "<p>{{ subscriber.attributes.stad }}</p>";
    let message = compiled(html, "x\n");
    let to = ok(EmailAddress::parse("zoe@example.nl"));
    let recipient = Recipient {
        email: to.as_str().to_owned(),
        ..Recipient::default()
    };
    let p = Personal {
        recipient: &recipient,
        to: &to,
        to_name: None,
        message_id: "<pb.1@example.org>",
        date: jiff::Timestamp::UNIX_EPOCH,
        unsubscribe_url: "https://nieuws.example.org/u/abc",
    };
    let error = message.message_at(&p, None, p.date).map(|m| show(&m));
    assert!(
        matches!(&error, Err(e) if e.to_string().contains("zoe@example.nl")),
        "{error:?}"
    );
}
