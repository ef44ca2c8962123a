//! `GET /local/PATH`: the images kept under `emails/` (an issue's cover, a
//! photo beside its body), for the served preview's mail and web version.
//! A page served over http may not load `file://` URLs, so the renderer
//! points them here ([`crate::render::ImageMode::Served`]).
//!
//! Only images under `emails/` are answered: the path is resolved
//! (symbolic links and `..` included) and must still lie inside the
//! folder, and the bytes must be an image; anything else is a 404.

use std::path::{Path, PathBuf};

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Where the preview's image URLs point; the route is `/local/{*path}`.
pub const PREFIX: &str = "/local/";

/// The answer for `path` (as requested, after `/local/`) under `emails`.
pub async fn image(emails: &Path, path: &str) -> Response {
    let Some(file) = inside(emails, path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(bytes) = tokio::fs::read(&file).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(format) = image::guess_format(&bytes) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, format.to_mime_type()),
            // The editor may replace the file under the same name.
            (header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response()
}

/// The file `path` names under `emails`, when it is one and is inside.
fn inside(emails: &Path, path: &str) -> Option<PathBuf> {
    let root = emails.canonicalize().ok()?;
    let file = root.join(path).canonicalize().ok()?;
    (file.starts_with(&root) && file.is_file()).then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_inside_the_folder_are_found() {
        let dir = tempfile::tempdir().expect("temp dir");
        let emails = dir.path().join("emails");
        std::fs::create_dir_all(emails.join("issues")).expect("mkdir");
        std::fs::write(emails.join("issues/a.png"), b"x").expect("write");
        std::fs::write(dir.path().join("secret.txt"), b"x").expect("write");
        assert!(inside(&emails, "issues/a.png").is_some());
        assert!(inside(&emails, "../secret.txt").is_none());
        assert!(inside(&emails, "issues/../../secret.txt").is_none());
        assert!(inside(&emails, "/etc/passwd").is_none());
        assert!(inside(&emails, "issues").is_none());
    }
}
