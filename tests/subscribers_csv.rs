//! CSV export and import as a spreadsheet and an attacker see them
//! (issue 14): formulas leave as text, every export imports back
//! unchanged, a column named twice is refused, and a cell or row over the
//! size limits is a row error, not gigabytes of memory. The real binary
//! against a real SQLite file, or PostgreSQL with POSTBODE_TEST_BACKEND.

mod support;

use support::TestApp;
use support::http::{Server, post_form};
use support::smtp::TestSmtp;

const FORMULA: &str = "=HYPERLINK(\"http://x\",\"y\")";
/// [`FORMULA`] as export writes it: a `'` in front, quoted for CSV.
const FORMULA_CELL: &str = "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"";

/// `subscribers list --format json`, where values show as stored.
fn json(app: &TestApp) -> String {
    app.run(&["subscribers", "list", "--format", "json"])
        .ok()
        .stdout
}

#[test]
fn a_name_typed_into_the_public_form_as_a_formula_exports_as_text() {
    let smtp = TestSmtp::start();
    let base = "https://nieuws.example.org";
    let app = TestApp::with_config(&format!(
        "\n[newsletter]\nname = \"Publiek Leren\"\nfrom = \"Redactie <redactie@example.org>\"\n\
         base_url = \"{base}\"\n\n[smtp]\nurl = \"{}\"\ncommand_timeout_secs = 5\n\n\
         [server]\nbind = \"127.0.0.1:0\"\n",
        smtp.url()
    ));
    support::sending::copy_emails(&app);
    let server = Server::start(&app, &["serve"]);
    let thanks = post_form(
        server.port,
        "/subscribe",
        &[("Origin", base)],
        "email=mallory%40example.nl&name=%3DHYPERLINK%28%22http%3A%2F%2Fx%22%2C%22y%22%29&website=",
    );
    assert_eq!(thanks.status, 200, "{}", thanks.body);
    // The form answers before it stores; the mail goes out after.
    smtp.wait_for(1, std::time::Duration::from_secs(15));
    drop(server);

    let export = app.export();
    assert!(
        export.contains(&format!("mallory@example.nl,{FORMULA_CELL},")),
        "{export}"
    );
    let stored = json(&app);
    assert!(
        stored.contains(r#""name":"=HYPERLINK(\"http://x\",\"y\")""#),
        "stored as typed: {stored}"
    );
}

#[test]
fn an_export_with_formula_like_cells_and_dutch_apostrophes_imports_back_unchanged() {
    let app = TestApp::new();
    app.run(&[
        "subscribers",
        "add",
        "mallory@example.nl",
        "--name",
        FORMULA,
    ])
    .ok();
    // Stored with an apostrophe before a formula character: exported
    // with two, imported with one.
    app.run(&["subscribers", "add", "quote@example.nl", "--name", "'+31"])
        .ok();
    app.write(
        "leden.csv",
        "email,name,city,phone,score,note\n\
         anna@example.nl,'t Hart,'s-Gravenhage,+31 6 12345678,-5,@home\n\
         -bram@example.nl,Bram,Utrecht,,+1,'=already quoted\n",
    );
    let run = app.run(&["subscribers", "import", "leden.csv"]).ok();
    assert!(run.stdout.contains("2 added"), "{}", run.stdout);
    let stored = json(&app);
    for value in [
        "\"'t Hart\"",
        "\"'s-Gravenhage\"",
        "\"+31 6 12345678\"",
        "\"-5\"",
        "\"@home\"",
        "\"-bram@example.nl\"",
        "\"=already quoted\"",
        "\"'+31\"",
    ] {
        assert!(stored.contains(value), "{value} in {stored}");
    }

    let export = app.export();
    assert!(
        export.contains(
            "anna@example.nl,'t Hart,,pending,default,'s-Gravenhage,'@home,'+31 6 12345678,'-5"
        ),
        "{export}"
    );
    assert!(export.contains("'-bram@example.nl,Bram"), "{export}");
    assert!(export.contains(",'=already quoted,"), "{export}");
    assert!(export.contains("quote@example.nl,''+31,"), "{export}");
    assert!(export.contains(FORMULA_CELL), "{export}");

    let fresh = TestApp::new();
    fresh.write("in.csv", &export);
    let run = fresh.run(&["subscribers", "import", "in.csv"]).ok();
    assert!(
        run.stdout
            .contains("4 added, 0 updated, 0 unchanged, 0 rejected"),
        "{}",
        run.stdout
    );
    assert_eq!(fresh.export(), export);
    app.write("same.csv", &export);
    let run = app.run(&["subscribers", "import", "same.csv"]).ok();
    assert!(
        run.stdout.contains("0 added, 0 updated, 4 unchanged"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_city_column_then_a_city_column_in_another_case_is_one_attribute_and_exports_importably() {
    let app = TestApp::new();
    app.write("first.csv", "email,City\nanna@example.nl,Utrecht\n");
    app.run(&["subscribers", "import", "first.csv"]).ok();
    app.write(
        "second.csv",
        "email,city\nbram@example.nl,Zwolle\nanna@example.nl,Ede\n",
    );
    app.run(&["subscribers", "import", "second.csv"]).ok();

    let export = app.export();
    let header = export.lines().next().unwrap_or_default();
    assert_eq!(header, "email,name,language,status,lists,City", "{export}");
    assert!(
        export.contains("anna@example.nl,,,pending,default,Ede"),
        "{export}"
    );
    assert!(
        export.contains("bram@example.nl,,,pending,default,Zwolle"),
        "{export}"
    );
    assert!(!json(&app).contains("\"city\""), "{}", json(&app));

    let fresh = TestApp::new();
    fresh.write("in.csv", &export);
    let run = fresh.run(&["subscribers", "import", "in.csv"]).ok();
    assert!(
        run.stdout
            .contains("2 added, 0 updated, 0 unchanged, 0 rejected"),
        "{}",
        run.stdout
    );
    assert_eq!(fresh.export(), export);
}

#[test]
fn a_header_that_names_a_column_twice_is_refused_naming_both_and_nothing_changes() {
    let app = TestApp::new();
    app.run(&["subscribers", "add", "anna@example.nl", "--name", "Anna"])
        .ok();
    let before = app.export();
    for (header, both) in [
        (
            "email,name,E-mail",
            "column 1 (\"email\") and column 3 (\"E-mail\")",
        ),
        (
            "email,name,naam",
            "column 2 (\"name\") and column 3 (\"naam\")",
        ),
        (
            "email,City,city",
            "column 2 (\"City\") and column 3 (\"city\")",
        ),
    ] {
        app.write(
            "twice.csv",
            format!("{header}\nanna@example.nl,Anna Smit,x\nbram@example.nl,Bram,y\n"),
        );
        let run = app.run(&["subscribers", "import", "twice.csv"]);
        assert_eq!(run.code, 2, "{header}: {}", run.stderr);
        assert!(
            run.stderr.contains("twice.csv: line 1:") && run.stderr.contains(both),
            "{header}: {}",
            run.stderr
        );
        assert_eq!(app.export(), before, "{header}");
    }
}

#[test]
fn a_cell_over_64_kib_or_a_row_over_256_kib_is_a_row_error_and_the_rest_imports() {
    let app = TestApp::new();
    let big = "x".repeat(64 * 1024 + 1);
    let wide = vec!["y".repeat(60 * 1024); 5].join(",");
    let huge = "z".repeat(20 * 1024 * 1024);
    app.write(
        "big.csv",
        format!(
            "email,name,city,a,b,c\n\
             anna@example.nl,Anna,Utrecht,,,\n\
             big@example.nl,Big,{big},,,\n\
             wide@example.nl,{wide}\n\
             huge@example.nl,Huge,\"{huge}\",,,\n\
             bram@example.nl,Bram,Zwolle,,,\n"
        ),
    );
    let run = app.run(&["subscribers", "import", "big.csv"]).ok();
    assert!(
        run.stderr
            .contains("big.csv: line 3: column 3 (\"city\"): the cell is longer than 64 KiB"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("big.csv: line 4: column 6 (\"c\"): the row is longer than 256 KiB"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("big.csv: line 5: column 3 (\"city\"): the cell is longer than 64 KiB"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("2 added, 0 updated, 0 unchanged, 3 rejected"),
        "{}",
        run.stdout
    );
    let export = app.export();
    assert!(export.contains("bram@example.nl,Bram"), "{export}");
    assert!(!export.contains("big@example.nl"), "{export}");
}

/// `text` as Windows-1252 bytes: every character here is in Latin-1.
fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

#[test]
fn a_dutch_excel_csv_in_windows_1252_with_crlf_imports_every_row_with_first_and_last_names() {
    let app = TestApp::new();
    app.write(
        "excel.csv",
        windows_1252(
            "E-mailadres;Voornaam;Achternaam\r\n\
             jose@example.nl;José;Müller\r\n\
             anneke@example.nl;Anneke;Brouwer\r\n\
             geen-adres;Zoë;Ünal\r\n",
        ),
    );
    let run = app.run(&["subscribers", "import", "excel.csv"]).ok();
    assert!(
        run.stdout
            .contains("2 added, 0 updated, 0 unchanged, 1 rejected"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("read as Windows-1252"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("excel.csv: line 4: bad email address"),
        "{}",
        run.stderr
    );
    let stored = json(&app);
    assert!(stored.contains("\"name\":\"José Müller\""), "{stored}");
    assert!(stored.contains("\"name\":\"Anneke Brouwer\""), "{stored}");
    assert!(stored.contains("\"first_name\":\"José\""), "{stored}");
    assert!(stored.contains("\"first_name\":\"Anneke\""), "{stored}");
}

#[test]
fn a_utf16_csv_with_a_byte_order_mark_imports_every_row_and_says_so() {
    let app = TestApp::new();
    let text = "email,first_name,last_name\r\njose@example.nl,José,Müller\r\nanneke@example.nl,Anneke,Brouwer\r\n";
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    app.write("unicode.csv", bytes);
    let run = app.run(&["subscribers", "import", "unicode.csv"]).ok();
    assert!(
        run.stdout
            .contains("2 added, 0 updated, 0 unchanged, 0 rejected"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("read as UTF-16LE"), "{}", run.stdout);
    let stored = json(&app);
    assert!(stored.contains("\"name\":\"José Müller\""), "{stored}");
    assert!(stored.contains("\"first_name\":\"Anneke\""), "{stored}");
}

#[test]
fn a_utf8_csv_says_nothing_about_its_encoding() {
    let app = TestApp::new();
    app.write(
        "utf8.csv",
        "\u{feff}email;voornaam;achternaam\njose@example.nl;José;Müller\n",
    );
    let run = app.run(&["subscribers", "import", "utf8.csv"]).ok();
    assert!(run.stdout.contains("1 added"), "{}", run.stdout);
    assert!(!run.stdout.contains("read as"), "{}", run.stdout);
    assert!(json(&app).contains("\"name\":\"José Müller\""));
}
