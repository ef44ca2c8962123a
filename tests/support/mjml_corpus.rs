//! The corpus of public MJML templates in `tests/fixtures/mjml/`: one
//! folder per source, each with its LICENSE and SOURCES.md.

use std::path::{Path, PathBuf};

/// Every `.mjml` file of the corpus, sorted.
pub fn templates() -> Vec<PathBuf> {
    let root = super::repo_file("tests/fixtures/mjml");
    let mut found = Vec::new();
    for source in std::fs::read_dir(&root).expect("read tests/fixtures/mjml") {
        let source = source.expect("corpus entry").path();
        if !source.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&source).expect("read a corpus source") {
            let file = file.expect("corpus file").path();
            if file.extension().is_some_and(|e| e == "mjml") {
                found.push(file);
            }
        }
    }
    found.sort();
    found
}

/// `SOURCE/TEMPLATE` (no extension), the name the tests report.
pub fn name(template: &Path) -> String {
    let source = template
        .parent()
        .and_then(Path::file_name)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = template
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{source}/{stem}")
}
