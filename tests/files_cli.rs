//! The files postbode creates are for their owner only (0600), or also for
//! the group `files.group` names (0640), and no write follows a symbolic
//! link: the SQLite database with its -wal and -shm, outbox mails,
//! exports and DKIM keys. The real binary, in a temporary folder, under
//! the test process's umask (typically 022, which alone would give 0644).

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use support::http::Server;
use support::sending::{ISSUE, copy_emails, queue, subscribers};
use support::{TestApp, on_postgres};

/// An app that sends to its outbox folder and serves on a free port, with
/// `extra` TOML appended (a `[files]` section).
fn app(extra: &str) -> TestApp {
    let app = TestApp::with_config(&format!(
        "\n[newsletter]\nname = \"Publiek Leren\"\nfrom = \"Redactie <redactie@example.org>\"\n\
         base_url = \"https://nieuws.example.org\"\n\n[server]\nbind = \"127.0.0.1:0\"\n{extra}"
    ));
    copy_emails(&app);
    app
}

/// A group this process may give files to, and its id: `daemon` when
/// running as root (so the group really changes), else the process's own.
fn a_group() -> (String, u32) {
    let by_name = |name: &str| nix::unistd::Group::from_name(name).ok().flatten();
    if nix::unistd::geteuid().is_root() {
        if let Some(daemon) = by_name("daemon") {
            return ("daemon".into(), daemon.gid.as_raw());
        }
    }
    let gid = nix::unistd::getegid();
    let own = nix::unistd::Group::from_gid(gid)
        .expect("look up the process's group")
        .expect("the process's group has a name");
    (own.name, gid.as_raw())
}

fn group_config(name: &str) -> String {
    format!("\n[files]\ngroup = \"{name}\"\n")
}

#[track_caller]
fn assert_mode(path: &Path, mode: u32) {
    let meta =
        std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(meta.is_file(), "{} is a plain file", path.display());
    assert_eq!(
        meta.permissions().mode() & 0o7777,
        mode,
        "mode of {}: {:o}",
        path.display(),
        meta.permissions().mode() & 0o7777
    );
}

#[track_caller]
fn assert_gid(path: &Path, gid: u32) {
    let meta = std::fs::metadata(path).expect("stat");
    assert_eq!(meta.gid(), gid, "group of {}", path.display());
}

/// The database, the -wal and the -shm while `serve` has them open.
fn database_files(app: &TestApp) -> [std::path::PathBuf; 3] {
    ["postbode.db", "postbode.db-wal", "postbode.db-shm"].map(|name| app.path(name))
}

#[test]
fn the_sqlite_database_and_its_wal_and_shm_are_for_the_owner_only() {
    if on_postgres() {
        return; // No database files here.
    }
    let app = app("");
    subscribers(&app, 2);
    let server = Server::start(&app, &["serve"]);
    for file in database_files(&app) {
        assert_mode(&file, 0o600);
    }
    server.stop();
}

#[test]
fn with_files_group_the_database_wal_and_shm_are_0640_and_owned_by_that_group() {
    if on_postgres() {
        return;
    }
    let (group, gid) = a_group();
    let app = app(&group_config(&group));
    subscribers(&app, 2);
    let server = Server::start(&app, &["serve"]);
    for file in database_files(&app) {
        assert_mode(&file, 0o640);
        assert_gid(&file, gid);
    }
    server.stop();
}

/// Every `.eml` in the outbox after sending the sample issue to 3 people.
fn sent_to_outbox(app: &TestApp) -> Vec<std::path::PathBuf> {
    subscribers(app, 3);
    queue(app);
    app.run(&["send"]).ok();
    let mails: Vec<_> = std::fs::read_dir(app.path("outbox"))
        .expect("outbox")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(mails.len(), 3, "{ISSUE} to three readers: {mails:?}");
    mails
}

#[test]
fn outbox_mails_are_for_the_owner_only() {
    let app = app("");
    for mail in sent_to_outbox(&app) {
        assert_mode(&mail, 0o600);
    }
}

#[test]
fn with_files_group_outbox_mails_are_0640_and_owned_by_that_group() {
    let (group, gid) = a_group();
    let app = app(&group_config(&group));
    for mail in sent_to_outbox(&app) {
        assert_mode(&mail, 0o640);
        assert_gid(&mail, gid);
    }
}

#[test]
fn an_export_is_for_the_owner_only_even_over_a_file_others_could_read() {
    let app = app("");
    subscribers(&app, 2);
    let out = app.write("leden-export.csv", "old\n");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    app.run(&["subscribers", "export", "leden-export.csv"]).ok();
    assert_mode(&out, 0o600);
    let text = std::fs::read_to_string(&out).expect("export");
    assert!(text.contains("lezer1@example.nl"), "{text}");
}

#[test]
fn with_files_group_an_export_is_0640_and_owned_by_that_group() {
    let (group, gid) = a_group();
    let app = app(&group_config(&group));
    subscribers(&app, 2);
    app.run(&["subscribers", "export", "leden-export.csv"]).ok();
    assert_mode(&app.path("leden-export.csv"), 0o640);
    assert_gid(&app.path("leden-export.csv"), gid);
}

#[test]
fn an_export_to_a_symbolic_link_is_refused_and_the_file_it_points_to_is_untouched() {
    let app = app("");
    subscribers(&app, 2);
    let victim = app.write("someone-elses.txt", "keep me\n");
    let link = app.path("leden-export.csv");
    std::os::unix::fs::symlink(&victim, &link).expect("link");
    let run = app.run(&["subscribers", "export", "leden-export.csv"]);
    assert_ne!(run.code, 0, "refused: {}", run.stdout);
    assert!(
        run.stderr.contains("leden-export.csv") && run.stderr.contains("symbolic link"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "keep me\n"
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("lstat")
            .is_symlink()
    );
    let left: Vec<_> = std::fs::read_dir(app.dir.path())
        .expect("list")
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "no temporary file is left: {left:?}");
}

#[test]
fn an_export_never_writes_through_a_link_planted_beside_it() {
    let app = app("");
    subscribers(&app, 2);
    let victim = app.write("someone-elses.txt", "keep me\n");
    // The name today's exports and the ones before wrote to first.
    std::os::unix::fs::symlink(&victim, app.path("leden-export.csv.partial")).expect("link");
    app.run(&["subscribers", "export", "leden-export.csv"]).ok();
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "keep me\n"
    );
    assert_mode(&app.path("leden-export.csv"), 0o600);
}

#[test]
fn a_dkim_key_is_for_the_owner_only_and_0640_for_files_group() {
    let app = app("");
    app.run(&[
        "dkim",
        "keygen",
        "--selector",
        "s1",
        "--algorithm",
        "ed25519",
    ])
    .ok();
    assert_mode(&app.path("dkim-s1.pem"), 0o600);

    let (group, gid) = a_group();
    let shared = TestApp::with_config(&group_config(&group));
    shared
        .run(&[
            "dkim",
            "keygen",
            "--selector",
            "s2",
            "--algorithm",
            "ed25519",
        ])
        .ok();
    assert_mode(&shared.path("dkim-s2.pem"), 0o640);
    assert_gid(&shared.path("dkim-s2.pem"), gid);
}

#[test]
fn a_files_group_that_does_not_exist_is_named_and_nothing_is_created() {
    let app = app(&group_config("no-such-group-pb14"));
    let run = app.run(&["subscribers", "list"]);
    assert_eq!(run.code, 2, "a config error: {}", run.stderr);
    assert!(
        run.stderr.contains("files.group") || run.stderr.contains("group"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("no-such-group-pb14"), "{}", run.stderr);
    assert!(!app.path("postbode.db").exists());
}
