//! Honest answers to the links in mails (issue #12, finding 3), end to end:
//! the real `postbode serve`, a real database, plain HTTP/1.1 over TCP, and
//! mail arriving at an in-process SMTP server.
//!
//! A link that does not work (forged, truncated, mangled, unknown, or an
//! expired confirmation) gets 404 and a page that says so and offers to
//! unsubscribe by address; a genuine link whose change is refused says
//! nothing changed. No page claims a change that did not happen.

mod support;

use std::time::Duration;

use postbode::mail::TokenKey;
use support::http::{Response, Server, get, post_form};
use support::smtp::{Received, TestSmtp};
use support::{TestApp, email, with_store};

/// The test config's `secrets.token_key` (see `TestApp::with_config`).
const TOKEN_KEY: &str = "test-key-0123456789abcdef0123456789abcdef";
const BASE: &str = "https://nieuws.example.org";
const ONE_CLICK: &str = "List-Unsubscribe=One-Click";
const PEOPLE: [&str; 4] = [
    "an@example.nl",
    "bo@example.nl",
    "wacht@example.nl",
    "kaput@example.nl",
];

/// An app sending to `smtp`: An and Bo active, Wacht pending, Kaput
/// bounced (ids 1 to 4), and `serve` running.
fn started(smtp: &TestSmtp) -> (TestApp, Server) {
    let app = TestApp::with_config(&format!(
        "\n[newsletter]\nname = \"Publiek Leren\"\nfrom = \"Redactie <redactie@example.org>\"\n\
         base_url = \"{BASE}\"\n\n\
         [smtp]\nurl = \"{}\"\ncommand_timeout_secs = 5\n\n[server]\nbind = \"127.0.0.1:0\"\n",
        smtp.url()
    ));
    support::sending::copy_emails(&app);
    app.write(
        "leden.csv",
        "email,name,status\nan@example.nl,An,active\nbo@example.nl,Bo,active\n\
         wacht@example.nl,Wacht,pending\nkaput@example.nl,Kaput,bounced\n",
    );
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    let server = Server::start(&app, &["serve"]);
    (app, server)
}

fn key() -> TokenKey {
    TokenKey::new(TOKEN_KEY).expect("test key")
}

fn id_of(app: &TestApp, who: &str) -> i64 {
    with_store(app, async |store| {
        store
            .find_subscriber(&email(who))
            .await
            .expect("find")
            .expect("known")
            .id
    })
}

/// `who`'s link salt, as their links are made with it.
fn salt_of(app: &TestApp, id: i64) -> Option<postbode::domain::LinkSalt> {
    with_store(app, async |store| {
        store.link_salt(id).await.expect("salt").salt().cloned()
    })
}

fn unsubscribe_token(app: &TestApp, who: &str) -> String {
    let id = id_of(app, who);
    key().unsubscribe_token(id, salt_of(app, id).as_ref())
}

fn confirm_token(app: &TestApp, id: i64, issued: i64) -> String {
    support::confirm_token(app, id, issued)
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// (from, to, source) of one status change.
type Logged = (Option<String>, String, String);

/// Everyone's status and full status log: what must not change.
fn snapshot(app: &TestApp) -> Vec<(String, Vec<Logged>)> {
    with_store(app, async |store| {
        let mut out = Vec::new();
        for who in PEOPLE {
            let s = store
                .find_subscriber(&email(who))
                .await
                .expect("find")
                .expect("known");
            let log = store.status_history(&email(who)).await.expect("history");
            out.push((s.status.as_str().to_owned(), log));
        }
        out
    })
}

fn status(app: &TestApp, who: &str) -> String {
    with_store(app, async |store| {
        store
            .find_subscriber(&email(who))
            .await
            .expect("find")
            .expect("known")
            .status
            .as_str()
            .to_owned()
    })
}

/// The page that says a link does not work: 404, in Dutch here, with the
/// form to unsubscribe by address.
#[track_caller]
fn assert_honest_page(response: &Response, what: &str) {
    let body = &response.body;
    assert_eq!(response.status, 404, "{what}: {}", heading(body));
    assert!(body.contains("Deze link werkt niet"), "{what}: {body}");
    assert!(!body.contains("Je bent afgemeld"), "{what}: {body}");
    assert!(!body.contains("Je bent aangemeld"), "{what}: {body}");
    assert!(
        body.contains("<form method=\"post\" action=\"/unsubscribe\">"),
        "{what}: {body}"
    );
    assert!(body.contains("name=\"email\""), "{what}: {body}");
}

/// The `<h1>` of a page, for short failure messages.
fn heading(body: &str) -> &str {
    body.split("<h1>")
        .nth(1)
        .and_then(|rest| rest.split("</h1>").next())
        .unwrap_or(body)
}

/// Every way a click can reach a link: GET (the page), POST from the
/// page's button, RFC 8058 one-click POST, and "I changed my mind".
fn every_unsubscribe_request(server: &Server, token: &str) -> Vec<(String, Response)> {
    let path = format!("/u/{token}");
    vec![
        (format!("GET {path}"), get(server.port, &path, &[])),
        (
            format!("POST {path} (page)"),
            post_form(server.port, &path, &[], "from=page"),
        ),
        (
            format!("POST {path} (one-click)"),
            post_form(server.port, &path, &[], ONE_CLICK),
        ),
        (
            format!("POST {path}/resubscribe"),
            post_form(server.port, &format!("{path}/resubscribe"), &[], ""),
        ),
    ]
}

#[test]
fn a_truncated_unsubscribe_link_gets_404_and_the_honest_page_and_changes_nothing() {
    let smtp = TestSmtp::start();
    let (app, server) = started(&smtp);
    let before = snapshot(&app);
    let token = unsubscribe_token(&app, "an@example.nl");
    // A mail client that cut the URL short, at a few places.
    for cut in [token.len() - 1, 24, 10, 1] {
        for (what, response) in every_unsubscribe_request(&server, &token[..cut]) {
            assert_honest_page(&response, &what);
        }
    }
    assert_eq!(snapshot(&app), before);
}

#[test]
fn an_unsubscribe_link_with_one_character_changed_gets_404_and_changes_nothing() {
    let smtp = TestSmtp::start();
    let (app, server) = started(&smtp);
    let before = snapshot(&app);
    let token = unsubscribe_token(&app, "bo@example.nl");
    for at in [0, 7, 8, 20, token.len() - 1] {
        let mut bytes = token.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(bytes).expect("ascii");
        for (what, response) in every_unsubscribe_request(&server, &changed) {
            assert_honest_page(&response, &what);
        }
    }
    // A genuine token of an id nobody has (erased, or never was).
    for (what, response) in every_unsubscribe_request(&server, &key().unsubscribe_token(999, None))
    {
        assert_honest_page(&response, &what);
    }
    assert_eq!(snapshot(&app), before);
}

#[test]
fn an_expired_confirm_link_gets_404_and_the_honest_page_and_changes_nothing() {
    let smtp = TestSmtp::start();
    let (app, server) = started(&smtp);
    let before = snapshot(&app);
    let id = id_of(&app, "wacht@example.nl");
    let expired = confirm_token(&app, id, now() - 8 * 24 * 3600);
    let truncated = confirm_token(&app, id, now());
    let truncated = &truncated[..truncated.len() - 3];
    for token in [expired.as_str(), truncated] {
        let path = format!("/confirm/{token}");
        for (what, response) in [
            (format!("GET {path}"), get(server.port, &path, &[])),
            (
                format!("POST {path}"),
                post_form(server.port, &path, &[], ""),
            ),
        ] {
            assert_honest_page(&response, &what);
            // A confirmation link also offers to sign up again.
            assert!(
                response.body.contains("href=\"/subscribe\""),
                "{what}: {}",
                response.body
            );
        }
    }
    assert_eq!(snapshot(&app), before);
    assert_eq!(status(&app, "wacht@example.nl"), "pending");
}

#[test]
fn the_honest_page_speaks_english_when_asked() {
    let smtp = TestSmtp::start();
    let (_app, server) = started(&smtp);
    let page = get(server.port, "/u/cut-shor", &[("Accept-Language", "en")]);
    assert_eq!(page.status, 404);
    assert!(page.body.contains("<html lang=\"en\">"), "{}", page.body);
    assert!(
        page.body.contains("This link does not work"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Send me an unsubscribe link"));
}

#[test]
fn changing_ones_mind_after_a_bounce_says_nothing_changed() {
    let smtp = TestSmtp::start();
    let (app, server) = started(&smtp);
    let before = snapshot(&app);
    let path = format!(
        "/u/{}/resubscribe",
        unsubscribe_token(&app, "kaput@example.nl")
    );
    let page = post_form(server.port, &path, &[], "");
    assert_eq!(page.status, 409, "{}", heading(&page.body));
    assert!(!page.body.contains("Welkom terug"), "{}", page.body);
    assert!(page.body.contains("Er is niets veranderd"), "{}", page.body);
    assert_eq!(snapshot(&app), before);
    assert_eq!(status(&app, "kaput@example.nl"), "bounced");
}

#[test]
fn a_second_unsubscribe_says_it_was_already_done() {
    let smtp = TestSmtp::start();
    let (app, server) = started(&smtp);
    let path = format!("/u/{}", unsubscribe_token(&app, "an@example.nl"));
    let first = post_form(server.port, &path, &[], ONE_CLICK);
    assert_eq!(first.status, 200);
    assert!(first.body.contains("Je bent afgemeld"), "{}", first.body);
    let second = post_form(server.port, &path, &[], ONE_CLICK);
    assert_eq!(second.status, 200);
    assert!(
        second.body.contains("Je was al afgemeld"),
        "{}",
        second.body
    );
    assert_eq!(status(&app, "an@example.nl"), "unsubscribed");
}

/// The `/u/TOKEN` link in a mail, whatever its transfer encoding.
fn unsubscribe_link(mail: &Received) -> String {
    let path = support::mail_links::link_path(&mail.data, BASE, "/u/").unwrap_or_else(|| {
        panic!(
            "no /u/ link in the mail:\n{}",
            String::from_utf8_lossy(&mail.data)
        )
    });
    path["/u/".len()..].to_owned()
}

fn ask_for_link(server: &Server, address: &str) -> Response {
    post_form(
        server.port,
        "/unsubscribe",
        &[],
        &format!("email={}&website=", address.replace('@', "%40")),
    )
}

/// Waits a little, for a mail that must not come.
fn settle() {
    std::thread::sleep(Duration::from_millis(700));
}

#[test]
fn the_form_answers_the_same_for_known_and_unknown_addresses_and_mails_only_the_known() {
    let smtp = TestSmtp::start();
    let (app, server) = started(&smtp);
    let before = snapshot(&app);
    let unknown = ask_for_link(&server, "niemand@example.nl");
    let known = ask_for_link(&server, "an@example.nl");
    let bounced = ask_for_link(&server, "kaput@example.nl");
    assert_eq!(known.status, 200, "{}", heading(&known.body));
    assert!(known.body.contains("Kijk in je mailbox"), "{}", known.body);
    assert_eq!((unknown.status, &unknown.body), (known.status, &known.body));
    assert_eq!((bounced.status, &bounced.body), (known.status, &known.body));
    smtp.wait_for(1, Duration::from_secs(15));
    settle();
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "only the active address gets a link");
    assert_eq!(mails[0].to, ["an@example.nl"]);
    // Asking changes nothing by itself.
    assert_eq!(snapshot(&app), before);

    // The form also stands on its own page, and a filled honeypot gets the
    // same answer with no mail.
    let form = get(server.port, "/unsubscribe", &[("Accept-Language", "en")]);
    assert_eq!(form.status, 200);
    assert!(form.body.contains("<html lang=\"en\">"), "{}", form.body);
    assert!(form.body.contains("name=\"website\""), "{}", form.body);
    let bot = post_form(
        server.port,
        "/unsubscribe",
        &[],
        "email=bo%40example.nl&website=https%3A%2F%2Fspam.example",
    );
    assert_eq!((bot.status, &bot.body), (known.status, &known.body));
    settle();
    assert_eq!(smtp.messages().len(), 1, "no mail for the bot");
}

#[test]
fn the_mailed_link_unsubscribes_exactly_that_person() {
    let smtp = TestSmtp::start();
    let (app, server) = started(&smtp);
    ask_for_link(&server, "bo@example.nl");
    let mails = smtp.wait_for(1, Duration::from_secs(15));
    assert_eq!(mails[0].to, ["bo@example.nl"]);
    let raw = String::from_utf8_lossy(&mails[0].data).into_owned();
    assert!(
        raw.contains("Subject: Afmelden voor Publiek Leren"),
        "{raw}"
    );
    assert!(!raw.contains("List-Unsubscribe"), "{raw}");
    let token = unsubscribe_link(&mails[0]);
    assert_eq!(token, unsubscribe_token(&app, "bo@example.nl"));
    let done = post_form(server.port, &format!("/u/{token}"), &[], ONE_CLICK);
    assert_eq!(done.status, 200);
    assert!(done.body.contains("Je bent afgemeld"), "{}", done.body);
    let statuses: Vec<String> = PEOPLE.iter().map(|who| status(&app, who)).collect();
    assert_eq!(statuses, ["active", "unsubscribed", "pending", "bounced"]);
}

#[test]
fn the_form_is_limited_per_address_and_per_client() {
    let smtp = TestSmtp::start();
    let (_app, server) = started(&smtp);
    // Three mails per address per hour: the fourth request is answered
    // the same, and mails nothing.
    let first = ask_for_link(&server, "an@example.nl");
    for _ in 0..3 {
        let again = ask_for_link(&server, "an@example.nl");
        assert_eq!((again.status, &again.body), (first.status, &first.body));
    }
    smtp.wait_for(3, Duration::from_secs(15));
    settle();
    assert_eq!(smtp.messages().len(), 3);
    // Five requests per client per ten minutes: the sixth gets 429.
    assert_eq!(ask_for_link(&server, "bo@example.nl").status, 200);
    let over = ask_for_link(&server, "bo@example.nl");
    assert_eq!(over.status, 429, "{}", heading(&over.body));
    assert!(over.header("retry-after").is_some());
}

#[test]
fn a_forged_and_a_genuine_link_for_a_dutch_subscriber_render_in_the_same_language() {
    let smtp = TestSmtp::start();
    let app = TestApp::with_config(&format!(
        "\n[newsletter]\nname = \"Publiek Leren\"\nfrom = \"Redactie <redactie@example.org>\"\n\
         base_url = \"{BASE}\"\nlanguage = \"en\"\n\n\
         [smtp]\nurl = \"{}\"\ncommand_timeout_secs = 5\n\n[server]\nbind = \"127.0.0.1:0\"\n",
        smtp.url()
    ));
    support::sending::copy_emails(&app);
    app.write(
        "leden.csv",
        "email,name,status,language\nnel@example.nl,Nel,active,nl\n",
    );
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    let server = Server::start(&app, &["serve"]);
    let genuine = unsubscribe_token(&app, "nel@example.nl");
    let mut forged = genuine.clone();
    let last = if forged.pop() == Some('A') { 'B' } else { 'A' };
    forged.push(last);
    // (query, Accept-Language, the page's language): the link's own
    // language first, then the browser's, then the newsletter's.
    let cases = [
        ("", "en", "en"),
        ("", "", "en"),
        ("?lang=nl", "en", "nl"),
        ("", "nl", "nl"),
        ("?lang=en", "nl", "en"),
        ("?lang=xx", "", "en"),
    ];
    for (query, accept, want) in cases {
        let headers: &[(&str, &str)] = if accept.is_empty() {
            &[]
        } else {
            &[("Accept-Language", accept)]
        };
        for (what, token) in [("genuine", &genuine), ("forged", &forged)] {
            let page = get(server.port, &format!("/u/{token}{query}"), headers);
            let expected = if what == "genuine" { 200 } else { 404 };
            assert_eq!(page.status, expected, "{what} {query}");
            assert!(
                page.body.contains(&format!("<html lang=\"{want}\">")),
                "{what} /u/…{query} with Accept-Language {accept:?}: {}",
                heading(&page.body)
            );
        }
    }
}

#[test]
fn the_unsubscribe_link_mailed_to_a_subscriber_carries_the_mails_language() {
    let smtp = TestSmtp::start();
    let (_app, server) = started(&smtp);
    ask_for_link(&server, "an@example.nl");
    let mails = smtp.wait_for(1, Duration::from_secs(15));
    let token = unsubscribe_link(&mails[0]);
    let link = support::mail_links::link_path_and_query(&mails[0].data, BASE, "/u/");
    assert_eq!(link, Some(format!("/u/{token}?lang=nl")));
}
