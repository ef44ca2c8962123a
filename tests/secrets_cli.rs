//! Secrets stay secret as a user meets postbode: config errors name the
//! key and line but not a secret value, failed connections do not print
//! URL passwords, a password is not sent over plain text, and token links
//! never reach the log. The real binary, real files, real servers on
//! loopback.

mod support;

use std::time::{Duration, Instant};

use support::http::{Server, get, post_form};
use support::sending::{ISSUE, app_sending_to};
use support::smtp_auth::AuthSmtp;
use support::{SUPPRESSION_KEY, TOKEN_KEY, TestApp};

/// `postbode.toml` with a valid store and keys, then `extra`; the line
/// numbers of `extra` start at 6.
fn config_with(extra: &str) -> String {
    format!(
        "[database]\nurl = \"sqlite://postbode.db\"\n\n[secrets]\nsuppression_key = \"{SUPPRESSION_KEY}\"\n{extra}"
    )
}

#[test]
fn a_config_error_on_a_secret_line_names_the_key_and_line_but_not_the_value() {
    // (the line at fault, the key it must name, what must not show)
    let cases = [
        (
            "token_key = abc-unquoted-SEKRIT\n",
            "token_key",
            "abc-unquoted",
        ),
        ("token_key = 31415926535\n", "token_key", "31415926535"),
        (
            "[smtp]\nurl = \"smtps://user:hunter2\"x@mail.example.org\"\n",
            "smtp.url",
            "hunter2",
        ),
        (
            "[smtp]\nurl = smtp://user:hunter3@mail.example.org:587\n",
            "smtp.url",
            "hunter3",
        ),
        ("[smtp]\npassword = \"hunter4\"\n", "password", "hunter4"),
    ];
    for (line, key, secret) in cases {
        let app = TestApp::new();
        app.write("postbode.toml", config_with(line));
        let run = app.run(&["subscribers", "list"]);
        assert_eq!(run.code, 2, "{line}: {}", run.stderr);
        let at = if line.starts_with('[') { 7 } else { 6 };
        assert!(
            run.stderr.contains(key) && run.stderr.contains(&format!("line {at}")),
            "{line}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains(secret), "{line}: {}", run.stderr);
    }
}

#[test]
fn a_config_error_on_a_database_password_line_does_not_print_it() {
    let app = TestApp::new();
    let config = format!(
        "[database]\nurl = \"postgres://app:hunter5\"@db/postbode\"\n\n[secrets]\ntoken_key = \"{TOKEN_KEY}\"\n"
    );
    app.write("postbode.toml", config);
    let run = app.run(&["subscribers", "list"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("database.url") && run.stderr.contains("line 2"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter5"), "{}", run.stderr);
}

#[test]
fn a_config_error_elsewhere_still_shows_its_line() {
    let app = TestApp::new();
    app.write(
        "postbode.toml",
        config_with("[sending]\nrate_per_second = fast\n"),
    );
    let run = app.run(&["subscribers", "list"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("rate_per_second = fast"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_postgres_url_that_cannot_connect_prints_neither_its_user_password_nor_its_query_passwords() {
    let app = TestApp::new();
    for url in [
        "postgres://u:SECRET1@127.0.0.1:1/x?password=SECRET2",
        "postgres://u@127.0.0.1:1/x?sslmode=disable&password=SECRET3",
    ] {
        let run = app.run_with_env(&["subscribers", "list"], &[("POSTBODE_DATABASE__URL", url)]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr.contains("cannot connect to PostgreSQL")
                && run.stderr.contains("127.0.0.1:1"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("SECRET"), "{url}: {}", run.stderr);
    }
    // A password parameter the driver would ignore (and log) is refused
    // by name when the config is read.
    let url = "postgresql://127.0.0.1:1/x?user=u&pass=SECRET4&sslpassword=SECRET5";
    let run = app.run_with_env(&["subscribers", "list"], &[("POSTBODE_DATABASE__URL", url)]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("POSTBODE_DATABASE__URL") && run.stderr.contains("pass"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("SECRET"), "{}", run.stderr);
}

/// `issue test` of the sample issue to the editor.
fn issue_test(app: &TestApp) -> support::Run {
    app.run(&[
        "issue",
        "test",
        &format!("emails/issues/{ISSUE}"),
        "--to",
        "redactie@example.org",
    ])
}

#[test]
fn a_password_is_not_sent_to_a_server_without_starttls_and_the_error_says_what_to_do() {
    let server = AuthSmtp::start("editor", "s3cret-pw");
    let app = app_sending_to(&server.url_with("editor", "s3cret-pw"), "");
    let run = issue_test(&app);
    assert_ne!(run.code, 0, "{}", run.stdout);
    for hint in [
        "smtps://",
        "starttls = \"required\"",
        "allow_plaintext_auth",
    ] {
        assert!(run.stderr.contains(hint), "{hint}: {}", run.stderr);
    }
    assert!(!run.stderr.contains("s3cret-pw"), "{}", run.stderr);
    let lines = server.lines();
    assert!(
        lines.iter().any(|l| l.starts_with("EHLO")),
        "the server was asked: {lines:?}"
    );
    assert!(!server.saw_auth(), "no AUTH over plain text: {lines:?}");
    assert_eq!(server.messages(), 0);

    // `send` refuses the same way and sends nothing.
    support::sending::subscribers(&app, 1);
    support::sending::queue(&app);
    let run = app.run(&["send"]);
    assert!(!server.saw_auth(), "{:?}\n{}", server.lines(), run.stderr);
    assert_eq!(server.messages(), 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("allow_plaintext_auth"),
        "{}",
        run.stderr
    );
}

#[test]
fn with_allow_plaintext_auth_the_password_goes_over_plain_text_and_the_mail_is_sent() {
    let server = AuthSmtp::start("editor", "s3cret-pw");
    let app = app_sending_to(&server.url_with("editor", "s3cret-pw"), "");
    let config = std::fs::read_to_string(app.path("postbode.toml")).expect("config");
    app.write(
        "postbode.toml",
        config.replace("[smtp]\n", "[smtp]\nallow_plaintext_auth = true\n"),
    );
    let run = issue_test(&app).ok();
    assert!(run.stdout.contains("test message sent"), "{}", run.stdout);
    assert!(server.saw_auth(), "{:?}", server.lines());
    assert_eq!(server.messages(), 1);
}

#[test]
fn tokens_of_links_do_not_appear_in_the_log_even_at_trace_level() {
    let app = TestApp::with_config("\n[server]\nbind = \"127.0.0.1:0\"\n");
    app.write(
        "leden.csv",
        "email,name,status\nan@example.nl,An,active\nbo@example.nl,Bo,pending\n",
    );
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    let unsubscribe = support::unsubscribe_token(&app, 1);
    let issued = jiff::Timestamp::now().as_second();
    let confirm = support::confirm_token(&app, 2, issued);
    let server = Server::start_with_env(&app, &["serve"], &[("RUST_LOG", "trace")]);

    let page = get(server.port, &format!("/u/{unsubscribe}"), &[]);
    assert_eq!(page.status, 200, "{}", page.body);
    let one_click = format!("/u/{unsubscribe}");
    let done = post_form(server.port, &one_click, &[], "List-Unsubscribe=One-Click");
    assert_eq!(done.status, 200, "{}", done.body);
    let back = post_form(server.port, &format!("{one_click}/resubscribe"), &[], "");
    assert_eq!(back.status, 200, "{}", back.body);
    let confirmed = post_form(server.port, &format!("/confirm/{confirm}"), &[], "");
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);

    // The requests are in the log, by their route.
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline
        && !log
            .iter()
            .any(|l: &String| l.contains("/confirm/{token}") && l.contains("finished"))
    {
        log.extend(server.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = log.join("\n");
    assert!(log.contains("/u/{token}"), "{log}");
    assert!(log.contains("/confirm/{token}"), "{log}");
    for token in [&unsubscribe, &confirm] {
        assert!(!log.contains(token.as_str()), "{token} in\n{log}");
    }
}
