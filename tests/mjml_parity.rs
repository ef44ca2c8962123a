//! Parity with the reference renderer: the MJML of each sample issue,
//! rendered by the official `mjml` npm package and by postbode (mrml),
//! looks the same in Chromium: under 1% of pixels differ at 600 px.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use postbode::render::{CompiledIssue, Recipient};
use support::browser::{self, Chromium};
use support::{TestApp, repo_file};

const SAMPLES: [&str; 3] = [
    "2026-09-luisteren-naar-klachten",
    "2026-10-voorbij-de-pilot",
    "2026-11-schrijven-voor-iedereen",
];

/// A pixel counts as different when a channel differs by more than this
/// (anti-aliasing of the same glyph varies by a few levels).
const TOLERANCE: u8 = 48;

fn reference_mjml(mjml: &str) -> Option<String> {
    let script = repo_file("tests/node/render.js");
    let node = support::outside::node_with("mjml")?;
    let mut child = Command::new(node)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(mjml.as_bytes())
        .expect("write mjml");
    let out = child.wait_with_output().expect("node output");
    assert!(
        out.status.success(),
        "mjml failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn decode(png: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png).expect("open png"),
    ));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let channels = info.color_type.samples();
    let rgb = buf[..info.buffer_size()]
        .chunks(channels)
        .flat_map(|p| [p[0], p[1 % channels], p[2 % channels]])
        .collect();
    (info.width, info.height, rgb)
}

/// Share of pixels that differ beyond [`TOLERANCE`].
fn difference(a: &Path, b: &Path) -> f64 {
    let (wa, ha, pa) = decode(a);
    let (wb, hb, pb) = decode(b);
    assert_eq!((wa, ha), (wb, hb), "screenshots differ in size");
    let differing = pa
        .chunks(3)
        .zip(pb.chunks(3))
        .filter(|(x, y)| {
            x.iter()
                .zip(y.iter())
                .any(|(p, q)| p.abs_diff(*q) > TOLERANCE)
        })
        .count();
    differing as f64 / f64::from(wa * ha)
}

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
