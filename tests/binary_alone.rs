//! The binary alone: a copy of the built `postbode` (a hard link, where
//! the file system allows) in an empty folder, run there with no
//! POSTBODE_* variables. Everything it needs (the starter `emails/`, the
//! example subscribers, the config example) must come out of the binary.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::Run;
use support::received::Mail;

/// An empty folder holding nothing but the binary.
struct Alone {
    dir: tempfile::TempDir,
}

impl Alone {
    fn new() -> Alone {
        let dir = tempfile::tempdir().expect("temp dir");
        let built = Path::new(env!("CARGO_BIN_EXE_postbode"));
        let copy = dir.path().join("postbode");
        // A link costs no disk; a copy where the target is elsewhere.
        if std::fs::hard_link(built, &copy).is_err() {
            std::fs::copy(built, &copy).expect("copy the binary");
        }
        Alone { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `./postbode ARGS` inside the folder, with no POSTBODE_* variables.
    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(self.path("postbode"));
        cmd.args(args).current_dir(self.dir.path());
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("POSTBODE_") || k.starts_with("CARGO") || k == "RUST_LOG" {
                cmd.env_remove(&key);
            }
        }
        let out = cmd.output().expect("run postbode");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The .eml files in outbox/ whose name starts with `slug`.
    fn outbox(&self, slug: &str) -> Vec<Mail> {
        let Ok(entries) = std::fs::read_dir(self.path("outbox")) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(slug))
            })
            .map(|p| Mail::parse(&std::fs::read(p).expect("read .eml")))
            .collect()
    }
}

/// The one sample issue `init` wrote.
fn sample_issue(alone: &Alone) -> String {
    let issues: Vec<String> = std::fs::read_dir(alone.path("emails/issues"))
        .expect("emails/issues written")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(issues.len(), 1, "one sample issue: {issues:?}");
    issues[0].clone()
}

/// Every mail has the subject and a personal unsubscribe link, in the
/// List-Unsubscribe header and in the footer of both parts.
#[track_caller]
fn assert_sendable(mails: &[Mail], subject: &str) {
    for mail in mails {
        assert_eq!(mail.header("Subject"), Some(subject), "{}", mail.raw);
        let header = mail.one_click_url();
        let footer = mail.footer_link("Afmelden");
        assert!(
            footer.starts_with("http://localhost:8080/u/") && footer.len() > 30,
            "a personal unsubscribe link: {footer}"
        );
        assert_eq!(header, footer, "the header and the footer name one link");
    }
}

#[test]
fn init_quickstart_preview_queue_and_send_work_with_nothing_but_the_binary() {
    let alone = Alone::new();

    let init = alone.run(&["init"]).ok();
    assert!(
        init.stdout.contains("emails/partials/:") && init.stdout.contains("layout.mjml"),
        "init says what it wrote:\n{}",
        init.stdout
    );
    for file in [
        "postbode.toml",
        "emails/layout.mjml",
        "emails/layout.txt",
        "emails/partials/footer.mjml",
        "emails/system/confirm.mjml",
    ] {
        assert!(alone.path(file).is_file(), "init wrote {file}");
    }
    let sample = sample_issue(&alone);

    let quick = alone.run(&["quickstart"]).ok();
    assert!(
        quick
            .stdout
            .contains("imported examples/subscribers.csv: 12 added"),
        "{}",
        quick.stdout
    );
    let first = alone.outbox(&sample);
    assert_eq!(first.len(), 12, "one mail per example subscriber");

    // The editor's path: a new issue beside the sample, previewed, queued
    // and sent.
    let issue = "emails/issues/2026-12-alleen-de-binary";
    std::fs::create_dir_all(alone.path(issue)).expect("mkdir");
    let subject = "Alleen de binary";
    std::fs::write(
        alone.path(&format!("{issue}/issue.toml")),
        format!("subject = \"{subject}\"\ndate = \"2026-12-03\"\n"),
    )
    .expect("write issue.toml");
    std::fs::write(
        alone.path(&format!("{issue}/body.md")),
        "Beste {{ subscriber.name | default('lezer') }},\n\nHet werkt.\n",
    )
    .expect("write body.md");

    let html = alone.run(&["issue", "preview", issue]).ok();
    assert!(html.stdout.contains("Beste Anna de Vries,") && html.stdout.contains(subject));
    let text = alone
        .run(&["issue", "preview", issue, "--format", "text"])
        .ok();
    assert!(text.stdout.contains("Het werkt."), "{}", text.stdout);

    let queued = alone.run(&["issue", "queue", issue]).ok();
    assert_eq!(queued.stdout.trim(), "2026-12-alleen-de-binary");
    alone.run(&["send"]).ok();
    let sent = alone.outbox("2026-12-alleen-de-binary");
    assert_eq!(sent.len(), 12, "the new issue to every example subscriber");
    assert_sendable(&sent, subject);
    assert!(
        sent.iter()
            .any(|m| m.part("text/plain").contains("Beste Anna de Vries,")),
        "personalised"
    );
}

#[test]
fn init_never_replaces_a_file_the_editor_changed_and_adds_only_what_is_missing() {
    let alone = Alone::new();
    alone.run(&["init"]).ok();
    let sample = sample_issue(&alone);

    let layout = alone.path("emails/layout.mjml");
    let edited = std::fs::read_to_string(&layout)
        .expect("read layout")
        .replace("#efeae2", "#ffffff");
    std::fs::write(&layout, &edited).expect("edit layout");
    let body = alone.path(&format!("emails/issues/{sample}/body.md"));
    std::fs::write(&body, "Mijn eigen tekst.\n").expect("edit body");
    std::fs::remove_file(alone.path("emails/partials/quote.mjml")).expect("remove a partial");

    let again = alone.run(&["init"]).ok();
    assert!(
        std::fs::read_to_string(&layout).expect("read") == edited,
        "the edited layout is kept"
    );
    assert_eq!(
        std::fs::read_to_string(&body).expect("read"),
        "Mijn eigen tekst.\n"
    );
    assert!(
        alone.path("emails/partials/quote.mjml").is_file(),
        "a missing starter file is added back"
    );
    assert!(
        again.stdout.contains("emails/partials/: quote.mjml") && !again.stdout.contains("layout"),
        "init names only what it wrote:\n{}",
        again.stdout
    );

    // An editor who removed the sample issue and wrote their own does not
    // get it back.
    std::fs::remove_dir_all(alone.path(&format!("emails/issues/{sample}"))).expect("rm sample");
    let own = alone.path("emails/issues/2027-01-eigen");
    std::fs::create_dir_all(&own).expect("mkdir");
    std::fs::write(
        own.join("issue.toml"),
        "subject = \"Eigen\"\ndate = \"2027-01-01\"\n",
    )
    .expect("write");
    let third = alone.run(&["init"]).ok();
    assert!(!alone.path(&format!("emails/issues/{sample}")).exists());
    assert!(
        third.stdout.contains("has every starter file"),
        "{}",
        third.stdout
    );
}
