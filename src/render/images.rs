//! Images written as paths relative to the issue folder (`cover.src`,
//! Markdown images, `<mj-image src>` and `<img src>`): found in the MJML
//! after stage one and given a URL with their size.
//!
//! For `issue queue` ([`ImageMode::Publish`]) each file is prepared by
//! [`crate::media::prepare`] (resized, re-encoded without metadata) and
//! its URL is `base_url/media/HASH.EXT`; the files come back with the
//! render, to be stored with the issue in one transaction. For `issue
//! preview` ([`ImageMode::Preview`]) only the header is read and the URL is
//! a `file://` URL of the file itself: the preview works without a server
//! and stays small (a `data:` URI would put the whole photo in the HTML and
//! make the size checks meaningless). The live preview
//! ([`ImageMode::Served`]) points them at its own server instead: a page
//! served over http may not load `file://` URLs.
//!
//! An `<mj-image>` without a width gets the width it is shown at (at most
//! [`SHOWN_WIDTH`](crate::media::SHOWN_WIDTH)); after mrml,
//! [`Images::set_heights`] turns its `height="auto"` into the height for
//! that width, so mail clients keep the space before the image loads
//! while the CSS height stays `auto` (fluid on phones).
//!
//! Paths are looked up in the issue folder, then in `emails/` (for an
//! image in the layout). A missing or unusable file is an error naming it
//! and, where it was written there, the line of the body file or
//! `cover.src` of `issue.toml`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::IssueSource;
use crate::error::{Error, Result};
use crate::media::{self, MediaFile, SHOWN_WIDTH};

/// Where image URLs point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ImageMode {
    /// `file://` URLs of the files as they are: for `issue preview`.
    #[default]
    Preview,
    /// Prepared files under `base_url/media/`: for `issue queue`.
    Publish { base_url: String },
    /// The files as they are, at `prefix` and their path under `emails/`
    /// (e.g. `/local/issues/SLUG/foto.jpg`): for `issue preview --serve`,
    /// whose server answers there ([`crate::preview`]).
    Served { prefix: String },
}

/// A local image with its URL and stored size.
#[derive(Clone, Debug)]
struct Resolved {
    url: String,
    width: u32,
    height: u32,
}

/// The images of one render.
pub(crate) struct Images<'a> {
    mode: &'a ImageMode,
    source: &'a IssueSource,
    emails: &'a Path,
    /// By `src` as written.
    resolved: HashMap<String, Resolved>,
    files: Vec<MediaFile>,
}

impl<'a> Images<'a> {
    pub fn new(mode: &'a ImageMode, source: &'a IssueSource, emails: &'a Path) -> Images<'a> {
        Images {
            mode,
            source,
            emails,
            resolved: HashMap::new(),
            files: Vec::new(),
        }
    }

    /// The prepared files (empty in preview mode), each once.
    pub fn into_files(self) -> Vec<MediaFile> {
        self.files
    }

    /// `mjml` with every local image's `src` replaced by its URL, and a
    /// width (and an `<img>`'s height) added where none is written.
    pub fn rewrite(&mut self, mjml: &str) -> Result<String> {
        let mut out = String::with_capacity(mjml.len());
        let mut rest = mjml;
        while let Some((start, end, is_mj)) = next_image_tag(rest) {
            out.push_str(&rest[..start]);
            out.push_str(&self.rewrite_tag(&rest[start..end], is_mj)?);
            rest = &rest[end..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn rewrite_tag(&mut self, tag: &str, is_mj: bool) -> Result<String> {
        let Some(range) = attribute_range(tag, "src") else {
            return Ok(tag.to_owned());
        };
        let src = &tag[range.clone()];
        if !is_local(src) {
            return Ok(tag.to_owned());
        }
        let image = self.resolve(src)?;
        let mut out = format!("{}{}{}", &tag[..range.start], image.url, &tag[range.end..]);
        if attribute_range(tag, "width").is_none() {
            let shown = image.width.min(SHOWN_WIDTH);
            let size = if is_mj {
                format!(" width=\"{shown}px\"")
            } else {
                format!(
                    " width=\"{shown}\" height=\"{}\"",
                    height_for(shown, image.width, image.height)
                )
            };
            let at = out
                .trim_end_matches('>')
                .trim_end_matches('/')
                .trim_end()
                .len();
            out.insert_str(at, &size);
        }
        Ok(out)
    }

    /// In mrml's HTML: `height="auto"` of each local image's `<img>` made
    /// the height for its `width`, from the image's shape.
    pub fn set_heights(&self, html: &str) -> String {
        if self.resolved.is_empty() {
            return html.to_owned();
        }
        let by_url: HashMap<&str, &Resolved> = self
            .resolved
            .values()
            .map(|r| (r.url.as_str(), r))
            .collect();
        let mut out = String::with_capacity(html.len());
        let mut rest = html;
        while let Some((start, end, _)) = next_image_tag(rest) {
            out.push_str(&rest[..start]);
            let tag = &rest[start..end];
            let known = attribute_range(tag, "src").and_then(|r| by_url.get(&tag[r]));
            let width = attribute_range(tag, "width").and_then(|r| tag[r].parse::<u32>().ok());
            match (known, width) {
                (Some(image), Some(w)) => out.push_str(&tag.replacen(
                    " height=\"auto\"",
                    &format!(" height=\"{}\"", height_for(w, image.width, image.height)),
                    1,
                )),
                _ => out.push_str(tag),
            }
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }

    fn resolve(&mut self, src: &str) -> Result<Resolved> {
        if let Some(known) = self.resolved.get(src) {
            return Ok(known.clone());
        }
        // A URL path may spell a space (or any byte) as `%20`; the file's
        // own name comes first, for a name that really holds a `%`.
        let decoded = percent_encoding::percent_decode_str(src)
            .decode_utf8()
            .ok()
            .filter(|d| d != src);
        let names = std::iter::once(src).chain(decoded.as_deref());
        let candidates: Vec<PathBuf> = names
            .flat_map(|name| [self.source.dir.join(name), self.emails.join(name)])
            .collect();
        let Some(path) = candidates.iter().find(|p| p.is_file()) else {
            return Err(Error::Input(format!(
                "the image {src}{} is not there (looked for {})",
                self.written_at(src),
                candidates[0].display()
            )));
        };
        let unusable = |e: media::PrepareError| {
            Error::Input(format!(
                "the image {}{} {e}",
                path.display(),
                self.written_at(src)
            ))
        };
        let resolved = match self.mode {
            ImageMode::Preview | ImageMode::Served { .. } => {
                let size = media::measure(path).map_err(unusable)?;
                let url = match self.mode {
                    ImageMode::Served { prefix } => served_url(prefix, self.emails, path),
                    _ => None,
                };
                Resolved {
                    url: url.unwrap_or_else(|| file_url(path)),
                    width: size.width,
                    height: size.height,
                }
            }
            ImageMode::Publish { base_url } => {
                let file = media::prepare(path).map_err(unusable)?;
                let resolved = Resolved {
                    url: media::url(base_url, &file.name),
                    width: file.width,
                    height: file.height,
                };
                if !self.files.iter().any(|f| f.name == file.name) {
                    self.files.push(file);
                }
                resolved
            }
        };
        self.resolved.insert(src.to_owned(), resolved.clone());
        Ok(resolved)
    }

    /// " (cover.src in …/issue.toml)" or " (line N of …/body.md)", where
    /// `src` was written there; else nothing (a layout or partial).
    fn written_at(&self, src: &str) -> String {
        let source = self.source;
        if source.meta.cover.as_ref().is_some_and(|c| c.src == src) {
            return format!(
                " (cover.src in {})",
                source.dir.join("issue.toml").display()
            );
        }
        match source.body.find(src) {
            Some(at) => format!(
                " (line {} of {})",
                source.body[..at].matches('\n').count() + 1,
                source.body_path.display()
            ),
            None => String::new(),
        }
    }
}

/// The next `<mj-image …>` or `<img …>` tag: (start, end, is mj-image).
fn next_image_tag(s: &str) -> Option<(usize, usize, bool)> {
    let mut from = 0;
    while let Some(at) = s[from..].find('<') {
        let start = from + at;
        let after = &s[start + 1..];
        let is_mj = after.starts_with("mj-image");
        let name_len = if is_mj { 8 } else { 3 };
        let named = is_mj || after.starts_with("img");
        if named
            && after[name_len..]
                .chars()
                .next()
                .is_some_and(|c| c.is_whitespace() || c == '/' || c == '>')
        {
            let end = after.find('>').map_or(s.len(), |e| start + 1 + e + 1);
            return Some((start, end, is_mj));
        }
        from = start + 1;
    }
    None
}

/// Where the value of `name="…"` lies in `tag`.
fn attribute_range(tag: &str, name: &str) -> Option<std::ops::Range<usize>> {
    let needle = format!("{name}=\"");
    let mut from = 0;
    while let Some(at) = tag[from..].find(&needle) {
        let at = from + at;
        let preceded = tag[..at]
            .chars()
            .next_back()
            .is_some_and(char::is_whitespace);
        let start = at + needle.len();
        if preceded {
            let len = tag[start..].find('"')?;
            return Some(start..start + len);
        }
        from = start;
    }
    None
}

/// A path to a file, not a URL, a template expression or a fragment.
fn is_local(src: &str) -> bool {
    let src = src.trim();
    let scheme = src.split_once(':').is_some_and(|(s, _)| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    !src.is_empty()
        && !scheme
        && !src.starts_with("//")
        && !src.starts_with('#')
        // Template syntax and per-recipient placeholders (private-use
        // characters, see `template::Spans`) are values, not files; a `%`
        // alone is a percent escape (`mijn%20foto.jpg`).
        && !src.chars().any(|c| "{}".contains(c) || ('\u{E000}'..='\u{F8FF}').contains(&c))
}

fn height_for(width: u32, image_width: u32, image_height: u32) -> u32 {
    let h = (u64::from(width) * u64::from(image_height) + u64::from(image_width) / 2)
        / u64::from(image_width.max(1));
    u32::try_from(h.max(1)).unwrap_or(u32::MAX)
}

/// `file://` and the absolute path, percent-encoded where a URL needs it.
fn file_url(path: &Path) -> String {
    let absolute: PathBuf = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    format!("file://{}", percent_encoded(&absolute.to_string_lossy()))
}

/// `prefix` and the path of `path` under `emails`, percent-encoded; `None`
/// for a file outside `emails/` (a link out of it), which the preview
/// server would refuse.
fn served_url(prefix: &str, emails: &Path, path: &Path) -> Option<String> {
    let emails = emails.canonicalize().ok()?;
    let absolute = path.canonicalize().ok()?;
    let under = absolute.strip_prefix(&emails).ok()?;
    let parts: Vec<String> = (under.components())
        .map(|c| percent_encoded(&c.as_os_str().to_string_lossy()))
        .collect();
    Some(format!("{prefix}{}", parts.join("/")))
}

fn percent_encoded(s: &str) -> String {
    let mut url = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_are_local() {
        for local in ["photo.jpg", "img/a b.png", "../shared/logo.png"] {
            assert!(is_local(local), "{local}");
        }
        for not in [
            "https://x.nl/a.jpg",
            "//cdn/a.png",
            "data:image/png;base64,AA",
            "cid:x",
            "",
            "{{ issue.cover.src }}",
            "\u{E000}0\u{E001}",
        ] {
            assert!(!is_local(not), "{not}");
        }
    }

    #[test]
    fn image_tags_and_their_attributes_are_found_but_not_look_alikes() {
        let s = r#"<imgx src="a"><mj-image data-src="x" src="b.jpg" /><img src="c.png">"#;
        let (start, end, is_mj) = next_image_tag(s).expect("a tag");
        assert!(is_mj);
        let tag = &s[start..end];
        assert_eq!(&tag[attribute_range(tag, "src").expect("src")], "b.jpg");
        let rest = &s[end..];
        let (start, end, is_mj) = next_image_tag(rest).expect("img");
        assert!(!is_mj);
        assert_eq!(&rest[start..end], r#"<img src="c.png">"#);
    }

    #[test]
    fn file_urls_escape_what_a_url_cannot_hold() {
        assert_eq!(
            file_url(Path::new("/a b/é.jpg")),
            "file:///a%20b/%C3%A9.jpg"
        );
    }
}
