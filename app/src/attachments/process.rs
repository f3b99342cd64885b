//! Checking an uploaded image and making the files to keep. Pure and
//! CPU-bound: callers run it in `spawn_blocking`.
//!
//! Every upload is decoded in full, so a file that is not a whole image is
//! refused. A photo the phone already sized and encoded is stored as sent
//! minus its metadata (see `jpeg_metadata`); anything else is re-encoded
//! from pixels, the EXIF orientation applied first so it stays upright.
//! Either way nothing the phone put around the image survives (EXIF with
//! GPS position, comments, trailing data).

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{
    DynamicImage, GenericImageView, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage,
};

use super::jpeg_metadata::without_metadata;
use super::{MAX_ATTACHMENT_PIXELS, PHOTO_MAX_EDGE, THUMB_EDGE, fit_within};
use crate::error::AppError;

/// JPEG quality of stored photos and thumbnails: no visible loss at 1600 px,
/// about a fifth of a phone camera's file.
pub const JPEG_QUALITY: u8 = 82;
/// Ceiling on what the decoder may allocate: the largest accepted image at
/// 16 bits per channel RGBA, plus room for the decoder's own buffers.
const MAX_DECODE_BYTES: u64 = MAX_ATTACHMENT_PIXELS * 8 + 64 * 1024 * 1024;
/// A phone's JPEG is kept as sent only up to this many bits per pixel
/// (about quality 95 for a photo); a heavier file is re-encoded to save
/// storage.
const KEEP_MAX_BITS_PER_PIXEL: u64 = 4;

/// The two formats accepted. Photos are JPEG; signatures drawn on the
/// phone are PNG (with transparency) and stay PNG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
}

impl ImageKind {
    /// From a `Content-Type` header value (parameters ignored).
    pub fn from_content_type(value: &str) -> Option<Self> {
        let mime = value.split(';').next().unwrap_or("").trim();
        if mime.eq_ignore_ascii_case("image/jpeg") {
            Some(ImageKind::Jpeg)
        } else if mime.eq_ignore_ascii_case("image/png") {
            Some(ImageKind::Png)
        } else {
            None
        }
    }

    /// From the file's first bytes (its magic number), whatever it claims to be.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "jpg",
            ImageKind::Png => "png",
        }
    }

    fn format(self) -> ImageFormat {
        match self {
            ImageKind::Jpeg => ImageFormat::Jpeg,
            ImageKind::Png => ImageFormat::Png,
        }
    }
}

/// The files to store for one upload.
#[derive(Debug)]
pub struct Processed {
    pub kind: ImageKind,
    pub width: u32,
    pub height: u32,
    /// The re-encoded image, at most `PHOTO_MAX_EDGE` on its long edge.
    pub image: Vec<u8>,
    /// A JPEG of at most `THUMB_EDGE` on its long edge.
    pub thumb: Vec<u8>,
}

fn unsupported(message: &str) -> AppError {
    AppError::UnsupportedMediaType {
        message: message.into(),
    }
}

fn unreadable() -> AppError {
    AppError::Invalid {
        field: None,
        message: "无法读取该图片，文件可能已损坏".into(),
    }
}

/// Whether the main image's scan is followed by the end-of-image marker.
/// Neither marker can occur inside entropy-coded data (0xFF is stuffed),
/// and searching after the last start-of-scan skips an EXIF thumbnail's own
/// end marker.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    match last_scan {
        Some(at) => bytes[at..].windows(2).any(|w| w == [0xFF, 0xD9]),
        None => false,
    }
}

/// Check, orient, downscale and re-encode an uploaded image declared as
/// `content_type`.
pub fn process(bytes: &[u8], content_type: &str) -> Result<Processed, AppError> {
    let declared = ImageKind::from_content_type(content_type).ok_or_else(|| {
        unsupported("只接受 JPEG 或 PNG 图片（Content-Type: image/jpeg 或 image/png）")
    })?;
    let kind = ImageKind::sniff(bytes).ok_or_else(|| unsupported("文件不是 JPEG 或 PNG 图片"))?;
    if kind != declared {
        return Err(unsupported("文件内容与声明的图片类型不符"));
    }

    // The JPEG decoder pads a file cut short with grey rows; refuse it
    // instead, so a half-received photo is never kept as evidence.
    if kind == ImageKind::Jpeg && !jpeg_is_complete(bytes) {
        return Err(AppError::Invalid {
            field: None,
            message: "图片不完整（JPEG 文件被截断），请重新拍摄或选择".into(),
        });
    }

    // The header alone tells the size: refuse huge images before any pixel
    // buffer exists (a 50,000 × 50,000 PNG is a few hundred bytes).
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), kind.format())
        .into_dimensions()
        .map_err(|_| unreadable())?;
    if u64::from(width) * u64::from(height) > MAX_ATTACHMENT_PIXELS {
        return Err(AppError::Invalid {
            field: None,
            message: format!(
                "图片像素过多（{width}×{height}，上限 {} 万像素）",
                MAX_ATTACHMENT_PIXELS / 10_000
            ),
        });
    }

    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| unreadable())?;
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(unreadable());
    }
    // A broken EXIF block is no reason to lose the photo.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| unreadable())?;
    let upright = orientation == image::metadata::Orientation::NoTransforms;
    img.apply_orientation(orientation);

    // `fit_within` is also what the phone uses, so both agree on the size.
    let (w, h) = fit_within(img.width(), img.height(), PHOTO_MAX_EDGE);
    let sized = (w, h) == img.dimensions();
    if !sized {
        img = img.resize_exact(w, h, image::imageops::FilterType::Triangle);
    }
    let light = bytes.len() as u64 * 8 <= u64::from(w) * u64::from(h) * KEEP_MAX_BITS_PER_PIXEL;
    let kept = (kind == ImageKind::Jpeg && upright && sized && light)
        .then(|| without_metadata(bytes))
        .flatten();
    let image = match (kept, kind) {
        (Some(kept), _) => kept,
        (None, ImageKind::Jpeg) => encode_jpeg(&flatten_on_white(&img))?,
        (None, ImageKind::Png) => encode_png(&img)?,
    };
    let (tw, th) = fit_within(img.width(), img.height(), THUMB_EDGE);
    let thumb = if (tw, th) == img.dimensions() {
        encode_jpeg(&flatten_on_white(&img))?
    } else {
        encode_jpeg(&flatten_on_white(&img.thumbnail_exact(tw, th)))?
    };
    Ok(Processed {
        kind,
        width: img.width(),
        height: img.height(),
        image,
        thumb,
    })
}

/// JPEG has no transparency: a signature's transparent background must
/// become white, not black.
fn flatten_on_white(img: &DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.to_rgb8();
    }
    let rgba = img.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| {
            let (c, a) = (u32::from(c), u32::from(a));
            // At most 255 * 255 / 255: always fits.
            u8::try_from((c * a + 255 * (255 - a)) / 255).unwrap_or(u8::MAX)
        };
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

fn encode_jpeg(img: &RgbImage) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(img)
        .map_err(|e| AppError::internal("encoding a JPEG", e))?;
    Ok(out)
}

fn encode_png(img: &DynamicImage) -> Result<Vec<u8>, AppError> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| AppError::internal("encoding a PNG", e))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbaImage};

    /// A landscape JPEG, left half red and right half blue.
    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, _| {
            if x < width / 2 {
                Rgb([220, 0, 0])
            } else {
                Rgb([0, 0, 220])
            }
        });
        encode_jpeg(&img).unwrap()
    }

    #[test]
    fn a_jpeg_cut_short_is_refused() {
        let whole = jpeg(320, 240);
        assert!(jpeg_is_complete(&whole));
        assert!(process(&whole, "image/jpeg").is_ok());
        for keep in [whole.len() / 2, whole.len() - 2] {
            assert!(!jpeg_is_complete(&whole[..keep]), "cut at {keep}");
            let err = process(&whole[..keep], "image/jpeg").err().unwrap();
            assert!(err.to_string().contains("不完整"), "{err}");
        }
        // Trailing bytes after the end marker (a polyglot) are no truncation.
        let mut polyglot = whole.clone();
        polyglot.extend(b"PK\x03\x04 trailing");
        assert!(jpeg_is_complete(&polyglot));
    }

    /// An EXIF APP1 segment (big-endian TIFF) with the orientation and a GPS
    /// block, spliced in right after the JPEG's SOI marker.
    fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
        tiff.extend(2u16.to_be_bytes()); // two IFD0 entries
        tiff.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1]); // Orientation, SHORT, 1
        tiff.extend(orientation.to_be_bytes());
        tiff.extend([0, 0]);
        tiff.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1]); // GPS IFD pointer, LONG, 1
        tiff.extend(38u32.to_be_bytes());
        tiff.extend(0u32.to_be_bytes()); // no next IFD
        tiff.extend(1u16.to_be_bytes()); // GPS IFD: one entry
        tiff.extend([0, 1, 0, 2, 0, 0, 0, 2]); // GPSLatitudeRef, ASCII, 2
        tiff.extend(*b"N\0\0\0");
        tiff.extend(0u32.to_be_bytes());
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend(tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend([0xFF, 0xE1]);
        out.extend(u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        out.extend(payload);
        out.extend(&jpeg[2..]);
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// The PNG signature and an IHDR chunk claiming `width` × `height`, and
    /// an empty IDAT: a tiny file describing a huge image.
    fn png_header_only(width: u32, height: u32) -> Vec<u8> {
        fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
            out.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
            let mut body = kind.to_vec();
            body.extend(data);
            out.extend(&body);
            out.extend(crc32(&body).to_be_bytes());
        }
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend(height.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        chunk(&mut out, b"IHDR", &ihdr);
        chunk(
            &mut out,
            b"IDAT",
            &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        );
        chunk(&mut out, b"IEND", &[]);
        out
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn orientation_6_is_applied_and_exif_dropped() {
        let input = with_exif(&jpeg(40, 20), 6);
        assert!(contains(&input, b"Exif\0\0"));
        let out = process(&input, "image/jpeg").unwrap();
        assert_eq!((out.width, out.height), (20, 40), "rotated upright");
        assert!(!contains(&out.image, b"Exif"), "no EXIF (and no GPS) kept");
        assert!(!contains(&out.thumb, b"Exif"));
        let stored = image::load_from_memory(&out.image).unwrap();
        assert_eq!(stored.dimensions(), (20, 40));
        // Rotating 90° clockwise puts the left (red) half on top.
        let top = stored.get_pixel(10, 5).0;
        let bottom = stored.get_pixel(10, 35).0;
        assert!(top[0] > 150 && top[2] < 80, "top is red: {top:?}");
        assert!(
            bottom[2] > 150 && bottom[0] < 80,
            "bottom is blue: {bottom:?}"
        );
    }

    #[test]
    fn a_phone_sized_upright_jpeg_is_kept_without_its_metadata() {
        let plain = jpeg(400, 300);
        let mut sent = with_exif(&plain, 1);
        sent.extend(b"PK\x03\x04 trailing");
        let out = process(&sent, "image/jpeg").unwrap();
        // The very image data the phone encoded: no second JPEG generation.
        assert_eq!(out.image, plain, "stored as sent, minus EXIF and trailer");
        assert!(!contains(&out.image, b"Exif") && !contains(&out.image, b"PK"));
        assert_eq!((out.width, out.height), (400, 300));
    }

    #[test]
    fn a_heavy_jpeg_is_reencoded_smaller() {
        // Noise at quality 100: far above the bits per pixel kept as sent.
        let noise = RgbImage::from_fn(200, 200, |x, y| {
            let v = (x * 7919 + y * 104_729) ^ (x * y);
            Rgb([v as u8, (v >> 8) as u8, (v >> 16) as u8])
        });
        let mut heavy = Vec::new();
        JpegEncoder::new_with_quality(&mut heavy, 100)
            .encode_image(&noise)
            .unwrap();
        assert!(heavy.len() as u64 * 8 > 200 * 200 * KEEP_MAX_BITS_PER_PIXEL);
        let out = process(&heavy, "image/jpeg").unwrap();
        assert!(
            out.image.len() < heavy.len(),
            "re-encoded at the stored quality"
        );
    }

    #[test]
    fn large_photos_are_downscaled_with_a_small_thumbnail() {
        let out = process(&jpeg(2000, 1000), "image/jpeg; charset=binary").unwrap();
        assert_eq!(
            (out.width, out.height),
            (PHOTO_MAX_EDGE, PHOTO_MAX_EDGE / 2)
        );
        let thumb = image::load_from_memory(&out.thumb).unwrap();
        assert_eq!(thumb.dimensions(), (THUMB_EDGE, THUMB_EDGE / 2));
    }

    #[test]
    fn huge_images_are_refused_from_the_header() {
        let bomb = png_header_only(50_000, 50_000);
        assert!(bomb.len() < 200);
        let started = std::time::Instant::now();
        let err = process(&bomb, "image/png").unwrap_err();
        assert_eq!(err.status(), 422);
        assert!(err.to_string().contains("像素"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn declared_and_real_types_must_agree() {
        let jpg = jpeg(8, 8);
        assert_eq!(process(&jpg, "image/png").unwrap_err().status(), 415);
        assert_eq!(process(&jpg, "image/gif").unwrap_err().status(), 415);
        assert_eq!(
            process(b"GIF89a....", "image/jpeg").unwrap_err().status(),
            415
        );
        assert_eq!(
            process(&[0xFF, 0xD8, 0xFF, 0], "image/jpeg")
                .unwrap_err()
                .status(),
            422
        );
    }

    #[test]
    fn signatures_stay_png_and_thumbnails_are_white_behind_the_strokes() {
        let sig = RgbaImage::from_fn(60, 30, |x, _| {
            if x == 30 {
                image::Rgba([0, 0, 0, 255])
            } else {
                image::Rgba([0, 0, 0, 0])
            }
        });
        let mut png = Cursor::new(Vec::new());
        DynamicImage::ImageRgba8(sig)
            .write_to(&mut png, ImageFormat::Png)
            .unwrap();
        let out = process(png.get_ref(), "image/png").unwrap();
        assert_eq!(out.kind, ImageKind::Png);
        assert_eq!(ImageKind::sniff(&out.image), Some(ImageKind::Png));
        let stored = image::load_from_memory(&out.image).unwrap();
        assert!(stored.color().has_alpha(), "transparency kept");
        let thumb = image::load_from_memory(&out.thumb).unwrap().to_rgb8();
        assert!(thumb.get_pixel(5, 5).0.iter().all(|c| *c > 240));
    }
}
