//! Images from the issue folder, made fit for mail: decoded, turned
//! upright, resized to at most [`STORED_WIDTH`] px wide, re-encoded (which
//! drops EXIF, GPS and every other metadata block: only pixels are written
//! back) and named by a hash of what was written.
//!
//! They live in the store (`media` table, `src/store/media.rs`), not in a
//! folder: the archive is served from the database too, so one backup and
//! every host of a PostgreSQL deployment see the same images, and a
//! `migrate-store` takes them along. `serve` answers `GET /media/NAME`
//! (`src/web/media.rs`); [`url`] is the one place that URL is made.
//!
//! - [`name`]: [`MediaName`], `HASH.jpg` or `HASH.png`, parsed.
//! - [`prepare`]: reading, limits, resizing and encoding.

pub mod name;
pub mod prepare;

pub use name::MediaName;
pub use prepare::{Measured, PrepareError, measure, prepare};

/// Stored width: twice the width the layout shows, for sharp screens.
pub const STORED_WIDTH: u32 = 1200;
/// The width an image is shown at in the mail, at most.
pub const SHOWN_WIDTH: u32 = 600;

/// An image ready to store and serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaFile {
    pub name: MediaName,
    pub bytes: Vec<u8>,
    /// Size of the stored image in pixels.
    pub width: u32,
    pub height: u32,
}

/// The public URL of a stored image, under `base_url` (no trailing slash).
pub fn url(base_url: &str, name: &MediaName) -> String {
    format!("{}{}", base_url.trim_end_matches('/'), path(name))
}

/// The path `serve` answers for a stored image.
pub fn path(name: &MediaName) -> String {
    format!("/media/{name}")
}
