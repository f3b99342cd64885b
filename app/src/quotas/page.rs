//! 我的任务 (`/tasks`): the teacher's quota this semester, on the phone and
//! offline too: the last figures from the server plus the visits still
//! waiting on the phone (待同步). Leaders and officers also find their
//! dashboards here.

use chrono::{DateTime, FixedOffset, NaiveDate};
use leptos::prelude::*;

use crate::auth::Me;
use crate::auth::pages::Authenticated;
use crate::quotas::{PaceStatus, QuotaView};
use crate::visits::VisitMode;
use crate::visits::local::{LocalState, LocalVisit, parse_local_datetime};
use crate::visits::model::china_time;

/// Where the phone keeps the last quota it fetched.
pub const QUOTA_KEY: &str = "quota";
pub const QUOTA_URL: &str = "/api/v1/quota";

#[component]
pub fn TasksPage() -> impl IntoView {
    view! { <Authenticated view=tasks/> }
}

fn tasks(me: Me) -> impl IntoView {
    let staff = me.roles.iter().any(|r| !r.role.is_officer());
    let leader = me.roles.iter().any(|r| r.role.is_school_leader());
    let officer = me.roles.iter().any(|r| r.role.is_officer());
    let reviewer = !leader && me.has_role(crate::auth::Role::Reviewer);
    let head = me
        .roles
        .iter()
        .any(|r| r.role == crate::auth::Role::HeadTeacher);
    view! {
        <h1>"本学期家访任务"</h1>
        {staff.then(|| view! { <MyQuota/> })}
        {(head || leader || staff).then(|| view! {
            <section class="card admin-links" data-testid="absence-links">
                <h2>"控辍保学"</h2>
                {(head || leader).then(|| view! { <a href="/attendance">"今日点名"</a> })}
                <a href="/absences">"缺勤跟进任务"</a>
                <a href="/home-teaching">"送教上门"</a>
                <a href="/ledgers">"三本台账"</a>
            </section>
        })}
        {leader.then(|| view! {
            <section class="card admin-links" data-testid="leader-links">
                <h2>"学校"</h2>
                <a href="/dashboard">"全校家访进度"</a>
                <a href="/reviews">"家访记录抽查"</a>
                <a href="/quota-rules">"家访计数规则"</a>
            </section>
        })}
        {reviewer.then(|| view! {
            <section class="card admin-links" data-testid="reviewer-links">
                <h2>"家访审核员"</h2>
                <a href="/reviews">"家访记录抽查"</a>
            </section>
        })}
        {officer.then(|| view! {
            <section class="card admin-links" data-testid="officer-links">
                <h2>"辖区"</h2>
                <a href="/dashboard/area">"各校家访完成情况"</a>
                <a href="/semesters">"学期设置"</a>
            </section>
        })}
    }
}

/// Visits on the phone, not yet confirmed by the server, that will count
/// under the rules the server last sent (same semester dates, counted mode).
pub fn pending_counted(quota: &QuotaView, visits: &[LocalVisit]) -> u32 {
    visits
        .iter()
        .filter(|v| matches!(v.state, LocalState::Pending | LocalState::Syncing))
        .filter(|v| {
            VisitMode::from_code(&v.form.mode).is_some_and(|m| quota.counted_modes.contains(&m))
        })
        .filter_map(|v| parse_local_datetime(&v.form.visited_at, v.offset_minutes))
        .map(|at: DateTime<FixedOffset>| china_time(at.to_utc()).date_naive())
        .filter(|d| *d >= quota.semester.start && *d <= quota.semester.end)
        .count() as u32
}

/// What the page shows: server figures plus the phone's pending visits.
#[derive(Clone, Debug, PartialEq)]
struct Figures {
    quota: QuotaView,
    pending: u32,
    /// Fetched just now (else: the copy from the last time online).
    fresh: bool,
}

#[component]
fn MyQuota() -> impl IntoView {
    let figures = RwSignal::new(None::<Result<Figures, String>>);

    #[cfg(feature = "hydrate")]
    {
        let status = crate::sync::sync_status();
        Effect::new(move |_| {
            if !status.settled_change() || status.user_id.get().is_none() {
                return;
            }
            leptos::task::spawn_local(async move {
                figures.set(Some(load(status).await));
            });
        });
    }

    view! {
        {move || match figures.get() {
            None => view! { <crate::layout::Loading/> }.into_any(),
            Some(Err(message)) => view! {
                <section class="card"><p class="error" role="alert">{message}</p></section>
            }.into_any(),
            Some(Ok(f)) => view! { <QuotaCard figures=f/> }.into_any(),
        }}
    }
}

#[cfg(feature = "hydrate")]
async fn load(status: crate::sync::SyncStatus) -> Result<Figures, String> {
    use crate::sync::engine::refresh_cached;
    use crate::sync::store::CACHE;
    let store = crate::visits::device::store(status)
        .await
        .map_err(|e| e.to_string())?;
    let (quota, fresh) = match refresh_cached::<QuotaView>(&store, QUOTA_KEY, QUOTA_URL).await {
        Ok(q) => (q, true),
        Err(err) => match store
            .get::<QuotaView>(CACHE, QUOTA_KEY)
            .await
            .ok()
            .flatten()
        {
            Some(q) => (q, false),
            None if err.is_transient() => {
                return Err("离线状态下还没有任务数据：请联网打开一次本页".into());
            }
            None => return Err(err.to_string()),
        },
    };
    let visits = crate::visits::device::local_visits(status)
        .await
        .map_err(|e| e.to_string())?;
    let pending = pending_counted(&quota, &visits);
    Ok(Figures {
        quota,
        pending,
        fresh,
    })
}

fn date(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

#[component]
fn QuotaCard(figures: Figures) -> impl IntoView {
    let Figures {
        quota: q,
        pending,
        fresh,
    } = figures;
    let total = q.required.max(1) as f64;
    let done_pct = (f64::from(q.counted.min(q.required)) / total * 100.0).min(100.0);
    let pending_pct = (f64::from(pending.min(q.remaining)) / total * 100.0).min(100.0 - done_pct);
    let after_sync = q.remaining.saturating_sub(pending);
    let status_class = format!("pace pace-{}", q.status.code());
    let as_of = china_time(q.as_of).format("%-m月%-d日 %H:%M").to_string();
    view! {
        <section class="card quota" data-testid="quota">
            <p class="muted">
                {q.semester.name.clone()} "（" {date(q.semester.start)} "—" {date(q.semester.end)} "）"
            </p>
            <div class="quota-figures">
                <div><strong data-testid="quota-required">{q.required}</strong><span>"应完成"</span></div>
                <div><strong data-testid="quota-counted">{q.counted}</strong><span>"已完成"</span></div>
                <div class="pending-figure"><strong data-testid="quota-pending">{pending}</strong><span>"待同步"</span></div>
                <div><strong data-testid="quota-remaining">{q.remaining}</strong><span>"剩余"</span></div>
            </div>
            <div class="progress" role="img"
                aria-label=format!("已完成 {} / {} 人次，另有 {} 人次待同步", q.counted, q.required, pending)>
                <span class="done" style=format!("width:{done_pct:.1}%")></span>
                <span class="waiting" style=format!("width:{pending_pct:.1}%")></span>
            </div>
            <p class=status_class data-testid="quota-status">{q.status.label()}</p>
            {(q.status != PaceStatus::Done).then(|| view! {
                <p data-testid="quota-pace">
                    "距学期结束还有 " {q.weeks_left} " 周，每周需完成 "
                    <strong>{q.pace_per_week}</strong> " 人次"
                    {(pending > 0).then(|| format!("（同步后剩余 {after_sync} 人次）"))}
                </p>
            })}
            {(q.returned > 0).then(|| view! {
                <p class="error" data-testid="quota-returned">
                    {format!("有 {} 条家访记录被学校退回，修改后才计入任务。", q.returned)}
                    <a href="/visits">"查看"</a>
                </p>
            })}
            <h2>"任务构成"</h2>
            <ul class="by-role">
                {q.by_role.iter().map(|r| view! {
                    <li><span class="role">{r.label.clone()}</span>
                        <span>{r.detail.clone()}</span>
                        <strong>{r.required} " 人次"</strong></li>
                }).collect_view()}
            </ul>
            {(q.by_role.len() > 1).then(|| view! { <p class="muted">{q.combine.label()}</p> })}
            <p class="muted" data-testid="quota-as-of">
                {if fresh { format!("数据更新于 {as_of}") } else { format!("离线显示：{as_of} 的数据") }}
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quotas::{Combine, SemesterRef};
    use crate::visits::local::VisitForm;

    fn quota(modes: Vec<VisitMode>) -> QuotaView {
        QuotaView {
            semester: SemesterRef {
                id: 1,
                name: "2026年秋季学期".into(),
                start: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
                end: NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
            },
            required: 15,
            counted: 3,
            remaining: 12,
            by_role: vec![],
            combine: Combine::Max,
            pace_per_week: 1.0,
            weeks_left: 10.0,
            expected_by_now: 5.0,
            status: PaceStatus::Amber,
            returned: 0,
            counted_modes: modes,
            joint_visit_counts_for_all: true,
            as_of: chrono::Utc::now(),
        }
    }

    fn local(state: LocalState, at: &str, mode: &str, offset: i32) -> LocalVisit {
        let mut v = LocalVisit::new(uuid::Uuid::new_v4(), offset, 0.0);
        v.state = state;
        v.form = VisitForm {
            visited_at: at.into(),
            mode: mode.into(),
            ..v.form
        };
        v
    }

    #[test]
    fn only_queued_visits_in_the_semester_and_a_counted_mode_are_pending() {
        let visits = [
            local(LocalState::Pending, "2026-11-23T15:00", "home", 480),
            local(LocalState::Syncing, "2026-11-23T16:00", "phone", 480),
            local(LocalState::Draft, "2026-11-23T16:00", "home", 480),
            local(LocalState::Synced, "2026-11-23T16:00", "home", 480),
            local(LocalState::Failed, "2026-11-23T16:00", "home", 480),
            local(LocalState::Pending, "2026-08-31T10:00", "home", 480),
            // 23:30 on the last day in China is still in the semester.
            local(LocalState::Pending, "2027-01-31T23:30", "school", 480),
        ];
        assert_eq!(pending_counted(&quota(VisitMode::ALL.to_vec()), &visits), 3);
        assert_eq!(pending_counted(&quota(vec![VisitMode::Home]), &visits), 1);
        // A phone set to UTC: 16:00Z on Jan 31 is Feb 1 in China.
        let late = [local(LocalState::Pending, "2027-01-31T16:00", "home", 0)];
        assert_eq!(pending_counted(&quota(VisitMode::ALL.to_vec()), &late), 0);
    }
}
