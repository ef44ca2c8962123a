//! What an editor sets for one issue and how they try it out: the closing
//! "Ideeën, tips…" box switched off in `issue.toml`, and `issue test --to`
//! personalised for a subscriber's own address.

mod support;

use std::time::Duration;

use support::TestApp;
use support::received::Mail;
use support::sending::{app_sending_to, copy_emails};
use support::smtp::TestSmtp;

const EDITOR_CALL: &str = "Ideeën, tips of";

/// An issue folder `emails/issues/SLUG` with this `issue.toml` and body.
fn issue(app: &TestApp, slug: &str, toml: &str, body: &str) -> String {
    let dir = format!("emails/issues/{slug}");
    std::fs::create_dir_all(app.path(&dir)).expect("mkdir");
    app.write(&format!("{dir}/issue.toml"), toml);
    app.write(&format!("{dir}/body.md"), body);
    dir
}

fn preview(app: &TestApp, dir: &str, format: &str) -> String {
    app.run(&["issue", "preview", dir, "--format", format])
        .ok()
        .stdout
}

#[test]
fn editor_call_false_in_issue_toml_drops_the_closing_box_and_it_stays_by_default() {
    let app = TestApp::new();
    copy_emails(&app);
    let head = "subject = \"Proef\"\ndate = \"2026-12-03\"\n";
    let with = issue(&app, "2026-12-met", head, "Tekst.\n");
    let without = issue(
        &app,
        "2026-12-zonder",
        &format!("{head}editor_call = false\n"),
        "Mail ons je tips: dit nummer vraagt het zelf al.\n",
    );
    for format in ["html", "text", "web"] {
        let kept = preview(&app, &with, format);
        assert!(kept.contains(EDITOR_CALL), "{format}: the box by default");
        let dropped = preview(&app, &without, format);
        assert!(
            !dropped.contains(EDITOR_CALL),
            "{format}: no box with editor_call = false:\n{dropped}"
        );
        assert!(dropped.contains("dit nummer vraagt het zelf al"));
    }
    // The footer after the box is still there.
    assert!(preview(&app, &without, "text").contains("Archief: "));

    let typo = issue(
        &app,
        "2026-12-typo",
        &format!("{head}editor_call = \"nee\"\n"),
        "x\n",
    );
    let run = app.run(&["issue", "preview", &typo]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("editor_call"), "{}", run.stderr);
}

#[test]
fn issue_test_personalises_for_a_subscriber_and_uses_example_values_for_anyone_else() {
    let smtp = TestSmtp::start();
    let app = app_sending_to(&smtp.url(), "");
    let csv = app.write(
        "people.csv",
        "email,name,city\nanna@example.nl,Anna de Vries,Utrecht\n",
    );
    app.run(&["subscribers", "import", csv.to_str().expect("utf-8")])
        .ok();
    let dir = issue(
        &app,
        "2026-12-proef",
        "subject = \"Proef\"\ndate = \"2026-12-03\"\n",
        "Beste {{ subscriber.name | default('lezer') }} uit \
         {{ subscriber.attributes.city | default('ergens') }},\n\nTekst.\n",
    );

    let run = app
        .run(&[
            "issue",
            "test",
            &dir,
            "--to",
            "anna@example.nl",
            "--to",
            "zoe@example.org",
        ])
        .ok();
    assert!(
        run.stdout
            .contains("anna@example.nl (personalised for subscriber Anna de Vries)")
            && run.stdout.contains("zoe@example.org (not a subscriber"),
        "{}",
        run.stdout
    );
    let got = smtp.wait_for(2, Duration::from_secs(10));
    assert_eq!(got.len(), 2);
    let to = |rcpt: &str| {
        let m = got
            .iter()
            .find(|m| m.to == [rcpt])
            .unwrap_or_else(|| panic!("a message to {rcpt}"));
        Mail::parse(&m.data)
    };

    let anna = to("anna@example.nl");
    assert!(
        anna.part("text/plain")
            .contains("Beste Anna de Vries uit Utrecht,"),
        "{}",
        anna.raw
    );
    assert!(
        anna.header("To")
            .is_some_and(|t| t.contains("Anna de Vries"))
    );
    let id = support::with_store(&app, async |store| {
        store
            .find_subscriber(&support::email("anna@example.nl"))
            .await
            .expect("find")
            .expect("Anna is stored")
            .id
    });
    let token = support::unsubscribe_token(&app, id);
    let link = format!("https://nieuws.example.org/u/{token}");
    assert_eq!(
        anna.footer_link("Afmelden"),
        link,
        "her real unsubscribe link"
    );
    assert_eq!(anna.one_click_url(), link);

    let zoe = to("zoe@example.org");
    assert!(
        zoe.part("text/plain").contains("Beste lezer uit ergens,"),
        "{}",
        zoe.raw
    );
    assert_eq!(
        zoe.footer_link("Afmelden"),
        "https://nieuws.example.org/u/test"
    );
}
