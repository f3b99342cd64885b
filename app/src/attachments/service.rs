//! Storing uploads (idempotent by hash) and deciding who may see them.

use std::collections::BTreeSet;

use axum::body::Bytes;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set};
use sha2::{Digest, Sha256};

use super::AttachmentSaved;
use super::process::{ImageKind, Processed, process};
use super::storage::BlobStore;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{
    attachment, leave_request, student, visit, visit_co_visitor, visit_photo,
};
use crate::db::is_unique_violation;
use crate::error::AppError;
use crate::state::AppState;
use crate::visits::is_sha256_hex;

/// The hash in the path, checked before it is used for anything.
pub fn parse_sha(sha: &str) -> Result<&str, AppError> {
    if is_sha256_hex(sha) {
        Ok(sha)
    } else {
        Err(AppError::BadRequest {
            message: "附件编号须为 64 位小写十六进制的 SHA-256".into(),
        })
    }
}

pub fn image_key(sha: &str, kind: ImageKind) -> String {
    format!("{sha}.{}", kind.extension())
}

pub fn thumb_key(sha: &str) -> String {
    format!("{sha}.thumb.jpg")
}

fn saved(row: &attachment::Model) -> AttachmentSaved {
    AttachmentSaved {
        sha256: row.sha256.clone(),
        content_type: row.content_type.clone(),
        width: u32::try_from(row.width).unwrap_or(0),
        height: u32::try_from(row.height).unwrap_or(0),
        bytes: u64::try_from(row.bytes).unwrap_or(0),
    }
}

/// Decoding, re-encoding and thumbnailing keep a core busy and can take
/// ~200 MB for a large photo. More of them at once than there are cores adds
/// only memory and latency (200 phones handing in at term end), so uploads
/// take turns.
static IMAGE_WORK: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    tokio::sync::Semaphore::new(cores)
});

/// Store an upload. `Ok((true, _))` when it is new (201), `Ok((false, _))`
/// when it was already there (a retry: 200 with the same answer, nothing
/// reprocessed).
pub async fn put(
    state: &AppState,
    current: &CurrentUser,
    sha: &str,
    content_type: Option<&str>,
    body: Bytes,
) -> Result<(bool, AttachmentSaved), AppError> {
    let sha = parse_sha(sha)?;
    // Officers only read; photos come from the staff who visit families.
    if current.access.staff_schools.is_empty() {
        return Err(AppError::Forbidden);
    }
    let content_type = content_type.unwrap_or("");
    if ImageKind::from_content_type(content_type).is_none() {
        return Err(AppError::UnsupportedMediaType {
            message: "只接受 JPEG 或 PNG 图片（Content-Type: image/jpeg 或 image/png）".into(),
        });
    }
    if hex::encode(Sha256::digest(&body)) != sha {
        return Err(AppError::HashMismatch);
    }
    if let Some(row) = attachment::Entity::find_by_id(sha).one(&state.db).await? {
        return Ok((false, saved(&row)));
    }

    let content_type = content_type.to_owned();
    let processed = {
        let _turn = IMAGE_WORK
            .acquire()
            .await
            .map_err(|e| AppError::internal("image processing queue", e))?;
        tokio::task::spawn_blocking(move || process(&body, &content_type))
            .await
            .map_err(|e| AppError::internal("image processing task", e))??
    };
    let row = attachment::Model {
        sha256: sha.to_owned(),
        content_type: processed.kind.content_type().to_owned(),
        width: i32::try_from(processed.width).unwrap_or(i32::MAX),
        height: i32::try_from(processed.height).unwrap_or(i32::MAX),
        bytes: i64::try_from(processed.image.len()).unwrap_or(i64::MAX),
        uploaded_by: current.user.id,
        created_at: chrono::Utc::now(),
    };
    store_files(state.storage.as_ref(), sha, processed).await?;
    let insert = attachment::Entity::insert(attachment::ActiveModel {
        sha256: Set(row.sha256.clone()),
        content_type: Set(row.content_type.clone()),
        width: Set(row.width),
        height: Set(row.height),
        bytes: Set(row.bytes),
        uploaded_by: Set(row.uploaded_by),
        created_at: Set(row.created_at),
    })
    .exec_without_returning(&state.db)
    .await;
    match insert {
        Ok(_) => Ok((true, saved(&row))),
        // The same photo sent twice at once (a retry racing the original):
        // the files are identical, the first row wins.
        Err(err) if is_unique_violation(&err) => {
            let row = attachment::Entity::find_by_id(sha)
                .one(&state.db)
                .await?
                .ok_or_else(|| AppError::internal("attachment insert", err))?;
            Ok((false, saved(&row)))
        }
        Err(err) => Err(err.into()),
    }
}

/// Files first, row last: a row always has its files (a crash in between
/// leaves only files, overwritten by the retry).
async fn store_files(store: &dyn BlobStore, sha: &str, p: Processed) -> Result<(), AppError> {
    store.put(&image_key(sha, p.kind), p.image).await?;
    store.put(&thumb_key(sha), p.thumb).await
}

/// The stored image (or its thumbnail) with its content type, if the caller
/// may see it: the uploader, or anyone who may read a visit showing it or
/// the student whose leave note (假条) it is.
pub async fn get(
    state: &AppState,
    current: &CurrentUser,
    sha: &str,
    thumb: bool,
) -> Result<(&'static str, Vec<u8>), AppError> {
    let sha = parse_sha(sha)?;
    let row = attachment::Entity::find_by_id(sha)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("该附件"))?;
    if row.uploaded_by != current.user.id
        && !visible_through_visits(&state.db, current, sha).await?
        && !visible_through_leave(&state.db, current, sha).await?
    {
        return Err(AppError::Forbidden);
    }
    let kind = ImageKind::from_content_type(&row.content_type)
        .ok_or_else(|| AppError::internal("attachment", "unknown stored content type"))?;
    let (key, content_type) = if thumb {
        (thumb_key(sha), ImageKind::Jpeg.content_type())
    } else {
        (image_key(sha, kind), kind.content_type())
    };
    let bytes = state
        .storage
        .get(&key)
        .await?
        .ok_or_else(|| AppError::internal("attachment", format!("file {key} missing")))?;
    Ok((content_type, bytes))
}

/// Whether `sha` is the leave note of a student the caller may read.
async fn visible_through_leave(
    db: &DatabaseConnection,
    current: &CurrentUser,
    sha: &str,
) -> Result<bool, AppError> {
    let student_ids: Vec<i32> = leave_request::Entity::find()
        .select_only()
        .column(leave_request::Column::StudentId)
        .filter(leave_request::Column::NotePhoto.eq(sha))
        .into_tuple()
        .all(db)
        .await?;
    if student_ids.is_empty() {
        return Ok(false);
    }
    let students = student::Entity::find()
        .filter(student::Column::Id.is_in(student_ids))
        .all(db)
        .await?;
    Ok(students.iter().any(|s| current.access.can_read_student(s)))
}

/// Whether a visit that shows `sha` (as a photo or the signature) is one
/// the caller took part in or whose student they may read.
async fn visible_through_visits(
    db: &DatabaseConnection,
    current: &CurrentUser,
    sha: &str,
) -> Result<bool, AppError> {
    let mut ids: BTreeSet<uuid::Uuid> = visit_photo::Entity::find()
        .select_only()
        .column(visit_photo::Column::VisitId)
        .filter(visit_photo::Column::Sha256.eq(sha))
        .into_tuple::<uuid::Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    ids.extend(
        visit::Entity::find()
            .select_only()
            .column(visit::Column::Id)
            .filter(visit::Column::Signature.eq(sha))
            .into_tuple::<uuid::Uuid>()
            .all(db)
            .await?,
    );
    if ids.is_empty() {
        return Ok(false);
    }
    let visits = visit::Entity::find()
        .filter(visit::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    if visits.iter().any(|v| v.visitor_id == current.user.id) {
        return Ok(true);
    }
    let co_visiting = visit_co_visitor::Entity::find()
        .filter(visit_co_visitor::Column::VisitId.is_in(ids.iter().copied()))
        .filter(visit_co_visitor::Column::UserId.eq(current.user.id))
        .one(db)
        .await?
        .is_some();
    if co_visiting {
        return Ok(true);
    }
    let students = student::Entity::find()
        .filter(student::Column::Id.is_in(visits.iter().map(|v| v.student_id)))
        .all(db)
        .await?;
    Ok(students.iter().any(|s| current.access.can_read_student(s)))
}
