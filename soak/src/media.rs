//! Photos and signatures as a phone would send them: real JPEGs with varied
//! pixels (the server decodes every one) and PNG signatures.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use rand::Rng;
use sha2::{Digest, Sha256};

/// A file the client holds until the server confirms the visit showing it.
#[derive(Clone, Debug)]
pub struct Blob {
    pub sha256: String,
    pub content_type: &'static str,
    pub bytes: std::sync::Arc<Vec<u8>>,
}

impl Blob {
    pub fn new(bytes: Vec<u8>, content_type: &'static str) -> Blob {
        Blob {
            sha256: hex::encode(Sha256::digest(&bytes)),
            content_type,
            bytes: std::sync::Arc::new(bytes),
        }
    }
}

/// A photo `width` × `height`: a gradient, a few blocks and noise, so every
/// one is different and compresses like a real picture (not to nothing).
pub fn photo(rng: &mut impl Rng, width: u32, height: u32) -> Blob {
    let base: [f32; 3] = [
        rng.gen_range(0.0..255.0),
        rng.gen_range(0.0..255.0),
        rng.gen_range(0.0..255.0),
    ];
    let blocks: Vec<(u32, u32, u32, [u8; 3])> = (0..6)
        .map(|_| {
            (
                rng.gen_range(0..width),
                rng.gen_range(0..height),
                rng.gen_range(width / 20 + 1..width / 3 + 2),
                [rng.r#gen(), rng.r#gen(), rng.r#gen()],
            )
        })
        .collect();
    let mut img = RgbImage::new(width, height);
    for (x, y, px) in img.enumerate_pixels_mut() {
        let fx = x as f32 / width as f32;
        let fy = y as f32 / height as f32;
        let mut c = [
            base[0] * (1.0 - fx) + 255.0 * fx * fy,
            base[1] * fy + 80.0 * (1.0 - fy),
            base[2] * (1.0 - fy) + 120.0 * fx,
        ];
        for (bx, by, r, color) in &blocks {
            if x.abs_diff(*bx) < *r && y.abs_diff(*by) < *r {
                c = [color[0] as f32, color[1] as f32, color[2] as f32];
            }
        }
        let noise = rng.gen_range(-12.0..12.0);
        *px = Rgb(c.map(|v| (v + noise).clamp(0.0, 255.0) as u8));
    }
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .expect("encoding a JPEG in memory");
    Blob::new(out, "image/jpeg")
}

/// The same picture under a new SHA-256: a JPEG comment (COM segment) with
/// `tag` right after the start-of-image marker. Still a valid JPEG that the
/// server decodes in full; much cheaper than encoding thousands of photos.
pub fn retagged(photo: &Blob, tag: &str) -> Blob {
    let text = tag.as_bytes();
    let len = u16::try_from(text.len() + 2).expect("short tag");
    let mut out = Vec::with_capacity(photo.bytes.len() + text.len() + 4);
    out.extend_from_slice(&photo.bytes[..2]); // FF D8
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(text);
    out.extend_from_slice(&photo.bytes[2..]);
    Blob::new(out, "image/jpeg")
}

/// A parent's signature: a few random pen strokes on a transparent pad.
pub fn signature(rng: &mut impl Rng) -> Blob {
    let (w, h) = (600u32, 240u32);
    let mut img = RgbaImage::new(w, h);
    let ink = Rgba([20, 20, 40, 255]);
    for _ in 0..rng.gen_range(2..5) {
        let (mut x, mut y) = (rng.gen_range(20.0..580.0f32), rng.gen_range(40.0..200.0f32));
        for _ in 0..rng.gen_range(40..120) {
            x = (x + rng.gen_range(-6.0..8.0)).clamp(2.0, w as f32 - 3.0);
            y = (y + rng.gen_range(-5.0..5.0)).clamp(2.0, h as f32 - 3.0);
            for dx in 0..3 {
                for dy in 0..3 {
                    img.put_pixel(x as u32 + dx - 1, y as u32 + dy - 1, ink);
                }
            }
        }
    }
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .expect("encoding a PNG in memory");
    Blob::new(out.into_inner(), "image/png")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn generated_files_decode_and_differ() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let a = photo(&mut rng, 64, 48);
        let b = photo(&mut rng, 64, 48);
        assert_ne!(a.sha256, b.sha256);
        let tagged = retagged(&a, "soak-1");
        assert_ne!(tagged.sha256, a.sha256);
        for blob in [&a, &tagged] {
            let img = image::load_from_memory_with_format(&blob.bytes, ImageFormat::Jpeg).unwrap();
            assert_eq!((img.width(), img.height()), (64, 48));
        }
        let sig = signature(&mut rng);
        image::load_from_memory_with_format(&sig.bytes, ImageFormat::Png).unwrap();
    }
}
