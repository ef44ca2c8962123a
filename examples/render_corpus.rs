//! The public MJML corpus (`tests/fixtures/mjml/`) rendered in a loop, for
//! profiling `postbode render` (perf, valgrind --tool=callgrind) and for a
//! quick split of its time: mrml alone (parse + render), the unknown-
//! attribute scan, the pre-flight checks and the text part.
//!
//!   cargo build --profile profiling --example render_corpus
//!   valgrind --tool=callgrind target/profiling/examples/render_corpus 3
//!
//! The argument is how many rounds over the corpus (default 20).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use postbode::render::{html_text, preflight, render_file, validate};

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mjml");
    let mut found: Vec<PathBuf> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|source| source.path().is_dir())
        .flat_map(|source| std::fs::read_dir(source.path()).into_iter().flatten())
        .flatten()
        .map(|file| file.path())
        .filter(|path| path.extension().is_some_and(|e| e == "mjml"))
        .collect();
    found.sort();
    found
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: u32 = std::env::args().nth(1).map_or(Ok(20), |n| n.parse())?;
    let templates = corpus();
    let mut total = Duration::ZERO;
    let mut parts = [Duration::ZERO; 4];
    for _ in 0..rounds {
        for path in &templates {
            let start = Instant::now();
            let rendered = black_box(render_file(path)?);
            total += start.elapsed();

            // The same work again, in parts, to see where the time goes.
            let source = std::fs::read_to_string(path)?;
            let source = postbode::render::normalise::normalise_source(&source);
            let t = Instant::now();
            let parsed = mrml::parse(&source)?;
            let html = parsed
                .element
                .render(&mrml::prelude::render::RenderOptions {
                    disable_comments: true,
                    ..Default::default()
                })?;
            parts[0] += t.elapsed();
            let t = Instant::now();
            black_box(validate::check(&source));
            parts[1] += t.elapsed();
            let t = Instant::now();
            black_box(preflight::check_html(&rendered.html));
            parts[2] += t.elapsed();
            let t = Instant::now();
            black_box(html_text::text_from_html(&html));
            parts[3] += t.elapsed();
        }
    }
    let per = |d: Duration| d.as_secs_f64() * 1000.0 / f64::from(rounds);
    println!(
        "{} templates x {rounds} rounds: render_file {:.2} ms per round; \
         of which mrml {:.2}, validate {:.2}, preflight {:.2}, text {:.2}",
        templates.len(),
        per(total),
        per(parts[0]),
        per(parts[1]),
        per(parts[2]),
        per(parts[3]),
    );
    Ok(())
}
