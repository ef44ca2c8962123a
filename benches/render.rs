//! Rendering speed: one issue rendered (once per issue) and one recipient
//! personalised (once per message). Also prints the official mjml's time
//! for the same MJML, from Node, when `tests/node` has it installed.
//!
//!   cargo bench --bench render
//!
//! Goals: at least 30x faster than mjml per issue; personalisation of the
//! HTML and text parts in 50 µs or less per recipient.

use std::hint::black_box;
use std::path::Path;
use std::process::{Command, Stdio};

use criterion::{Criterion, criterion_group, criterion_main};
use postbode::config::Settings;
use postbode::render::{CompiledIssue, IssueSource, Recipient, Renderer};

const ISSUE: &str = "emails/issues/2026-09-luisteren-naar-klachten";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn renderer() -> (Renderer, IssueSource) {
    let settings = Settings::default();
    let renderer = Renderer::new(&settings, root().join("emails"));
    let source = IssueSource::load(&root().join(ISSUE)).expect("sample issue loads");
    (renderer, source)
}

/// Mean milliseconds per render of `mjml` by the official mjml in Node.
fn mjml_node_ms(mjml: &str) -> Option<f64> {
    if !root().join("tests/node/node_modules/mjml").is_dir() {
        return None;
    }
    let mut child = Command::new("node")
        .arg(root().join("tests/node/render.js"))
        .args(["--bench", "30"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    use std::io::Write;
    child.stdin.take()?.write_all(mjml.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn render(c: &mut Criterion) {
    let (renderer, source) = renderer();
    let rendered = renderer.render(&source).expect("renders");
    let sample = Recipient::sample("http://localhost:8080");
    let mjml = CompiledIssue::compile(&rendered.mjml, "")
        .and_then(|m| m.personalise(&sample))
        .expect("personalised mjml")
        .html;
    match mjml_node_ms(&mjml) {
        Some(ms) => println!("mjml (Node) renders {ISSUE}'s MJML in {ms:.3} ms per issue"),
        None => {
            println!("mjml (Node) not installed: run `cd tests/node && npm ci` for the comparison")
        }
    }

    let mut group = c.benchmark_group("per issue");
    group.sample_size(20);
    group.bench_function("render issue (stage one, mrml, text, web version)", |b| {
        b.iter(|| renderer.render(black_box(&source)).expect("renders"))
    });
    group.bench_function("mrml: MJML to HTML only", |b| {
        b.iter(|| {
            let parsed = mrml::parse(black_box(&mjml)).expect("parses");
            parsed
                .element
                .render(&mrml::prelude::render::RenderOptions::default())
                .expect("renders")
        })
    });
    group.finish();

    let compiled =
        CompiledIssue::compile(&rendered.html_template, &rendered.text_template).expect("compiles");
    c.bench_function("per recipient: personalise HTML and text", |b| {
        b.iter(|| {
            compiled
                .personalise(black_box(&sample))
                .expect("personalises")
        })
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
