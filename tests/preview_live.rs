//! `postbode issue preview DIR --serve`: the page follows every save under
//! `emails/` without a manual reload, in a real browser (Debian's Chromium
//! driven by playwright-core from tests/node/preview.js) and on the wire
//! (the server-sent events); a render error is shown with its file until
//! the next good save; no database is touched; SIGTERM stops it.
//! Screenshots go to target/screenshots/preview/.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use support::browser::screenshot_dir;
use support::http::Server;
use support::node_browser::NodeBrowser;
use support::sending::{ISSUE, copy_emails};
use support::{TestApp, outside, repo_file};

const FIRST: &str = "Eerste versie van deze brief.";
const SECOND: &str = "Tweede versie, zonder herladen bijgewerkt.";
const THIRD: &str = "Derde versie, na de fout.";

/// A folder with a copy of `emails/` and its sample issue's body.md set
/// to a short text holding `FIRST`; the path of that body.md.
fn app_with_issue() -> (TestApp, PathBuf) {
    let app = TestApp::new();
    copy_emails(&app);
    let body = app.path("emails/issues").join(ISSUE).join("body.md");
    write_body(&body, FIRST);
    (app, body)
}

fn write_body(body: &PathBuf, text: &str) {
    std::fs::write(body, format!("Beste lezer,\n\n{text}\n")).expect("write body.md");
}

/// `issue preview --serve --port 0` in `app`, and the URL it printed.
fn start_preview(app: &TestApp) -> (Server, String) {
    let dir = format!("emails/issues/{ISSUE}");
    let mut server = Server::start(app, &["issue", "preview", &dir, "--serve", "--port", "0"]);
    let url = server.stdout_line();
    assert_eq!(url, format!("http://127.0.0.1:{}/", server.port));
    (server, url)
}

/// tests/node/preview.js: the page opened once; each step waits until
/// it shows what was asked.
struct Browser(NodeBrowser);

impl Browser {
    fn open(url: &str, shots: &str) -> Browser {
        Browser(NodeBrowser::start("preview.js", &[url, shots]))
    }

    /// What the page shows (as JSON) once it shows `want`.
    fn wait_for(&mut self, want: serde_json::Value) -> serde_json::Value {
        self.0.send(&want.to_string());
        self.shows()
    }

    fn shows(&mut self) -> serde_json::Value {
        self.0.read_json()
    }

    fn close(self) {
        self.0.finish();
    }
}

#[test]
fn the_page_shows_each_save_without_a_reload_and_a_render_error_with_its_file_until_the_next_good_save()
 {
    if outside::program("chromium", "Debian package chromium").is_none()
        || outside::node_with("playwright-core").is_none()
    {
        return;
    }
    let (app, body) = app_with_issue();
    let (server, url) = start_preview(&app);
    let shots = screenshot_dir("preview");
    let mut browser = Browser::open(&url, &shots.join("preview").display().to_string());

    let first = browser.shows();
    for frame in ["mail600", "mail375", "text", "web"] {
        let shown = first[frame].as_str().unwrap_or_default();
        assert!(shown.contains(FIRST), "{frame} at the start: {shown}");
    }

    write_body(&body, SECOND);
    let second = browser.wait_for(serde_json::json!({ "mail": SECOND }));
    assert!(
        second["text"].as_str().is_some_and(|t| t.contains(SECOND)),
        "the text part follows too: {second}"
    );

    std::fs::write(&body, "Beste lezer,\n\n{{ niet gesloten\n").expect("write body.md");
    let broken = browser.wait_for(serde_json::json!({ "error": "body.md" }));
    let error = broken["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("line 3"),
        "the error names the line: {error}"
    );

    write_body(&body, THIRD);
    let fixed = browser.wait_for(serde_json::json!({ "mail": THIRD }));
    assert!(fixed["error"].is_null(), "the error is gone: {fixed}");
    assert_eq!(
        fixed["notReloaded"], true,
        "the page itself was never loaded again: {fixed}"
    );
    browser.close();
    assert_eq!(server.stop(), Some(0), "SIGTERM stops the preview cleanly");
}

/// The `data:` of the next server-sent event on `events`, as JSON,
/// within 20 s (the stream's keep-alive comments do not count).
fn next_event(events: &mut BufReader<TcpStream>) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        assert!(std::time::Instant::now() < deadline, "no event within 20 s");
        let mut line = String::new();
        let n = events.read_line(&mut line).expect("read the event stream");
        assert!(n > 0, "the event stream ended");
        if let Some(data) = line.trim_end().strip_prefix("data:") {
            return serde_json::from_str(data.trim()).expect("an event's data is JSON");
        }
    }
}

/// `GET /events` on `port`, its response head read.
fn open_events(port: u16) -> BufReader<TcpStream> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    write!(
        stream,
        "GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("send request");
    let mut events = BufReader::new(stream);
    let mut status = String::new();
    events.read_line(&mut status).expect("status line");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let mut head = String::new();
    loop {
        let mut line = String::new();
        events.read_line(&mut line).expect("header");
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{head}"
    );
    events
}

#[test]
fn the_event_stream_sends_an_event_after_a_file_under_emails_changes_and_ends_on_sigterm() {
    let (app, body) = app_with_issue();
    let (server, _url) = start_preview(&app);
    let mut events = open_events(server.port);
    let now = next_event(&mut events);
    assert_eq!(now["version"], 1, "the current render first: {now}");
    assert!(now["error"].is_null(), "{now}");

    write_body(&body, SECOND);
    let saved = next_event(&mut events);
    assert_eq!(saved["version"], 2, "{saved}");
    assert!(saved["error"].is_null(), "{saved}");

    // A partial is under emails/ too, outside the issue folder.
    let footer = app.path("emails/partials/footer.mjml");
    let text = std::fs::read_to_string(&footer).expect("read footer");
    let from_name = "{{ newsletter.from_name }}";
    assert!(text.contains(from_name), "{text}");
    let changed = text.replace(from_name, &format!("{from_name} · Voet na een save"));
    std::fs::write(&footer, changed).expect("write footer");
    let partial = next_event(&mut events);
    assert_eq!(partial["version"], 3, "{partial}");
    let mail = support::http::get(server.port, "/mail", &[]);
    assert!(mail.body.contains("Voet na een save"), "{}", mail.body);

    let page = support::http::get(server.port, "/text", &[]);
    assert!(page.body.contains(SECOND), "{}", page.body);
    assert_eq!(page.header("cache-control"), Some("no-store"));

    // With the stream still open: SIGTERM ends it and the process.
    assert_eq!(server.stop(), Some(0), "SIGTERM stops the preview cleanly");
    assert!(
        !app.path("postbode.db").exists(),
        "the preview opened no database"
    );
}

/// The `src` of the first `<img>` in `html` whose `src` holds `part`.
fn image_src(html: &str, part: &str) -> Option<String> {
    html.split("<img")
        .skip(1)
        .filter_map(|tag| tag.split("src=\"").nth(1)?.split('"').next())
        .find(|src| src.contains(part))
        .map(str::to_owned)
}

#[test]
fn the_served_preview_serves_the_issues_own_images_and_nothing_outside_emails() {
    let (app, _body) = app_with_issue();
    app.write(
        "geheim.png",
        std::fs::read(repo_file(&format!(
            "emails/issues/{ISSUE}/buurtmoestuin.png"
        )))
        .expect("read"),
    );
    let (server, _url) = start_preview(&app);
    let mail = support::http::get(server.port, "/mail", &[]);
    let src = image_src(&mail.body, "buurtmoestuin").expect("the cover is in the mail");
    assert_eq!(
        src,
        format!("/local/issues/{ISSUE}/buurtmoestuin.png"),
        "{}",
        mail.body
    );
    let image = support::http::get(server.port, &src, &[]);
    assert_eq!(image.status, 200);
    assert_eq!(image.header("content-type"), Some("image/png"));
    let web = support::http::get(server.port, "/web", &[]);
    assert_eq!(
        image_src(&web.body, "buurtmoestuin").as_deref(),
        Some(src.as_str())
    );
    for outside in [
        "/local/../geheim.png",
        "/local/..%2Fgeheim.png",
        "/local/issues/..%2F..%2Fgeheim.png",
        "/local/%2Fetc%2Fpasswd",
        "/local/layout.mjml",
    ] {
        let answer = support::http::get(server.port, outside, &[]);
        assert_eq!(answer.status, 404, "{outside}: {}", answer.body);
    }

    // A template error in a partial shows on the page with that file's line.
    let footer = app.path("emails/partials/footer.mjml");
    let text = std::fs::read_to_string(&footer).expect("read footer");
    let line = text[..text.find("{{ newsletter.from_name }}").expect("there")]
        .matches('\n')
        .count()
        + 1;
    let mut events = open_events(server.port);
    next_event(&mut events);
    std::fs::write(
        &footer,
        text.replace("{{ newsletter.from_name }}", "{{ newsletter.afzender }}"),
    )
    .expect("write");
    let failed = next_event(&mut events);
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&format!("partials/footer.mjml, line {line}"))
            && error.contains("newsletter.afzender"),
        "{failed}"
    );
    let page = support::http::get(server.port, "/", &[]);
    assert!(page.body.contains("newsletter.afzender"), "{}", page.body);
    assert_eq!(server.stop(), Some(0));

    // To a file, images stay file:// URLs.
    std::fs::write(&footer, text).expect("restore footer");
    let html = app
        .run(&["issue", "preview", &format!("emails/issues/{ISSUE}")])
        .ok()
        .stdout;
    let file = image_src(&html, "buurtmoestuin").expect("the cover");
    assert!(file.starts_with("file:///"), "{file}");
}
