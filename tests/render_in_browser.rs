//! The sample issues in a real browser (headless Chromium): at 600 and 375
//! px wide there is no horizontal scroll, and the masthead, a pull-quote
//! and the footer are visible. Screenshots go to target/screenshots/.

mod support;

use support::browser::{self, Chromium};
use support::{TestApp, repo_file};

/// (issue, a line of its pull-quote).
const SAMPLES: [(&str, &str); 3] = [
    ("2026-09-luisteren-naar-klachten", ""),
    (
        "2026-10-voorbij-de-pilot",
        "bewezen dat uitzonderingen werken",
    ),
    ("2026-11-schrijven-voor-iedereen", ""),
];

#[test]
fn every_sample_issue_fits_600_and_375_pixels_and_shows_masthead_quote_and_footer() {
    let Some(chromium) = Chromium::find() else {
        return;
    };
    let app = TestApp::new();
    let shots = browser::screenshot_dir("issues");
    for (slug, quote) in SAMPLES {
        let dir = repo_file(&format!("emails/issues/{slug}"));
        let html = app
            .run(&["issue", "preview", dir.to_str().expect("utf-8 path")])
            .ok()
            .stdout;
        let quote = if quote.is_empty() {
            first_pull_quote(&app, slug)
        } else {
            quote.to_owned()
        };
        for width in [600u32, 375] {
            let page = app.path(&format!("{slug}-{width}.html"));
            std::fs::write(&page, browser::frame_page(&html, width, 1200)).expect("write page");
            let report = browser::frame_report(&chromium.dump_dom(&page));
            let scroll = report["scrollWidth"].as_u64().expect("scrollWidth");
            let client = report["clientWidth"].as_u64().expect("clientWidth");
            assert!(
                scroll <= client,
                "{slug} at {width}px scrolls sideways: {scroll} > {client}"
            );
            let text = report["text"].as_str().expect("text");
            for must in [
                "Nieuwsbrief",
                "Bekijk in je browser",
                "Afmelden",
                quote.as_str(),
            ] {
                assert!(
                    text.contains(must),
                    "{slug} at {width}px does not show {must:?}"
                );
            }
            let height =
                u32::try_from(report["height"].as_u64().expect("height")).expect("height fits");
            let full = app.path(&format!("{slug}-{width}-full.html"));
            std::fs::write(&full, browser::frame_page(&html, width, height)).expect("write page");
            chromium.screenshot(
                &full,
                width.max(500),
                height,
                &shots.join(format!("{slug}-{width}.png")),
            );
        }
    }
}

/// The first pull-quote of an issue, from its MJML.
fn first_pull_quote(app: &TestApp, slug: &str) -> String {
    let dir = repo_file(&format!("emails/issues/{slug}"));
    let mjml = app
        .run(&[
            "issue",
            "preview",
            dir.to_str().expect("utf-8 path"),
            "--format",
            "mjml",
        ])
        .ok()
        .stdout;
    let start = mjml
        .find("mj-class=\"pullquote\"")
        .unwrap_or_else(|| panic!("{slug} has no pull-quote"));
    let text_start = start + mjml[start..].find('>').expect("tag end") + 1;
    let text = &mjml[text_start..];
    let text = &text[..text.find('<').unwrap_or(text.len())];
    text.split_whitespace()
        .take(4)
        .collect::<Vec<_>>()
        .join(" ")
}
