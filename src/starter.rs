//! The starter `emails/` folder and the example subscribers, inside the
//! binary, so that `init` and `quickstart` work with the binary alone.
//!
//! Everything under the source tree's `emails/` is embedded by folder (a
//! template added there is in the next build; build.rs makes cargo notice
//! new files) except the issues: of those only the first, by name, goes out
//! as the sample. Files are only ever added, never replaced: an editor's
//! changes to a layout or partial survive every later `init`.

use std::io::Write;
use std::path::{Path, PathBuf};

use include_dir::{Dir, DirEntry, include_dir};

use crate::error::{Error, Result};

static EMAILS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/emails");

/// `examples/subscribers.csv` of the source tree.
pub const EXAMPLE_SUBSCRIBERS: &[u8] = include_bytes!("../examples/subscribers.csv");

/// The folder, under `emails/`, that holds one folder per issue.
const ISSUES: &str = "issues";

/// The starter's files: paths relative to `emails/`, and their bytes.
pub fn files() -> Vec<(&'static Path, &'static [u8])> {
    let sample = sample_issue();
    let mut out = Vec::new();
    collect(&EMAILS, &mut out);
    out.retain(|(path, _)| match path.strip_prefix(ISSUES) {
        Ok(rest) => sample.is_some_and(|s| rest.starts_with(s)),
        Err(_) => true,
    });
    out.sort_by_key(|(path, _)| *path);
    out
}

/// The name of the sample issue's folder: the first under `issues/`.
pub fn sample_issue() -> Option<&'static str> {
    let issues = EMAILS.get_dir(ISSUES)?;
    issues
        .dirs()
        .filter_map(|d| d.path().file_name()?.to_str())
        .filter(|name| !skipped(name))
        .min()
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<(&'static Path, &'static [u8])>) {
    for entry in dir.entries() {
        let name = entry.path().file_name().and_then(|n| n.to_str());
        if name.is_none_or(skipped) {
            continue;
        }
        match entry {
            DirEntry::Dir(d) => collect(d, out),
            DirEntry::File(f) => out.push((f.path(), f.contents())),
        }
    }
}

/// Hidden files and editors' backups that may lie in the source tree.
fn skipped(name: &str) -> bool {
    name.starts_with('.') || name.ends_with('~')
}

/// Writes into `emails` every starter file it lacks, creating folders as
/// needed; the sample issue only when `emails/issues/` holds no issue
/// folder yet (an editor who removed it does not want it back). Returns
/// the files written. A path that exists, whatever it is (a file, a
/// folder, a link), is left alone.
pub fn write_emails(emails: &Path) -> Result<Vec<PathBuf>> {
    let want_sample = !has_issue(&emails.join(ISSUES));
    let mut written = Vec::new();
    for (rel, contents) in files() {
        if rel.starts_with(ISSUES) && !want_sample {
            continue;
        }
        let path = emails.join(rel);
        if path.symlink_metadata().is_ok() {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        // create_new: never replaces a file that appeared meanwhile, nor
        // writes through a link planted at the name.
        let mut file = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(&path, e)),
        };
        file.write_all(contents).map_err(|e| Error::io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

/// Whether `issues` holds a folder with an `issue.toml`.
fn has_issue(issues: &Path) -> bool {
    std::fs::read_dir(issues).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().join("issue.toml").is_file())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_holds_the_layout_the_system_mails_and_one_issue() {
        let files = files();
        let has = |p: &str| files.iter().any(|(path, _)| *path == Path::new(p));
        assert!(has("layout.mjml") && has("layout.txt"));
        assert!(has("partials/head.mjml") && has("system/confirm.mjml"));
        let issues: std::collections::BTreeSet<_> = files
            .iter()
            .filter_map(|(p, _)| p.strip_prefix(ISSUES).ok()?.iter().next())
            .collect();
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(!EXAMPLE_SUBSCRIBERS.is_empty());
    }
}
