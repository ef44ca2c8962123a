//! One image file to a [`MediaFile`]: read (at most [`MAX_FILE_BYTES`]),
//! its size checked from the header before any pixel is decoded (so a
//! 20000×20000 file is refused without allocating gigabytes, and
//! `image::Limits` stops a decoder that would allocate more anyway),
//! turned upright by its EXIF orientation, narrowed to
//! [`STORED_WIDTH`](super::STORED_WIDTH) when wider (never widened), and
//! encoded from the decoded pixels: JPEG at quality [`JPEG_QUALITY`], PNG
//! stays PNG (for transparency and sharp drawings). Only pixels are
//! written, so no EXIF, GPS, XMP or comment survives.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::name::MediaKind;
use super::{MediaFile, MediaName, STORED_WIDTH};

/// Larger files are refused before reading: no photo for a mail needs it.
pub const MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;
/// Longest side, in pixels.
pub const MAX_SIDE: u32 = 12_000;
/// Pixels in all (a 48-megapixel phone photo fits).
pub const MAX_PIXELS: u64 = 50_000_000;
/// What a decoder may allocate: [`MAX_PIXELS`] at 4 bytes, with room.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// Good enough to see no artefacts at 2× density, half the bytes of 95.
pub const JPEG_QUALITY: u8 = 82;

/// Why an image cannot be used; the caller names the file.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("cannot be read: {0}")]
    Read(#[from] std::io::Error),
    #[error("is {0} bytes; at most {MAX_FILE_BYTES} bytes are accepted")]
    FileTooLarge(u64),
    #[error("is not a JPEG or PNG image (only those two are accepted)")]
    NotJpegOrPng,
    #[error(
        "is {0}×{1} pixels; at most {MAX_SIDE} pixels a side and {MAX_PIXELS} pixels in all \
         are accepted (scale it down first)"
    )]
    TooManyPixels(u32, u32),
    #[error("is not a readable image: {0}")]
    Decode(#[from] image::ImageError),
}

/// The size an image will be stored at, read from its header only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measured {
    pub width: u32,
    pub height: u32,
}

/// Reads only the header of `path`: the size it will be stored at (upright,
/// narrowed to the stored width), with the same refusals as [`prepare`]
/// except for defects in the pixel data.
pub fn measure(path: &Path) -> Result<Measured, PrepareError> {
    let bytes = read(path)?;
    let (mut decoder, _) = decoder(&bytes)?;
    let (w, h) = upright(decoder.dimensions(), decoder.orientation()?);
    Ok(stored_size(w, h))
}

/// Reads, checks, resizes and re-encodes the image at `path`.
pub fn prepare(path: &Path) -> Result<MediaFile, PrepareError> {
    let bytes = read(path)?;
    let (mut decoder, kind) = decoder(&bytes)?;
    let orientation = decoder.orientation()?;
    let mut image = DynamicImage::from_decoder(decoder)?;
    image.apply_orientation(orientation);
    let size = stored_size(image.width(), image.height());
    if size.width != image.width() {
        image = image.resize_exact(
            size.width,
            size.height,
            image::imageops::FilterType::CatmullRom,
        );
    }
    let mut out = Vec::new();
    match kind {
        MediaKind::Jpeg => {
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
                .encode_image(&image.to_rgb8())?
        }
        MediaKind::Png => {
            image.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))?;
        }
    }
    Ok(MediaFile {
        name: MediaName::of(&out, kind),
        bytes: out,
        width: size.width,
        height: size.height,
    })
}

fn read(path: &Path) -> Result<Vec<u8>, PrepareError> {
    let len = std::fs::metadata(path)?.len();
    if len > MAX_FILE_BYTES {
        return Err(PrepareError::FileTooLarge(len));
    }
    Ok(std::fs::read(path)?)
}

/// A decoder for JPEG or PNG `bytes` (by content, not by file name), its
/// header checked against the limits.
fn decoder(bytes: &[u8]) -> Result<(impl ImageDecoder + '_, MediaKind), PrepareError> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let kind = match reader.format() {
        Some(ImageFormat::Jpeg) => MediaKind::Jpeg,
        Some(ImageFormat::Png) => MediaKind::Png,
        _ => return Err(PrepareError::NotJpegOrPng),
    };
    let mut limits = Limits::default();
    // The size is checked below, with a message that names it; the
    // allocation limit is the backstop inside the decoder.
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let decoder = reader.into_decoder()?;
    let (w, h) = decoder.dimensions();
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(PrepareError::TooManyPixels(w, h));
    }
    Ok((decoder, kind))
}

/// Width and height as shown, after the EXIF orientation.
fn upright((w, h): (u32, u32), orientation: image::metadata::Orientation) -> (u32, u32) {
    use image::metadata::Orientation::*;
    match orientation {
        Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH => (h, w),
        _ => (w, h),
    }
}

/// Narrowed to [`STORED_WIDTH`] keeping the aspect ratio; never widened.
fn stored_size(w: u32, h: u32) -> Measured {
    if w <= STORED_WIDTH {
        return Measured {
            width: w,
            height: h,
        };
    }
    let height = (u64::from(h) * u64::from(STORED_WIDTH) + u64::from(w) / 2) / u64::from(w);
    Measured {
        width: STORED_WIDTH,
        height: u32::try_from(height.max(1)).unwrap_or(u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_images_are_narrowed_keeping_their_shape_and_small_ones_kept() {
        assert_eq!(
            stored_size(2400, 1600),
            Measured {
                width: 1200,
                height: 800
            }
        );
        assert_eq!(
            stored_size(800, 500),
            Measured {
                width: 800,
                height: 500
            }
        );
        assert_eq!(stored_size(100_000, 1).height, 1);
    }
}
