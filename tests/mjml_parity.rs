//! Parity with the reference renderer: the MJML of each sample issue,
//! rendered by the official `mjml` npm package and by postbode (mrml),
//! looks the same in Chromium: under 1% of pixels differ at 600 px.

mod support;

use postbode::render::{CompiledIssue, Recipient};
use support::browser::{self, Chromium};
use support::parity::{difference, reference_mjml};
use support::{TestApp, repo_file};

const SAMPLES: [&str; 3] = [
    "2026-09-luisteren-naar-klachten",
    "2026-10-voorbij-de-pilot",
    "2026-11-schrijven-voor-iedereen",
];

#[test]
fn each_sample_issue_looks_the_same_rendered_by_mjml_and_by_postbode() {
    let Some(chromium) = Chromium::find() else {
        return;
    };
    let app = TestApp::new();
    let shots = browser::screenshot_dir("parity");
    for slug in SAMPLES {
        let dir = repo_file(&format!("emails/issues/{slug}"));
        let dir = dir.to_str().expect("utf-8 path");
        let ours = app.run(&["issue", "preview", dir]).ok().stdout;
        let mjml = app
            .run(&["issue", "preview", dir, "--format", "mjml"])
            .ok()
            .stdout;
        // The same sample recipient as `preview` fills the open values.
        let mjml = CompiledIssue::compile(&mjml, "")
            .and_then(|c| c.personalise(&Recipient::sample("http://localhost:8080")))
            .expect("personalise mjml")
            .html;
        let Some(theirs) = reference_mjml(&mjml) else {
            return;
        };
        assert_ne!(ours, theirs, "two renderers, two different HTML texts");

        let mut height = 0;
        for (name, html) in [("postbode", &ours), ("mjml", &theirs)] {
            let page = app.path(&format!("{slug}-{name}.html"));
            std::fs::write(&page, browser::frame_page(html, 600, 1200)).expect("write");
            let report = browser::frame_report(&chromium.dump_dom(&page));
            height = height.max(report["height"].as_u64().expect("height"));
        }
        let height = u32::try_from(height).expect("height fits");
        let mut shots_of = Vec::new();
        for (name, html) in [("postbode", &ours), ("mjml", &theirs)] {
            let page = app.path(&format!("{slug}-{name}-full.html"));
            std::fs::write(&page, browser::frame_page(html, 600, height)).expect("write");
            let png = shots.join(format!("{slug}-{name}.png"));
            chromium.screenshot(&page, 600, height, &png);
            shots_of.push(png);
        }
        let diff = difference(&shots_of[0], &shots_of[1]);
        println!("{slug}: {:.3}% of pixels differ", diff * 100.0);
        eprintln!("{slug}: {:.3}% of pixels differ", diff * 100.0);
        assert!(
            diff < 0.01,
            "{slug}: {:.2}% of pixels differ (see {})",
            diff * 100.0,
            shots.display()
        );
    }
}
