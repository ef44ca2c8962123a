//! What the renderer reads: the same sources with other line ends or a
//! byte-order mark render the same.

mod support;

use std::path::Path;

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
            let text = std::fs::read_to_string(entry.path()).expect("utf-8 source");
            std::fs::write(target, change(&text)).expect("write");
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
                assert!(
                    run.stdout == original.stdout,
                    "{slug} {format} from {} differs from the LF original",
                    copy.display()
                );
            }
        }
    }
}
