//! 点名 (`/attendance`): the head teacher takes the roll of the class on
//! the phone, offline too. Everyone is present until tapped absent; the
//! roll is kept on the phone and sent by the sync engine. Below it: leave
//! (请假) of the class, recorded and approved online.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use leptos::prelude::*;

use super::{LeaveKind, LeaveView, LocalRollCall};
use crate::auth::pages::Authenticated;
use crate::auth::{Me, Role};
use crate::layout::{ErrorNotice, Loading};
use crate::remote::remote_json;
use crate::roster::StudentSummary;
use crate::visits::local::LocalState;

#[component]
pub fn AttendancePage() -> impl IntoView {
    view! { <Authenticated view=attendance/> }
}

/// Today in China, on the phone.
fn today() -> NaiveDate {
    crate::visits::model::china_time(chrono::Utc::now()).date_naive()
}

fn attendance(me: Me) -> impl IntoView {
    // Classes the person takes the roll of: head teacher's own; a school
    // leader may take any class of the roster.
    let own: Vec<i32> = me
        .roles
        .iter()
        .filter(|r| r.role == Role::HeadTeacher)
        .filter_map(|r| r.class_id)
        .collect();
    let leader = me.roles.iter().any(|r| r.role.is_school_leader());
    let roster = RwSignal::new(None::<Result<Vec<StudentSummary>, String>>);
    let class_id = RwSignal::new(own.first().copied());
    let day = RwSignal::new(today());

    #[cfg(feature = "hydrate")]
    {
        let status = crate::sync::sync_status();
        Effect::new(move |done: Option<bool>| {
            if done == Some(true) || status.user_id.get().is_none() {
                return done.unwrap_or(false);
            }
            leptos::task::spawn_local(async move {
                let list = crate::visits::device::roster(status)
                    .await
                    .map_err(|e| e.to_string());
                if class_id.get_untracked().is_none()
                    && let Ok(list) = &list
                {
                    class_id.set(list.first().map(|s| s.class_id));
                }
                roster.set(Some(list));
            });
            true
        });
    }

    let classes = move || -> Vec<(i32, String)> {
        let Some(Ok(list)) = roster.get() else {
            return Vec::new();
        };
        let mut seen = BTreeSet::new();
        list.iter()
            .filter(|s| leader || own.contains(&s.class_id))
            .filter(|s| seen.insert(s.class_id))
            .map(|s| (s.class_id, s.class_name.clone()))
            .collect()
    };

    view! {
        <h1>"点名"</h1>
        <p class="muted">"默认全部到校，只需点选缺勤的学生。无网络时点名保存在手机上，联网后自动提交。已批准请假的学生不算缺勤。"</p>
        {move || match roster.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
            Some(Ok(list)) => {
                let choices = classes();
                if choices.is_empty() {
                    return view! { <p class="muted">"您不是任何班级的班主任，无需点名。"</p> }.into_any();
                }
                view! {
                    <section class="card roll-head">
                        <label>"班级"
                            <select data-testid="roll-class" on:change=move |ev| {
                                class_id.set(event_target_value(&ev).parse().ok());
                            }>
                                {choices.into_iter().map(|(id, name)| view! {
                                    <option value=id.to_string() selected=move || class_id.get() == Some(id)>{name}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <label>"日期"
                            <input type="date" data-testid="roll-day" prop:value=move || day.get().to_string()
                                max=today().to_string()
                                on:change=move |ev| {
                                    if let Ok(d) = event_target_value(&ev).parse() { day.set(d) }
                                }/>
                        </label>
                    </section>
                    {let list = list.clone(); move || class_id.get().map(|cid| {
                        let students: Vec<StudentSummary> = list
                            .iter()
                            .filter(|s| s.class_id == cid && s.status.is_on_roll())
                            .cloned()
                            .collect();
                        let class_name = students.first().map(|s| s.class_name.clone()).unwrap_or_default();
                        view! { <RollSheet class_id=cid class_name day=day.get() students/> }
                    })}
                    {move || class_id.get().map(|cid| view! { <LeaveSection class_id=cid students=list.clone()/> })}
                }.into_any()
            }
        }}
    }
}

/// The roll of one class on one day.
#[component]
fn RollSheet(
    class_id: i32,
    class_name: String,
    day: NaiveDate,
    students: Vec<StudentSummary>,
) -> impl IntoView {
    let absent = RwSignal::new(BTreeSet::<i32>::new());
    let on_leave = RwSignal::new(BTreeSet::<i32>::new());
    let running = RwSignal::new(Vec::<(i32, u32)>::new());
    let local = RwSignal::new(None::<LocalRollCall>);
    let message = RwSignal::new(None::<String>);
    let heading = format!("{} · {class_name}", day.format("%-m月%-d日"));

    #[cfg(feature = "hydrate")]
    {
        use crate::sync::store::ROLL_CALLS;
        let status = crate::sync::sync_status();
        let key = LocalRollCall::key(class_id, day);
        // What the phone holds (and, online, what the server holds).
        Effect::new(move |_| {
            if !status.settled_change() {
                return;
            }
            let key = key.clone();
            leptos::task::spawn_local(async move {
                let Ok(store) = crate::visits::device::store(status).await else {
                    return;
                };
                let mine: Option<LocalRollCall> = store.get(ROLL_CALLS, &key).await.ok().flatten();
                let url = format!("/api/v1/roll-calls/{class_id}/{day}");
                let server = crate::sync::http::get_json::<super::RollCallView>(&url)
                    .await
                    .ok();
                if let Some(view) = &server {
                    on_leave.set(view.on_leave.iter().copied().collect());
                    running.set(view.running.clone());
                }
                let pending = mine.as_ref().is_some_and(|m| m.state != LocalState::Synced);
                match (&mine, &server) {
                    (Some(m), _) if pending || server.is_none() => {
                        absent.set(m.input.absent.iter().map(|a| a.student_id).collect());
                    }
                    (_, Some(view)) if view.taken => {
                        absent.set(view.absent.iter().map(|a| a.student_id).collect());
                    }
                    _ => {}
                }
                local.set(mine);
            });
        });
    }

    let save = move |_| {
        let input = super::RollCallInput {
            absent: absent
                .get_untracked()
                .into_iter()
                .map(|student_id| super::AbsentMark {
                    student_id,
                    note: String::new(),
                })
                .collect(),
        };
        let record = LocalRollCall {
            class_id,
            class_name: class_name.clone(),
            day,
            input,
            state: LocalState::Pending,
            error: None,
            attempts: 0,
            updated_at_ms: 0.0,
        };
        #[cfg(feature = "hydrate")]
        {
            let status = crate::sync::sync_status();
            let mut record = record;
            record.updated_at_ms = crate::sync::engine::now_ms();
            leptos::task::spawn_local(async move {
                let saved = async {
                    let store = crate::visits::device::store(status).await?;
                    store
                        .put(
                            crate::sync::store::ROLL_CALLS,
                            &LocalRollCall::key(record.class_id, record.day),
                            &record,
                        )
                        .await?;
                    crate::sync::engine::refresh_pending(status, &store).await
                }
                .await;
                match saved {
                    Ok(()) => {
                        message.set(Some("点名已保存在手机上".into()));
                        local.set(Some(record));
                        status.touch();
                        crate::sync::engine::request(status, true);
                    }
                    Err(e) => message.set(Some(e.to_string())),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = record;
    };

    let count = move || absent.get().len();
    view! {
        <section class="card roll-sheet" data-testid="roll-sheet">
            <h2>{heading}</h2>
            <p class="roll-state" data-testid="roll-state">{move || match local.get() {
                None => "尚未点名".to_owned(),
                Some(l) if l.state == LocalState::Synced => "已提交".to_owned(),
                Some(l) if l.state == LocalState::Failed => format!("提交失败：{}", l.error.unwrap_or_default()),
                Some(_) => "待同步（联网后自动提交）".to_owned(),
            }}</p>
            <ul class="roll-list">
                {let same_name = crate::roster::namesakes(&students);
                students.into_iter().map(move |s| {
                    let id = s.id;
                    let hint = same_name.contains(&id).then(|| s.number_hint());
                    let is_absent = move || absent.get().contains(&id);
                    let leave = move || on_leave.get().contains(&id);
                    let days = move || running.get().iter().find(|(sid, _)| *sid == id).map(|(_, n)| *n);
                    view! {
                        <li class:absent=is_absent class:leave=leave>
                            <button type="button" class="roll-toggle" data-testid="roll-student"
                                aria-pressed=move || is_absent().to_string()
                                on:click=move |_| absent.update(|set| {
                                    if !set.remove(&id) { set.insert(id); }
                                })>
                                <span class="name">{s.name.clone()}</span>
                                {hint.map(|h| view! { <small class="muted">{h}</small> })}
                                <span class="mark">{move || if leave() { "请假" } else if is_absent() { "缺勤" } else { "到" }}</span>
                                {move || days().filter(|n| *n > 1).map(|n| view! {
                                    <small class="run">{format!("连续第 {n} 天")}</small>
                                })}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <button type="button" class="primary wide" data-testid="roll-save" on:click=save>
                {move || format!("提交点名（缺勤 {} 人）", count())}
            </button>
            {move || message.get().map(|m| view! { <p class="hint" role="status">{m}</p> })}
        </section>
    }
}

/// Leave of the class: the list (online) and a form to record one.
#[component]
fn LeaveSection(class_id: i32, students: Vec<StudentSummary>) -> impl IntoView {
    let data = remote_json::<Vec<LeaveView>>(|| "/api/v1/leave".to_owned());
    let students: Vec<StudentSummary> = students
        .into_iter()
        .filter(|s| s.class_id == class_id && s.status.is_on_roll())
        .collect();
    let student = RwSignal::new(students.first().map(|s| s.id));
    let kind = RwSignal::new(LeaveKind::Sick);
    let start = RwSignal::new(today());
    let end = RwSignal::new(today());
    let reason = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    // The SHA-256 of the uploaded photo of the note (假条), if any.
    let note_photo = RwSignal::new(None::<String>);
    let uploading = RwSignal::new(false);
    let pick_photo = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let file = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.files())
                .and_then(|files| files.get(0));
            let Some(file) = file else {
                return;
            };
            uploading.set(true);
            leptos::task::spawn_local(async move {
                let sent = async {
                    let photo = crate::visits::photos::prepare_photo(&file).await?;
                    let url = format!("/api/v1/attachments/{}", photo.sha256);
                    crate::sync::http::put_blob(&url, &photo.blob, "image/jpeg").await?;
                    Ok::<_, crate::error::AppError>(photo.sha256)
                };
                match sent.await {
                    Ok(sha) => {
                        note_photo.set(Some(sha));
                        problem.set(None);
                    }
                    Err(e) => problem.set(Some(format!("假条照片上传失败：{e}"))),
                }
                uploading.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(student_id) = student.get_untracked() else {
            return;
        };
        let input = super::LeaveInput {
            student_id,
            kind: kind.get_untracked(),
            start_date: start.get_untracked(),
            end_date: end.get_untracked(),
            reason: reason.get_untracked(),
            note_photo: note_photo.get_untracked(),
        };
        if let Some(e) = input.validate().into_iter().next() {
            problem.set(Some(e.message));
        } else {
            #[cfg(feature = "hydrate")]
            leptos::task::spawn_local(async move {
                match crate::sync::http::post_json::<_, LeaveView>("/api/v1/leave", &input).await {
                    Ok(_) => {
                        problem.set(None);
                        reason.set(String::new());
                        note_photo.set(None);
                        data.refetch();
                    }
                    Err(e) => problem.set(Some(e.to_string())),
                }
            });
        }
    };
    let decide = move |id: i32, approve: bool| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let url = format!("/api/v1/leave/{id}/decision");
            if let Err(e) = crate::sync::http::post_json::<_, LeaveView>(
                &url,
                &super::LeaveDecision { approve },
            )
            .await
            {
                problem.set(Some(e.to_string()));
            }
            data.refetch();
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (id, approve);
    };
    view! {
        <section class="card" data-testid="leave-section">
            <h2>"请假"</h2>
            <form class="leave-form" on:submit=submit>
                <label>"学生"
                    <select on:change=move |ev| student.set(event_target_value(&ev).parse().ok())>
                        {students.iter().map(|s| view! { <option value=s.id.to_string()>{s.name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"类型"
                    <select on:change=move |ev| {
                        if let Some(k) = LeaveKind::from_code(&event_target_value(&ev)) { kind.set(k) }
                    }>
                        {LeaveKind::ALL.into_iter().map(|k| view! { <option value=k.code()>{k.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"开始" <input type="date" prop:value=move || start.get().to_string()
                    on:change=move |ev| if let Ok(d) = event_target_value(&ev).parse() { start.set(d) }/></label>
                <label>"结束" <input type="date" prop:value=move || end.get().to_string()
                    on:change=move |ev| if let Ok(d) = event_target_value(&ev).parse() { end.set(d) }/></label>
                <label>"事由" <input type="text" maxlength="500" prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))/></label>
                <label>"假条照片（可选）"
                    <input type="file" accept="image/*" capture="environment" data-testid="leave-photo" on:change=pick_photo/></label>
                {move || uploading.get().then(|| view! { <p class="hint">"正在压缩并上传照片…"</p> })}
                {move || note_photo.get().map(|_| view! { <p class="hint">"已附假条照片"</p> })}
                <button type="submit" class="secondary" disabled=move || uploading.get()>"登记请假"</button>
                {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            </form>
            {move || match data.value.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="leave-list">
                        {list.into_iter().map(|l| {
                            let id = l.id;
                            let pending = l.status == super::LeaveStatus::Pending;
                            view! {
                                <li>
                                    <strong>{l.student_name.clone()}</strong>
                                    {format!(" {} {}–{} {}", l.kind.label(), l.start_date.format("%-m/%-d"), l.end_date.format("%-m/%-d"), l.reason)}
                                    <span class="badge">{l.status.label()}</span>
                                    {l.note_photo.clone().map(|sha| view! {
                                        " " <a href=format!("/api/v1/attachments/{sha}") target="_blank">"假条"</a>
                                    })}
                                    {pending.then(|| view! {
                                        <button type="button" class="small" on:click=move |_| decide(id, true)>"批准"</button>
                                        <button type="button" class="small secondary" on:click=move |_| decide(id, false)>"不批准"</button>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}
