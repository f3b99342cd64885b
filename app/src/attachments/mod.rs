//! Photos and signatures attached to visits, addressed by the SHA-256 of the
//! bytes the phone sent (so a retried upload is the same attachment).
//!
//! Server side (`ssr`): `process` checks and re-encodes images (or keeps
//! the phone's JPEG minus its metadata, `jpeg_metadata`), `storage`
//! keeps the files (a local directory by default, behind a trait), `api`
//! serves `PUT/GET /api/v1/attachments/{sha256}`.

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod jpeg_metadata;
#[cfg(feature = "ssr")]
pub mod process;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod storage;

use serde::{Deserialize, Serialize};

/// Largest upload accepted (bytes).
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
/// Larger images are refused from their header, before any decoding.
pub const MAX_ATTACHMENT_PIXELS: u64 = 40_000_000;
/// Photos are stored with at most this long edge (the phone already sends
/// them this size; the server enforces it).
pub const PHOTO_MAX_EDGE: u32 = 1600;
/// Long edge of the thumbnails shown in lists.
pub const THUMB_EDGE: u32 = 320;

/// The answer to `PUT /api/v1/attachments/{sha256}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AttachmentSaved {
    pub sha256: String,
    /// `image/jpeg` or `image/png` (of the stored, re-encoded file).
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    /// Size of the stored file in bytes.
    pub bytes: u64,
}

/// Scales (width, height) so the long edge is at most `max_edge`, keeping
/// the aspect ratio (the phone and the server resize the same way).
pub fn fit_within(width: u32, height: u32, max_edge: u32) -> (u32, u32) {
    let long = width.max(height).max(1);
    if long <= max_edge {
        return (width.max(1), height.max(1));
    }
    let scale = f64::from(max_edge) / f64::from(long);
    (
        ((f64::from(width) * scale).round() as u32).clamp(1, max_edge),
        ((f64::from(height) * scale).round() as u32).clamp(1, max_edge),
    )
}

#[cfg(test)]
mod fit_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_12_mp_photo_becomes_1600_px() {
        assert_eq!(fit_within(4000, 3000, 1600), (1600, 1200));
        assert_eq!(fit_within(3000, 4000, 1600), (1200, 1600));
        assert_eq!(fit_within(800, 600, 1600), (800, 600));
    }

    proptest! {
        #[test]
        fn never_larger_and_keeps_shape(w in 1u32..60_000, h in 1u32..60_000, edge in 16u32..4000) {
            let (fw, fh) = fit_within(w, h, edge);
            prop_assert!(fw.max(fh) <= edge.max(w.max(h).min(edge)));
            prop_assert!(fw >= 1 && fh >= 1);
            if w.max(h) > edge {
                prop_assert_eq!(fw.max(fh), edge);
            }
        }
    }
}
