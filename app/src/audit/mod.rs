//! The audit log: who did what, when. Never holds passwords; details name
//! fields and counts, not the personal data itself. School leaders read
//! their school's entries, officers those of their area.

pub mod page;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
mod record;
#[cfg(feature = "ssr")]
pub use record::{AuditEntry, record, record_all};

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntryView {
    pub id: i32,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub school_id: Option<i32>,
    /// The school's name (officers read several schools).
    pub school: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    /// JSON text with the details of the change.
    pub detail: Option<String>,
}

/// Every audited action with its Chinese name (the filter on the page
/// offers them in this order).
pub const ACTIONS: &[(&str, &str)] = &[
    ("login", "登录"),
    ("report.submit", "报送辍学月报"),
    ("report.replace", "替换辍学月报扫描件"),
    ("roll_call.correct", "更正点名"),
    ("leave.create", "登记请假"),
    ("leave.decide", "审批请假"),
    ("calendar.put", "设置校历"),
    ("ladder_rules.save", "修改缺勤处置规则"),
    ("logout", "退出登录"),
    ("change_password", "修改密码"),
    ("create_account", "新建账号"),
    ("reset_password", "重置密码"),
    ("set_roles", "调整角色"),
    ("import_students", "导入学生名册"),
    ("import_teachers", "批量导入教师"),
    ("change_status", "变更学籍状态"),
    ("move_class", "调整班级"),
    ("class.create", "新建班级"),
    ("class.update", "修改班级"),
    ("class.delete", "删除班级"),
    ("visit.create", "提交家访记录"),
    ("visit.update", "修改家访记录"),
    ("visit.review", "审核家访记录"),
    ("visit_plan.create", "拟家访报备"),
    ("visit_plan.update", "修改拟家访报备"),
    ("visit_plan.acknowledge", "确认拟家访报备"),
    ("quota_rules.save", "修改家访计数规则"),
    ("semester.create", "新建学期"),
    ("semester.update", "修改学期"),
    ("open_case", "建立一生一案"),
    ("update_case", "修改控辍方案"),
    ("close_case", "一生一案结案"),
    ("add_persuasion_record", "填写劝返记录"),
    ("home_teaching.start", "列入送教上门"),
    ("home_teaching.stop", "移出送教上门"),
];

/// Chinese name of an audited action (the code itself if unknown).
pub fn action_label(action: &str) -> &str {
    ACTIONS
        .iter()
        .find(|(code, _)| *code == action)
        .map_or(action, |(_, label)| label)
}

/// Which entries to read: all filters optional, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Only this action (e.g. `change_status`).
    pub action: Option<String>,
    /// From this day on (Beijing time).
    pub from: Option<NaiveDate>,
    /// Up to and including this day (Beijing time).
    pub to: Option<NaiveDate>,
    /// Only entries older than this id (the next page).
    pub before_id: Option<i32>,
}

/// Entries per page of the 审计日志 page.
pub const PAGE_SIZE: u64 = 100;

#[server(endpoint = "audit_entries")]
pub async fn audit_entries(
    before_id: Option<i32>,
    action: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<AuditEntryView>, AppError> {
    let result = async {
        let state = crate::state::AppState::from_context()?;
        let current = crate::auth::current_user::current_user().await?;
        let filter = AuditFilter {
            action,
            from,
            to,
            before_id,
        };
        api::list_entries(&state.db, &current, PAGE_SIZE, &filter).await
    };
    result.await.map_err(AppError::into_server_fn_response)
}
