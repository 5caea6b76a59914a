//! Images made in tests: plain pictures in PNG, JPEG or WebP, uploads
//! carrying metadata, and PNG headers declaring huge sizes
//! (decompression bombs) in a few hundred bytes.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

/// An opaque RGB picture with some structure (so JPEG has work to do).
pub fn gradient(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            ((x ^ y) & 0xff) as u8,
        ])
    }))
}

/// The image encoded in `format`.
///
/// # Panics
/// When the format has no encoder here.
pub fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let image = match format {
        // JPEG has no alpha channel.
        ImageFormat::Jpeg => DynamicImage::ImageRgb8(image.to_rgb8()),
        _ => image.clone(),
    };
    image
        .write_to(&mut out, format)
        .unwrap_or_else(|e| panic!("encoding {format:?}: {e}"));
    out.into_inner()
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// An Exif block (big-endian TIFF) with an orientation tag when given,
/// followed by `extra` bytes.
fn exif(orientation: Option<u16>, extra: &[u8]) -> Vec<u8> {
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    match orientation {
        Some(value) => {
            tiff.extend_from_slice(&1u16.to_be_bytes());
            // Tag 0x0112 (Orientation), type SHORT, count 1, value.
            tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
            tiff.extend_from_slice(&value.to_be_bytes());
            tiff.extend_from_slice(&[0, 0]);
        }
        None => tiff.extend_from_slice(&0u16.to_be_bytes()),
    }
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(extra);
    tiff
}

/// Inserts an APP1 Exif segment right after the JPEG's SOI marker.
///
/// # Panics
/// When `jpeg` is not a JPEG or the segment is too long.
fn with_jpeg_app1(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], b"\xff\xd8", "not a JPEG");
    let mut payload = b"Exif\x00\x00".to_vec();
    payload.extend_from_slice(tiff);
    let length = u16::try_from(payload.len() + 2).expect("APP1 segment fits 64 KiB");
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A JPEG carrying `marker` in its Exif metadata.
pub fn with_jpeg_exif(jpeg: &[u8], marker: &[u8]) -> Vec<u8> {
    with_jpeg_app1(jpeg, &exif(None, marker))
}

/// A JPEG whose Exif says how to turn it upright (1 to 8; 6 is "rotate
/// 90° clockwise").
pub fn with_jpeg_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    with_jpeg_app1(jpeg, &exif(Some(orientation), &[]))
}

/// CRC-32 (ISO 3309) as PNG chunks use it.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let length = u32::try_from(data.len()).expect("chunk fits 4 GiB");
    let mut out = length.to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A PNG with a `tEXt` comment chunk holding `text`, after its header.
///
/// # Panics
/// When `png` is not a PNG.
pub fn with_png_text(png: &[u8], text: &[u8]) -> Vec<u8> {
    assert_eq!(&png[1..4], b"PNG", "not a PNG");
    // Signature (8) and IHDR (4 + 4 + 13 + 4).
    let split = 8 + 25;
    let mut data = b"Comment\x00".to_vec();
    data.extend_from_slice(text);
    let mut out = png[..split].to_vec();
    out.extend_from_slice(&png_chunk(b"tEXt", &data));
    out.extend_from_slice(&png[split..]);
    out
}

fn png_declaring_with(width: u32, height: u32, color_type: u8) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, the colour type, deflate, adaptive filters, no interlace.
    ihdr.extend_from_slice(&[8, color_type, 0, 0, 0]);
    // A zlib stream with one stored byte: far less than declared.
    let idat = [
        0x78, 0x01, 0x01, 0x01, 0x00, 0xfe, 0xff, 0x00, 0x00, 0x01, 0x00, 0x01,
    ];
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&png_chunk(b"IHDR", &ihdr));
    out.extend_from_slice(&png_chunk(b"IDAT", &idat));
    out.extend_from_slice(&png_chunk(b"IEND", &[]));
    out
}

/// A tiny, well-formed PNG whose header declares `width`×`height`
/// greyscale pixels.
pub fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    png_declaring_with(width, height, 0)
}

/// The same, declaring RGBA pixels (4 bytes each once decoded).
pub fn png_declaring_rgba(width: u32, height: u32) -> Vec<u8> {
    png_declaring_with(width, height, 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_reference_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
    }

    #[test]
    fn crafted_images_decode_as_expected() {
        let png = encode(&gradient(8, 4), ImageFormat::Png);
        let with_text = with_png_text(&png, b"hello");
        assert!(contains(&with_text, b"hello"));
        assert_eq!(
            image::load_from_memory(&with_text).map(|i| i.width()).ok(),
            Some(8)
        );
        let jpeg = encode(&gradient(8, 4), ImageFormat::Jpeg);
        let with_exif = with_jpeg_exif(&jpeg, b"serial");
        assert_eq!(
            image::load_from_memory(&with_exif).map(|i| i.height()).ok(),
            Some(4)
        );
        let header = png_declaring(30_000, 30_000);
        assert_eq!(image::guess_format(&header).ok(), Some(ImageFormat::Png));
    }
}
