//! Turning an uploaded image into a stream thumbnail: the format guessed
//! from the bytes (PNG, JPEG or WebP only), decoded under limits set before
//! decoding, turned upright, scaled down to fit 1280×720 and re-encoded, so
//! nothing of the upload (metadata, trailing bytes, colour profiles) is
//! kept. CPU-bound: run it off the async workers.

use std::{fmt, io::Cursor};

use image::{
    DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits,
    codecs::{jpeg::JpegEncoder, png::PngEncoder},
    imageops::FilterType,
    metadata::Orientation,
};
use sha2::{Digest, Sha256};

/// The box a thumbnail fits in; smaller images keep their size.
pub const MAX_WIDTH: u32 = 1280;
pub const MAX_HEIGHT: u32 = 720;
/// Largest width or height decoded.
pub const MAX_SIDE: u32 = 8192;
/// Largest decoded buffer (a 4096×4096 RGBA image); with the upload limit
/// this bounds what a small compressed file can make us allocate.
pub const MAX_DECODED_BYTES: u64 = 64 * 1024 * 1024;
/// JPEG quality of opaque thumbnails.
pub const JPEG_QUALITY: u8 = 85;

/// The stored encodings. WebP is not one: the `image` crate only encodes
/// lossless WebP, several times larger than a JPEG of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThumbnailFormat {
    /// Opaque images.
    Jpeg,
    /// Images with transparent pixels.
    Png,
}

impl ThumbnailFormat {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
        }
    }

    /// The format of an extension.
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext {
            "jpg" => Some(Self::Jpeg),
            "png" => Some(Self::Png),
            _ => None,
        }
    }

    /// The `Content-Type` it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }
}

/// A re-encoded thumbnail.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    pub format: ThumbnailFormat,
    pub width: u32,
    pub height: u32,
}

impl Thumbnail {
    /// Content-addressed file name: the first 16 hex digits of the SHA-256
    /// of the bytes, and the extension.
    pub fn file_name(&self) -> ThumbnailFile {
        let digest = Sha256::digest(&self.bytes);
        ThumbnailFile {
            hash: hex::encode(&digest[..8]),
            format: self.format,
        }
    }
}

/// A well-formed thumbnail file name, `<16 lowercase hex>.<jpg|png>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbnailFile {
    pub hash: String,
    pub format: ThumbnailFormat,
}

impl ThumbnailFile {
    /// Parses a file name; anything else (other characters, separators,
    /// dots) is `None`, so a name never leaves its folder.
    pub fn parse(name: &str) -> Option<Self> {
        let (hash, ext) = name.split_once('.')?;
        let hex_ok = hash.len() == 16
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        Some(Self {
            hash: hex_ok.then(|| hash.to_owned())?,
            format: ThumbnailFormat::from_extension(ext)?,
        })
    }
}

impl fmt::Display for ThumbnailFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.hash, self.format.extension())
    }
}

/// Why an upload is not a thumbnail.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ThumbnailError {
    #[error("not a PNG, JPEG or WebP image")]
    UnsupportedFormat,
    #[error("the image could not be decoded: {0}")]
    Undecodable(String),
    #[error("the image is too large to decode")]
    TooLarge,
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    limits
}

fn classify(error: ImageError) -> ThumbnailError {
    match error {
        ImageError::Limits(_) => ThumbnailError::TooLarge,
        other => ThumbnailError::Undecodable(other.to_string()),
    }
}

/// Decodes an upload and re-encodes it as a thumbnail.
///
/// Fails when the bytes are not PNG, JPEG or WebP, do not decode, or
/// declare more than [`MAX_SIDE`] pixels a side or [`MAX_DECODED_BYTES`].
pub fn render(input: &[u8]) -> Result<Thumbnail, ThumbnailError> {
    let mut reader = ImageReader::new(Cursor::new(input))
        .with_guessed_format()
        .map_err(|e| ThumbnailError::Undecodable(e.to_string()))?;
    if !matches!(
        reader.format(),
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)
    ) {
        return Err(ThumbnailError::UnsupportedFormat);
    }
    // Limits go in before the decoder reads past the header: the declared
    // size is refused before anything of that size is allocated.
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(classify)?;
    let mut budget = limits();
    budget.reserve(decoder.total_bytes()).map_err(classify)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let decoded = DynamicImage::from_decoder(decoder).map_err(classify)?;
    let mut image = fit(decoded, orientation);
    image.apply_orientation(orientation);
    encode(&image)
}

/// Scales down so that, once turned upright, the image fits the box.
fn fit(image: DynamicImage, orientation: Orientation) -> DynamicImage {
    let quarter_turn = matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    );
    let (max_w, max_h) = if quarter_turn {
        (MAX_HEIGHT, MAX_WIDTH)
    } else {
        (MAX_WIDTH, MAX_HEIGHT)
    };
    if image.width() <= max_w && image.height() <= max_h {
        return image;
    }
    // A box filter first for large reductions: cheap and with no buffer
    // bigger than its output; then a proper filter for the last factor 2.
    let image = if image.width() > 2 * max_w || image.height() > 2 * max_h {
        image.thumbnail(2 * max_w, 2 * max_h)
    } else {
        image
    };
    image.resize(max_w, max_h, FilterType::CatmullRom)
}

fn encode(image: &DynamicImage) -> Result<Thumbnail, ThumbnailError> {
    let failed = |e: ImageError| ThumbnailError::Undecodable(e.to_string());
    let (width, height) = (image.width(), image.height());
    let mut bytes = Vec::new();
    let rgba = image.color().has_alpha().then(|| image.to_rgba8());
    let format = match rgba {
        Some(rgba) if rgba.pixels().any(|p| p.0[3] < u8::MAX) => {
            rgba.write_with_encoder(PngEncoder::new(&mut bytes))
                .map_err(failed)?;
            ThumbnailFormat::Png
        }
        _ => {
            JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
                .encode_image(&image.to_rgb8())
                .map_err(failed)?;
            ThumbnailFormat::Jpeg
        }
    };
    Ok(Thumbnail {
        bytes,
        format,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use image::{GenericImageView, ImageFormat, Rgba, RgbaImage};
    use veza_live_test_support::images;

    use super::*;

    fn decode(thumb: &Thumbnail) -> DynamicImage {
        image::load_from_memory(&thumb.bytes).expect("the output decodes")
    }

    #[test]
    fn large_images_are_scaled_down_to_fit_keeping_the_aspect_ratio() {
        for (w, h, expected) in [
            (3840, 2160, (1280, 720)),
            (2000, 2000, (720, 720)),
            (4000, 500, (1280, 160)),
            (1500, 720, (1280, 614)),
        ] {
            let input = images::encode(&images::gradient(w, h), ImageFormat::Png);
            let thumb = render(&input).expect("renders");
            assert_eq!((thumb.width, thumb.height), expected, "{w}x{h}");
            assert_eq!(decode(&thumb).dimensions(), expected, "{w}x{h}");
        }
    }

    #[test]
    fn small_images_are_never_upscaled() {
        let input = images::encode(&images::gradient(320, 200), ImageFormat::Jpeg);
        let thumb = render(&input).expect("renders");
        assert_eq!((thumb.width, thumb.height), (320, 200));
    }

    #[test]
    fn opaque_images_become_jpeg_and_transparent_ones_png() {
        for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP] {
            let thumb =
                render(&images::encode(&images::gradient(64, 48), format)).expect("renders");
            assert_eq!(thumb.format, ThumbnailFormat::Jpeg, "{format:?}");
            assert_eq!(
                image::guess_format(&thumb.bytes).ok(),
                Some(ImageFormat::Jpeg)
            );
        }
        // An alpha channel that is fully opaque is still a photo.
        let opaque_rgba = DynamicImage::ImageRgba8(images::gradient(64, 48).to_rgba8());
        let thumb = render(&images::encode(&opaque_rgba, ImageFormat::Png)).expect("renders");
        assert_eq!(thumb.format, ThumbnailFormat::Jpeg);
        let mut clear = RgbaImage::from_pixel(64, 48, Rgba([200, 10, 10, 255]));
        clear.put_pixel(3, 3, Rgba([0, 0, 0, 0]));
        for format in [ImageFormat::Png, ImageFormat::WebP] {
            let input = images::encode(&DynamicImage::ImageRgba8(clear.clone()), format);
            let thumb = render(&input).expect("renders");
            assert_eq!(thumb.format, ThumbnailFormat::Png, "{format:?}");
            let out = decode(&thumb).to_rgba8();
            assert_eq!(out.get_pixel(3, 3).0[3], 0, "transparency kept");
            assert_eq!(out.get_pixel(10, 10).0, [200, 10, 10, 255]);
        }
    }

    #[test]
    fn metadata_of_the_upload_is_not_kept() {
        let marker = b"private-camera-serial-4242";
        let jpeg = images::with_jpeg_exif(
            &images::encode(&images::gradient(64, 48), ImageFormat::Jpeg),
            marker,
        );
        let png = images::with_png_text(
            &images::encode(&images::gradient(64, 48), ImageFormat::Png),
            marker,
        );
        for input in [jpeg, png] {
            assert!(images::contains(&input, marker), "the input carries it");
            let thumb = render(&input).expect("renders");
            assert!(!images::contains(&thumb.bytes, marker));
            assert!(!images::contains(&thumb.bytes, b"Exif"));
        }
    }

    #[test]
    fn exif_orientation_is_applied_before_it_is_dropped() {
        // Stored 200x100 with "rotate 90° clockwise": upright it is 100x200.
        let input = images::with_jpeg_orientation(
            &images::encode(&images::gradient(200, 100), ImageFormat::Jpeg),
            6,
        );
        let thumb = render(&input).expect("renders");
        assert_eq!((thumb.width, thumb.height), (100, 200));
        // Taller than the box once upright: fits 720 high.
        let input = images::with_jpeg_orientation(
            &images::encode(&images::gradient(1600, 900), ImageFormat::Jpeg),
            6,
        );
        let thumb = render(&input).expect("renders");
        assert_eq!((thumb.width, thumb.height), (405, 720));
    }

    #[test]
    fn other_formats_and_non_images_are_refused() {
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
        let mut bmp = b"BM".to_vec();
        bmp.extend_from_slice(&[0; 60]);
        for input in [b"hello, I am text".to_vec(), gif, bmp, Vec::new()] {
            assert_eq!(
                render(&input).err(),
                Some(ThumbnailError::UnsupportedFormat)
            );
        }
        let mut truncated = images::encode(&images::gradient(64, 48), ImageFormat::Png);
        truncated.truncate(60);
        assert!(matches!(
            render(&truncated),
            Err(ThumbnailError::Undecodable(_))
        ));
    }

    #[test]
    fn decompression_bombs_are_refused_before_decoding() {
        // A few hundred bytes declaring 30000x30000.
        let bomb = images::png_declaring(30_000, 30_000);
        assert!(bomb.len() < 1024);
        assert_eq!(render(&bomb).err(), Some(ThumbnailError::TooLarge));
        // Inside the default limits of the image crate, outside ours.
        assert_eq!(
            render(&images::png_declaring(MAX_SIDE + 1, 16)).err(),
            Some(ThumbnailError::TooLarge)
        );
        // Sides within bounds, but 8000x8000 RGBA is 244 MiB decoded.
        assert_eq!(
            render(&images::png_declaring_rgba(8000, 8000)).err(),
            Some(ThumbnailError::TooLarge)
        );
    }

    #[test]
    fn file_names_are_content_addressed_and_strict() {
        let thumb =
            render(&images::encode(&images::gradient(64, 48), ImageFormat::Png)).expect("renders");
        let name = thumb.file_name();
        assert_eq!(name.hash.len(), 16);
        assert_eq!(name.to_string(), format!("{}.jpg", name.hash));
        assert_eq!(ThumbnailFile::parse(&name.to_string()), Some(name.clone()));
        assert_eq!(
            render(&thumb.bytes).expect("again").file_name().format,
            name.format
        );
        for bad in [
            "0123456789abcdef",
            "0123456789abcdef.gif",
            "0123456789ABCDEF.jpg",
            "0123456789abcde.jpg",
            "../../etc/passwd",
            "0123456789abcdef.jpg.png",
            "..%2F0123456789abcdef.jpg",
        ] {
            assert_eq!(ThumbnailFile::parse(bad), None, "{bad}");
        }
    }
}
