//! 我的家访: records on the phone (drafts and the outbox, each with its
//! state) and the visits the server holds, with the sync controls.

use leptos::prelude::*;

use crate::auth::Me;
use crate::auth::pages::Authenticated;
use crate::reviews::ReviewStatus;
use crate::sync::sync_status;
use crate::visits::local::{LocalState, LocalVisit};
use crate::visits::model::VisitView;

#[component]
pub fn VisitsPage() -> impl IntoView {
    view! { <Authenticated view=|me| for_staff(me, |_| view! { <VisitList/> })/> }
}

/// A visit page for school staff; for a town or county officer, who does
/// not record visits, a notice instead of a form they could never send.
pub fn for_staff<IV: IntoView + 'static>(me: Me, page: impl FnOnce(Me) -> IV) -> AnyView {
    if me.records_visits() {
        page(me).into_any()
    } else {
        view! { <OfficerNotice/> }.into_any()
    }
}

/// What the visit pages show an officer: the way to the schools' figures.
#[component]
fn OfficerNotice() -> impl IntoView {
    view! {
        <h1>"家访记录"</h1>
        <section class="card" data-testid="officer-notice">
            <p>"家访记录由学校教职工填写和报备，教育部门不需要填写。"</p>
            <p class="admin-links">
                <a href="/dashboard/area">"各校家访完成情况"</a>
                <a href="/reports">"辍学学生情况月报"</a>
            </p>
        </section>
    }
}

/// One line of the list, from the phone or from the server.
#[derive(Clone, PartialEq)]
struct Row {
    id: String,
    student: String,
    when: String,
    detail: String,
    state: LocalState,
    error: Option<String>,
    flagged: bool,
    /// The school's review, when it is news for the teacher.
    review: Option<(ReviewStatus, Option<String>)>,
}

// Built in the browser only (the server renders the loading state).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Row {
    fn local(v: &LocalVisit) -> Row {
        Row {
            id: v.id.to_string(),
            student: if v.form.student_name.is_empty() {
                "（未选学生）".into()
            } else {
                format!("{} {}", v.form.student_name, v.form.class_name)
            },
            when: v.form.visited_at.replace('T', " "),
            detail: format!(
                "照片 {} 张{}",
                v.photos.len(),
                if v.signature.is_some() {
                    " · 已签名"
                } else {
                    ""
                }
            ),
            state: v.state,
            error: v.error.clone(),
            flagged: v.form.no_signature,
            review: None,
        }
    }

    fn server(v: &VisitView) -> Row {
        Row {
            id: v.id.to_string(),
            student: format!("{} {}", v.student_name, v.class_name),
            when: v.visited_at.format("%Y-%m-%d %H:%M").to_string(),
            detail: format!("{} · {}", v.mode.label(), v.reason.label()),
            state: LocalState::Synced,
            error: None,
            flagged: v.flagged,
            review: (v.review_status != ReviewStatus::Pending)
                .then(|| (v.review_status, v.review_note.clone())),
        }
    }

    fn href(&self) -> String {
        match self.state {
            LocalState::Synced => format!("/visits/view?id={}", self.id),
            _ => format!("/visits/new?draft={}", self.id),
        }
    }
}

#[component]
fn VisitList() -> impl IntoView {
    let status = sync_status();
    let rows = RwSignal::new(None::<Vec<Row>>);

    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        status.changed.track();
        if status.user_id.get().is_none() {
            return;
        }
        leptos::task::spawn_local(async move {
            let local = crate::visits::device::local_visits(status)
                .await
                .unwrap_or_default();
            let server = crate::visits::device::server_visits(status).await;
            rows.set(Some(merge(&local, &server)));
        });
    });

    let sync_now = move |_| {
        #[cfg(feature = "hydrate")]
        crate::sync::engine::request(status, true);
    };

    view! {
        <div class="title-row">
            <h1>"我的家访"</h1>
            <a href="/visits/new" class="button-link" data-testid="new-visit">"新建家访记录"</a>
        </div>
        <section class="card sync-bar" data-testid="sync-bar">
            <p>
                {move || match status.pending.get() {
                    0 => "所有记录都已同步".to_owned(),
                    n => format!("{n} 条记录等待同步"),
                }}
                {move || status.progress.get().map(|p| view! { <span class="muted">" · " {p}</span> })}
            </p>
            {move || status.last_error.get().map(|e| view! { <p class="error" data-testid="sync-error">{e}</p> })}
            <button type="button" class="secondary" data-testid="sync-now" on:click=sync_now
                disabled=move || status.running.get()>
                {move || if status.running.get() { "正在同步…" } else { "立即同步" }}
            </button>
            <a href="/visits/plans" class="plans-link">"拟家访报备"</a>
        </section>
        <DeviceStorage/>
        {move || match rows.get() {
            None => view! { <p class="loading">"正在读取手机上的记录…"</p> }.into_any(),
            Some(list) if list.is_empty() => view! {
                <p class="hint">"还没有家访记录。点击“新建家访记录”开始，没有网络也可以填写。"</p>
            }.into_any(),
            Some(list) => view! {
                <ul class="visit-list">
                    {list.into_iter().map(|row| view! {
                        <li class="visit-row" data-testid="visit-row" data-state=row.state.code()>
                            <a href=row.href()>
                                <span class="who">{row.student.clone()}</span>
                                <span class=format!("state state-{}", row.state.code()) data-testid="visit-state">
                                    {row.state.label()}
                                </span>
                                <span class="muted">{row.when.clone()} " · " {row.detail.clone()}</span>
                                {row.flagged.then(|| view! { <span class="tag alert">"家长未签名"</span> })}
                                {row.error.clone().map(|e| view! { <span class="error">{e}</span> })}
                                {row.review.clone().map(|(status, note)| view! {
                                    <span class=format!("tag review-{}", status.code()) data-testid="visit-review">
                                        {status.label()}
                                        {note.map(|n| format!("：{n}"))}
                                    </span>
                                })}
                            </a>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any(),
        }}
    }
}

/// How much of the phone the app uses, and whether the browser promised
/// not to evict it (`navigator.storage.persist()`, asked for at start).
#[component]
fn DeviceStorage() -> impl IntoView {
    let text = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            text.set(storage_summary().await);
        });
    });
    view! {
        {move || text.get().map(|t| view! { <p class="hint" data-testid="device-storage">{t}</p> })}
    }
}

#[cfg(feature = "hydrate")]
async fn storage_summary() -> Option<String> {
    use wasm_bindgen_futures::JsFuture;
    let storage = web_sys::window()?.navigator().storage();
    let estimate: web_sys::StorageEstimate =
        JsFuture::from(storage.estimate().ok()?).await.ok()?.into();
    let persisted = JsFuture::from(storage.persisted().ok()?)
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let mb = |n: Option<f64>| {
        n.map(|n| format!("{:.1} MB", n / 1_048_576.0))
            .unwrap_or_else(|| "未知".into())
    };
    Some(format!(
        "手机存储：本应用已用 {}，可用上限 {}；{}",
        mb(estimate.get_usage()),
        mb(estimate.get_quota()),
        if persisted {
            "已开启持久保存（浏览器不会自动清除）"
        } else {
            "未开启持久保存：请勿清除浏览器数据"
        }
    ))
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
/// Phone records first (newest first), then server records; a record on
/// both shows once: with the phone's state while it has unsent changes,
/// else as the server has it (with the school's review).
fn merge(local: &[LocalVisit], server: &[VisitView]) -> Vec<Row> {
    let mut rows: Vec<Row> = local
        .iter()
        .filter(|l| l.state != LocalState::Synced || !server.iter().any(|s| s.id == l.id))
        .map(Row::local)
        .collect();
    rows.extend(
        server
            .iter()
            .filter(|s| {
                !local
                    .iter()
                    .any(|l| l.id == s.id && l.state != LocalState::Synced)
            })
            .map(Row::server),
    );
    rows.sort_by_key(|r| {
        (
            r.state == LocalState::Synced,
            std::cmp::Reverse(r.when.clone()),
        )
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visits::model::{PersonRef, VisitMode, VisitReason};

    fn server(id: uuid::Uuid, when: &str) -> VisitView {
        let at = chrono::DateTime::parse_from_rfc3339(when).unwrap();
        VisitView {
            id,
            revision: 1,
            student_id: 1,
            student_name: "张小明".into(),
            class_name: "三年级(1)班".into(),
            visitor: PersonRef {
                id: 1,
                name: "李红梅".into(),
            },
            co_visitors: vec![],
            visited_at: at,
            mode: VisitMode::Home,
            reason: VisitReason::Routine,
            met_person: String::new(),
            met_relation: String::new(),
            family_situation: String::new(),
            home_behaviour: String::new(),
            school_performance: String::new(),
            summary: "x".into(),
            parent_opinion: String::new(),
            follow_up: String::new(),
            photos: vec![],
            signature: None,
            no_signature_reason: None,
            flagged: false,
            plan_id: None,
            duration_minutes: None,
            semester_id: None,
            created_at: at.to_utc(),
            updated_at: at.to_utc(),
            review_status: Default::default(),
            review_note: None,
            reviewed_at: None,
        }
    }

    #[test]
    fn a_record_on_phone_and_server_shows_once_unsent_first() {
        let shared = uuid::Uuid::new_v4();
        let mut local = LocalVisit::new(shared, 480, 0.0);
        local.state = LocalState::Pending;
        local.form.visited_at = "2026-11-01T09:00".into();
        let rows = merge(
            &[local],
            &[
                server(shared, "2026-11-01T09:00:00+08:00"),
                server(uuid::Uuid::new_v4(), "2026-11-20T09:00:00+08:00"),
            ],
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].state, LocalState::Pending);
        assert_eq!(rows[0].href(), format!("/visits/new?draft={shared}"));
        assert!(rows[1].href().starts_with("/visits/view?id="));
    }

    #[test]
    fn a_synced_record_shows_the_servers_review() {
        let shared = uuid::Uuid::new_v4();
        let mut local = LocalVisit::new(shared, 480, 0.0);
        local.state = LocalState::Synced;
        let mut returned = server(shared, "2026-11-01T09:00:00+08:00");
        returned.review_status = ReviewStatus::Returned;
        returned.review_note = Some("缺少家访照片".into());
        let rows = merge(&[local], &[returned]);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].review,
            Some((ReviewStatus::Returned, Some("缺少家访照片".into())))
        );
        assert!(rows[0].href().starts_with("/visits/view?id="));
    }
}
