//! Photos and signatures attached to visits, addressed by the SHA-256 of the
//! bytes the phone sent (so a retried upload is the same attachment).
//!
//! Server side (`ssr`): `process` checks and re-encodes images, `storage`
//! keeps the files (a local directory by default, behind a trait), `api`
//! serves `PUT/GET /api/v1/attachments/{sha256}`.

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
