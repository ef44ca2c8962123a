//! `postbode backup FILE`, end to end: the real binary backs up a real
//! SQLite file while `postbode serve` runs and takes unsubscribes; the
//! copy is private, never written over, and a config pointed at it sends
//! an issue into the outbox to exactly the people it holds as active. On
//! PostgreSQL the command refuses and names pg_dump.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use support::http::{Server, post_form};
use support::listing::addresses;
use support::sending::{ISSUE, copy_emails, queue, subscribers};
use support::{TestApp, on_postgres, unsubscribe_token};

const ONE_CLICK: &str = "List-Unsubscribe=One-Click";

/// One-click unsubscribes subscriber `id` through the running server.
fn unsubscribe(app: &TestApp, port: u16, id: i64) {
    let path = format!("/u/{}", unsubscribe_token(app, id));
    let answer = post_form(port, &path, &[], ONE_CLICK);
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// A second app whose config points at `database` (a backup), with the
/// sample issues.
fn restored_from(database: &Path) -> TestApp {
    let app = TestApp::new();
    let config = std::fs::read_to_string(app.path("postbode.toml")).expect("config");
    let config = config.replace(
        "sqlite://postbode.db",
        &format!("sqlite://{}", database.display()),
    );
    std::fs::write(app.path("postbode.toml"), config).expect("write config");
    copy_emails(&app);
    app
}

#[test]
fn a_backup_taken_while_serve_takes_unsubscribes_restores_and_sends_to_exactly_its_active_people() {
    if on_postgres() {
        return;
    }
    let app = TestApp::with_config("\n[server]\nbind = \"127.0.0.1:0\"\n");
    copy_emails(&app);
    subscribers(&app, 40);
    let server = Server::start(&app, &["serve"]);
    // Answered before the backup starts: the copy must hold them.
    for id in 1..=5 {
        unsubscribe(&app, server.port, id);
    }
    let tokens: Vec<String> = (6..=30).map(|id| unsubscribe_token(&app, id)).collect();
    let port = server.port;
    let writes = std::thread::spawn(move || {
        for token in tokens {
            let answer = post_form(port, &format!("/u/{token}"), &[], ONE_CLICK);
            assert_eq!(answer.status, 200, "{}", answer.body);
        }
    });
    let backup = app.path("backups/postbode-copy.db");
    std::fs::create_dir(app.path("backups")).expect("mkdir");
    let run = app.run(&["backup", backup.to_str().expect("utf-8")]).ok();
    assert!(run.stdout.contains("postbode-copy.db"), "{}", run.stdout);
    writes.join().expect("the writes went on during the backup");

    let mode = std::fs::metadata(&backup)
        .expect("backup")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the backup is for its owner only");
    // Never over an existing file: refused, the copy untouched.
    let before = std::fs::read(&backup).expect("read backup");
    let again = app.run(&["backup", backup.to_str().expect("utf-8")]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(
        again.stderr.contains("never overwrites"),
        "{}",
        again.stderr
    );
    assert_eq!(std::fs::read(&backup).expect("read backup"), before);
    drop(server);

    let restored = restored_from(&backup);
    let left = addresses(&restored, "unsubscribed");
    for i in 0..5 {
        let email = format!("lezer{i}@example.nl");
        assert!(
            left.contains(&email),
            "{email} unsubscribed before the backup: {left:?}"
        );
    }
    let active = addresses(&restored, "active");
    // A consistent copy: every one-click answered before it, some maybe
    // after; the 40 imported plus weg@ (unsubscribed before) add up.
    assert_eq!(active.len() + left.len(), 41, "{active:?} {left:?}");
    assert!(active.len() >= 10 && active.len() <= 35, "{active:?}");

    queue(&restored);
    restored.run(&["send"]).ok();
    let mut sent: Vec<String> = std::fs::read_dir(restored.path("outbox"))
        .expect("outbox")
        .flatten()
        .map(|entry| std::fs::read_to_string(entry.path()).expect("read eml"))
        .map(|eml| {
            eml.lines()
                .find_map(|l| l.strip_prefix("To: ").map(str::to_owned))
                .expect("a To header")
        })
        .collect();
    sent.sort();
    let wanted: Vec<String> = active.iter().map(|a| a.to_string()).collect();
    assert_eq!(sent.len(), wanted.len(), "{sent:?}");
    for to in &sent {
        assert!(
            wanted.iter().any(|a| to.contains(a.as_str())),
            "{to} is not active in the backup; issue {ISSUE}"
        );
    }
}

#[test]
fn on_postgresql_backup_refuses_and_names_pg_dump() {
    if !on_postgres() {
        return;
    }
    let app = TestApp::new();
    let run = app.run(&["backup", "copy.dump"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("pg_dump --format=custom --file=copy.dump"),
        "{}",
        run.stderr
    );
    assert!(!app.path("copy.dump").exists());
    assert!(
        !run.stderr.contains("postbode:postbode@"),
        "no password: {}",
        run.stderr
    );
}
