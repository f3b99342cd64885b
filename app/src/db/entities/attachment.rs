use sea_orm::entity::prelude::*;

/// An uploaded photo or signature, stored re-encoded under `{sha256}.jpg|png`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachments")]
pub struct Model {
    /// SHA-256 (lowercase hex) of the bytes the phone sent.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256: String,
    /// Of the stored file: `image/jpeg` or `image/png`.
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    /// Size of the stored file.
    pub bytes: i64,
    pub uploaded_by: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
