//! The renderer through `postbode issue preview`: every sample issue in
//! every format against golden files, and each kind of bad input.
//!
//! To accept a deliberate change of output: `POSTBODE_UPDATE_GOLDEN=1 cargo test --test render_issues`
//! (exactly `1`; refused when `CI` is set, so CI always compares).

mod support;

use support::html_links::http_links;
use support::{TestApp, repo_file};

const SAMPLES: [&str; 3] = [
    "2026-09-luisteren-naar-klachten",
    "2026-10-voorbij-de-pilot",
    "2026-11-schrijven-voor-iedereen",
];

fn preview(app: &TestApp, dir: &str, format: &str) -> support::Run {
    app.run(&["issue", "preview", dir, "--format", format])
}

/// Whether to rewrite the golden files instead of comparing: only for
/// `POSTBODE_UPDATE_GOLDEN=1`, never under CI (a rewrite always passes).
fn update_golden() -> bool {
    let update = match std::env::var_os("POSTBODE_UPDATE_GOLDEN") {
        None => false,
        Some(v) if v.is_empty() || v == "0" => false,
        Some(v) if v == "1" => true,
        Some(v) => panic!("POSTBODE_UPDATE_GOLDEN={v:?}: set it to 1 to rewrite the golden files"),
    };
    if update && std::env::var_os("CI").is_some() {
        panic!(
            "POSTBODE_UPDATE_GOLDEN=1 is refused when CI is set: CI compares against the \
             golden files; rewrite them on your own machine and commit them"
        );
    }
    update
}

#[test]
fn every_sample_issue_renders_in_every_format_as_its_golden_file() {
    let app = TestApp::new();
    let update = update_golden();
    // Preview shows the issue folder's images by their file:// URL; the
    // golden files hold them relative to emails/, wherever the clone is.
    let emails = repo_file("emails").canonicalize().expect("emails folder");
    let emails_url = format!("file://{}/", emails.display());
    for slug in SAMPLES {
        let dir = repo_file(&format!("emails/issues/{slug}"));
        for (format, ext) in [
            ("mjml", "mjml"),
            ("html", "html"),
            ("text", "txt"),
            ("web", "web.html"),
        ] {
            let mut run = preview(&app, dir.to_str().expect("utf-8 path"), format).ok();
            assert!(run.stderr.is_empty(), "{slug} {format}: {}", run.stderr);
            run.stdout = run.stdout.replace(&emails_url, "file:///EMAILS/");
            let golden = repo_file(&format!("tests/golden/{slug}.{ext}"));
            if update {
                std::fs::create_dir_all(repo_file("tests/golden")).expect("mkdir");
                std::fs::write(&golden, &run.stdout).expect("write golden");
                continue;
            }
            let expected = std::fs::read_to_string(&golden).unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (run with POSTBODE_UPDATE_GOLDEN=1)",
                    golden.display()
                )
            });
            assert!(
                run.stdout == expected,
                "{slug} {format} differs from {}",
                golden.display()
            );
        }
    }
}

#[test]
fn the_html_part_is_personalised_and_the_web_version_is_not() {
    let app = TestApp::new();
    let dir = repo_file("emails/issues/2026-10-voorbij-de-pilot");
    let dir = dir.to_str().expect("utf-8 path");
    // minijinja escapes `/` in HTML as `&#x2f;`; browsers and mail clients decode it.
    let html = preview(&app, dir, "html")
        .ok()
        .stdout
        .replace("&#x2f;", "/");
    assert!(html.contains("Beste Anna de Vries,"));
    assert!(
        html.contains("http://localhost:8080/u/voorbeeld"),
        "the unsubscribe link"
    );
    assert!(
        html.contains("Bekijk in je browser") && html.contains("bewezen dat uitzonderingen werken")
    );
    assert!(
        !html.contains("{{") && !html.contains("pbRcpt"),
        "no template syntax left"
    );
    let web = preview(&app, dir, "web").ok().stdout.replace("&#x2f;", "/");
    assert!(
        web.contains("Beste lezer,"),
        "the default applies on the web"
    );
    assert!(
        !web.contains("/u/") && !web.contains("anna.devries"),
        "nothing personal on the web"
    );
}

#[test]
fn the_text_part_is_wrapped_with_numbered_links_and_no_html() {
    let app = TestApp::new();
    for slug in SAMPLES {
        let dir = repo_file(&format!("emails/issues/{slug}"));
        let text = preview(&app, dir.to_str().expect("utf-8 path"), "text")
            .ok()
            .stdout;
        for line in text.lines().filter(|l| !l.contains("://")) {
            assert!(
                line.chars().count() <= 72,
                "{slug}: line too long: {line:?}"
            );
        }
        assert!(
            !text.contains("<mj-") && !text.contains("</") && !text.contains("&amp;"),
            "{slug}: HTML left:\n{text}"
        );
        assert!(
            text.contains("Afmelden: http://localhost:8080/u/voorbeeld"),
            "{slug}"
        );
    }
}

/// For every sample issue, each `http(s)` link of the HTML is in the text
/// part (tests/mjml_corpus.rs does the same for the public templates).
#[test]
fn every_http_link_of_the_html_is_in_the_text_part() {
    let app = TestApp::new();
    let mut cases = Vec::new();
    for slug in SAMPLES {
        let dir = repo_file(&format!("emails/issues/{slug}"));
        let dir = dir.to_str().expect("utf-8 path");
        let html = preview(&app, dir, "html").ok().stdout;
        let text = preview(&app, dir, "text").ok().stdout;
        cases.push((slug.to_owned(), html, text));
    }
    // Raw HTML in Markdown: its links and image alt come in pieces.
    let issue = emails_copy(&app);
    std::fs::write(
        issue.join("body.md"),
        "Zie <a href=\"https://example.org/x\">tekst</a> en\n\
         <a href=\"https://example.org/y\"><em>meer</em></a>.\n\n\
         <p>Een <a href=\"https://example.org/blok\">\nblok</a></p>\n\n\
         <img src=\"https://example.org/f.png\" alt=\"Een foto van de tuin\">\n",
    )
    .expect("write");
    let html = preview(&app, "emails/issues/kapot", "html").ok().stdout;
    let text = preview(&app, "emails/issues/kapot", "text").ok().stdout;
    assert!(
        text.contains("Een foto van de tuin"),
        "raw <img alt>:\n{text}"
    );
    assert!(
        text.contains("Zie tekst [1]"),
        "a label, then its reference:\n{text}"
    );
    cases.push(("raw HTML in body.md".to_owned(), html, text));
    for (name, html, text) in cases {
        let links = http_links(&html);
        assert!(!links.is_empty(), "{name}: no links found in the HTML");
        for url in links {
            assert!(
                text.contains(&url),
                "{name}: {url} is not in the text part:\n{text}"
            );
        }
    }
}

/// An emails folder in the test's folder, with the real layout and
/// partials and one issue to break.
fn emails_copy(app: &TestApp) -> std::path::PathBuf {
    let root = app.path("emails");
    for sub in ["partials", "issues/kapot"] {
        std::fs::create_dir_all(root.join(sub)).expect("mkdir");
    }
    for f in ["layout.mjml", "layout.txt"] {
        std::fs::copy(repo_file(&format!("emails/{f}")), root.join(f)).expect("copy");
    }
    for entry in std::fs::read_dir(repo_file("emails/partials")).expect("partials") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), root.join("partials").join(entry.file_name())).expect("copy");
    }
    let issue = root.join("issues/kapot");
    std::fs::write(
        issue.join("issue.toml"),
        "subject = \"Test\"\npreheader = \"Kort\"\ndate = \"2026-11-28\"\n",
    )
    .expect("write");
    std::fs::write(
        issue.join("body.md"),
        "Beste {{ subscriber.name | default(\"lezer\") }},\n\nTekst.\n",
    )
    .expect("write");
    issue
}

#[test]
fn a_bad_issue_toml_is_named_with_its_line() {
    let app = TestApp::new();
    let issue = emails_copy(&app);
    preview(&app, "emails/issues/kapot", "html").ok();
    std::fs::write(
        issue.join("issue.toml"),
        "subject = \"Test\"\ndate = \"2026-11-28\"\nonderwerp = \"x\"\n",
    )
    .expect("write");
    let run = preview(&app, "emails/issues/kapot", "html");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("issue.toml")
            && run.stderr.contains("line 3")
            && run.stderr.contains("onderwerp"),
        "{}",
        run.stderr
    );
    std::fs::write(
        issue.join("issue.toml"),
        "subject = \"Test\"\ndate = \"28-11-2026\"\n",
    )
    .expect("write");
    let run = preview(&app, "emails/issues/kapot", "html");
    assert!(
        run.stderr.contains("line 2") && run.stderr.contains("2026-11-26"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_undefined_variable_is_an_error_naming_the_file_and_line() {
    let app = TestApp::new();
    let issue = emails_copy(&app);
    std::fs::write(
        issue.join("body.md"),
        "Hallo.\n\nDit is {{ issue.onderwerp }}.\n",
    )
    .expect("write");
    let run = preview(&app, "emails/issues/kapot", "html");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("body.md, line 3") && run.stderr.contains("undefined"),
        "{}",
        run.stderr
    );

    std::fs::write(
        issue.join("body.md"),
        "Hallo {{ subscriber.attributes.stad }}.\n",
    )
    .expect("write");
    let run = preview(&app, "emails/issues/kapot", "html");
    assert_eq!(
        run.code, 2,
        "a per-recipient value without a default is refused at preview"
    );
    std::fs::write(
        issue.join("body.md"),
        "Hallo {{ subscriber.attributes.stad | default(\"daar\") }}.\n",
    )
    .expect("write");
    preview(&app, "emails/issues/kapot", "html").ok();
}

#[test]
fn a_per_recipient_value_in_a_statement_is_refused_with_its_line() {
    let app = TestApp::new();
    let issue = emails_copy(&app);
    std::fs::write(
        issue.join("body.md"),
        "Hoi.\n\n{% if subscriber.name %}Naam{% endif %}\n",
    )
    .expect("write");
    let run = preview(&app, "emails/issues/kapot", "html");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("body.md, line 3"), "{}", run.stderr);
}

#[test]
fn an_mjml_error_and_a_missing_include_are_reported_with_a_line() {
    let app = TestApp::new();
    let issue = emails_copy(&app);
    std::fs::remove_file(issue.join("body.md")).expect("rm");
    std::fs::write(
        issue.join("body.mjml"),
        "<mj-section><mj-column><mj-text>Open</mj-column></mj-section>\n",
    )
    .expect("write");
    let run = preview(&app, "emails/issues/kapot", "html");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("MJML error at line"), "{}", run.stderr);

    std::fs::write(
        issue.join("body.mjml"),
        "<mj-section><mj-column><mj-text>Goed</mj-text></mj-column></mj-section>\n",
    )
    .expect("write");
    preview(&app, "emails/issues/kapot", "html").ok();
    std::fs::remove_file(app.path("emails/partials/footer.mjml")).expect("rm");
    let run = preview(&app, "emails/issues/kapot", "html");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("partials/footer.mjml"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unknown_mjml_attribute_is_reported_as_a_warning() {
    let app = TestApp::new();
    let issue = emails_copy(&app);
    std::fs::remove_file(issue.join("body.md")).expect("rm");
    std::fs::write(
        issue.join("body.mjml"),
        "<mj-section><mj-column><mj-text kleur=\"rood\">Hoi</mj-text></mj-column></mj-section>\n",
    )
    .expect("write");
    let run = preview(&app, "emails/issues/kapot", "html").ok();
    assert!(
        run.stderr.contains("warning") && run.stderr.contains("attribute kleur is illegal"),
        "{}",
        run.stderr
    );
}
