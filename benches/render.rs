//! Rendering speed: one issue rendered (once per issue) and one recipient
//! personalised (once per message). Also prints the official mjml's time
//! for the same MJML, from Node, when `tests/node` has it installed.
//!
//!   cargo bench --bench render
//!
//! Goals: at least 30x faster than mjml per issue; personalisation of the
//! HTML and text parts in 50 µs or less per recipient; over the corpus of
//! public templates (`tests/fixtures/mjml/`), a median speed-up of at
//! least 30x against mjml. Two are printed: the same job as mjml (MJML to
//! HTML), and `postbode render`'s whole work (MJML to HTML, checks and
//! text part) against mjml's MJML to HTML alone.
//!
//!   cargo bench --bench render -- corpus

use std::hint::black_box;
use std::path::Path;
use std::process::{Command, Stdio};

use criterion::{Criterion, criterion_group, criterion_main};
use postbode::config::Settings;
use postbode::render::normalise::normalise_source;
use postbode::render::{CompiledIssue, IssueSource, Recipient, Renderer, engine, render_file};

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

/// Every `.mjml` file of the corpus, sorted.
fn corpus() -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(root().join("tests/fixtures/mjml"))
        .expect("corpus folder")
        .flatten()
        .filter(|source| source.path().is_dir())
        .flat_map(|source| std::fs::read_dir(source.path()).expect("source").flatten())
        .map(|file| file.path())
        .filter(|path| path.extension().is_some_and(|e| e == "mjml"))
        .collect();
    found.sort();
    found
}

/// Mean milliseconds of `postbode::render::render_file` over `n` runs.
fn postbode_ms(path: &Path, n: u32) -> f64 {
    for _ in 0..3 {
        render_file(path).expect("renders"); // warm up, like render.js
    }
    let start = std::time::Instant::now();
    for _ in 0..n {
        black_box(render_file(black_box(path)).expect("renders"));
    }
    start.elapsed().as_secs_f64() * 1000.0 / f64::from(n)
}

/// Mean milliseconds of the same job as mjml's, MJML to HTML alone (mrml
/// parse and render with the unknown-attribute scan, as `mjml2html` with
/// `validationLevel: 'soft'` validates), over `n` runs; the file is read
/// and normalised once, before, as render.js reads standard input first.
fn mjml_to_html_ms(path: &Path, n: u32) -> f64 {
    let mjml = normalise_source(&std::fs::read_to_string(path).expect("read template"));
    let place = |offset: usize| offset.to_string();
    let once = || engine::to_html(black_box(&mjml), &place, &mut Vec::new()).expect("renders");
    for _ in 0..3 {
        once();
    }
    let start = std::time::Instant::now();
    for _ in 0..n {
        black_box(once());
    }
    start.elapsed().as_secs_f64() * 1000.0 / f64::from(n)
}

/// Prints the median, lowest and highest of `speed_ups` for `what`.
fn summary(what: &str, speed_ups: &mut [f64]) {
    if speed_ups.is_empty() {
        return;
    }
    speed_ups.sort_by(f64::total_cmp);
    println!(
        "corpus of {} templates, {what}: median speed-up {:.1}x against mjml (lowest {:.1}x, highest {:.1}x)",
        speed_ups.len(),
        speed_ups[speed_ups.len() / 2],
        speed_ups[0],
        speed_ups[speed_ups.len() - 1]
    );
}

/// The corpus: each template's speed-up against mjml (both means of 30
/// renders, mjml in Node in-process, without Node's start), and the
/// medians: of the same job as mjml (MJML to HTML) and of `postbode
/// render`'s whole work (HTML, pre-flight checks and text part).
fn corpus_speed_up(c: &mut Criterion) {
    let templates = corpus();
    let (mut same_job, mut whole) = (Vec::new(), Vec::new());
    for path in &templates {
        let source = std::fs::read_to_string(path).expect("read template");
        let Some(theirs) = mjml_node_ms(&source) else {
            println!("mjml (Node) not installed: no corpus comparison");
            break;
        };
        let html_only = mjml_to_html_ms(path, 30);
        let ours = postbode_ms(path, 30);
        let name = path.strip_prefix(root()).unwrap_or(path).display();
        println!(
            "{name}: mjml {theirs:.3} ms; MJML to HTML {html_only:.3} ms, {:.1}x; \
             postbode render {ours:.3} ms, {:.1}x",
            theirs / html_only,
            theirs / ours
        );
        same_job.push(theirs / html_only);
        whole.push(theirs / ours);
    }
    summary("MJML to HTML (the same job as mjml)", &mut same_job);
    summary("postbode render (HTML, checks and text part)", &mut whole);
    let mut group = c.benchmark_group("corpus");
    group.sample_size(10);
    group.bench_function("postbode render, every corpus template once", |b| {
        b.iter(|| {
            for path in &templates {
                black_box(render_file(black_box(path)).expect("renders"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, render, corpus_speed_up);
criterion_main!(benches);
