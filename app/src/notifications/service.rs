//! Sending and reading notifications.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{NotificationList, NotificationView};
use crate::auth::current_user::CurrentUser;
use crate::db::entities::notification;
use crate::error::AppError;

/// What to tell someone. `dedupe_key` names the event (e.g.
/// `task:17:overdue`): sending the same key to the same person twice keeps
/// the first, so a reminder can be retried or raced by several server
/// instances without doubling.
pub struct Notice<'a> {
    pub kind: &'a str,
    pub title: String,
    pub body: String,
    pub link: String,
    pub dedupe_key: String,
}

/// Tell each of `user_ids`; returns how many were new.
pub async fn notify(
    db: &impl ConnectionTrait,
    user_ids: impl IntoIterator<Item = i32>,
    notice: &Notice<'_>,
) -> Result<u64, AppError> {
    let now = chrono::Utc::now();
    let mut rows: Vec<notification::ActiveModel> = user_ids
        .into_iter()
        .map(|user_id| notification::ActiveModel {
            user_id: Set(user_id),
            kind: Set(notice.kind.to_owned()),
            title: Set(notice.title.clone()),
            body: Set(notice.body.clone()),
            link: Set(notice.link.clone()),
            dedupe_key: Set(notice.dedupe_key.clone()),
            created_at: Set(now),
            read_at: Set(None),
            ..Default::default()
        })
        .collect();
    rows.sort_by_key(|r| *r.user_id.as_ref());
    rows.dedup_by_key(|r| *r.user_id.as_ref());
    if rows.is_empty() {
        return Ok(0);
    }
    let inserted = notification::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([
            notification::Column::UserId,
            notification::Column::DedupeKey,
        ])
        .exec_without_returning(db)
        .await?;
    Ok(match inserted {
        sea_orm::TryInsertResult::Inserted(n) => n,
        _ => 0,
    })
}

pub async fn list(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
) -> Result<NotificationList, AppError> {
    let mine = notification::Column::UserId.eq(current.user.id);
    let unread = notification::Entity::find()
        .filter(mine.clone())
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?;
    let items = notification::Entity::find()
        .filter(mine)
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(100)
        .all(db)
        .await?
        .into_iter()
        .map(|n| NotificationView {
            id: n.id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            link: n.link,
            created_at: n.created_at,
            read: n.read_at.is_some(),
        })
        .collect();
    Ok(NotificationList { unread, items })
}

/// Marks the caller's own notifications read (others' ids are ignored).
pub async fn mark_read(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    ids: &[i32],
) -> Result<NotificationList, AppError> {
    let mut update = notification::Entity::update_many()
        .col_expr(
            notification::Column::ReadAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now()),
        )
        .filter(notification::Column::UserId.eq(current.user.id))
        .filter(notification::Column::ReadAt.is_null());
    if !ids.is_empty() {
        update = update.filter(notification::Column::Id.is_in(ids.to_vec()));
    }
    update.exec(db).await?;
    list(db, current).await
}
