//! Subscribing with double opt-in, end to end: the real `postbode serve`, a
//! real SQLite file, plain HTTP/1.1 over TCP, and the confirmation mail
//! arriving at an in-process SMTP server.

mod support;

use std::time::Duration;

use postbode::mail::TokenKey;
use postbode::web::limits::ADDRESS_LIMIT;
use support::http::{Server, get, post_form};
use support::smtp::{Received, TestSmtp};
use support::{TestApp, email, with_store};

/// The test config's `secrets.token_key` (see `TestApp::with_config`).
const TOKEN_KEY: &str = "test-key-0123456789abcdef0123456789abcdef";
const BASE: &str = "https://nieuws.example.org";

/// An app sending to `smtp`, with an `emails/` copy, these subscribers
/// (`email,name,status` lines) and `serve` running.
fn started(smtp: &TestSmtp, subscribers: &str) -> (TestApp, Server) {
    started_with(smtp, subscribers, "")
}

/// [`started`], with `server` (TOML lines) added to `[server]`.
fn started_with(smtp: &TestSmtp, subscribers: &str, server: &str) -> (TestApp, Server) {
    let app = TestApp::with_config(&format!(
        "\n[newsletter]\nname = \"Publiek Leren\"\nfrom = \"Redactie <redactie@example.org>\"\n\
         reply_to = \"Jan <jan@example.org>\"\nbase_url = \"{BASE}\"\n\n\
         [smtp]\nurl = \"{}\"\ncommand_timeout_secs = 5\n\n[server]\nbind = \"127.0.0.1:0\"\n{server}",
        smtp.url()
    ));
    support::sending::copy_emails(&app);
    if !subscribers.is_empty() {
        app.write("leden.csv", format!("email,name,status\n{subscribers}"));
        app.run(&["subscribers", "import", "leden.csv"]).ok();
    }
    let server = Server::start(&app, &["serve"]);
    (app, server)
}

/// The status of `who`, or `None` when unknown.
fn status(app: &TestApp, who: &str) -> Option<String> {
    with_store(app, async |store| {
        store
            .find_subscriber(&email(who))
            .await
            .expect("find")
            .map(|s| s.status.as_str().to_owned())
    })
}

/// The subscriber id of `who`.
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

fn subscribe(server: &Server, body: &str) -> support::http::Response {
    post_form(server.port, "/subscribe", &[], body)
}

/// The `/confirm/TOKEN?lang=…` path in a mail, whatever its transfer
/// encoding.
fn confirm_path(mail: &Received) -> String {
    support::mail_links::link_path_and_query(&mail.data, BASE, "/confirm/").unwrap_or_else(|| {
        panic!(
            "no /confirm/ link in the mail:\n{}",
            String::from_utf8_lossy(&mail.data)
        )
    })
}

/// Waits a little, for a mail that must not come.
fn settle() {
    std::thread::sleep(Duration::from_millis(700));
}

#[test]
fn the_form_is_labelled_has_a_hidden_honeypot_and_no_script() {
    let smtp = TestSmtp::start();
    let (_app, server) = started(&smtp, "");
    let nl = get(server.port, "/subscribe", &[]);
    assert_eq!(nl.status, 200);
    assert!(nl.body.contains("<html lang=\"nl\">"));
    assert!(
        nl.body.contains("<label for=\"email\">E-mailadres</label>"),
        "{}",
        nl.body
    );
    assert!(nl.body.contains("<label for=\"name\">"));
    assert!(
        nl.body
            .contains("type=\"email\" id=\"email\" name=\"email\" required")
    );
    assert!(
        nl.body
            .contains("name=\"website\" tabindex=\"-1\" autocomplete=\"off\"")
    );
    assert!(nl.body.contains("<div class=\"hp\" aria-hidden=\"true\">"));
    assert!(!nl.body.contains("<script"));
    let en = get(server.port, "/subscribe", &[("Accept-Language", "en")]);
    assert!(
        en.body
            .contains("<label for=\"email\">Email address</label>")
    );
}

#[test]
fn subscribe_mail_confirm_link_get_changes_nothing_post_activates() {
    let smtp = TestSmtp::start();
    let (app, server) = started(&smtp, "");
    let thanks = subscribe(&server, "email=zoe%40example.nl&name=Zo%C3%AB&website=");
    assert_eq!(thanks.status, 200);
    assert!(
        thanks.body.contains("Kijk in je mailbox"),
        "{}",
        thanks.body
    );

    // The answer comes before any work (the same time for every address);
    // the mail comes after the write.
    let mails = smtp.wait_for(1, Duration::from_secs(15));
    assert_eq!(mails.len(), 1, "one confirmation mail");
    assert_eq!(status(&app, "zoe@example.nl").as_deref(), Some("pending"));
    let mail = &mails[0];
    assert_eq!(mail.to, ["zoe@example.nl"]);
    assert_eq!(mail.from, "redactie@example.org");
    let raw = String::from_utf8_lossy(&mail.data);
    assert!(
        raw.contains("From: Redactie <redactie@example.org>"),
        "{raw}"
    );
    assert!(raw.contains("Reply-To: Jan <jan@example.org>"), "{raw}");
    assert!(raw.contains("Message-ID: <pb."), "{raw}");
    assert!(raw.contains("text/plain"), "{raw}");
    assert!(
        raw.contains("text/html"),
        "rendered from confirm.mjml: {raw}"
    );
    assert!(!raw.contains("List-Unsubscribe"), "{raw}");
    let path = confirm_path(mail);

    for _ in 0..2 {
        let page = get(server.port, &path, &[]);
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("<form method=\"post\">"),
            "{}",
            page.body
        );
        assert!(page.body.contains("<button type=\"submit\">"));
    }
    assert_eq!(
        status(&app, "zoe@example.nl").as_deref(),
        Some("pending"),
        "GET changes nothing"
    );

    // Zoe subscribed on the Dutch form: the link in her mail says so
    // (`?lang=nl`), so its pages stay Dutch, whatever this browser asks for.
    assert!(path.ends_with("?lang=nl"), "{path}");
    let done = post_form(server.port, &path, &[("Accept-Language", "en")], "");
    assert_eq!(done.status, 200);
    assert!(done.body.contains("Je bent aangemeld"), "{}", done.body);
    assert_eq!(status(&app, "zoe@example.nl").as_deref(), Some("active"));
    let history = with_store(&app, async |store| {
        store
            .status_history(&email("zoe@example.nl"))
            .await
            .expect("history")
    });
    let last = history.last().expect("a change");
    assert_eq!(
        (last.0.as_deref(), last.1.as_str(), last.2.as_str()),
        (Some("pending"), "active", "confirm")
    );
}

#[test]
fn a_known_address_gets_exactly_the_answer_a_new_one_gets() {
    let smtp = TestSmtp::start();
    let (app, server) = started(
        &smtp,
        "an@example.nl,An,active\nweg@example.nl,Weg,unsubscribed\nkaput@example.nl,K,bounced\n",
    );
    let new = subscribe(&server, "email=nieuw%40example.nl&name=&website=");
    let active = subscribe(&server, "email=an%40example.nl&name=&website=");
    let bounced = subscribe(&server, "email=kaput%40example.nl&name=&website=");
    assert_eq!(new.status, 200);
    assert_eq!((active.status, &active.body), (new.status, &new.body));
    assert_eq!((bounced.status, &bounced.body), (new.status, &new.body));
    smtp.wait_for(1, Duration::from_secs(15));
    settle();
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "nothing to the active or bounced address");
    assert_eq!(mails[0].to, ["nieuw@example.nl"]);
    assert_eq!(status(&app, "an@example.nl").as_deref(), Some("active"));
    assert_eq!(status(&app, "kaput@example.nl").as_deref(), Some("bounced"));

    // Someone who left can come back by confirming.
    let back = subscribe(&server, "email=weg%40example.nl&name=&website=");
    assert_eq!((back.status, &back.body), (new.status, &new.body));
    let mails = smtp.wait_for(2, Duration::from_secs(15));
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].to, ["weg@example.nl"]);
    let done = post_form(server.port, &confirm_path(&mails[1]), &[], "");
    assert!(done.body.contains("Je bent aangemeld"), "{}", done.body);
    assert_eq!(status(&app, "weg@example.nl").as_deref(), Some("active"));
}

#[test]
fn a_filled_honeypot_gets_the_same_page_and_nothing_happens() {
    let smtp = TestSmtp::start();
    let (app, server) = started(&smtp, "");
    let real = subscribe(&server, "email=echt%40example.nl&name=&website=");
    let bot = subscribe(
        &server,
        "email=bot%40example.nl&name=Bot&website=https%3A%2F%2Fspam.example",
    );
    assert_eq!((bot.status, &bot.body), (real.status, &real.body));
    smtp.wait_for(1, Duration::from_secs(15));
    settle();
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["echt@example.nl"]);
    assert_eq!(status(&app, "bot@example.nl"), None);
}

#[test]
fn an_invalid_address_gets_the_form_again_naming_the_field() {
    let smtp = TestSmtp::start();
    let (app, server) = started(&smtp, "");
    let nl = subscribe(&server, "email=geen-adres&name=Zo%C3%AB&website=");
    assert_eq!(nl.status, 400);
    assert!(
        nl.body
            .contains("E-mailadres: vul een geldig e-mailadres in"),
        "{}",
        nl.body
    );
    assert!(nl.body.contains("value=\"geen-adres\""));
    assert!(nl.body.contains("value=\"Zoë\""));
    assert!(nl.body.contains("aria-invalid=\"true\""));
    let en = post_form(
        server.port,
        "/subscribe",
        &[("Accept-Language", "en")],
        "email=&website=",
    );
    assert_eq!(en.status, 400);
    assert!(
        en.body
            .contains("Email address: please enter a valid email address")
    );
    settle();
    assert!(smtp.messages().is_empty());
    let count = with_store(&app, async |store| {
        store.count_by_status().await.expect("count")
    });
    assert!(count.iter().all(|(_, n)| *n == 0), "{count:?}");
}

#[test]
fn a_forged_or_expired_confirm_token_activates_nobody() {
    let smtp = TestSmtp::start();
    let (app, server) = started(&smtp, "wacht@example.nl,Wacht,pending\n");
    let id = id_of(&app, "wacht@example.nl");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let now = i64::try_from(now).expect("seconds");
    let other_key = TokenKey::new("another-key-0123456789abcdef").expect("key");
    let real_key = TokenKey::new(TOKEN_KEY).expect("key");
    let genuine = |issued| support::confirm_token(&app, id, issued);
    let salt = with_store(&app, async |store| store.link_salt(id).await.expect("salt"));
    let last = with_store(&app, async |store| {
        store.last_status_change(id).await.expect("last")
    });
    let forged = [
        other_key.confirm_token(id, salt.salt(), now, last),
        genuine(now - 8 * 24 * 3600),
        // Made without their link salt.
        real_key.confirm_token(id, None, now, last),
        support::unsubscribe_token(&app, id),
        "not-a-token".to_owned(),
    ];
    // Honest: 404, a page that says the link does not work, offers to
    // sign up again and to unsubscribe by address (was: 200).
    for token in &forged {
        for page in [
            get(server.port, &format!("/confirm/{token}"), &[]),
            post_form(server.port, &format!("/confirm/{token}"), &[], ""),
        ] {
            assert_eq!(page.status, 404);
            assert!(page.body.contains("Deze link werkt niet"), "{}", page.body);
            assert!(page.body.contains("href=\"/subscribe\""));
            assert!(page.body.contains("action=\"/unsubscribe\""));
        }
        assert_eq!(status(&app, "wacht@example.nl").as_deref(), Some("pending"));
    }
    // The genuine one, for contrast.
    let page = post_form(server.port, &format!("/confirm/{}", genuine(now)), &[], "");
    assert!(page.body.contains("Je bent aangemeld"), "{}", page.body);
    assert_eq!(status(&app, "wacht@example.nl").as_deref(), Some("active"));
}

#[test]
fn the_sixth_post_from_one_client_in_ten_minutes_gets_429() {
    let smtp = TestSmtp::start();
    let (_app, server) = started(&smtp, "");
    for i in 0..5 {
        let r = subscribe(&server, &format!("email=x{i}%40example.nl&website=spam"));
        assert_eq!(r.status, 200, "request {i}");
    }
    let over = subscribe(&server, "email=y%40example.nl&website=");
    assert_eq!(over.status, 429);
    assert!(
        over.body.contains("Probeer het over tien minuten opnieuw"),
        "{}",
        over.body
    );
    // Other pages are not limited.
    assert_eq!(get(server.port, "/subscribe", &[]).status, 200);
}

#[test]
fn a_fourth_confirmation_mail_within_the_hour_is_not_sent() {
    let smtp = TestSmtp::start();
    let (_app, server) = started(&smtp, "");
    let first = subscribe(&server, "email=vaak%40example.nl&website=");
    for _ in 0..3 {
        let again = subscribe(&server, "email=vaak%40example.nl&website=");
        assert_eq!((again.status, &again.body), (first.status, &first.body));
    }
    smtp.wait_for(3, Duration::from_secs(15));
    settle();
    assert_eq!(smtp.messages().len(), 3);
}

/// One gmail mailbox written 40 ways: case, dots in the local part (gmail
/// ignores them), a `+tag`, and googlemail.com for gmail.com.
fn gmail_variant(i: usize) -> String {
    let mut local: String = "annajansen"
        .chars()
        .enumerate()
        .map(|(k, c)| {
            if k == i % 10 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    local.insert(1 + i % 9, '.');
    let tag = if i >= 10 {
        format!("+n{i}")
    } else {
        String::new()
    };
    let domain = if i % 2 == 0 {
        "gmail.com"
    } else {
        "GoogleMail.com"
    };
    format!("{local}{tag}@{domain}")
}

/// A form POST to `/subscribe` from our own page, for the client
/// `forwarded_for` (as the trusted proxy on loopback says).
fn subscribe_as(server: &Server, forwarded_for: &str, address: &str) -> support::http::Response {
    let body = format!(
        "email={}&website=",
        address.replace('+', "%2B").replace('@', "%40")
    );
    post_form(
        server.port,
        "/subscribe",
        &[("X-Forwarded-For", forwarded_for), ("Origin", BASE)],
        &body,
    )
}

#[test]
fn forty_spellings_of_one_gmail_mailbox_from_forty_clients_get_at_most_the_address_limit_of_mails()
{
    let smtp = TestSmtp::start();
    let proxies = "trusted_proxies = [\"127.0.0.1\", \"::1\"]\n";
    let (_app, server) = started_with(&smtp, "", proxies);
    for i in 0..40 {
        let address = gmail_variant(i);
        let client = format!("203.0.113.{}", i + 1);
        let answer = subscribe_as(&server, &client, &address);
        assert_eq!(answer.status, 200, "{address}: {}", answer.body);
    }
    smtp.wait_for(ADDRESS_LIMIT, Duration::from_secs(15));
    std::thread::sleep(Duration::from_secs(2));
    let to: Vec<Vec<String>> = smtp.messages().into_iter().map(|m| m.to).collect();
    assert_eq!(to.len(), ADDRESS_LIMIT, "{to:?}");
}

#[test]
fn the_mail_limit_of_a_mailbox_survives_a_restart_on_the_same_database() {
    let smtp = TestSmtp::start();
    let (app, server) = started(&smtp, "");
    for _ in 0..ADDRESS_LIMIT {
        let answer = subscribe_as(&server, "", "vaak@example.nl");
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    smtp.wait_for(ADDRESS_LIMIT, Duration::from_secs(15));
    server.stop();
    let again = Server::start(&app, &["serve"]);
    let answer = subscribe_as(&again, "", "Vaak@example.nl");
    assert_eq!(answer.status, 200, "{}", answer.body);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(smtp.messages().len(), ADDRESS_LIMIT);
}

#[test]
fn a_post_from_another_site_gets_403_and_no_mail_while_our_own_and_allowed_origins_work() {
    let smtp = TestSmtp::start();
    let allowed = "https://www.publiek-leren.nl";
    let extra = format!("allowed_origins = [\"{allowed}/\"]\n");
    let (app, server) = started_with(&smtp, "", &extra);
    let evil = [
        ("Origin", "https://evil.example"),
        ("Referer", "https://evil.example/form.html"),
        ("Origin", "https://nieuws.example.org.evil.example"),
        ("Origin", "http://nieuws.example.org"),
    ];
    for (path, body) in [
        ("/subscribe", "email=doel%40example.nl&website="),
        ("/unsubscribe", "email=doel%40example.nl&website="),
    ] {
        for (name, value) in evil {
            let answer = post_form(server.port, path, &[(name, value)], body);
            assert_eq!(answer.status, 403, "{path} {name}: {value}");
            assert!(
                answer.body.contains("vanaf een andere website"),
                "{}",
                answer.body
            );
        }
    }
    let en = post_form(
        server.port,
        "/subscribe",
        &[
            ("Origin", "https://evil.example"),
            ("Accept-Language", "en"),
        ],
        "email=doel%40example.nl&website=",
    );
    assert!(en.body.contains("from another website"), "{}", en.body);
    settle();
    assert!(smtp.messages().is_empty());
    assert_eq!(status(&app, "doel@example.nl"), None);

    let own = [
        ("Origin", BASE),
        ("Origin", allowed),
        ("Referer", "https://www.publiek-leren.nl/nieuwsbrief?x=1"),
    ];
    for (i, (name, value)) in own.into_iter().enumerate() {
        let body = format!("email=lid{i}%40example.nl&website=");
        let answer = post_form(server.port, "/subscribe", &[(name, value)], &body);
        assert_eq!(answer.status, 200, "{name}: {value}: {}", answer.body);
    }
    // Neither header (curl, a privacy setting): allowed.
    let bare = subscribe(&server, "email=kaal%40example.nl&website=");
    assert_eq!(bare.status, 200);
    assert_eq!(smtp.wait_for(4, Duration::from_secs(15)).len(), 4);
}

#[test]
fn a_sign_up_answered_just_before_serve_is_stopped_is_still_stored_and_mailed() {
    // The form answers before it stores and mails (so every address takes
    // the same time). An SMTP server that takes two seconds over each
    // recipient keeps that mail in flight when SIGTERM comes; serve must
    // finish it before it exits, since the page said a mail is on its way.
    let smtp = TestSmtp::start_with(|_| {
        std::thread::sleep(Duration::from_secs(2));
        support::smtp::Reply::ok()
    });
    let (app, server) = started(&smtp, "");
    let r = subscribe(&server, "email=laat%40voorbeeld.nl&name=Laat");
    assert_eq!(r.status, 200, "{}", r.body);
    // Stopped at once: the mail cannot have been handed over yet.
    let code = server.stop();
    assert_eq!(code, Some(0), "serve exits cleanly after SIGTERM");
    let mails = smtp.wait_for(1, Duration::from_secs(1));
    assert_eq!(
        mails.len(),
        1,
        "the confirmation mail the page announced went out before serve exited"
    );
    assert_eq!(mails[0].to, ["laat@voorbeeld.nl"]);
    assert_eq!(
        status(&app, "laat@voorbeeld.nl").as_deref(),
        Some("pending")
    );
}

/// `postbode serve` in `app`, which must stop by itself within 30 s.
fn serve_exits(app: &TestApp) -> (Option<i32>, String) {
    let mut child = app.spawn(&["serve"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut e) = child.stderr.take() {
                std::io::Read::read_to_string(&mut e, &mut stderr).expect("stderr");
            }
            return (status.code(), stderr);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().expect("kill");
    let _ = child.wait();
    (None, "still serving after 30 s".to_owned())
}

/// A broken system mail stops `serve` at start-up, naming the template
/// and what is wrong: a relative link, a confirmation mail whose HTML
/// lacks the confirmation link, a template error.
#[test]
fn serve_refuses_to_start_with_a_broken_system_mail() {
    let app = TestApp::new();
    support::sending::copy_emails(&app);
    let confirm = app.path("emails/system/confirm.mjml");
    let good = std::fs::read_to_string(&confirm).expect("read");
    let cases = [
        (
            good.replacen("href=\"{{ confirm_url }}\"", "href=\"/hulp\"", 1),
            "the link \"/hulp\" is not absolute",
        ),
        (
            good.replace(
                "href=\"{{ confirm_url }}\"",
                "href=\"https://example.org/\"",
            ),
            "no link to http://localhost:8080/confirm/voorbeeld",
        ),
        (
            good.replacen("{{ confirm_url }}", "{{ bevestig_url }}", 1),
            "`bevestig_url` is undefined",
        ),
    ];
    for (broken, says) in cases {
        std::fs::write(&confirm, broken).expect("write");
        let (code, stderr) = serve_exits(&app);
        assert!(code.is_some_and(|c| c != 0), "{says}: {stderr}");
        assert!(
            stderr.contains("system/confirm.mjml") && stderr.contains(says),
            "{says}: {stderr}"
        );
    }
    std::fs::write(&confirm, good).expect("restore");
    let server = Server::start(&app, &["serve"]);
    assert_eq!(server.stop(), Some(0));
}
