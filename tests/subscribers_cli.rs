//! The subscribers commands, run as the real binary against a real SQLite
//! file in a temporary folder.

mod support;

use support::listing::addresses;
use support::{TestApp, repo_file};

const MIXED: &str = "\
email,name,lists,city
anna@example.nl,Anna de Vries,default,Utrecht
not-an-address,Nobody,default,Nowhere
Bram@Example.NL,Bram,default;events,Zwolle
bram@example.nl,Bram Jansen,default,Zwolle
chantal@example.org,,default,
dirk@localhost,Dirk,default,
eva@example.com,\"Smit, Eva\",default,Amsterdam
";

#[test]
fn an_import_reports_every_bad_row_by_line_and_imports_the_rest() {
    let app = TestApp::new();
    app.write("mixed.csv", MIXED);
    let run = app
        .run(&["subscribers", "import", "mixed.csv", "--active"])
        .ok();
    assert!(
        run.stderr.contains("line 3") && run.stderr.contains("not-an-address"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("line 7") && run.stderr.contains("dirk@localhost"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("4 added, 0 updated, 0 unchanged, 2 rejected"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("1 rows repeated an address"),
        "{}",
        run.stdout
    );

    let export = app.export();
    assert!(
        export.contains("bram@example.nl,Bram Jansen,,active,default;events,Zwolle"),
        "{export}"
    );
    assert!(export.contains("\"Smit, Eva\""), "{export}");
    assert_eq!(export.lines().count(), 5, "{export}");
}

#[test]
fn importing_the_same_file_again_changes_nothing() {
    let app = TestApp::new();
    app.write("mixed.csv", MIXED);
    app.run(&["subscribers", "import", "mixed.csv", "--active"])
        .ok();
    let before = app.export();
    let run = app
        .run(&["subscribers", "import", "mixed.csv", "--active"])
        .ok();
    assert!(
        run.stdout
            .contains("0 added, 0 updated, 4 unchanged, 2 rejected"),
        "{}",
        run.stdout
    );
    assert_eq!(app.export(), before);
}

#[test]
fn a_different_case_of_a_known_address_is_the_same_subscriber() {
    let app = TestApp::new();
    app.run(&["subscribers", "add", "Anna@Example.nl", "--active"])
        .ok();
    let run = app.run(&["subscribers", "add", "anna@EXAMPLE.NL"]).ok();
    assert!(run.stdout.contains("already"), "{}", run.stdout);
    assert_eq!(app.export().lines().count(), 2);
}

#[test]
fn an_unsubscribe_survives_a_later_import() {
    let app = TestApp::new();
    app.write("mixed.csv", MIXED);
    app.run(&["subscribers", "import", "mixed.csv", "--active"])
        .ok();
    app.run(&["subscribers", "unsubscribe", "anna@example.nl"])
        .ok();
    let run = app
        .run(&["subscribers", "import", "mixed.csv", "--active"])
        .ok();
    assert!(run.stdout.contains("stay unsubscribed"), "{}", run.stdout);
    app.write("active.csv", "email,status\nanna@example.nl,active\n");
    app.run(&["subscribers", "import", "active.csv"]).ok();
    let left = addresses(&app, "unsubscribed");
    assert!(left.iter().any(|e| e == "anna@example.nl"), "{left:?}");
    let refused = app.run(&["subscribers", "add", "anna@example.nl", "--active"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("does not re-subscribe"),
        "{}",
        refused.stderr
    );
}

#[test]
fn remove_erases_the_person_and_keeps_only_an_anonymous_count() {
    let app = TestApp::new();
    app.write("mixed.csv", MIXED);
    app.run(&["subscribers", "import", "mixed.csv", "--active"])
        .ok();
    app.run(&["subscribers", "unsubscribe", "anna@example.nl"])
        .ok();
    // The search finds her before she is erased, on either backend.
    assert!(app.database_holds("anna@example.nl"));
    assert!(app.database_holds("Anna de Vries"));

    let run = app.run(&["subscribers", "remove", "anna@example.nl"]).ok();
    assert!(run.stdout.contains("erased"), "{}", run.stdout);
    let export = app.export();
    assert!(
        !export.contains("anna@example.nl") && !export.contains("Anna de Vries"),
        "{export}"
    );
    // SQLite: every byte of the files, WAL too. PostgreSQL: every row of
    // every table (its erasure ends with a VACUUM for the files).
    assert!(
        !app.database_holds("anna@example.nl"),
        "the address is still in the database"
    );
    assert!(
        !app.database_holds("Anna de Vries"),
        "the name is still in the database"
    );

    let again = app.run(&["subscribers", "remove", "anna@example.nl"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("no subscriber"), "{}", again.stderr);
}

#[test]
fn an_export_imports_back_unchanged_into_a_fresh_database() {
    let app = TestApp::new();
    app.write("mixed.csv", MIXED);
    app.run(&["subscribers", "import", "mixed.csv"]).ok();
    app.run(&[
        "subscribers",
        "add",
        "frank@example.nl",
        "--name",
        "Frank",
        "--list",
        "events",
        "--active",
    ])
    .ok();
    app.run(&["subscribers", "unsubscribe", "eva@example.com"])
        .ok();
    app.run(&["subscribers", "export", "out.csv"]).ok();
    let exported = std::fs::read_to_string(app.path("out.csv")).expect("export written");

    let fresh = TestApp::new();
    std::fs::copy(app.path("out.csv"), fresh.path("in.csv")).expect("copy");
    let run = fresh.run(&["subscribers", "import", "in.csv"]).ok();
    assert!(
        run.stdout
            .contains("5 added, 0 updated, 0 unchanged, 0 rejected"),
        "{}",
        run.stdout
    );
    assert_eq!(fresh.export(), exported);
    let again = fresh.run(&["subscribers", "import", "in.csv"]).ok();
    assert!(
        again.stdout.contains("0 added, 0 updated, 5 unchanged"),
        "{}",
        again.stdout
    );
}

#[test]
fn a_file_that_is_not_csv_is_rejected_whole_and_nothing_changes() {
    let app = TestApp::new();
    app.run(&["subscribers", "add", "anna@example.nl"]).ok();
    let before = app.export();
    app.write("photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10");
    let run = app.run(&["subscribers", "import", "photo.png"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("photo.png is not a CSV file"),
        "{}",
        run.stderr
    );

    app.write("names.csv", "name,city\nAnna,Utrecht\n");
    let run = app.run(&["subscribers", "import", "names.csv"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no \"email\" column"), "{}", run.stderr);

    app.write("empty.csv", "");
    assert_eq!(app.run(&["subscribers", "import", "empty.csv"]).code, 2);
    assert_eq!(app.run(&["subscribers", "import", "missing.csv"]).code, 2);
    assert_eq!(app.export(), before);
}

#[test]
fn a_semicolon_separated_spreadsheet_export_imports() {
    let app = TestApp::new();
    app.write(
        "excel.csv",
        "\u{feff}E-mailadres;Naam;Stad\r\nanna@example.nl;Anna;Utrecht\r\n",
    );
    let run = app.run(&["subscribers", "import", "excel.csv"]).ok();
    assert!(run.stdout.contains("1 added"), "{}", run.stdout);
    assert!(
        app.export()
            .contains("anna@example.nl,Anna,,pending,default,Utrecht")
    );
}

#[test]
fn the_example_subscribers_file_imports_cleanly() {
    let app = TestApp::new();
    let file = repo_file("examples/subscribers.csv");
    let run = app
        .run(&[
            "subscribers",
            "import",
            file.to_str().expect("utf-8 path"),
            "--active",
        ])
        .ok();
    assert!(
        run.stdout.contains("12 added") && run.stdout.contains("0 rejected"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn list_filters_by_status_and_list_in_every_format() {
    let app = TestApp::new();
    app.write("mixed.csv", MIXED);
    app.run(&["subscribers", "import", "mixed.csv", "--active"])
        .ok();
    app.run(&["subscribers", "add", "new@example.nl"]).ok();
    let pending = app
        .run(&["subscribers", "list", "--status", "pending"])
        .ok();
    assert!(
        pending.stdout.contains("new@example.nl") && !pending.stdout.contains("anna@"),
        "{}",
        pending.stdout
    );
    let events = app
        .run(&[
            "subscribers",
            "list",
            "--list",
            "events",
            "--format",
            "json",
        ])
        .ok();
    let parsed: serde_json::Value = serde_json::from_str(&events.stdout).expect("valid JSON");
    let emails: Vec<&str> = parsed
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|s| s["email"].as_str())
        .collect();
    assert_eq!(emails, ["bram@example.nl"]);
    let bad = app.run(&["subscribers", "list", "--status", "gone"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--status"), "{}", bad.stderr);
}

#[test]
fn bad_command_line_values_are_refused_with_exit_code_two() {
    let app = TestApp::new();
    let run = app.run(&["subscribers", "add", "anna@@example.nl"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("anna@@example.nl"), "{}", run.stderr);
    let run = app.run(&[
        "subscribers",
        "add",
        "anna@example.nl",
        "--name",
        "Anna\r\nBcc: x@example.org",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(app.run(&["subscribers", "frobnicate"]).code, 2);
    assert_eq!(
        app.run(&["subscribers", "unsubscribe", "nobody@example.nl"])
            .code,
        2
    );
}

#[test]
fn two_imports_at_once_into_one_database_both_succeed() {
    let app = TestApp::new();
    app.run(&["subscribers", "add", "first@example.nl"]).ok();
    let rows = |prefix: &str| {
        let mut csv = String::from("email,name\n");
        for i in 0..5000 {
            csv.push_str(&format!("{prefix}{i}@example.nl,Lezer {i}\n"));
        }
        csv
    };
    app.write("a.csv", rows("a"));
    app.write("b.csv", rows("b"));
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| app.run(&["subscribers", "import", "a.csv"]));
        let b = s.spawn(|| app.run(&["subscribers", "import", "b.csv"]));
        (a.join().expect("thread"), b.join().expect("thread"))
    });
    let (a, b) = (a.ok(), b.ok());
    assert!(
        a.stdout.contains("5000 added") && b.stdout.contains("5000 added"),
        "{}{}",
        a.stdout,
        b.stdout
    );
    assert_eq!(app.export().lines().count(), 10_002);
}
