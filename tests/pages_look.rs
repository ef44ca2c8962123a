//! The restyled public pages in a real browser (Debian's Chromium, driven
//! by playwright-core from tests/node/look.js), in Dutch and English: the
//! subscribe form, the archive and the unsubscribe page have the
//! newsletter's page colour, paper and serif font (read here from
//! emails/layout.mjml and emails/partials/head.mjml), their texts in the
//! browser's language, and the archive's dates written out. Screenshots go
//! to a kept temporary folder whose paths are printed. Also, over plain
//! HTTP: a newsletter offered in one language speaks it whatever the
//! browser asks, and an issue's web version offers subscribing.

mod support;

use std::process::Command;

use support::http::{Server, get};
use support::sending::{ISSUE, copy_emails, queue, subscribers};
use support::{TestApp, repo_file, unsubscribe_token};

const CONFIG: &str = "\n[newsletter]\nname = \"Publiek Leren\"\nbase_url = \"https://nieuws.example.org\"\n\n[server]\nbind = \"127.0.0.1:0\"\n";

/// Subscribers, the sample issue of 2026-10-29 sent, `serve` running;
/// `extra` goes into the `[newsletter]` table.
fn started(extra: &str) -> (TestApp, Server) {
    let config = CONFIG.replace("[server]", &format!("{extra}\n[server]"));
    let app = TestApp::with_config(&config);
    copy_emails(&app);
    subscribers(&app, 1);
    queue(&app);
    let run = app.run(&["send"]).ok();
    assert!(run.stdout.contains("sent 1, failed 0"), "{}", run.stdout);
    let server = Server::start(&app, &["serve"]);
    (app, server)
}

/// `attr`'s value on the first `<tag …>` that has it in the repository
/// file `file` (the head partial's comment mentions tags too).
fn newsletter_value(file: &str, tag: &str, attr: &str) -> String {
    let text = std::fs::read_to_string(repo_file(file)).expect("read the newsletter file");
    let wanted = format!(" {attr}=\"");
    text.split(&format!("<{tag} "))
        .skip(1)
        .filter_map(|rest| {
            let inside = format!(" {}", &rest[..rest.find('>')?]);
            let value = &inside[inside.find(&wanted)? + wanted.len()..];
            Some(value[..value.find('"')?].to_owned())
        })
        .next()
        .unwrap_or_else(|| panic!("no {attr} on <{tag}> in {file}"))
}

/// `#rrggbb` as the browser computes it: `rgb(r, g, b)`.
fn rgb(hex: &str) -> String {
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex");
    format!("rgb({}, {}, {})", byte(1), byte(3), byte(5))
}

fn look(base: &str, lang: &str, shots: &std::path::Path, paths: &[&str]) -> Vec<serde_json::Value> {
    let out = Command::new("node")
        .arg(repo_file("tests/node/look.js"))
        .args([base, lang, &shots.display().to_string()])
        .args(paths)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "look.js failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON list")
}

#[test]
fn the_pages_wear_the_newsletters_colours_and_font_and_speak_the_readers_language() {
    if support::browser::Chromium::find().is_none()
        || support::outside::node_with("playwright-core").is_none()
    {
        return;
    }
    let (app, server) = started("");
    let base = format!("http://127.0.0.1:{}", server.port);
    let unsubscribe = format!("/u/{}", unsubscribe_token(&app, 1));
    let page = rgb(&newsletter_value(
        "emails/layout.mjml",
        "mj-body",
        "background-color",
    ));
    let head = "emails/partials/head.mjml";
    let paper = rgb(&newsletter_value(head, "mj-section", "background-color"));
    let accent = rgb(&newsletter_value(head, "mj-button", "background-color"));
    let serif = newsletter_value(head, "mj-all", "font-family");
    let first_font = serif.split(',').next().expect("a font").trim().to_owned();
    let shots = tempfile::Builder::new()
        .prefix("postbode-pages-look-")
        .tempdir()
        .expect("a folder for screenshots")
        .keep();
    let readers = [
        (
            "nl",
            ["Aanmelden", "Archief", "Afmelden"],
            "29 oktober 2026",
            "Afmelden",
        ),
        (
            "en",
            ["Subscribe", "Archive", "Unsubscribe"],
            "29 October 2026",
            "Unsubscribe",
        ),
    ];
    for (lang, titles, date, button) in readers {
        let seen = look(
            &base,
            lang,
            &shots,
            &["/subscribe", "/archive", &unsubscribe],
        );
        assert_eq!(seen.len(), 3);
        for (page_seen, title) in seen.iter().zip(titles) {
            println!("screenshot: {}", page_seen["shot"].as_str().unwrap_or("?"));
            let what = format!("{lang} {}: {page_seen}", page_seen["path"]);
            assert_eq!(page_seen["lang"], lang, "{what}");
            assert_eq!(page_seen["h1"], title, "{what}");
            assert_eq!(page_seen["bodyBackground"], page.as_str(), "{what}");
            assert_eq!(page_seen["mainBackground"], paper.as_str(), "{what}");
            for font in ["bodyFont", "h1Font"] {
                let family = page_seen[font].as_str().unwrap_or_default();
                assert!(family.starts_with(&first_font), "{font} {family}: {what}");
            }
        }
        let (archive, unsubscribe_page) = (&seen[1], &seen[2]);
        assert_eq!(archive["times"], serde_json::json!([date]), "{archive}");
        let links = archive["links"].as_array().expect("links");
        assert!(links.iter().any(|l| l == "/subscribe"), "{archive}");
        assert!(
            links.iter().any(|l| l == &format!("/archive/{ISSUE}")),
            "{archive}"
        );
        assert_eq!(unsubscribe_page["buttonBackground"], accent.as_str());
        let text = unsubscribe_page["text"].as_str().unwrap_or_default();
        assert!(text.contains(button), "{text}");
        let other = if lang == "nl" {
            "Unsubscribe"
        } else {
            "Afmelden"
        };
        assert!(!text.contains(other), "{lang}: {text}");
    }
}

#[test]
fn a_newsletter_in_one_language_shows_its_pages_in_it_whatever_the_browser_asks() {
    let (app, server) = started("languages = [\"nl\"]\n");
    let token = unsubscribe_token(&app, 1);
    for path in [
        "/subscribe".to_owned(),
        "/archive".to_owned(),
        format!("/u/{token}?lang=en"),
    ] {
        let page = get(server.port, &path, &[("Accept-Language", "en")]);
        assert_eq!(page.status, 200, "{path}");
        assert!(
            page.body.contains("<html lang=\"nl\">"),
            "{path}: {}",
            page.body
        );
    }
    let archive = get(server.port, "/archive", &[("Accept-Language", "en")]);
    assert!(archive.body.contains("29 oktober 2026"), "{}", archive.body);
}

#[test]
fn an_issues_web_version_offers_subscribing_in_the_issues_language() {
    let (_app, server) = started("");
    let page = get(
        server.port,
        &format!("/archive/{ISSUE}"),
        &[("Accept-Language", "en")],
    );
    assert_eq!(page.status, 200);
    let body = &page.body;
    let offer = body
        .find("href=\"/subscribe\"")
        .expect("a link to subscribe");
    assert!(offer > body.find("<body").expect("a body"), "{body}");
    assert!(
        body.contains("Meld je aan om de volgende nummers"),
        "{body}"
    );
    assert!(body.contains("Voorbij de pilot"), "{body}");
}
