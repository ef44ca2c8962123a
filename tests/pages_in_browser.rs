//! The public pages clicked through in a real browser (Debian's Chromium,
//! driven by playwright-core from tests/node), in Dutch and in English:
//! subscribe, confirm from the mail, unsubscribe, change one's mind.
//! Screenshots go to target/screenshots/pages/.

mod support;

use std::process::Command;

use support::http::Server;
use support::{TestApp, repo_file};

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
    let chromium = support::browser::Chromium::find();
    let playwright = repo_file("tests/node/node_modules/playwright-core")
        .is_dir()
        .then_some(());
    if chromium.is_none()
        || support::browser::required(playwright, "playwright-core (cd tests/node && npm ci)")
            .is_none()
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
        let token = support::unsubscribe_token(&app, id);
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

/// Issue #12: a link a mail program cut short shows the honest page (404,
/// "this link does not work"), its form mails a fresh unsubscribe link to
/// the outbox, and that link unsubscribes exactly that reader. Screenshots
/// go to target/screenshots/pages/honest-{nl,en}-*.png.
#[test]
fn a_truncated_link_shows_the_honest_page_whose_form_mails_a_link_that_unsubscribes() {
    let chromium = support::browser::Chromium::find();
    let playwright = repo_file("tests/node/node_modules/playwright-core")
        .is_dir()
        .then_some(());
    if chromium.is_none()
        || support::browser::required(playwright, "playwright-core (cd tests/node && npm ci)")
            .is_none()
    {
        return;
    }
    let app = TestApp::with_config(
        "\n[newsletter]\nname = \"Publiek Leren\"\nbase_url = \"https://nieuws.example.org\"\n\n\
         [server]\nbind = \"127.0.0.1:0\"\n",
    );
    support::sending::copy_emails(&app);
    app.write(
        "leden.csv",
        "email,status\nlezer.nl@example.nl,active\nlezer.en@example.nl,active\nblijft@example.nl,active\n",
    );
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    let server = Server::start(&app, &["serve"]);
    let base = format!("http://127.0.0.1:{}", server.port);
    let shots = support::browser::screenshot_dir("pages");

    for (id, lang, expect) in [
        (
            1,
            "nl",
            [
                "Deze link werkt niet",
                "Kijk in je mailbox",
                "Afmelden",
                "Je bent afgemeld",
            ],
        ),
        (
            2,
            "en",
            [
                "This link does not work",
                "Check your inbox",
                "Unsubscribe",
                "You are unsubscribed",
            ],
        ),
    ] {
        let who = format!("lezer.{lang}@example.nl");
        let prefix = shots.join(format!("honest-{lang}")).display().to_string();
        let token = support::unsubscribe_token(&app, id);
        let cut = format!("{base}/u/{}", &token[..20]);
        let seen = browse(&["broken-link", &cut, lang, &who, &prefix]);
        assert!(seen[0].contains(expect[0]), "{lang}: {seen:?}");
        assert!(seen[1].contains(expect[1]), "{lang}: {seen:?}");
        assert_eq!(
            subscriber(&app, &who)["status"],
            "active",
            "nothing changed"
        );

        // The fresh link is in the outbox (no smtp.url here), mailed in
        // the background.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        let path = loop {
            let found = std::fs::read_dir(app.path("outbox"))
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| std::fs::read(e.path()).unwrap_or_default())
                .filter(|m| String::from_utf8_lossy(m).contains(&format!("To: {who}")))
                .find_map(|m| {
                    support::mail_links::link_path(&m, "https://nieuws.example.org", "/u/")
                });
            if let Some(path) = found {
                break path;
            }
            assert!(std::time::Instant::now() < deadline, "no mail to {who}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        assert_eq!(path, format!("/u/{token}"), "the reader's own link");
        let seen = browse(&["mailed-link", &format!("{base}{path}"), lang, &prefix]);
        assert!(seen[0].contains(expect[2]), "{lang}: {seen:?}");
        assert!(seen[1].contains(expect[3]), "{lang}: {seen:?}");
        assert_eq!(subscriber(&app, &who)["status"], "unsubscribed");
    }
    assert_eq!(subscriber(&app, "blijft@example.nl")["status"], "active");
    drop(server);
}
