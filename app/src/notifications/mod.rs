//! In-app notifications (a list and a badge): ladder tasks, overdue steps,
//! reports due. No external messaging service: the phone shows them when
//! it is next online.

pub mod page;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationView {
    pub id: i32,
    /// e.g. `ladder_task`, `task_overdue`, `report_due`, `suspected_dropout`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Where to go in the app, e.g. `/absences`.
    pub link: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationList {
    pub unread: u64,
    /// Newest first, at most 100.
    pub items: Vec<NotificationView>,
}

/// `POST /api/v1/notifications/read`: the given ones, or all when empty.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MarkRead {
    #[serde(default)]
    pub ids: Vec<i32>,
}
