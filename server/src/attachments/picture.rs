//! An uploaded image's size and thumbnail, decoded under limits.
//!
//! A few kilobytes of PNG can claim to be 100,000 pixels square (a decompression bomb):
//! decoding it would allocate tens of gigabytes. The decoder is told the largest sides and
//! allocation up front and refuses such a file before allocating; the upload is refused
//! with it. Photos are turned the way their EXIF orientation says (phones store them
//! sideways), so the thumbnail and the size are what people see.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits};

/// Longest side decoded, pixels (a 48-megapixel phone photo is 8000 × 6000).
const MAX_SIDE: u32 = 12_000;
/// Most memory one decode may take: 64 megapixels of RGBA.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// Longest side of a thumbnail: twice what the chats show (240 CSS pixels), for sharp
/// pictures on high-density screens.
pub const THUMBNAIL_SIDE: u32 = 480;
const JPEG_QUALITY: u8 = 80;

/// What an image turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    /// As shown (after the EXIF orientation).
    pub width: u32,
    pub height: u32,
    pub thumbnail: Vec<u8>,
    /// `image/png` for pictures with transparency, `image/jpeg` otherwise.
    pub thumbnail_type: &'static str,
}

/// Why an image is not pictured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unpictured {
    /// Past the decode limits: refused (a bomb, or simply too large to show).
    TooLarge,
    /// The decoder could not read it; kept as a plain file.
    Unreadable,
}

/// Decodes `bytes` (a PNG, JPEG, GIF or WebP) and makes its thumbnail. CPU-heavy: run it on
/// the blocking pool.
pub fn picture(bytes: &[u8]) -> Result<Picture, Unpictured> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| Unpictured::Unreadable)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(refusal)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());
    let small = image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    let mut thumbnail = Vec::new();
    let thumbnail_type = if small.color().has_alpha() {
        small
            .write_with_encoder(PngEncoder::new(&mut thumbnail))
            .map_err(|_| Unpictured::Unreadable)?;
        "image/png"
    } else {
        small
            .to_rgb8()
            .write_with_encoder(JpegEncoder::new_with_quality(&mut thumbnail, JPEG_QUALITY))
            .map_err(|_| Unpictured::Unreadable)?;
        "image/jpeg"
    };
    Ok(Picture {
        width,
        height,
        thumbnail,
        thumbnail_type,
    })
}

fn refusal(e: ImageError) -> Unpictured {
    match e {
        ImageError::Limits(_) => Unpictured::TooLarge,
        _ => Unpictured::Unreadable,
    }
}

#[cfg(test)]
mod tests {
    use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

    use super::*;

    fn encoded(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).expect("encode");
        out.into_inner()
    }

    #[test]
    fn a_photo_gets_its_size_and_a_small_jpeg() {
        let photo = RgbImage::from_fn(1200, 900, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let bytes = encoded(photo.into(), ImageFormat::Jpeg);
        let picture = picture(&bytes).expect("pictured");
        assert_eq!((picture.width, picture.height), (1200, 900));
        assert_eq!(picture.thumbnail_type, "image/jpeg");
        let thumb = image::load_from_memory(&picture.thumbnail).expect("a readable thumbnail");
        assert_eq!((thumb.width(), thumb.height()), (THUMBNAIL_SIDE, 360));
    }

    #[test]
    fn a_photo_taken_sideways_is_turned_as_its_exif_says() {
        let photo = RgbImage::from_pixel(1200, 900, Rgb([200, 10, 10]));
        let jpeg = encoded(photo.into(), ImageFormat::Jpeg);
        // An APP1 segment with one EXIF entry: Orientation (0x0112) = 6, "rotate 90° CW".
        let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01".to_vec();
        exif.extend_from_slice(b"\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0");
        let mut bytes = jpeg[..2].to_vec();
        bytes.extend_from_slice(&[0xFF, 0xE1]);
        bytes.extend_from_slice(&(exif.len() as u16 + 2).to_be_bytes());
        bytes.extend_from_slice(&exif);
        bytes.extend_from_slice(&jpeg[2..]);
        let picture = picture(&bytes).expect("pictured");
        assert_eq!((picture.width, picture.height), (900, 1200));
    }

    #[test]
    fn transparency_is_kept_in_a_png_thumbnail() {
        let logo = RgbaImage::from_pixel(64, 32, Rgba([10, 20, 30, 0]));
        let picture = picture(&encoded(logo.into(), ImageFormat::Png)).expect("pictured");
        assert_eq!(picture.thumbnail_type, "image/png");
        assert_eq!((picture.width, picture.height), (64, 32));
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_it_is_decoded() {
        // A GIF whose screen claims 60,000 × 60,000 pixels: 14 GB once decoded. (The API
        // tests send the PNG kind.)
        let mut bomb = encoded(RgbImage::new(1, 1).into(), ImageFormat::Gif);
        bomb[6..8].copy_from_slice(&60_000u16.to_le_bytes());
        bomb[8..10].copy_from_slice(&60_000u16.to_le_bytes());
        assert_eq!(picture(&bomb), Err(Unpictured::TooLarge));
    }

    #[test]
    fn garbage_after_a_magic_number_is_unreadable_not_a_panic() {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend_from_slice(&[7; 100]);
        assert_eq!(picture(&bytes), Err(Unpictured::Unreadable));
    }
}
