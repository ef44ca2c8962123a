//! Where the page files come from: the `emails/` folder postbode works
//! with (`emails/` in the working directory, as for the system mails),
//! file by file, else the starter copy built into the binary
//! ([`crate::starter`]), so `serve` has its pages without any folder and
//! an editor's `emails/` from before the pages existed still works.

use std::path::{Path, PathBuf};

/// The files the pages are made of, relative to `emails/`.
pub const FILES: [&str; 15] = [
    "pages/texts.toml",
    "pages/style.css",
    "pages/base.html",
    "pages/message.html",
    "pages/unsubscribe.html",
    "pages/unsubscribed.html",
    "pages/confirm.html",
    "pages/address_form.html",
    "pages/unsubscribe_by_address.html",
    "pages/broken_link.html",
    "pages/subscribe.html",
    "pages/archive.html",
    "pages/offer.html",
    "partials/head.mjml",
    "layout.mjml",
];

/// The built-in copy of `name`: the starter `emails/` folder inside the
/// binary ([`crate::starter`]), the same files `init` writes.
fn built_in(name: &str) -> Option<&'static str> {
    crate::starter::files()
        .into_iter()
        .find(|(path, _)| *path == Path::new(name))
        .and_then(|(_, bytes)| std::str::from_utf8(bytes).ok())
}

/// Reads page files from a folder, falling back to the built-in copy.
#[derive(Debug, Clone)]
pub struct Source {
    emails: Option<PathBuf>,
}

impl Source {
    /// `emails/` in the working directory when there is one.
    pub fn working_directory() -> Source {
        let emails = std::env::current_dir()
            .ok()
            .map(|d| d.join("emails"))
            .filter(|d| d.is_dir());
        Source { emails }
    }

    /// Files from `emails` (missing ones from the built-in copy).
    pub fn folder(emails: &Path) -> Source {
        Source {
            emails: Some(emails.to_owned()),
        }
    }

    /// The built-in copy only.
    pub fn built_in() -> Source {
        Source { emails: None }
    }

    /// `name`'s text (line ends normalised) and where it came from, for
    /// errors; an unreadable file is an error naming it.
    pub fn read(&self, name: &str) -> Result<(String, String), String> {
        if let Some(dir) = &self.emails {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let text = crate::render::normalise::normalise_source(&text);
                    return Ok((text, path.display().to_string()));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
            }
        }
        built_in(name)
            .map(|text| (text.to_owned(), format!("emails/{name} (built in)")))
            .ok_or_else(|| format!("emails/{name} is not one of the page files"))
    }
}
