//! Dropping a JPEG's metadata without touching its pixels.
//!
//! The phone already resized and encoded the photo; encoding it again on
//! the server costs most of an upload's time and a second generation of
//! JPEG loss. When the phone's file is plain enough, the server keeps its
//! compressed image data as it is and drops everything else: EXIF (with
//! the GPS position), XMP, comments, embedded thumbnails and anything after
//! the end of the image. Anything unusual returns `None`, and the caller
//! re-encodes from pixels instead.

/// Markers (the byte after 0xFF).
const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const DQT: u8 = 0xDB;
const DRI: u8 = 0xDD;
const DHT: u8 = 0xC4;
/// Baseline and extended sequential Huffman frames: what cameras and the
/// browsers' canvas encoders write. Progressive, lossless, hierarchical and
/// arithmetic-coded frames are left to the re-encoding path.
const SOF_SEQUENTIAL: [u8; 2] = [0xC0, 0xC1];
const APP0: u8 = 0xE0;
const APP14: u8 = 0xEE;
const APP15: u8 = 0xEF;
const COM: u8 = 0xFE;

/// The JPEG's image data with every metadata segment removed, or `None`
/// when the file is not a sequential Huffman JPEG of one or three
/// components that this walk fully understands.
pub fn without_metadata(bytes: &[u8]) -> Option<Vec<u8>> {
    if bytes.get(..2)? != [0xFF, SOI] {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend([0xFF, SOI]);
    let mut at = 2;
    let (mut frames, mut scans) = (0, 0);
    loop {
        // Any number of 0xFF fill bytes may precede a marker.
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        while *bytes.get(at)? == 0xFF {
            at += 1;
        }
        let marker = bytes[at];
        at += 1;
        if marker == EOI {
            // Whatever follows the end of the image is dropped.
            out.extend([0xFF, EOI]);
            return (frames == 1 && scans >= 1).then_some(out);
        }
        let length = usize::from(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
        if length < 2 {
            return None;
        }
        let segment = bytes.get(at - 2..at + length)?;
        let body = &segment[4..];
        at += length;
        match marker {
            m if SOF_SEQUENTIAL.contains(&m) => {
                // precision, height, width, component count
                let components = *body.get(5)?;
                if frames > 0 || !(components == 1 || components == 3) {
                    return None;
                }
                frames += 1;
                out.extend(segment);
            }
            DQT | DHT | DRI => out.extend(segment),
            SOS => {
                if frames == 0 {
                    return None;
                }
                scans += 1;
                out.extend(segment);
                let data = entropy_coded_len(&bytes[at..]);
                out.extend(&bytes[at..at + data]);
                at += data;
            }
            // A bare JFIF header is kept (it says the colours are YCbCr);
            // one carrying a thumbnail is dropped like any other APPn.
            APP0 if length == 16 && body.starts_with(b"JFIF\0") => out.extend(segment),
            // Adobe's segment changes how the colours are read: re-encode.
            APP14 => return None,
            m if (APP0..=APP15).contains(&m) || m == COM => {}
            _ => return None,
        }
    }
}

/// How many bytes of entropy-coded data start `data`: up to the first
/// marker that is neither a stuffed 0xFF00 nor a restart marker.
fn entropy_coded_len(data: &[u8]) -> usize {
    let mut at = 0;
    while at + 1 < data.len() {
        if data[at] == 0xFF {
            let next = data[at + 1];
            if next != 0x00 && !(0xD0..=0xD7).contains(&next) {
                return at;
            }
            at += 2;
        } else {
            at += 1;
        }
    }
    data.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::jpeg::JpegEncoder;
    use image::{GrayImage, Rgb, RgbImage};
    use proptest::prelude::*;

    fn encode(img: &RgbImage, quality: u8) -> Vec<u8> {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(img)
            .unwrap();
        out
    }

    fn noise(width: u32, height: u32, seed: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            let v = (x * 31 + y * 17 + seed * 7) ^ (x * y + seed);
            Rgb([v as u8, (v >> 3) as u8, (v >> 5) as u8])
        })
    }

    fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, marker];
        out.extend(u16::try_from(body.len() + 2).unwrap().to_be_bytes());
        out.extend(body);
        out
    }

    /// `jpeg` with an EXIF segment carrying a GPS tag name, an XMP packet
    /// and a comment after its SOI, and a ZIP header after its EOI.
    fn with_metadata(jpeg: &[u8]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        out.extend(segment(0xE1, b"Exif\0\0MM\0\x2aGPSLatitude 31.2N"));
        out.extend(segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>"));
        out.extend(segment(COM, b"taken at No. 3 Village Road"));
        out.extend(&jpeg[2..]);
        out.extend(b"PK\x03\x04 hidden archive");
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn pixels(jpeg: &[u8]) -> Vec<u8> {
        image::load_from_memory(jpeg).unwrap().to_rgb8().into_raw()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn metadata_goes_and_the_pixels_stay(
            width in 1u32..90, height in 1u32..90, seed in 0u32..1000, quality in 30u8..=100,
        ) {
            let plain = encode(&noise(width, height, seed), quality);
            let dressed = with_metadata(&plain);
            let kept = without_metadata(&dressed).expect("a plain baseline JPEG is kept");
            prop_assert_eq!(pixels(&kept), pixels(&plain));
            prop_assert!(!contains(&kept, b"Exif") && !contains(&kept, b"GPS"));
            prop_assert!(!contains(&kept, b"xmpmeta") && !contains(&kept, b"Village"));
            prop_assert!(!contains(&kept, b"PK\x03\x04"));
            prop_assert!(kept.ends_with(&[0xFF, EOI]));
            // Stripping what is already stripped changes nothing.
            prop_assert_eq!(without_metadata(&kept), Some(kept.clone()));
        }

        #[test]
        fn any_cut_or_garbage_is_refused_or_harmless(cut in 0usize..2000, junk in any::<u8>()) {
            let plain = encode(&noise(40, 30, 1), 80);
            let cut = cut.min(plain.len() - 1);
            // Cut short: the end marker is missing, so never kept.
            prop_assert_eq!(without_metadata(&plain[..cut]), None);
            // One byte changed: either refused or still a full image walk.
            let mut bent = plain.clone();
            bent[cut] = junk;
            if let Some(kept) = without_metadata(&bent) {
                prop_assert!(kept.ends_with(&[0xFF, EOI]) && kept.len() <= bent.len());
            }
        }
    }

    #[test]
    fn restart_markers_stay_inside_the_scan() {
        let plain = encode(&noise(64, 64, 3), 90);
        let sos = plain.windows(2).position(|w| w == [0xFF, SOS]).unwrap();
        let scan_start =
            sos + 2 + usize::from(u16::from_be_bytes([plain[sos + 2], plain[sos + 3]]));
        // A restart marker inside the scan is not where the scan ends.
        let mut data = plain[scan_start..].to_vec();
        data.splice(0..0, [0xFF, 0xD0]);
        assert_eq!(entropy_coded_len(&data), data.len() - 2);
        assert_eq!(entropy_coded_len(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9]), 4);
    }

    #[test]
    fn grey_photos_are_kept_and_unusual_files_left_to_reencoding() {
        let grey = image::DynamicImage::ImageLuma8(GrayImage::from_fn(20, 10, |x, _| {
            image::Luma([x as u8 * 10])
        }));
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 80)
            .encode_image(&grey)
            .unwrap();
        assert!(without_metadata(&out).is_some());

        let plain = encode(&noise(16, 16, 2), 80);
        let mut adobe = plain[..2].to_vec();
        adobe.extend(segment(APP14, b"Adobe\0\x64\0\0\0\0\x01"));
        adobe.extend(&plain[2..]);
        assert_eq!(without_metadata(&adobe), None, "Adobe colour transform");

        // A progressive frame (SOF2) in place of the baseline one.
        let mut progressive = plain.clone();
        let sof = progressive
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .unwrap();
        progressive[sof + 1] = 0xC2;
        assert_eq!(without_metadata(&progressive), None);

        assert_eq!(without_metadata(b""), None);
        assert_eq!(without_metadata(b"\x89PNG\r\n\x1a\n"), None);
        assert_eq!(without_metadata(&[0xFF, SOI, 0xFF, EOI]), None, "no image");
    }
}
