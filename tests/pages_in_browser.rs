//! The public pages clicked through in a real browser (Debian's Chromium,
//! driven by playwright-core from tests/node), in Dutch and in English:
//! subscribe, confirm from the mail, unsubscribe, change one's mind.
//! Screenshots go to target/screenshots/pages/.

mod support;

use std::process::Command;

use support::http::Server;
use support::{TestApp, repo_file};

const TOKEN_KEY: &str = "test-key-0123456789abcdef0123456789abcdef";

/// Runs tests/node/pages.js; the `<h1>` of each page it saw.
fn browse(args: &[&str]) -> Vec<String> {
    let out = Command::new("node")
        .arg(repo_file("tests/node/pages.js"))
        .args(args)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "pages.js {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON list of headings")
}

/// The token of the `/confirm/TOKEN` link in a mail, whatever its
/// transfer encoding (quoted-printable soft breaks, or base64).
fn confirm_token(raw: &str) -> String {
    use base64::Engine as _;
    let mut texts = vec![raw.replace("=\r\n", "")];
    for chunk in raw.split("\r\n\r\n") {
        let joined: String = chunk.split("\r\n").collect();
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(joined.trim()) {
            texts.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    texts
        .iter()
        .find_map(|t| t.split("/confirm/").nth(1))
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect()
        })
        .expect("a confirm link in the mail")
}

fn subscriber(app: &TestApp, who: &str) -> serde_json::Value {
    let run = app.run(&["subscribers", "list", "--format", "json"]).ok();
    let all: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).expect("JSON");
    all.into_iter()
        .find(|s| s["email"] == who)
        .unwrap_or(serde_json::Value::Null)
}

#[test]
fn a_reader_subscribes_confirms_unsubscribes_and_changes_their_mind_in_dutch_and_english() {
    if support::browser::Chromium::find().is_none()
        || support::outside::node_with("playwright-core").is_none()
    {
        return;
    }
    let app = TestApp::with_config(
        "\n[newsletter]\nname = \"Publiek Leren\"\n\n[server]\nbind = \"127.0.0.1:0\"\n",
    );
    support::sending::copy_emails(&app);
    let server = Server::start(&app, &["serve"]);
    let base = format!("http://127.0.0.1:{}", server.port);
    let shots = support::browser::screenshot_dir("pages");
    let tokens = postbode::mail::TokenKey::new(TOKEN_KEY).expect("token key");

    for (lang, expect) in [
        ("nl", ["Aanmelden", "Bevestig", "Afmelden"]),
        ("en", ["Subscribe", "Confirm", "Unsubscribe"]),
    ] {
        let who = format!("lezer.{lang}@example.nl");
        let prefix = shots.join(lang).display().to_string();
        let seen = browse(&["subscribe", &base, lang, &who, &prefix]);
        assert!(seen[0].contains(expect[0]), "{lang}: {seen:?}");
        assert_eq!(subscriber(&app, &who)["status"], "pending");

        // The confirmation mail is in the outbox (no smtp.url here).
        let mail = std::fs::read_dir(app.path("outbox"))
            .expect("outbox")
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .find(|m| m.contains(&who))
            .expect("a confirmation mail");
        let path = confirm_token(&mail);
        let seen = browse(&["confirm", &format!("{base}/confirm/{path}"), lang, &prefix]);
        assert!(seen[0].contains(expect[1]), "{lang}: {seen:?}");
        assert_eq!(subscriber(&app, &who)["status"], "active");

        let id = app
            .run(&["subscribers", "list", "--format", "csv"])
            .ok()
            .stdout
            .lines()
            .skip(1)
            .position(|l| l.starts_with(&who))
            .expect("listed") as i64
            + 1;
        let token = tokens.unsubscribe_token(id);
        let seen = browse(&["unsubscribe", &format!("{base}/u/{token}"), lang, &prefix]);
        assert!(seen[0].contains(expect[2]), "{lang}: {seen:?}");
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert_eq!(
            subscriber(&app, &who)["status"],
            "active",
            "changed their mind"
        );
    }
    drop(server);
}
