//! Photos on the phone: decoded, turned upright (EXIF orientation), scaled
//! to at most 1600 px and re-encoded as JPEG by the browser's own image
//! code (`createImageBitmap` decodes and resizes off the main thread,
//! `canvas.toBlob` encodes asynchronously), so a 12 MP photo never freezes
//! the page and no image decoder is shipped in the wasm.

use sha2::{Digest, Sha256};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, HtmlCanvasElement, ImageBitmap, ImageBitmapOptions};

use crate::attachments::{PHOTO_MAX_EDGE, fit_within};
use crate::error::AppError;

/// Target size of one photo; quality steps down until it fits.
pub const PHOTO_TARGET_BYTES: f64 = 350_000.0;

pub struct Prepared {
    pub blob: Blob,
    pub sha256: String,
    pub bytes: u32,
}

fn photo_error(err: impl std::fmt::Debug) -> AppError {
    AppError::Invalid {
        field: Some("photos".into()),
        message: format!("无法读取这张照片，请换一张或重新拍摄（{err:?}）"),
    }
}

async fn decode(blob: &Blob, size: Option<(u32, u32)>) -> Result<ImageBitmap, AppError> {
    let window = web_sys::window().ok_or_else(|| photo_error("no window"))?;
    let options = ImageBitmapOptions::new();
    options.set_image_orientation(web_sys::ImageOrientation::FromImage);
    if let Some((w, h)) = size {
        options.set_resize_width(w);
        options.set_resize_height(h);
        options.set_resize_quality(web_sys::ResizeQuality::High);
    }
    let promise = window
        .create_image_bitmap_with_blob_and_image_bitmap_options(blob, &options)
        .map_err(photo_error)?;
    JsFuture::from(promise)
        .await
        .map_err(photo_error)?
        .dyn_into::<ImageBitmap>()
        .map_err(photo_error)
}

/// `canvas.toBlob` as a future.
pub async fn canvas_blob(
    canvas: &HtmlCanvasElement,
    mime: &str,
    quality: f64,
) -> Result<Blob, AppError> {
    let mut error = None;
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let callback = Closure::once_into_js(move |blob: JsValue| {
            if blob.is_null() {
                let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("toBlob returned null"));
            } else {
                let _ = resolve.call1(&JsValue::NULL, &blob);
            }
        });
        if let Err(e) = canvas.to_blob_with_type_and_encoder_options(
            callback.unchecked_ref(),
            mime,
            &JsValue::from_f64(quality),
        ) {
            error = Some(e);
        }
    });
    if let Some(e) = error {
        return Err(photo_error(e));
    }
    JsFuture::from(promise)
        .await
        .map_err(photo_error)?
        .dyn_into::<Blob>()
        .map_err(photo_error)
}

/// A small canvas as a PNG, encoded at once. `toBlob` encodes PNGs in the
/// page's idle time, and Chromium on a busy page waits up to about 6 s for
/// it; `toDataURL` encodes right away, which for a 600 × 300 signature
/// takes a few milliseconds.
pub fn canvas_png_now(canvas: &HtmlCanvasElement) -> Result<Blob, AppError> {
    let url = canvas
        .to_data_url_with_type("image/png")
        .map_err(photo_error)?;
    let base64 = url
        .split_once(',')
        .map(|(_, data)| data)
        .ok_or_else(|| photo_error("toDataURL"))?;
    let binary = web_sys::window()
        .ok_or_else(|| photo_error("window"))?
        .atob(base64)
        .map_err(photo_error)?;
    // `atob` gives one char per byte (U+0000..U+00FF).
    let bytes: Vec<u8> = binary.chars().map(|c| c as u32 as u8).collect();
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("image/png");
    Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(photo_error)
}

pub fn new_canvas(width: u32, height: u32) -> Result<HtmlCanvasElement, AppError> {
    let canvas = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("canvas").ok())
        .and_then(|e| e.dyn_into::<HtmlCanvasElement>().ok())
        .ok_or_else(|| photo_error("canvas"))?;
    canvas.set_width(width);
    canvas.set_height(height);
    Ok(canvas)
}

pub fn context_2d(
    canvas: &HtmlCanvasElement,
) -> Result<web_sys::CanvasRenderingContext2d, AppError> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(|| photo_error("2d context"))
}

/// The bytes of a Blob and their SHA-256 (lowercase hex).
pub async fn hash_blob(blob: &Blob) -> Result<(String, u32), AppError> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(photo_error)?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    Ok((hex::encode(Sha256::digest(&bytes)), bytes.len() as u32))
}

/// A camera or gallery file, ready to keep and send.
pub async fn prepare_photo(file: &Blob) -> Result<Prepared, AppError> {
    let full = decode(file, None).await?;
    let (width, height) = fit_within(full.width(), full.height(), PHOTO_MAX_EDGE);
    let bitmap = if (width, height) == (full.width(), full.height()) {
        full
    } else {
        // Decoding twice is cheaper than drawing 12 MP on the main thread.
        full.close();
        decode(file, Some((width, height))).await?
    };
    let canvas = new_canvas(width, height)?;
    let context = context_2d(&canvas)?;
    context
        .draw_image_with_image_bitmap(&bitmap, 0.0, 0.0)
        .map_err(photo_error)?;
    bitmap.close();
    let mut quality = 0.82;
    let blob = loop {
        let blob = canvas_blob(&canvas, "image/jpeg", quality).await?;
        if blob.size() <= PHOTO_TARGET_BYTES || quality < 0.5 {
            break blob;
        }
        quality -= 0.12;
    };
    let (sha256, bytes) = hash_blob(&blob).await?;
    Ok(Prepared {
        blob,
        sha256,
        bytes,
    })
}

/// An object URL to show a Blob in an `<img>`; revoke when done.
pub fn object_url(blob: &Blob) -> Option<String> {
    web_sys::Url::create_object_url_with_blob(blob).ok()
}

pub fn revoke(url: &str) {
    // Server addresses (files of an amended record) are not object URLs.
    if url.starts_with("blob:") {
        let _ = web_sys::Url::revoke_object_url(url);
    }
}
