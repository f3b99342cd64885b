//! 学生详情: the record, guardians, status history, and (for the head
//! teacher and school leaders) a dated status change with its reason.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};
use crate::roster::server_fns::{ChangeStudentStatus, load_student};
use crate::roster::{StudentDetail, StudentStatus};

#[component]
pub fn StudentPage() -> impl IntoView {
    view! {
        <Authenticated view=|me| {
            // School leaders of their own school edit the full record.
            let led_school = me
                .roles
                .iter()
                .any(|r| r.role.is_school_leader())
                .then(|| me.school.as_ref().map(|s| s.id))
                .flatten();
            view! { <Detail led_school/> }
        }/>
    }
}

#[component]
fn Detail(led_school: Option<i32>) -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i32>().ok());
    let change = ServerAction::<ChangeStudentStatus>::new();
    let detail = Resource::new(
        move || (id(), change.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_student(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <p><a href="/students">"← 返回学生名册"</a></p>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(Some((student, editable))) => {
                        let manages = led_school == Some(student.summary.school_id);
                        view! { <Record student editable manages change/> }.into_any()
                    }
                    Ok(None) => view! { <p class="error">"未找到该学生"</p> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Record(
    student: StudentDetail,
    editable: bool,
    manages: bool,
    change: ServerAction<ChangeStudentStatus>,
) -> impl IntoView {
    let s = &student.summary;
    let status = s.status;
    view! {
        <section class="card">
            <h1>{s.name.clone()}<small class="gender">{s.gender.label()}</small></h1>
            <p class="place">{s.class_name.clone()}</p>
            <dl class="facts">
                <dt>"状态"</dt>
                <dd data-testid="student-status">{format!("{}（自 {} 起）", status.label(), student.status_since)}</dd>
                <dt>"学籍号"</dt><dd>{student.student_no.clone()}</dd>
                <dt>"出生日期"</dt><dd>{student.birth_date.map(|d| d.to_string()).unwrap_or_else(|| "—".into())}</dd>
                {student.id_card_masked.clone().map(|id| view! { <dt>"身份证号"</dt><dd>{id}</dd> })}
                {student.home_address.clone().map(|a| view! { <dt>"家庭住址"</dt><dd>{a}</dd> })}
                <dt>"关爱类别"</dt>
                <dd>
                    {if s.special_groups.is_empty() { Some("无") } else { None }}
                    {s.special_groups.iter().map(|g| view! { <span class="tag">{g.label()}</span> }).collect_view()}
                </dd>
            </dl>
        </section>
        <section class="card">
            <h2>"监护人"</h2>
            <ul class="plain">
                {student.guardians.iter().map(|g| view! {
                    <li>
                        {format!("{}（{}）", g.name, g.relation)}
                        {g.phone.clone().map(|p| view! { " " <a href=format!("tel:{p}")>{p.clone()}</a> })}
                    </li>
                }).collect_view()}
            </ul>
        </section>
        // Students who have left school at some point have (or need) a case file.
        {(status != StudentStatus::InSchool || student.history.len() > 1).then(|| view! {
            <p><a class="button-link" data-testid="case-link" href=format!("/students/{}/case", student.summary.id)>"一生一案 · 劝返记录"</a></p>
        })}
        // The full record (name, guardian, flags…) is the school leaders' to edit,
        // like the import; the head teacher changes status and 送教上门.
        {manages.then(|| view! {
            <p><a class="button-link" data-testid="edit-student" href=format!("/students/edit?id={}", student.summary.id)>"修改学生信息"</a></p>
        })}
        {editable.then(|| view! { <HomeTeachingToggle id=student.summary.id enabled=student.home_teaching/> })}
        {(!editable && student.home_teaching).then(|| view! { <p class="tag">"送教上门学生"</p> })}
        {editable.then(|| view! { <StatusForm id=student.summary.id from=status change/> })}
        <section class="card">
            <h2>"状态记录"</h2>
            <ol class="history" data-testid="status-history">
                {student.history.iter().rev().map(|h| view! {
                    <li>
                        <strong>{h.effective_date.to_string()}</strong>" "
                        {h.from.map(|f| format!("{} → ", f.label())).unwrap_or_default()}{h.to.label()}
                        {h.note.clone().map(|n| view! { <br/><small>{n}</small> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn StatusForm(
    id: i32,
    from: StudentStatus,
    change: ServerAction<ChangeStudentStatus>,
) -> impl IntoView {
    let targets: Vec<StudentStatus> = StudentStatus::ALL
        .into_iter()
        .filter(|t| from.can_become(*t))
        .collect();
    let to = RwSignal::new(targets.first().copied());
    let date = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let error = move || {
        change
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|error| view! { <ErrorNotice error/> })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(target), Ok(effective_date)) = (to.get(), date.get().parse()) else {
            return;
        };
        change.dispatch(ChangeStudentStatus {
            id,
            to: target,
            effective_date,
            note: note.get(),
        });
    };
    view! {
        <details class="card">
            <summary>"变更学籍状态"</summary>
            <form class="form" on:submit=submit>
                <label>
                    "改为"
                    <select on:change=move |ev| to.set(StudentStatus::from_code(&event_target_value(&ev)))>
                        {targets.iter().map(|t| view! { <option value=t.code()>{t.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"生效日期"<input type="date" required bind:value=date/></label>
                <label>"变更说明"<textarea required maxlength="500" rows="3" placeholder="如：连续缺勤 3 天，已电话联系家长" bind:value=note></textarea></label>
                {error}
                <button type="submit" class="primary" disabled=move || change.pending().get()>"保存变更"</button>
            </form>
        </details>
    }
}

/// 送教上门: put the student on the list (sessions are then due weekly) or
/// take them off.
#[component]
fn HomeTeachingToggle(id: i32, enabled: bool) -> impl IntoView {
    let on = RwSignal::new(enabled);
    let problem = RwSignal::new(None::<String>);
    let toggle = move |ev: leptos::ev::Event| {
        let wanted = event_target_checked(&ev);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let url = format!("/api/v1/students/{id}/home-teaching");
            let body = crate::home_teaching::Enrolment { enabled: wanted };
            match crate::sync::http::put_json::<_, crate::home_teaching::Enrolment>(&url, &body)
                .await
            {
                Ok(saved) => {
                    on.set(saved.enabled);
                    problem.set(None);
                }
                Err(e) => {
                    on.set(!wanted);
                    problem.set(Some(e.to_string()));
                }
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (id, wanted);
    };
    view! {
        <section class="card">
            <label class="choice">
                <input type="checkbox" data-testid="home-teaching-toggle" prop:checked=move || on.get() on:change=toggle/>
                "送教上门（因身体原因不能到校，每周送教不少于 1 次）"
            </label>
            {move || on.get().then(|| view! { <a href="/home-teaching">"查看送教安排"</a> })}
            {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        </section>
    }
}
