//! What the renderer reads, and what it says about it: the same sources
//! with other line ends or a byte-order mark, whole documents
//! (`issue.mjml`, `postbode render`), errors that name the author's file
//! and line, and the pre-flight checks before an issue is queued.

mod support;

use std::path::{Path, PathBuf};

use support::{TestApp, repo_file};

const SAMPLES: [&str; 3] = [
    "2026-09-luisteren-naar-klachten",
    "2026-10-voorbij-de-pilot",
    "2026-11-schrijven-voor-iedereen",
];

/// Copies `from` to `to`, every file rewritten by `change`.
fn copy_tree(from: &Path, to: &Path, change: &dyn Fn(&str) -> String) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target, change);
        } else {
            // Images (the sample issues have some) are copied as they are.
            match std::fs::read_to_string(entry.path()) {
                Ok(text) => std::fs::write(target, change(&text)).expect("write"),
                Err(_) => drop(std::fs::copy(entry.path(), target).expect("copy")),
            }
        }
    }
}

fn preview(app: &TestApp, dir: &Path, format: &str) -> support::Run {
    app.run(&[
        "issue",
        "preview",
        dir.to_str().expect("utf-8 path"),
        "--format",
        format,
    ])
}

#[test]
fn the_sample_issues_render_the_same_with_crlf_line_ends_and_a_byte_order_mark() {
    let app = TestApp::new();
    let crlf = app.path("crlf");
    copy_tree(&repo_file("emails"), &crlf, &|s| s.replace('\n', "\r\n"));
    let bom = app.path("bom");
    copy_tree(&repo_file("emails"), &bom, &|s| {
        format!("\u{feff}{}", s.replace('\n', "\r\n"))
    });
    for slug in SAMPLES {
        for format in ["html", "text", "web"] {
            let original = preview(&app, &repo_file(&format!("emails/issues/{slug}")), format).ok();
            for copy in [&crlf, &bom] {
                let run = preview(&app, &copy.join("issues").join(slug), format).ok();
                assert!(run.stderr.is_empty(), "{slug} {format}: {}", run.stderr);
                // Local images are file:// URLs of the copy's own files.
                let folder =
                    |p: &Path| format!("file://{}", p.canonicalize().expect("there").display());
                let stdout = run
                    .stdout
                    .replace(&folder(copy), &folder(&repo_file("emails")));
                assert!(
                    stdout == original.stdout,
                    "{slug} {format} from {} differs from the LF original",
                    copy.display()
                );
            }
        }
    }
}

/// The real emails folder copied into the test's folder, with an issue
/// `proef` holding `issue.toml` and the given files.
fn issue_with(app: &TestApp, files: &[(&str, &str)]) -> PathBuf {
    copy_tree(&repo_file("emails"), &app.path("emails"), &|s| s.to_owned());
    let issue = app.path("emails/issues/proef");
    std::fs::create_dir_all(&issue).expect("mkdir");
    std::fs::write(
        issue.join("issue.toml"),
        "subject = \"Proef\"\npreheader = \"Kort\"\ndate = \"2026-11-28\"\n",
    )
    .expect("write");
    for (name, text) in files {
        std::fs::write(issue.join(name), text).expect("write");
    }
    // A list to queue for.
    app.run(&["subscribers", "add", "anna@example.nl"]).ok();
    issue
}

/// A whole document with its own head, a template variable, a
/// per-recipient greeting and the unsubscribe link.
const DOCUMENT: &str = r#"<mjml>
  <mj-head>
    <mj-title>{{ issue.subject }}</mj-title>
    <mj-attributes><mj-all font-family="Georgia" /></mj-attributes>
  </mj-head>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>Beste {{ subscriber.name | default("lezer") }}, dit is {{ issue.subject }} van {{ newsletter.name }}.</mj-text>
        <mj-image src="https://example.nl/foto.jpg" alt="Een foto" />
        <mj-text>{% if personal %}<a href="{{ unsubscribe_url }}">Afmelden</a>{% endif %}</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
"#;

#[test]
fn a_whole_document_in_body_mjml_is_refused_with_advice_to_use_issue_mjml() {
    let app = TestApp::new();
    let issue = issue_with(&app, &[("body.mjml", DOCUMENT)]);
    let run = preview(&app, &issue, "html");
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("body.mjml, line 1") && run.stderr.contains("issue.mjml"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_issue_mjml_is_a_whole_document_with_template_variables() {
    let app = TestApp::new();
    let issue = issue_with(&app, &[("issue.mjml", DOCUMENT)]);
    let html = preview(&app, &issue, "html").ok();
    assert!(html.stderr.is_empty(), "{}", html.stderr);
    let html = html.stdout.replace("&#x2f;", "/");
    assert!(
        html.contains("Beste Anna de Vries, dit is Proef van"),
        "{html}"
    );
    assert!(html.contains("<title>Proef</title>") && html.contains("Georgia"));
    assert!(html.contains("href=\"http://localhost:8080/u/voorbeeld\""));
    assert!(
        !html.contains("<mj-") && !html.contains("Bekijk in je browser"),
        "no layout"
    );
    let text = preview(&app, &issue, "text").ok().stdout;
    assert!(text.contains("Beste Anna de Vries"), "{text}");
    assert!(text.contains("http://localhost:8080/u/voorbeeld"), "{text}");
    let web = preview(&app, &issue, "web").ok().stdout;
    assert!(web.contains("Beste lezer") && !web.contains("/u/"), "{web}");
}

#[test]
fn an_issue_mjml_beside_a_body_is_an_error_naming_both_files() {
    let app = TestApp::new();
    let issue = issue_with(&app, &[("issue.mjml", DOCUMENT), ("body.md", "Hoi.\n")]);
    let run = preview(&app, &issue, "html");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("body.md") && run.stderr.contains("issue.mjml"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_mjml_error_in_body_mjml_names_body_mjml_and_its_line() {
    let app = TestApp::new();
    let body = "<mj-section>\n  <mj-column>\n    <mj-text>Open\n  </mj-column>\n</mj-section>\n";
    let issue = issue_with(&app, &[("body.mjml", body)]);
    let run = preview(&app, &issue, "html");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("line 3 of ") && run.stderr.contains("proef/body.mjml"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("layout.mjml"), "{}", run.stderr);
}

#[test]
fn an_mjml_error_in_a_fenced_block_names_body_md_and_its_line() {
    let app = TestApp::new();
    let body = "Hallo.\n\n```mjml\n<mj-section>\n<mj-column>\n<mj-text>Open\n</mj-column>\n</mj-section>\n```\n";
    let issue = issue_with(&app, &[("body.md", body)]);
    let run = preview(&app, &issue, "html");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("line 6 of ") && run.stderr.contains("proef/body.md"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_undefined_per_recipient_value_names_the_variable_its_file_and_line() {
    let app = TestApp::new();
    let body = "Hallo.\n\nJij woont in {{ subscriber.attributes.stad }}.\n";
    let issue = issue_with(&app, &[("body.md", body)]);
    let run = preview(&app, &issue, "html");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("subscriber.attributes.stad")
            && run.stderr.contains("proef/body.md, line 3"),
        "{}",
        run.stderr
    );
}

/// A whole document as a designer would hand it over: no templating.
const TEMPLATE: &str = r#"<mjml>
  <mj-head>
    <mj-title>Nieuws</mj-title>
  </mj-head>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>Lees <a href="https://example.nl/verslag">het verslag</a> &amp; meer.</mj-text>
        <mj-image src="https://example.nl/foto.jpg" />
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
"#;

#[test]
fn render_turns_a_whole_document_into_html_or_text_with_the_checks_as_warnings() {
    let app = TestApp::new();
    app.write("nieuws.mjml", TEMPLATE);
    let html = app.run(&["render", "nieuws.mjml"]).ok();
    assert!(
        html.stdout.starts_with("<!doctype html>"),
        "{}",
        html.stdout
    );
    assert!(html.stdout.contains("<title>Nieuws</title>") && html.stdout.contains("het verslag"));
    assert!(
        html.stderr
            .contains("warning: the image https://example.nl/foto.jpg has no alt text"),
        "{}",
        html.stderr
    );
    let text = app.run(&["render", "nieuws.mjml", "--text"]).ok().stdout;
    assert!(
        text.contains("het verslag") && text.contains("https://example.nl/verslag"),
        "{text}"
    );
    app.run(&["render", "nieuws.mjml", "--out", "nieuws.html"])
        .ok();
    let written = std::fs::read_to_string(app.path("nieuws.html")).expect("written");
    assert_eq!(written, html.stdout);

    app.write(
        "windows.mjml",
        format!("\u{feff}{}", TEMPLATE.replace('\n', "\r\n")),
    );
    let crlf = app.run(&["render", "windows.mjml"]).ok();
    assert!(crlf.stdout == html.stdout, "CRLF and a BOM render the same");
}

#[test]
fn render_names_the_file_and_line_of_an_mjml_error() {
    let app = TestApp::new();
    app.write("kapot.mjml", TEMPLATE.replace("meer.</mj-text>", "meer."));
    let run = app.run(&["render", "kapot.mjml"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("line 8 of kapot.mjml"),
        "{}",
        run.stderr
    );
    let run = app.run(&["render", "weg.mjml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("weg.mjml"), "{}", run.stderr);
}

#[test]
fn an_issue_mjml_without_an_unsubscribe_link_is_refused() {
    let app = TestApp::new();
    let without = DOCUMENT.replace(
        r#"{% if personal %}<a href="{{ unsubscribe_url }}">Afmelden</a>{% endif %}"#,
        "Tot ziens.",
    );
    let issue = issue_with(&app, &[("issue.mjml", &without)]);
    let run = preview(&app, &issue, "html");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("HTML part has no visible unsubscribe link")
            && run.stderr.contains("text part has no unsubscribe link"),
        "{}",
        run.stderr
    );
    let run = app.run(&["issue", "queue", "emails/issues/proef"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("unsubscribe link"), "{}", run.stderr);
}

#[test]
fn a_relative_link_is_refused_by_name_and_an_image_without_alt_is_a_warning() {
    let app = TestApp::new();
    let body = "Zie [het archief](/archief).\n\n![](https://example.nl/a.png)\n";
    issue_with(&app, &[("body.md", body)]);
    let run = app.run(&["issue", "queue", "emails/issues/proef"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("the link \"/archief\" is not absolute"),
        "{}",
        run.stderr
    );
    std::fs::write(
        app.path("emails/issues/proef/body.md"),
        "Zie [het archief](https://example.nl/archief).\n\n![](https://example.nl/a.png)\n",
    )
    .expect("write");
    let run = app.run(&["issue", "queue", "emails/issues/proef"]).ok();
    assert!(
        run.stderr.contains(
            "warning: emails/issues/proef: the image https://example.nl/a.png has no alt text"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn html_above_gmails_clipping_limit_is_queued_only_with_force() {
    let app = TestApp::new();
    let words = |n: usize| format!("{}\n", "woord ".repeat(n));
    issue_with(&app, &[("body.md", &words(20_000))]);
    let run = app.run(&["issue", "queue", "emails/issues/proef"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("above Gmail's clipping limit of 102 KB"),
        "{}",
        run.stderr
    );
    let preview_run = preview(&app, &app.path("emails/issues/proef"), "html").ok();
    assert!(
        preview_run.stderr.contains("warning:"),
        "preview shows it, as a warning"
    );
    let run = app
        .run(&["issue", "queue", "emails/issues/proef", "--force"])
        .ok();
    assert!(run.stdout.contains("proef"), "{}", run.stdout);

    std::fs::write(app.path("emails/issues/proef/body.md"), words(13_700)).expect("write");
    let run = preview(&app, &app.path("emails/issues/proef"), "html").ok();
    let size = run.stdout.len();
    assert!((90 * 1024..102 * 1024).contains(&size), "{size} bytes");
    assert!(
        run.stderr.contains("close to Gmail's clipping limit"),
        "{}",
        run.stderr
    );
}

/// `file` (under the test's `emails/`) with its first `from` changed to
/// `to`; the line of `at` in it (1-based), where the error should point.
fn break_file(app: &TestApp, file: &str, from: &str, to: &str, at: &str) -> usize {
    let path = app.path(&format!("emails/{file}"));
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} has no {from}");
    let broken = text.replacen(from, to, 1);
    let offset = broken.find(at).expect("the place is there");
    std::fs::write(&path, &broken).expect("write");
    broken[..offset].matches('\n').count() + 1
}

/// A template or MJML error in any file an issue is made of (a partial
/// the layout includes, the body poured in, layout.txt, a partial of an
/// issue.mjml) names that file and its line, and an undefined variable
/// by name: in `issue preview` and in `issue queue` alike.
#[test]
fn an_error_in_a_partial_the_body_or_layout_txt_names_that_file_and_its_line() {
    let app = TestApp::new();
    let body = "<mj-section>\n  <mj-column>\n    <mj-text>Hallo</mj-text>\n  </mj-column>\n</mj-section>\n";
    let issue = issue_with(&app, &[("body.mjml", body)]);
    let emails = app.path("emails");
    let pristine = |file: &str| {
        std::fs::copy(repo_file(&format!("emails/{file}")), emails.join(file)).expect("restore");
    };
    type Case<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str);
    let cases: [Case<'_>; 6] = [
        // file, from, to, where the error is, what it must say
        (
            "partials/footer.mjml",
            "{{ newsletter.from_name }}",
            "{{ newsletter.afzender }}",
            "afzender",
            "`newsletter.afzender` is undefined",
        ),
        (
            "partials/footer.mjml",
            "{% if newsletter.postal_address %}",
            "{% if newsletter.postal_address %",
            "postal_address",
            "syntax error",
        ),
        (
            "partials/masthead.mjml",
            "</mj-text>",
            "",
            "<mj-text",
            "MJML error at line",
        ),
        (
            "partials/masthead.mjml",
            "<mj-divider ",
            "<mj-divider kleur=\"rood\" ",
            "kleur",
            "attribute kleur is illegal",
        ),
        (
            "layout.txt",
            "{{ body }}",
            "{{ body }}{{ issue.onbekend }}",
            "onbekend",
            "`issue.onbekend` is undefined",
        ),
        (
            "issues/proef/body.mjml",
            "Hallo",
            "Hallo {{ issue.onbekend }}",
            "onbekend",
            "`issue.onbekend` is undefined",
        ),
    ];
    for (file, from, to, at, says) in cases {
        let line = break_file(&app, file, from, to, at);
        let queue = app.run(&["issue", "queue", "emails/issues/proef"]);
        let run = preview(&app, &issue, "html");
        assert!(
            names(&run.stderr, file, line) && run.stderr.contains(says),
            "{file}: wanted line {line} and {says}:\n{}",
            run.stderr
        );
        assert!(!run.stderr.contains("after templating"), "{}", run.stderr);
        if !says.starts_with("attribute") {
            assert_eq!((run.code, queue.code), (2, 2), "{file}: {}", run.stderr);
            assert!(names(&queue.stderr, file, line), "{file}: {}", queue.stderr);
        }
        if file.starts_with("issues/") {
            std::fs::write(emails.join(file), body).expect("restore");
        } else {
            pristine(file);
        }
    }

    // A partial included by an issue.mjml.
    std::fs::remove_file(issue.join("body.mjml")).expect("rm");
    let document = "<mjml>\n  <mj-body>\n    <mj-include path=\"partials/masthead.mjml\" />\n    \
                    <mj-section><mj-column><mj-text>{% if personal %}<a href=\"{{ unsubscribe_url }}\">Afmelden</a>{% endif %}</mj-text></mj-column></mj-section>\n  \
                    </mj-body>\n</mjml>\n";
    std::fs::write(issue.join("issue.mjml"), document).expect("write");
    preview(&app, &issue, "html").ok();
    let line = break_file(
        &app,
        "partials/masthead.mjml",
        "<mj-divider ",
        "<mj-divider kleur=\"rood\" ",
        "kleur",
    );
    let run = preview(&app, &issue, "html").ok();
    assert!(
        names(&run.stderr, "partials/masthead.mjml", line),
        "{}",
        run.stderr
    );
}

/// Whether `said` names `emails/FILE` and its `line`, either way the
/// renderer writes it ("FILE, line N" or "line N of FILE").
fn names(said: &str, file: &str, line: usize) -> bool {
    let file = format!("emails/{file}");
    said.contains(&format!("{file}, line {line}:"))
        || said.split(&format!("line {line} of ")).skip(1).any(|rest| {
            rest.split(": ")
                .next()
                .is_some_and(|path| path.ends_with(&file))
        })
}
