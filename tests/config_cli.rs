//! Configuration errors as a user meets them: the real binary, a real file.

mod support;

use support::TestApp;

#[test]
fn an_unknown_key_in_the_config_file_is_named_with_its_line_and_exit_code_two() {
    let app = TestApp::with_config("\n[sending]\nrate_per_secnd = 5\n");
    let run = app.run(&["subscribers", "list"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("rate_per_secnd"), "{}", run.stderr);
    assert!(run.stderr.contains("line 9"), "{}", run.stderr);
    assert!(
        !app.path("postbode.db").exists(),
        "nothing may be created on a bad config"
    );
}

#[test]
fn a_bad_value_in_the_config_file_is_named_with_its_line_and_exit_code_two() {
    let app = TestApp::with_config("\n[newsletter]\nfrom = \"Redactie <redactie@>\"\n");
    let run = app.run(&["subscribers", "list"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("from") && run.stderr.contains("line 9"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_bad_environment_override_names_the_variable() {
    let app = TestApp::new();
    let run = app.run_with_env(
        &["subscribers", "list"],
        &[("POSTBODE_SENDING__CONCURRENCY", "lots")],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("POSTBODE_SENDING__CONCURRENCY"),
        "{}",
        run.stderr
    );
    let run = app.run_with_env(&["subscribers", "list"], &[("POSTBODE_SMTP__HOST", "x")]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("POSTBODE_SMTP__HOST"), "{}", run.stderr);
}

#[test]
fn the_config_file_can_come_from_an_environment_variable() {
    let app = TestApp::new();
    std::fs::create_dir(app.path("etc")).expect("mkdir");
    std::fs::write(
        app.path("etc/other.toml"),
        format!(
            "[database]\nurl = \"sqlite://other.db\"\n\n[secrets]\nsuppression_key = \"{}\"\n",
            support::SUPPRESSION_KEY
        ),
    )
    .expect("write");
    app.run_with_env(
        &["subscribers", "add", "anna@example.nl"],
        &[("POSTBODE_CONFIG", "etc/other.toml")],
    )
    .ok();
    assert!(
        app.path("etc/other.db").exists(),
        "the database lives beside its config file"
    );
}

#[test]
fn a_missing_config_file_named_on_the_command_line_is_an_error() {
    let app = TestApp::new();
    let run = app.run(&["--config", "nope.toml", "subscribers", "list"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nope.toml"), "{}", run.stderr);
}

#[test]
fn init_writes_a_private_config_with_a_fresh_token_key_and_creates_the_database() {
    let app = TestApp::new();
    let run = app.run(&["--config", "new/postbode.toml", "init"]).ok();
    assert!(run.stdout.contains("wrote"), "{}", run.stdout);
    let text = std::fs::read_to_string(app.path("new/postbode.toml")).expect("config written");
    assert!(
        !text.lines().any(|l| l == "token_key = \"\""),
        "a token key is generated"
    );
    assert!(
        text.lines().any(|l| l == "previous_token_key = \"\""),
        "and no previous one"
    );
    let keys: Vec<&str> = ["token_key = \"", "suppression_key = \""]
        .iter()
        .map(|prefix| {
            text.lines()
                .find_map(|l| l.strip_prefix(prefix))
                .and_then(|v| v.strip_suffix('"'))
                .expect("the key is written")
        })
        .collect();
    assert!(
        keys.iter().all(|k| k.len() == 64),
        "both keys are 32 random bytes: {keys:?}"
    );
    assert_ne!(keys[0], keys[1], "a suppression key of its own");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(app.path("new/postbode.toml"))
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "the config holds secrets and is private");
    assert!(app.path("new/postbode.db").exists());
    let again = app.run(&["--config", "new/postbode.toml", "init"]).ok();
    assert!(again.stdout.contains("exists"), "{}", again.stdout);
}

#[test]
fn secrets_do_not_appear_in_debug_logs() {
    let app =
        TestApp::with_config("\n[smtp]\nurl = \"smtps://user:hunter2@mail.example.org:465\"\n");
    let run = app
        .run_with_env(&["subscribers", "list"], &[("RUST_LOG", "debug")])
        .ok();
    assert!(
        run.stderr.contains("configuration loaded"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("test-key-0123456789abcdef"),
        "{}",
        run.stderr
    );
}

#[test]
fn logs_are_json_lines_when_configured() {
    let app = TestApp::with_config("\n[log]\nformat = \"json\"\n");
    let run = app
        .run_with_env(&["subscribers", "list"], &[("RUST_LOG", "debug")])
        .ok();
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("configuration loaded"))
        .expect("a log line");
    let parsed: serde_json::Value = serde_json::from_str(line).expect("JSON");
    assert_eq!(parsed["level"], "DEBUG");
}

#[test]
fn a_postgres_server_that_cannot_be_reached_is_named_at_once_without_its_password() {
    let app = TestApp::new();
    let run = app.run_with_env(
        &["subscribers", "list"],
        &[(
            "POSTBODE_DATABASE__URL",
            "postgres://postbode:hunter2@127.0.0.1:1/postbode",
        )],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cannot connect to PostgreSQL at postgres://***@127.0.0.1:1/postbode"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
}

#[test]
fn without_a_suppression_key_commands_that_change_subscribers_refuse_and_say_how_to_make_one() {
    let app = TestApp::new();
    // The config of an older postbode: no suppression_key.
    let config = std::fs::read_to_string(app.path("postbode.toml")).expect("config");
    let old: String = config
        .lines()
        .filter(|l| !l.starts_with("suppression_key"))
        .map(|l| format!("{l}\n"))
        .collect();
    app.write("postbode.toml", old);
    for args in [
        &["subscribers", "add", "anna@example.nl"][..],
        &["subscribers", "remove", "anna@example.nl"],
        &["subscribers", "unsubscribe", "anna@example.nl"],
        &["send"],
        &["serve"],
    ] {
        let run = app.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("secrets.suppression_key")
                && run.stderr.contains("openssl rand -hex 32"),
            "{args:?}: {}",
            run.stderr
        );
    }
    // Reading needs no key.
    app.run(&["subscribers", "list"]).ok();
    // A key that is set but too short is named when the config is read.
    let run = app.run_with_env(
        &["subscribers", "list"],
        &[("POSTBODE_SECRETS__SUPPRESSION_KEY", "short")],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("secrets.suppression_key") || run.stderr.contains("SUPPRESSION_KEY"),
        "{}",
        run.stderr
    );
}
