//! `serve` against the findings of the outside security test (issue 14),
//! end to end: the real binary on a random port, a real store (SQLite, or
//! PostgreSQL in CI's second pass), plain HTTP/1.1 over TCP.
//!
//! - Behind a trusted reverse proxy the per-client limits count the client
//!   the proxy forwarded for, not the proxy; from anyone else a forged
//!   `X-Forwarded-For` changes nothing.
//! - `/metrics` needs the bearer token, and what it shows holds still for
//!   a scrape window whatever a stranger does.
//! - Idle sockets at a 1,024 file limit do not keep `/healthz` out.

mod support;

use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::http::{
    METRICS_TOKEN, METRICS_TOKEN_ENV, Response, Server, get, get_metrics, post_form,
};
use support::prometheus::parse_prometheus;
use support::{TestApp, email, with_store};

const BASE: &str = "https://nieuws.example.org";
const ONE_CLICK: &str = "List-Unsubscribe=One-Click";
/// Two clients behind the proxy (documentation addresses).
const CLIENT_A: &str = "198.51.100.23";
const CLIENT_B: &str = "203.0.113.77";

/// An app with one active subscriber (id 1, an@example.nl), and `server`
/// settings (TOML lines) added.
fn app_with(server: &str) -> TestApp {
    let app = TestApp::with_config(&format!(
        "\n[newsletter]\nbase_url = \"{BASE}\"\n\n[server]\nbind = \"127.0.0.1:0\"\n{server}\n"
    ));
    app.write("leden.csv", "email,name,status\nan@example.nl,An,active\n");
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    app
}

/// The status of `who` once they are known, waiting up to 5 s: the form
/// may store a sign-up after it has answered (so known and unknown
/// addresses take the same time).
fn status_once_known(app: &TestApp, who: &str) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let status = status_of(app, who);
        if status.is_some() || Instant::now() > deadline {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn status_of(app: &TestApp, who: &str) -> Option<String> {
    with_store(app, async |store| {
        store
            .find_subscriber(&email(who))
            .await
            .expect("find")
            .map(|s| s.status.as_str().to_owned())
    })
}

fn one_click(server: &Server, path: &str, forwarded_for: &str) -> Response {
    post_form(
        server.port,
        path,
        &[("X-Forwarded-For", forwarded_for)],
        ONE_CLICK,
    )
}

fn subscribe(server: &Server, forwarded_for: &str, address: &str) -> Response {
    post_form(
        server.port,
        "/subscribe",
        &[("X-Forwarded-For", forwarded_for), ("Origin", BASE)],
        &format!("email={address}&website="),
    )
}

#[test]
fn behind_a_trusted_proxy_600_junk_posts_from_one_client_do_not_stop_a_one_click_from_another() {
    let app = app_with("trusted_proxies = [\"127.0.0.0/8\"]");
    let server = Server::start(&app, &["serve"]);
    let started = Instant::now();
    for i in 0..600 {
        let junk = one_click(&server, &format!("/u/junk{i}"), CLIENT_A);
        assert_ne!(junk.status, 429, "junk POST {i} was limited already");
    }
    // Client A is over its limit now: the limit is there, per client.
    let over = one_click(&server, "/u/junk600", CLIENT_A);
    assert_eq!(over.status, 429, "{}", over.body);
    eprintln!("600 junk POSTs in {:?}", started.elapsed());

    let genuine = format!("/u/{}", support::unsubscribe_token(&app, 1));
    // Through a second proxy hop that is trusted too.
    let done = one_click(&server, &genuine, &format!("{CLIENT_B}, 127.0.0.9"));
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        status_of(&app, "an@example.nl").as_deref(),
        Some("unsubscribed"),
        "{}",
        done.body
    );
}

#[test]
fn without_trusted_proxies_a_forged_x_forwarded_for_does_not_dodge_the_link_limit() {
    let app = app_with("link_posts_per_minute = 5");
    let server = Server::start(&app, &["serve"]);
    for i in 0..5 {
        let junk = one_click(&server, &format!("/u/junk{i}"), &format!("192.0.2.{i}"));
        assert_ne!(junk.status, 429, "POST {i}");
    }
    let genuine = format!("/u/{}", support::unsubscribe_token(&app, 1));
    let over = one_click(&server, &genuine, CLIENT_B);
    assert_eq!(over.status, 429, "{}", over.body);
    assert_eq!(status_of(&app, "an@example.nl").as_deref(), Some("active"));
}

#[test]
fn behind_a_trusted_proxy_the_subscribe_limit_counts_each_forwarded_client() {
    let app = app_with("trusted_proxies = [\"127.0.0.1\", \"::1\"]");
    let server = Server::start(&app, &["serve"]);
    for i in 0..5 {
        let r = subscribe(&server, CLIENT_A, &format!("a{i}%40example.nl"));
        assert_eq!(r.status, 200, "request {i}: {}", r.body);
    }
    assert_eq!(subscribe(&server, CLIENT_A, "a5%40example.nl").status, 429);
    let other = subscribe(&server, CLIENT_B, "b%40example.nl");
    assert_eq!(other.status, 200, "{}", other.body);
    assert_eq!(
        status_once_known(&app, "b@example.nl").as_deref(),
        Some("pending")
    );
}

#[test]
fn metrics_is_not_found_without_a_token_and_needs_the_right_bearer_token_with_one() {
    let app = app_with("");
    let closed = Server::start(&app, &["serve"]);
    let bearer = format!("Bearer {METRICS_TOKEN}");
    for headers in [&[][..], &[("Authorization", bearer.as_str())]] {
        let r = get(closed.port, "/metrics", headers);
        assert_eq!(r.status, 404, "{headers:?}");
        assert!(!r.body.contains("postbode_"), "{}", r.body);
    }
    drop(closed);

    let open = Server::start_with_env(&app, &["serve"], &[METRICS_TOKEN_ENV]);
    let wrong = format!("Bearer {METRICS_TOKEN}x");
    for headers in [
        &[][..],
        &[("Authorization", wrong.as_str())],
        &[("Authorization", METRICS_TOKEN)],
    ] {
        let r = get(open.port, "/metrics", headers);
        assert_eq!(r.status, 401, "{headers:?}");
        assert!(!r.body.contains("postbode_"), "{}", r.body);
        assert!(r.header("www-authenticate").is_some(), "{r:?}");
    }
    let r = get_metrics(open.port);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("postbode_subscribers{status=\"active\"} 1\n"),
        "{}",
        r.body
    );
    let log = open.log().join("\n");
    assert!(!log.contains(METRICS_TOKEN), "{log}");
}

/// `postbode_subscribers{status="pending"}`, 0 when absent.
fn pending(response: &Response) -> f64 {
    assert_eq!(response.status, 200, "{}", response.body);
    parse_prometheus(&response.body)
        .iter()
        .find(|s| {
            s.name == "postbode_subscribers"
                && s.labels
                    .iter()
                    .any(|(k, v)| k == "status" && v == "pending")
        })
        .map_or(0.0, |s| s.value)
}

#[test]
fn a_subscribe_does_not_move_the_pending_gauge_within_the_scrape_window() {
    let app = app_with("");
    let server = Server::start_with_env(&app, &["serve"], &[METRICS_TOKEN_ENV]);
    let before = pending(&get_metrics(server.port));
    let r = subscribe(&server, CLIENT_A, "nieuw%40example.nl");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        status_once_known(&app, "nieuw@example.nl").as_deref(),
        Some("pending")
    );
    let after = pending(&get_metrics(server.port));
    assert_eq!(after, before, "the gauge moved within the window");
}

#[test]
fn at_a_1024_file_limit_1200_idle_sockets_do_not_keep_healthz_out() {
    ensure_file_limit(4096);
    let app = app_with("");
    let server = Server::start_with_file_limit(&app, 1024, &["serve"]);
    let opened = Instant::now();
    let mut idle = Vec::with_capacity(1200);
    for i in 0..1200 {
        let socket = TcpStream::connect(("127.0.0.1", server.port))
            .unwrap_or_else(|e| panic!("idle socket {i}: {e}"));
        idle.push(socket);
    }
    let port = server.port;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(get(port, "/healthz", &[]));
    });
    let answer = rx
        .recv_timeout(Duration::from_secs(15).saturating_sub(opened.elapsed()))
        .unwrap_or_else(|_| {
            panic!(
                "no answer from /healthz within 15 s of opening 1,200 idle sockets\n{}",
                server.log().join("\n")
            )
        });
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body, "ok");
    eprintln!(
        "/healthz answered {:?} after the idle sockets",
        opened.elapsed()
    );
    drop(idle);
}

/// Raises this test process's own soft file limit to at least `want` (it
/// holds the idle sockets), as far as the hard limit allows.
fn ensure_file_limit(want: u64) {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_none_or(|c| c >= want) {
        return;
    }
    let raised = rustix::process::Rlimit {
        current: Some(limit.maximum.map_or(want, |m| m.min(want))),
        maximum: limit.maximum,
    };
    setrlimit(Resource::Nofile, raised).expect("raise the file limit");
    let now = getrlimit(Resource::Nofile).current;
    assert!(
        now.is_none_or(|c| c >= 1300),
        "this test holds 1,200 sockets; the hard file limit allows {now:?}"
    );
}
