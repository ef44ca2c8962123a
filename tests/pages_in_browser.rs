//! The public pages clicked through in a real browser (Debian's Chromium,
//! driven by playwright-core from tests/node), in Dutch and in English:
//! subscribe, confirm from the mail, unsubscribe from the link in an
//! issue sent to them, change one's mind; the database is checked between
//! clicks.
//! Screenshots go to target/screenshots/pages/.

mod support;

use std::process::Command;

use support::db::status_log;
use support::http::Server;
use support::node_browser::NodeBrowser;
use support::received::{Mail, path_under};
use support::sending::ISSUE;
use support::{TestApp, repo_file};

/// `newsletter.base_url` of the app: the origin of the links in its mail.
const BASE_URL: &str = "https://nieuws.example.org";

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

/// tests/node/pages.js in its step-by-step mode: it shows a page, says
/// its `<h1>`, and clicks on only when told, so the test can look at the
/// database between clicks.
struct Clicks(NodeBrowser);

impl Clicks {
    fn start(args: &[&str]) -> Clicks {
        Clicks(NodeBrowser::start("pages.js", args))
    }

    /// The `<h1>` of the page it shows now.
    fn page(&mut self) -> String {
        self.0.read_json().as_str().expect("a heading").to_owned()
    }

    /// Lets it click the page's button.
    fn go_on(&mut self) {
        self.0.send("next");
    }

    /// The `<h1>` of every page it saw, once it has finished.
    fn finish(mut self) -> Vec<String> {
        let all = self.0.read_json();
        self.0.finish();
        serde_json::from_value(all).expect("a list of headings")
    }
}

/// The issue mail to `who` in the outbox: the one with a List-Unsubscribe.
fn issue_mail_to(app: &TestApp, who: &str) -> Mail {
    let mails: Vec<Mail> = std::fs::read_dir(app.path("outbox"))
        .expect("outbox")
        .flatten()
        .map(|e| Mail::parse(&std::fs::read(e.path()).expect("read a mail")))
        .filter(|m| m.header("To").is_some_and(|to| to.contains(who)))
        .filter(|m| m.header("List-Unsubscribe").is_some())
        .collect();
    assert_eq!(mails.len(), 1, "one issue mail to {who}");
    mails.into_iter().next().expect("one")
}

/// The last change in `who`'s status log, as "from → to (source)".
fn last_change(app: &TestApp, who: &str) -> String {
    let log = status_log(app, who);
    let last = log
        .last()
        .unwrap_or_else(|| panic!("no status log for {who}"));
    format!(
        "{} → {} ({})",
        last.from.as_deref().unwrap_or("none"),
        last.to,
        last.source
    )
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
        "\n[newsletter]\nname = \"Publiek Leren\"\nbase_url = \"https://nieuws.example.org\"\n\n[server]\nbind = \"127.0.0.1:0\"\n",
    );
    support::sending::copy_emails(&app);
    let server = Server::start(&app, &["serve"]);
    let base = format!("http://127.0.0.1:{}", server.port);
    let shots = support::browser::screenshot_dir("pages");
    let readers = [
        (
            "nl",
            [
                "Aanmelden",
                "Bevestig",
                "Afmelden",
                "Je bent afgemeld",
                "Welkom terug",
            ],
        ),
        (
            "en",
            [
                "Subscribe",
                "Confirm",
                "Unsubscribe",
                "You are unsubscribed",
                "Welcome back",
            ],
        ),
    ];
    for (lang, expect) in readers {
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
        assert_eq!(last_change(&app, &who), "pending → active (confirm)");
    }

    // An issue for both, into the outbox too: each reader's own
    // unsubscribe link, as their mail shows it.
    app.run(&["issue", "queue", &format!("emails/issues/{ISSUE}")])
        .ok();
    let sent = app.run(&["send"]).ok();
    assert!(sent.stdout.contains("sent 2,"), "{}", sent.stdout);
    for (lang, expect) in readers {
        let who = format!("lezer.{lang}@example.nl");
        let prefix = shots.join(lang).display().to_string();
        let mail = issue_mail_to(&app, &who);
        let link = mail.footer_link("Afmelden");
        assert_eq!(link, mail.one_click_url(), "footer and header agree");
        // The link is under newsletter.base_url; this server answers elsewhere.
        let path = path_under(&link, BASE_URL);

        let mut clicks = Clicks::start(&["unsubscribe", &format!("{base}{path}"), lang, &prefix]);
        let seen = clicks.page();
        assert!(seen.contains(expect[2]), "{lang}: {seen:?}");
        assert_eq!(
            subscriber(&app, &who)["status"],
            "active",
            "opening the link changes nothing"
        );
        clicks.go_on();
        let seen = clicks.page();
        assert!(seen.contains(expect[3]), "{lang}: {seen:?}");
        assert_eq!(subscriber(&app, &who)["status"], "unsubscribed");
        assert_eq!(last_change(&app, &who), "active → unsubscribed (page)");
        clicks.go_on();
        let seen = clicks.finish();
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert!(seen[2].contains(expect[4]), "{lang}: {seen:?}");
        assert_eq!(
            subscriber(&app, &who)["status"],
            "active",
            "changed their mind"
        );
        assert_eq!(
            last_change(&app, &who),
            "unsubscribed → active (resubscribe)"
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
    if support::browser::Chromium::find().is_none()
        || support::outside::node_with("playwright-core").is_none()
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
