//! MJML written by other people: every public template in
//! `tests/fixtures/mjml/` (at least 20, from several sources, each with its
//! licence) goes through the real binary, `postbode render FILE` and
//! `postbode render FILE --text`, without error, and every `http(s)` link
//! of its HTML is in its text part. Parity with mjml in a browser is
//! tests/mjml_parity.rs.

mod support;

use support::html_links::http_links;
use support::{TestApp, mjml_corpus};

#[test]
fn the_corpus_holds_at_least_twenty_templates_from_at_least_three_licensed_sources() {
    let templates = mjml_corpus::templates();
    assert!(
        templates.len() >= 20,
        "{} templates in tests/fixtures/mjml",
        templates.len()
    );
    let mut sources: Vec<_> = templates.iter().filter_map(|t| t.parent()).collect();
    sources.dedup();
    assert!(sources.len() >= 3, "sources: {sources:?}");
    for source in sources {
        for file in ["LICENSE", "SOURCES.md"] {
            assert!(
                source.join(file).is_file(),
                "{} has no {file}",
                source.display()
            );
        }
    }
}

#[test]
fn every_corpus_template_renders_to_html_and_text_with_every_link_in_the_text() {
    let app = TestApp::new();
    let mut failures = Vec::new();
    // Some templates link only to `#`; the corpus as a whole has hundreds.
    let mut checked = 0;
    for template in mjml_corpus::templates() {
        let name = mjml_corpus::name(&template);
        let file = template.to_str().expect("utf-8 path");
        let html = app.run(&["render", file]);
        let text = app.run(&["render", file, "--text"]);
        if html.code != 0 || text.code != 0 {
            failures.push(format!(
                "{name}: render failed: {}{}",
                html.stderr, text.stderr
            ));
            continue;
        }
        let links = http_links(&html.stdout);
        checked += links.len();
        let lost: Vec<_> = links
            .iter()
            .filter(|url| !text.stdout.contains(url.as_str()))
            .collect();
        if !lost.is_empty() {
            failures.push(format!(
                "{name}: {} of {} links not in the text part: {lost:?}",
                lost.len(),
                links.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 100, "only {checked} http(s) links checked");
}
