//! The public unsubscribe pages, end to end: the real `postbode serve`, a
//! real SQLite file, plain HTTP/1.1 over TCP; and the links of a mail
//! really sent, followed from the received message.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use support::db::{deliveries_of, status_log};
use support::http::{Response, Server, get, post_form};
use support::received::{Mail, path_under};
use support::sending::{ISSUE, app_sending_to, queue, subscribers};
use support::smtp::TestSmtp;
use support::{TestApp, email, with_store};

/// The test config's `secrets.token_key` (see `TestApp::with_config`).
const TOKEN_KEY: &str = "test-key-0123456789abcdef0123456789abcdef";
const ONE_CLICK: &str = "List-Unsubscribe=One-Click";

const SECURITY_HEADERS: [(&str, &str); 3] = [
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
];

/// An app with three active subscribers (ids 1, 2, 3) and `serve` running.
fn started() -> (TestApp, Server) {
    let app = TestApp::with_config(
        "\n[newsletter]\nname = \"Publiek & <Leren>\"\n\n[server]\nbind = \"127.0.0.1:0\"\n",
    );
    app.write(
        "leden.csv",
        "email,name,status\nan@example.nl,An,active\nbo@example.nl,Bo,active\ncor@example.nl,Cor,active\n",
    );
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    let server = Server::start(&app, &["serve"]);
    (app, server)
}

/// The token a mail to subscriber `id` carries (their link salt in it).
fn token(app: &TestApp, id: i64) -> String {
    support::unsubscribe_token(app, id)
}

/// Status of each of the three subscribers, in id order.
fn statuses(app: &TestApp) -> Vec<String> {
    with_store(app, async |store| {
        let mut out = Vec::new();
        for who in ["an@example.nl", "bo@example.nl", "cor@example.nl"] {
            let s = store
                .find_subscriber(&email(who))
                .await
                .expect("find")
                .expect("known");
            out.push(s.status.as_str().to_owned());
        }
        out
    })
}

/// (from, to, source) of every status change of `who`, oldest first.
fn history(app: &TestApp, who: &str) -> Vec<(Option<String>, String, String)> {
    with_store(app, async |store| {
        store.status_history(&email(who)).await.expect("history")
    })
}

fn assert_security_headers(response: &Response) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(response.header(name), Some(value), "{name} on {response:?}");
    }
}

#[test]
fn get_shows_one_button_and_changes_nothing_then_post_unsubscribes_from_the_page() {
    let (app, server) = started();
    let path = format!("/u/{}", token(&app, 2));
    for _ in 0..3 {
        let page = get(server.port, &path, &[]);
        assert_eq!(page.status, 200);
        assert_eq!(page.body.matches("<form").count(), 1, "{}", page.body);
        assert!(
            page.body.contains("<form method=\"post\">"),
            "{}",
            page.body
        );
        assert!(page.body.contains("name=\"from\" value=\"page\""));
        assert!(!page.body.contains("<script"));
    }
    assert_eq!(
        statuses(&app),
        ["active", "active", "active"],
        "GET changes nothing"
    );

    let done = post_form(server.port, &path, &[], "from=page");
    assert_eq!(done.status, 200);
    assert!(done.body.contains("Je bent afgemeld"), "{}", done.body);
    assert!(
        done.body.contains(&format!(
            "action=\"/u/{}/resubscribe?lang=nl\"",
            token(&app, 2)
        )),
        "{}",
        done.body
    );
    assert_eq!(statuses(&app), ["active", "unsubscribed", "active"]);
    let log = history(&app, "bo@example.nl");
    assert_eq!(
        log.last(),
        Some(&(
            Some("active".to_owned()),
            "unsubscribed".to_owned(),
            "page".to_owned()
        )),
        "{log:?}"
    );
}

#[test]
fn an_rfc_8058_one_click_post_unsubscribes_at_once_and_twice_is_harmless() {
    let (app, server) = started();
    let path = format!("/u/{}", token(&app, 1));
    let first = post_form(server.port, &path, &[], ONE_CLICK);
    assert_eq!(first.status, 200);
    assert_eq!(statuses(&app), ["unsubscribed", "active", "active"]);
    let second = post_form(server.port, &path, &[], ONE_CLICK);
    assert_eq!(second.status, 200);
    // Honest: the second says it was done already.
    assert!(first.body.contains("Je bent afgemeld"), "{}", first.body);
    assert!(
        second.body.contains("Je was al afgemeld"),
        "{}",
        second.body
    );
    assert_eq!(statuses(&app), ["unsubscribed", "active", "active"]);
    let log = history(&app, "an@example.nl");
    let unsubscribes: Vec<_> = log.iter().filter(|c| c.1 == "unsubscribed").collect();
    assert_eq!(unsubscribes.len(), 1, "{log:?}");
    assert_eq!(unsubscribes[0].2, "one-click");
}

#[test]
fn i_changed_my_mind_subscribes_again() {
    let (app, server) = started();
    let path = format!("/u/{}", token(&app, 3));
    post_form(server.port, &path, &[], "from=page");
    assert_eq!(statuses(&app), ["active", "active", "unsubscribed"]);
    let back = post_form(server.port, &format!("{path}/resubscribe"), &[], "");
    assert_eq!(back.status, 200);
    assert!(back.body.contains("Welkom terug"), "{}", back.body);
    assert_eq!(statuses(&app), ["active", "active", "active"]);
    let log = history(&app, "cor@example.nl");
    assert_eq!(
        log.last(),
        Some(&(
            Some("unsubscribed".to_owned()),
            "active".to_owned(),
            "resubscribe".to_owned()
        )),
        "{log:?}"
    );
    // Resubscribing someone active changes nothing.
    post_form(server.port, &format!("{path}/resubscribe"), &[], "");
    assert_eq!(history(&app, "cor@example.nl").len(), log.len());
}

#[test]
fn changing_ones_mind_does_not_skip_the_confirmation_of_someone_still_pending() {
    let (app, server) = started();
    app.run(&["subscribers", "add", "dirk@example.nl"]).ok();
    let path = format!("/u/{}", token(&app, 4));
    let dirk = |app: &TestApp| history(app, "dirk@example.nl").last().map(|c| c.1.clone());
    post_form(server.port, &path, &[], ONE_CLICK);
    assert_eq!(dirk(&app).as_deref(), Some("unsubscribed"));
    post_form(server.port, &format!("{path}/resubscribe"), &[], "");
    assert_eq!(dirk(&app).as_deref(), Some("pending"));
}

/// A small deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

const TOKEN_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ODD_CHARS: &[&str] = &[
    "%", "/", "?", "#", ".", "..", "é", "\"", "<", " ", "+", "=", "\u{0}",
];

/// A token that is wrong in one of many ways, never empty.
fn mangled(rng: &mut Rng, genuine: &[String]) -> String {
    let base = genuine[rng.below(genuine.len())].clone();
    let mut t = match rng.below(6) {
        // One character changed.
        0 => {
            let mut bytes = base.into_bytes();
            let i = rng.below(bytes.len());
            let mut c = TOKEN_CHARS[rng.below(TOKEN_CHARS.len())];
            if c == bytes[i] {
                c = if c == b'A' { b'B' } else { b'A' };
            }
            bytes[i] = c;
            String::from_utf8(bytes).expect("ascii")
        }
        // Truncated.
        1 => base[..1 + rng.below(base.len() - 1)].to_owned(),
        // Extended.
        2 => format!(
            "{base}{}",
            char::from(TOKEN_CHARS[rng.below(TOKEN_CHARS.len())])
        ),
        // Random, right shape.
        3 => (0..32)
            .map(|_| char::from(TOKEN_CHARS[rng.below(TOKEN_CHARS.len())]))
            .collect(),
        // Random length and alphabet, odd characters included.
        4 => (0..1 + rng.below(80))
            .map(|_| {
                if rng.below(4) == 0 {
                    ODD_CHARS[rng.below(ODD_CHARS.len())].to_owned()
                } else {
                    char::from(TOKEN_CHARS[rng.below(TOKEN_CHARS.len())]).to_string()
                }
            })
            .collect(),
        // Two genuine tokens' halves glued together.
        _ => {
            let other = &genuine[rng.below(genuine.len())];
            format!("{}{}", &base[..16], &other[16..])
        }
    };
    if genuine.contains(&t) {
        t.push('x');
    }
    t
}

/// Everything but ASCII letters, digits, `-` and `_` percent-encoded.
fn path_segment(token: &str) -> String {
    token
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every link that does not work (forged, mangled, random, for nobody) gets
/// the same answer: 404 and the one honest page that says the link does
/// not work and offers to unsubscribe by address. Nothing changes. (Before
/// issue #12 they got the genuine link's "Je bent afgemeld" with 200.)
#[test]
fn forged_mangled_and_random_tokens_get_404_and_the_same_honest_page_and_change_nothing() {
    let (app, server) = started();
    // Cor has left, so a forged resubscribe would show.
    post_form(
        server.port,
        &format!("/u/{}", token(&app, 3)),
        &[],
        ONE_CLICK,
    );
    let before_statuses = statuses(&app);
    let before_logs: Vec<_> = ["an@example.nl", "bo@example.nl", "cor@example.nl"]
        .iter()
        .map(|who| history(&app, who))
        .collect();

    // A genuine token for an id nobody has: well formed, but unknown.
    let unknown = format!("/u/{}", token(&app, 999));
    let want = get(server.port, &unknown, &[]);
    assert_eq!(want.status, 404);
    assert!(want.body.contains("Deze link werkt niet"), "{}", want.body);
    assert!(
        want.body
            .contains("<form method=\"post\" action=\"/unsubscribe\">")
    );
    assert!(!want.body.contains("afgemeld<"), "{}", want.body);
    for answer in [
        post_form(server.port, &unknown, &[], ONE_CLICK),
        post_form(server.port, &format!("{unknown}/resubscribe"), &[], ""),
    ] {
        assert_eq!((answer.status, &answer.body), (404, &want.body));
    }
    // A genuine token's page is another.
    let genuine_page = get(server.port, &format!("/u/{}", token(&app, 1)), &[]);
    assert_eq!(genuine_page.status, 200);
    assert_ne!(genuine_page.body, want.body);

    let genuine: Vec<String> = (1..=3).map(|id| token(&app, id)).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for case in 0..200 {
        let forged = mangled(&mut rng, &genuine);
        let path = format!("/u/{}", path_segment(&forged));
        let shown = get(server.port, &path, &[]);
        assert_eq!(
            (shown.status, &shown.body),
            (404, &want.body),
            "case {case}: GET {path}"
        );
        assert_security_headers(&shown);

        let body = if rng.below(2) == 0 {
            ONE_CLICK
        } else {
            "from=page"
        };
        let posted = post_form(server.port, &path, &[], body);
        assert_eq!(
            (posted.status, &posted.body),
            (404, &want.body),
            "case {case}: POST {path}"
        );

        let back = post_form(server.port, &format!("{path}/resubscribe"), &[], "");
        assert_eq!(
            (back.status, &back.body),
            (404, &want.body),
            "case {case}: POST {path}/resubscribe"
        );
    }

    // Percent-encoded bytes that are not UTF-8 at all.
    let raw = get(server.port, "/u/%FF%FEabc", &[]);
    assert_eq!((raw.status, &raw.body), (404, &want.body));
    let raw = post_form(server.port, "/u/%FF%FEabc", &[], ONE_CLICK);
    assert_eq!((raw.status, &raw.body), (404, &want.body));

    assert_eq!(statuses(&app), before_statuses);
    for (who, before) in ["an@example.nl", "bo@example.nl", "cor@example.nl"]
        .iter()
        .zip(before_logs)
    {
        assert_eq!(history(&app, who), before, "{who}");
    }
}

#[test]
fn pages_are_dutch_by_default_and_english_when_asked() {
    let (app, server) = started();
    let path = format!("/u/{}", token(&app, 1));
    let nl = get(server.port, &path, &[]);
    assert!(nl.body.contains("<html lang=\"nl\">"), "{}", nl.body);
    assert!(nl.body.contains("Afmelden"));
    let en = get(server.port, &path, &[("Accept-Language", "en")]);
    assert!(en.body.contains("<html lang=\"en\">"), "{}", en.body);
    assert!(en.body.contains("Unsubscribe"));
    let fr_en = get(
        server.port,
        &path,
        &[("Accept-Language", "fr-FR, en-GB;q=0.8, nl;q=0.5")],
    );
    assert!(fr_en.body.contains("<html lang=\"en\">"));
    let de = get(server.port, &path, &[("Accept-Language", "de")]);
    assert!(
        de.body.contains("<html lang=\"nl\">"),
        "the newsletter's language"
    );
    let done = post_form(
        server.port,
        &path,
        &[("Accept-Language", "en-US")],
        "from=page",
    );
    assert!(done.body.contains("I changed my mind"), "{}", done.body);
    // The newsletter's name is escaped.
    assert!(
        nl.body.contains("Publiek &amp; &lt;Leren&gt;"),
        "{}",
        nl.body
    );
    assert!(nl.body.contains("name=\"viewport\""));
}

#[test]
fn the_language_a_link_carries_wins_over_the_browser_and_a_link_without_one_follows_the_browser() {
    let app = TestApp::with_config("\n[server]\nbind = \"127.0.0.1:0\"\n");
    app.write(
        "leden.csv",
        "email,status,language\nan@example.nl,active,en\nbo@example.nl,active,nl\n",
    );
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    let server = Server::start(&app, &["serve"]);
    let dutch_browser = [("Accept-Language", "nl")];
    let english_browser = [("Accept-Language", "en")];
    // Mails write the reader's language into the link (`?lang=`).
    let page = |id: i64, query: &str, headers: &[(&str, &str)]| {
        get(
            server.port,
            &format!("/u/{}{query}", token(&app, id)),
            headers,
        )
    };
    assert!(
        page(1, "?lang=en", &dutch_browser)
            .body
            .contains("<html lang=\"en\">"),
        "An's link says English"
    );
    assert!(
        page(2, "?lang=nl", &english_browser)
            .body
            .contains("<html lang=\"nl\">"),
        "Bo's link says Dutch"
    );
    // Not the stored language: that would tell a genuine link from a
    // forged one (which gets the browser's).
    assert!(
        page(1, "", &dutch_browser)
            .body
            .contains("<html lang=\"nl\">"),
        "an old link without ?lang: the browser's language"
    );
    let done = post_form(
        server.port,
        &format!("/u/{}?lang=en", token(&app, 1)),
        &dutch_browser,
        ONE_CLICK,
    );
    assert!(done.body.contains("I changed my mind"), "{}", done.body);
    let forged = get(server.port, "/u/not-a-token?lang=en", &dutch_browser);
    assert!(forged.body.contains("<html lang=\"en\">"));
}

#[test]
fn every_answer_carries_the_security_headers_and_healthz_says_ok() {
    let (app, server) = started();
    let health = get(server.port, "/healthz", &[]);
    assert_eq!(health.status, 200);
    assert_eq!(health.body, "ok");
    assert_security_headers(&health);
    assert_security_headers(&get(server.port, &format!("/u/{}", token(&app, 1)), &[]));
    assert_security_headers(&post_form(server.port, "/u/nope", &[], ONE_CLICK));
    let missing = get(server.port, "/archief", &[]);
    assert_eq!(missing.status, 404);
    assert_security_headers(&missing);

    // A body over 16 KiB is refused and changes nothing.
    let big = format!("{ONE_CLICK}&pad={}", "x".repeat(20 * 1024));
    let refused = post_form(server.port, &format!("/u/{}", token(&app, 1)), &[], &big);
    assert_eq!(refused.status, 413);
    assert_eq!(statuses(&app), ["active", "active", "active"]);

    assert_eq!(server.stop(), Some(0), "SIGTERM stops serve cleanly");
}

#[test]
fn link_posts_over_the_per_ip_limit_get_429_with_retry_after_and_the_same_neutral_page() {
    let app = TestApp::with_config("\n[server]\nbind = \"127.0.0.1:0\"\n");
    app.write(
        "leden.csv",
        "email,status\nan@example.nl,active\nbo@example.nl,active\ncor@example.nl,active\n",
    );
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    let server = Server::start_with_env(
        &app,
        &["serve"],
        &[("POSTBODE_SERVER__LINK_POSTS_PER_MINUTE", "4")],
    );
    let port = server.port;
    // Four POSTs of the three kinds share one allowance per client IP.
    let unsubscribe_1 = format!("/u/{}", token(&app, 1));
    assert_eq!(post_form(port, &unsubscribe_1, &[], ONE_CLICK).status, 200);
    assert_eq!(post_form(port, "/u/forged", &[], ONE_CLICK).status, 404);
    let back = format!("{unsubscribe_1}/resubscribe");
    assert_eq!(post_form(port, &back, &[], "").status, 200);
    assert_eq!(post_form(port, "/confirm/forged", &[], "").status, 404);
    assert_eq!(statuses(&app), ["active", "active", "active"]);

    let genuine = post_form(port, &format!("/u/{}", token(&app, 2)), &[], ONE_CLICK);
    assert_eq!(genuine.status, 429, "{genuine:?}");
    let wait: u64 = genuine
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert!(
        genuine.body.contains("te veel verzoeken"),
        "{}",
        genuine.body
    );
    assert_security_headers(&genuine);
    // A forged token, the other routes: the very same answer.
    for (path, body) in [
        ("/u/forged".to_owned(), ONE_CLICK),
        (format!("/u/{}/resubscribe", token(&app, 2)), ""),
        ("/confirm/forged".to_owned(), ""),
    ] {
        let refused = post_form(port, &path, &[], body);
        assert_eq!(refused.status, 429, "{path}");
        assert_eq!(refused.body, genuine.body, "{path}");
        assert!(refused.header("retry-after").is_some(), "{path}");
    }
    // Nothing changed, and GETs (mail scanners, the pages) are not limited.
    assert_eq!(statuses(&app), ["active", "active", "active"]);
    assert_eq!(
        get(port, &format!("/u/{}", token(&app, 2)), &[]).status,
        200
    );
}

#[test]
fn an_unsubscribe_link_made_under_the_old_key_still_works_after_rotation_until_its_deadline() {
    const NEW_KEY: &str = "the-new-key-after-rotation-0123456789";
    let app = TestApp::new();
    app.write(
        "leden.csv",
        "email,status\nan@example.nl,active\nbo@example.nl,active\ncor@example.nl,active\n",
    );
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    // The same database (SQLite, or PostgreSQL in CI's second pass).
    let config = std::fs::read_to_string(app.path("postbode.toml")).expect("config");
    let database = config
        .lines()
        .find(|l| l.starts_with("url = "))
        .expect("database url")
        .to_owned();
    let rotated = |until: &str| {
        app.write(
            "postbode.toml",
            format!(
                "[database]\n{database}\n\n[server]\nbind = \"127.0.0.1:0\"\n\n\
                 [secrets]\ntoken_key = \"{NEW_KEY}\"\nprevious_token_key = \"{TOKEN_KEY}\"\n\
                 previous_token_key_until = \"{until}\"\n\
                 suppression_key = \"{}\"\n",
                support::SUPPRESSION_KEY
            ),
        );
    };
    let new_token = |id: i64| support::unsubscribe_token_with(&app, NEW_KEY, id);

    rotated("2099-01-01T00:00:00Z");
    let server = Server::start(&app, &["serve"]);
    // token() is made with the old key, as in mail sent before the rotation.
    let old = post_form(
        server.port,
        &format!("/u/{}", token(&app, 1)),
        &[],
        ONE_CLICK,
    );
    assert_eq!(old.status, 200);
    let new = post_form(server.port, &format!("/u/{}", new_token(2)), &[], ONE_CLICK);
    assert_eq!(new.status, 200);
    assert_eq!(statuses(&app), ["unsubscribed", "unsubscribed", "active"]);
    server.stop();

    // Past the deadline the old key is refused; the new one still works.
    rotated("2020-01-01T00:00:00Z");
    let server = Server::start(&app, &["serve"]);
    let old = post_form(
        server.port,
        &format!("/u/{}", token(&app, 3)),
        &[],
        ONE_CLICK,
    );
    assert_eq!(old.status, 404, "a link that no longer works, honestly");
    assert!(old.body.contains("Deze link werkt niet"), "{}", old.body);
    assert_eq!(statuses(&app), ["unsubscribed", "unsubscribed", "active"]);
    post_form(server.port, &format!("/u/{}", new_token(3)), &[], ONE_CLICK);
    assert_eq!(
        statuses(&app),
        ["unsubscribed", "unsubscribed", "unsubscribed"]
    );
}

#[test]
fn many_simultaneous_one_click_posts_are_each_committed_before_they_are_answered() {
    const PEOPLE: i64 = 40;
    let app = TestApp::with_config("\n[server]\nbind = \"127.0.0.1:0\"\n");
    let csv: String = (1..=PEOPLE)
        .map(|i| format!("lezer{i}@example.nl,active\n"))
        .collect();
    app.write("leden.csv", format!("email,status\n{csv}"));
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    let server = Server::start(&app, &["serve"]);
    let port = server.port;
    // All at once, so the writer task gets batches of several; each
    // thread checks the database as soon as its answer is in.
    let barrier = std::sync::Barrier::new(usize::try_from(PEOPLE).expect("small"));
    std::thread::scope(|scope| {
        for id in 1..=PEOPLE {
            let (app, barrier) = (&app, &barrier);
            scope.spawn(move || {
                barrier.wait();
                let path = format!("/u/{}", token(app, id));
                let first = post_form(port, &path, &[], ONE_CLICK);
                assert_eq!(first.status, 200, "{first:?}");
                let status = with_store(app, async |store| {
                    store.status_by_id(id).await.expect("status")
                });
                assert_eq!(
                    status.map(|s| s.as_str().to_owned()).as_deref(),
                    Some("unsubscribed"),
                    "subscriber {id} answered before the commit"
                );
                let again = post_form(port, &path, &[], ONE_CLICK);
                assert_eq!(again.status, 200);
                assert!(again.body.contains("Je was al afgemeld"), "{}", again.body);
            });
        }
    });
    for id in 1..=PEOPLE {
        let log = history(&app, &format!("lezer{id}@example.nl"));
        let left: Vec<_> = log.iter().filter(|c| c.1 == "unsubscribed").collect();
        assert_eq!(left.len(), 1, "subscriber {id}: {log:?}");
        assert_eq!(left[0].2, "one-click");
    }
}

/// `newsletter.base_url` of [`support::sending::app_sending_to`]: the
/// origin of every link in the mail it sends.
const MAIL_BASE_URL: &str = "https://nieuws.example.org";
/// A second sample issue, queued after [`ISSUE`].
const NEXT_ISSUE: &str = "2026-11-schrijven-voor-iedereen";

/// Everyone's status, by address.
fn everyone(app: &TestApp) -> BTreeMap<String, String> {
    let run = app.run(&["subscribers", "list", "--format", "json"]).ok();
    let all: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).expect("JSON");
    all.iter()
        .map(|s| {
            (
                s["email"].as_str().expect("email").to_owned(),
                s["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect()
}

/// Five readers (`lezer0..4@example.nl`) got the first sample issue
/// through a real SMTP server; the next issue has started (its five
/// deliveries are queued, as a big send in progress would have them) but
/// nothing of it is sent; `serve` runs.
struct AfterOneIssue {
    app: TestApp,
    smtp: TestSmtp,
    server: Server,
}

impl AfterOneIssue {
    fn new() -> AfterOneIssue {
        let smtp = TestSmtp::start();
        let app = app_sending_to(&smtp.url(), "rate_per_second = 1000");
        subscribers(&app, 5);
        queue(&app);
        app.run(&["send"]).ok();
        assert_eq!(smtp.wait_for(5, Duration::from_secs(10)).len(), 5);
        let queued = app
            .run(&["issue", "queue", &format!("emails/issues/{NEXT_ISSUE}")])
            .ok();
        assert_eq!(queued.stdout.trim(), NEXT_ISSUE);
        // What `send` does first: fix the recipients of the due issue.
        let started = with_store(&app, async |store| {
            store
                .start_due_issues(postbode::store::now_ms(), None)
                .await
                .expect("start")
        });
        assert_eq!(started, [NEXT_ISSUE]);
        for i in 0..5 {
            let who = format!("lezer{i}@example.nl");
            let statuses: Vec<_> = deliveries_of(&app, &who)
                .into_iter()
                .map(|d| (d.issue, d.status))
                .collect();
            assert_eq!(
                statuses,
                [
                    (ISSUE.to_owned(), "sent".to_owned()),
                    (NEXT_ISSUE.to_owned(), "queued".to_owned())
                ],
                "{who}"
            );
        }
        let server = Server::start(&app, &["serve"]);
        AfterOneIssue { app, smtp, server }
    }

    /// The message of the first issue that `who` received.
    fn mail_to(&self, who: &str) -> Mail {
        let got: Vec<_> = self
            .smtp
            .messages()
            .into_iter()
            .filter(|m| m.to == [who])
            .collect();
        assert_eq!(got.len(), 1, "one message to {who}");
        Mail::parse(&got[0].data)
    }

    /// Checks that `who`, and nobody else, went from active to
    /// unsubscribed with `source`; that their queued delivery of the next
    /// issue was skipped at once; and that sending it reaches everyone else
    /// but them.
    fn assert_only_they_left(&self, who: &str, before: &BTreeMap<String, String>, source: &str) {
        let app = &self.app;
        let mut expected = before.clone();
        assert_eq!(
            expected.insert(who.to_owned(), "unsubscribed".to_owned()),
            Some("active".to_owned())
        );
        assert_eq!(everyone(app), expected, "only {who} changed");
        let log = status_log(app, who);
        let left: Vec<_> = log.iter().filter(|c| c.to == "unsubscribed").collect();
        assert_eq!(left.len(), 1, "{log:?}");
        assert_eq!(
            (left[0].from.as_deref(), left[0].source.as_str()),
            (Some("active"), source),
            "{log:?}"
        );
        assert_eq!(
            log.last().map(|c| c.to.as_str()),
            Some("unsubscribed"),
            "{log:?}"
        );
        // Skipped in the same transaction as the unsubscribe, before any
        // sender looked.
        let next: Vec<_> = deliveries_of(app, who)
            .into_iter()
            .filter(|d| d.issue == NEXT_ISSUE)
            .map(|d| (d.status, d.last_reply))
            .collect();
        assert_eq!(
            next,
            [("skipped".to_owned(), Some("unsubscribed".to_owned()))],
            "{who}'s queued delivery"
        );

        let sent_before = self.smtp.messages().len();
        let run = app.run(&["send"]).ok();
        assert!(run.stdout.contains("sent 4, failed 0"), "{}", run.stdout);
        let got = self.smtp.wait_for(sent_before + 4, Duration::from_secs(10));
        let next_to: Vec<_> = got[sent_before..]
            .iter()
            .flat_map(|m| m.to.clone())
            .collect();
        assert_eq!(next_to.len(), 4, "{next_to:?}");
        assert!(!next_to.iter().any(|t| t == who), "{next_to:?}");
        let status = app
            .run(&["issue", "status", NEXT_ISSUE, "--format", "json"])
            .ok();
        let status: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
        let c = &status[0]["counts"];
        assert_eq!(
            (
                c["sent"].as_i64(),
                c["skipped"].as_i64(),
                c["queued"].as_i64()
            ),
            (Some(4), Some(1), Some(0)),
            "{c}"
        );
    }
}

#[test]
fn the_one_click_header_of_a_sent_mail_unsubscribes_exactly_its_reader_and_skips_their_queued_issue()
 {
    let sent = AfterOneIssue::new();
    let who = "lezer2@example.nl";
    let url = sent.mail_to(who).one_click_url();
    let path = path_under(&url, MAIL_BASE_URL);
    assert!(path.starts_with("/u/"), "{url}");
    let before = everyone(&sent.app);

    // What a mail provider sends for its "unsubscribe" button (RFC 8058).
    let done = post_form(sent.server.port, &path, &[], ONE_CLICK);
    assert_eq!(done.status, 200, "{done:?}");
    sent.assert_only_they_left(who, &before, "one-click");
}

#[test]
fn the_footer_link_of_a_sent_mail_shows_a_button_that_unsubscribes_exactly_its_reader() {
    let sent = AfterOneIssue::new();
    let who = "lezer3@example.nl";
    let mail = sent.mail_to(who);
    let url = mail.footer_link("Afmelden");
    assert_eq!(url, mail.one_click_url(), "the footer and the header agree");
    let path = path_under(&url, MAIL_BASE_URL);
    let before = everyone(&sent.app);

    // A mail scanner or a reader opening the link: a page, no change.
    let page = get(sent.server.port, &path, &[]);
    assert_eq!(page.status, 200);
    assert_eq!(page.body.matches("<form").count(), 1, "{}", page.body);
    assert_eq!(page.body.matches("<button").count(), 1, "{}", page.body);
    assert_eq!(everyone(&sent.app), before, "GET changes nothing");
    assert_eq!(
        deliveries_of(&sent.app, who)[1].status,
        "queued",
        "GET skips nothing"
    );

    // The button: the form's own fields, posted to the form's own URL.
    assert!(
        page.body.contains("<form method=\"post\">"),
        "{}",
        page.body
    );
    let done = post_form(sent.server.port, &path, &[], &form_fields(&page.body));
    assert_eq!(done.status, 200, "{done:?}");
    sent.assert_only_they_left(who, &before, "page");
}

/// The `name=value` pairs of the inputs in a page's one form, as a
/// browser would post them.
fn form_fields(page: &str) -> String {
    let form = page
        .split("<form")
        .nth(1)
        .and_then(|f| f.split("</form>").next())
        .expect("a form");
    let attribute = |tag: &str, name: &str| {
        tag.split(&format!("{name}=\""))
            .nth(1)
            .and_then(|v| v.split('"').next())
            .map(str::to_owned)
    };
    form.split("<input")
        .skip(1)
        .filter_map(|tag| {
            let tag = tag.split('>').next().unwrap_or("");
            Some(format!(
                "{}={}",
                attribute(tag, "name")?,
                attribute(tag, "value").unwrap_or_default()
            ))
        })
        .collect::<Vec<_>>()
        .join("&")
}
