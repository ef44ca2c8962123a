//! The archive, its Atom feed and the metrics, end to end: the real
//! `postbode serve`, a real SQLite file, plain HTTP/1.1 over TCP. Issues
//! are "sent" into the outbox (no SMTP server configured).

mod support;

use support::TestApp;
use support::http::{METRICS_TOKEN_ENV, Server, get, get_metrics, post_form};
use support::prometheus::{parse_prometheus, value};
use support::sending::{ISSUE, copy_emails, queue, subscribers};

const SENT_SUBJECT: &str = "Voorbij de pilot: wat een experiment nodig heeft om te blijven";
const SCHEDULED: &str = "2026-11-schrijven-voor-iedereen";
const CANCELLED: &str = "2026-09-luisteren-naar-klachten";

/// Three active subscribers; one issue sent, one scheduled for 2099, one
/// cancelled before it went out; `serve` running.
fn started() -> (TestApp, Server) {
    let app = TestApp::with_config(
        "\n[newsletter]\nname = \"Publiek & <Leren>\"\nbase_url = \"https://nieuws.example.org\"\n\n[server]\nbind = \"127.0.0.1:0\"\n",
    );
    copy_emails(&app);
    subscribers(&app, 3);
    queue(&app);
    let run = app.run(&["send"]).ok();
    assert!(run.stdout.contains("sent 3, failed 0"), "{}", run.stdout);
    for slug in [SCHEDULED, CANCELLED] {
        app.run(&[
            "issue",
            "queue",
            &format!("emails/issues/{slug}"),
            "--at",
            "2099-01-01T00:00:00Z",
        ])
        .ok();
    }
    app.run(&["issue", "cancel", CANCELLED]).ok();
    let server = Server::start_with_env(&app, &["serve"], &[METRICS_TOKEN_ENV]);
    (app, server)
}

#[test]
fn the_archive_lists_only_the_sent_issue_with_its_date_and_preheader() {
    let (_app, server) = started();
    let page = get(server.port, "/archive", &[("Accept-Language", "en")]);
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .is_some_and(|v| v.starts_with("text/html")),
        "{page:?}"
    );
    let body = &page.body;
    assert!(
        body.contains(&format!("href=\"/archive/{ISSUE}\"")),
        "{body}"
    );
    assert!(body.contains(SENT_SUBJECT), "{body}");
    assert!(body.contains("2026-10-29"), "{body}");
    assert!(
        body.contains("Waarom goede proeven na een jaar verdwijnen"),
        "{body}"
    );
    assert!(
        !body.contains(SCHEDULED) && !body.contains(CANCELLED),
        "{body}"
    );
    assert!(body.contains("Publiek &amp; &lt;Leren&gt;"), "{body}");
    assert!(body.contains("<html lang=\"en\">"), "{body}");
    let dutch = get(server.port, "/archive", &[("Accept-Language", "nl")]);
    assert!(dutch.body.contains("Archief"), "{}", dutch.body);
}

#[test]
fn a_sent_issue_serves_its_web_version_with_a_policy_that_allows_its_images() {
    let (_app, server) = started();
    let page = get(server.port, &format!("/archive/{ISSUE}"), &[]);
    assert_eq!(page.status, 200);
    assert!(page.body.contains(SENT_SUBJECT), "{}", page.body);
    assert!(page.body.to_ascii_lowercase().starts_with("<!doctype html"));
    assert_eq!(
        page.header("content-security-policy"),
        Some(
            "img-src https: http: data:; style-src 'unsafe-inline'; default-src 'none'; frame-ancestors 'none'"
        )
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    // Other pages keep the strict default policy.
    let list = get(server.port, "/archive", &[]);
    assert_eq!(
        list.header("content-security-policy"),
        Some(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
        )
    );
}

#[test]
fn a_client_that_accepts_gzip_gets_the_web_version_compressed() {
    use std::io::Read as _;
    let (_app, server) = started();
    let path = format!("/archive/{ISSUE}");
    let plain = get(server.port, &path, &[]);
    assert_eq!(plain.header("content-encoding"), None);
    let packed = get(server.port, &path, &[("Accept-Encoding", "gzip")]);
    assert_eq!(packed.status, 200);
    assert_eq!(packed.header("content-encoding"), Some("gzip"));
    let mut unpacked = String::new();
    flate2::read::GzDecoder::new(packed.raw_body.as_slice())
        .read_to_string(&mut unpacked)
        .expect("gzip");
    assert_eq!(unpacked, plain.body);
    assert!(
        packed.raw_body.len() * 3 < plain.body.len(),
        "{} bytes compressed to {}",
        plain.body.len(),
        packed.raw_body.len()
    );
    // The security headers are there either way.
    assert_eq!(packed.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn scheduled_cancelled_and_unknown_issues_are_not_found() {
    let (_app, server) = started();
    for slug in [SCHEDULED, CANCELLED, "bestaat-niet", "%3Cx%3E"] {
        let page = get(server.port, &format!("/archive/{slug}"), &[]);
        assert_eq!(page.status, 404, "{slug}");
        assert!(!page.body.contains("Schrijven voor iedereen"), "{slug}");
        assert!(!page.body.contains("klachten"), "{slug}");
    }
}

#[test]
fn the_atom_feed_is_well_formed_and_has_one_entry_for_the_sent_issue() {
    let (_app, server) = started();
    let feed = get(server.port, "/archive.xml", &[]);
    assert_eq!(feed.status, 200);
    assert_eq!(
        feed.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    let xml = &feed.body;
    assert_eq!(xml.matches("<entry>").count(), 1, "{xml}");
    assert!(
        xml.contains("<title>Publiek &amp; &lt;Leren&gt;</title>"),
        "{xml}"
    );
    assert!(
        xml.contains(&format!("<title>{SENT_SUBJECT}</title>")),
        "{xml}"
    );
    assert!(
        xml.contains(&format!(
            "href=\"https://nieuws.example.org/archive/{ISSUE}\""
        )),
        "{xml}"
    );
    assert!(xml.contains("<summary>Waarom goede proeven"), "{xml}");
    assert_well_formed(xml);
}

/// Parses `xml` with python3's minidom (the test is skipped, or fails,
/// as `support::outside` says, when python3 is missing), and checks the
/// feed's shape by hand.
fn assert_well_formed(xml: &str) {
    use std::io::Write as _;
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"
    ));
    assert!(xml.trim_end().ends_with("</feed>"));
    let Some(python) =
        support::outside::python_with(&["xml.dom.minidom"], "Debian package python3")
    else {
        return;
    };
    let mut child = std::process::Command::new(python)
        .args([
            "-c",
            "import sys, xml.dom.minidom as m\n\
             d = m.parseString(sys.stdin.buffer.read())\n\
             print(len(d.getElementsByTagName('entry')))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(xml.as_bytes())
        .expect("write xml");
    let out = child.wait_with_output().expect("python3 runs");
    assert!(
        out.status.success(),
        "not well-formed XML: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");
}

#[test]
fn metrics_parse_as_prometheus_text_and_count_deliveries_retries_unsubscribes_and_requests() {
    let (app, server) = started();
    let token = support::unsubscribe_token(&app, 1);
    let done = post_form(
        server.port,
        &format!("/u/{token}"),
        &[],
        "List-Unsubscribe=One-Click",
    );
    assert_eq!(done.status, 200);
    assert_eq!(get(server.port, "/archive", &[]).status, 200);
    assert_eq!(get(server.port, "/nergens", &[]).status, 404);
    // Of the three sent deliveries: one went out at its second attempt,
    // one is back in the queue after a failed first attempt (both count as
    // retried), one went out at once (does not).
    sql(
        &app,
        "UPDATE deliveries SET attempts = 2 WHERE id = (SELECT min(id) FROM deliveries)",
    );
    sql(
        &app,
        "UPDATE deliveries SET status = 'queued', attempts = 1, sent_at = NULL \
         WHERE id = (SELECT max(id) FROM deliveries)",
    );

    let response = get_metrics(server.port);
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .is_some_and(|v| v.starts_with("text/plain; version=0.0.4")),
        "{response:?}"
    );
    let samples = parse_prometheus(&response.body);
    let body = &response.body;
    let sent = [("issue", ISSUE), ("status", "sent")];
    assert_eq!(
        value(&samples, "postbode_deliveries", &sent),
        Some(2.0),
        "{body}"
    );
    assert_eq!(
        value(
            &samples,
            "postbode_deliveries",
            &[("issue", ISSUE), ("status", "queued")]
        ),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        value(&samples, "postbode_deliveries_retried", &[("issue", ISSUE)]),
        Some(2.0),
        "{body}"
    );
    assert_eq!(
        value(
            &samples,
            "postbode_deliveries",
            &[("issue", ISSUE), ("status", "failed")]
        ),
        Some(0.0),
        "{body}"
    );
    assert_eq!(
        value(
            &samples,
            "postbode_unsubscribes_total",
            &[("source", "one-click")]
        ),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        value(&samples, "postbode_subscribers", &[("status", "active")]),
        Some(2.0),
        "{body}"
    );
    assert_eq!(
        value(
            &samples,
            "postbode_subscribers",
            &[("status", "unsubscribed")]
        ),
        Some(2.0),
        "{body}"
    );
    assert_eq!(
        value(&samples, "postbode_queue_depth", &[]),
        Some(0.0),
        "{body}"
    );
    let rate = value(&samples, "postbode_send_rate", &[]).expect("a send rate");
    assert!((0.0..=3.0 / 60.0 + 1e-9).contains(&rate), "{body}");
    let requests = |route: &str, status: &str| {
        value(
            &samples,
            "postbode_http_requests_total",
            &[("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("/u/{token}", "200"), Some(1.0), "{body}");
    assert_eq!(requests("/archive", "200"), Some(1.0), "{body}");
    assert_eq!(requests("unmatched", "404"), Some(1.0), "{body}");
    assert!(!body.contains(&token), "a token became a label:\n{body}");
}

/// Runs one SQL statement on the test's database, to set up states a
/// real send into the outbox never reaches (retries).
fn sql(app: &TestApp, statement: &str) {
    support::with_store(app, async |store| {
        store
            .execute_raw(statement)
            .await
            .expect("run the statement")
    });
}

#[test]
fn the_prometheus_parser_in_these_tests_rejects_malformed_lines() {
    let good = "# HELP a_b x\n# TYPE a_b gauge\na_b{l=\"q\\\"\\\\\\n\"} 1.5\na_b 2\n";
    let samples = parse_prometheus(good);
    assert_eq!(samples.len(), 2);
    assert_eq!(samples[0].labels[0].1, "q\"\\\n");
    for bad in [
        "# TYPE a gauge\na{l=q} 1\n",
        "# TYPE a gauge\na one\n",
        "a 1\n",
        "# TYPE a gauge\na{l=\"x} 1\n",
    ] {
        let result = std::panic::catch_unwind(|| parse_prometheus(bad));
        assert!(result.is_err(), "accepted {bad:?}");
    }
}
