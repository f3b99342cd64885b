//! 缺勤跟进 (`/absences`): the ladder's tasks for the signed-in person,
//! offline too (the last list fetched), with a way straight into the visit
//! form for a visit task. Leaders also see the whole school's open tasks.

use leptos::prelude::*;

use super::{TaskKind, TaskList, TaskView};
use crate::auth::Me;
use crate::auth::pages::Authenticated;
use crate::layout::Loading;

/// Where the phone keeps the last task list.
pub const TASKS_KEY: &str = "absence_tasks";
pub const TASKS_URL: &str = "/api/v1/absence-tasks";

#[component]
pub fn AbsenceTasksPage() -> impl IntoView {
    view! { <Authenticated view=absence_tasks/> }
}

fn absence_tasks(_me: Me) -> impl IntoView {
    // (list, fetched just now)
    let tasks = RwSignal::new(None::<Result<(TaskList, bool), String>>);

    #[cfg(feature = "hydrate")]
    {
        let status = crate::sync::sync_status();
        Effect::new(move |_| {
            if !status.settled_change() || status.user_id.get().is_none() {
                return;
            }
            leptos::task::spawn_local(async move {
                tasks.set(Some(load(status).await));
            });
        });
    }

    view! {
        <h1>"缺勤跟进"</h1>
        <p class="muted">
            "无故缺勤第 1 天联系家长并当日家访；第 2 天班主任与任课教师共同家访；第 3 天列为疑似辍学、学校制定控辍方案；第 5 天填写劝返情况记录表并上报乡镇和县教育局。"
            <a href="/attendance">"去点名"</a>
        </p>
        {move || match tasks.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
            Some(Ok((list, fresh))) => view! {
                {(!fresh).then(|| view! { <p class="hint">"离线显示：上次联网时的任务"</p> })}
                <section class="card">
                    <h2>"我的待办"</h2>
                    <TaskCards tasks=list.mine.clone() testid="my-tasks" empty="暂无待办任务"/>
                </section>
                {(!list.school.is_empty()).then(|| view! {
                    <section class="card">
                        <h2>"全校待办"</h2>
                        <TaskCards tasks=list.school.clone() testid="school-tasks" empty=""/>
                    </section>
                })}
                {(!list.recently_closed.is_empty()).then(|| view! {
                    <section class="card">
                        <h2>"近期已完成或撤销"</h2>
                        <TaskCards tasks=list.recently_closed.clone() testid="closed-tasks" empty=""/>
                    </section>
                })}
            }.into_any(),
        }}
    }
}

#[cfg(feature = "hydrate")]
async fn load(status: crate::sync::SyncStatus) -> Result<(TaskList, bool), String> {
    use crate::sync::engine::refresh_cached;
    use crate::sync::store::CACHE;
    let store = crate::visits::device::store(status)
        .await
        .map_err(|e| e.to_string())?;
    match refresh_cached::<TaskList>(&store, TASKS_KEY, TASKS_URL).await {
        Ok(list) => Ok((list, true)),
        Err(err) => match store.get::<TaskList>(CACHE, TASKS_KEY).await.ok().flatten() {
            Some(list) => Ok((list, false)),
            None if err.is_transient() => {
                Err("离线状态下还没有任务数据：请联网打开一次本页".into())
            }
            None => Err(err.to_string()),
        },
    }
}

#[component]
fn TaskCards(tasks: Vec<TaskView>, testid: &'static str, empty: &'static str) -> impl IntoView {
    if tasks.is_empty() {
        return view! { <p class="muted">{empty}</p> }.into_any();
    }
    view! {
        <ul class="task-list" data-testid=testid>
            {tasks.into_iter().map(|t| {
                let visit = (t.kind.is_visit() && t.status == super::TaskStatus::Open).then(|| {
                    format!("/visits/new?student={}&reason=absence", t.student_id)
                });
                let record = (t.kind == TaskKind::PersuasionRecord || t.kind == TaskKind::ControlPlan)
                    .then(|| format!("/students/{}/case", t.student_id));
                view! {
                    <li class:overdue=t.overdue data-testid="absence-task">
                        <div class="task-head">
                            <strong>{t.student_name.clone()}</strong>
                            <span class="muted">{t.class_name.clone()}</span>
                            <span class="badge">{format!("缺勤第 {} 天", t.ladder_day)}</span>
                        </div>
                        <div class="task-what">{t.kind.label()}</div>
                        <div class="task-when">
                            {format!("{}：{}", if t.overdue { "已逾期，应于" } else { "截止" }, t.due_date.format("%-m月%-d日"))}
                            {format!(" · 负责人 {}", t.assignee)}
                            {(!t.closed_note.is_empty()).then(|| format!(" · {}（{}）", t.closed_note, t.status.label()))}
                        </div>
                        {visit.map(|href| view! { <a class="button-link" href=href>"记录家访"</a> })}
                        {record.filter(|_| t.status == super::TaskStatus::Open).map(|href| view! {
                            <a class="button-link" href=href>{if t.kind == TaskKind::ControlPlan { "制定一生一案" } else { "填写劝返记录" }}</a>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
