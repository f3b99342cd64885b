//! 拟家访报备: a teacher reports a planned visit (student, reason, time)
//! before going, offline like visits; leaders see the school's reports and
//! acknowledge them; the finished visit reports back by linking to it.

use leptos::prelude::*;

use crate::auth::Me;
use crate::auth::pages::Authenticated;
use crate::roster::StudentSummary;
use crate::sync::sync_status;
use crate::visits::list::for_staff;
use crate::visits::local::{LocalPlan, LocalState};
use crate::visits::model::{PlanView, VisitReason, china_time};

#[component]
pub fn PlansPage() -> impl IntoView {
    view! { <Authenticated view=|me| for_staff(me, |me| view! { <Plans me/> })/> }
}

#[derive(Clone, Default)]
struct Loaded {
    roster: Vec<StudentSummary>,
    local: Vec<LocalPlan>,
    server: Vec<PlanView>,
}

#[component]
fn Plans(me: Me) -> impl IntoView {
    let leader = me.roles.iter().any(|r| r.role.is_school_leader());
    let status = sync_status();
    #[cfg(not(feature = "hydrate"))]
    let _ = status;
    let loaded = RwSignal::new(Loaded::default());
    let problem = RwSignal::new(None::<String>);
    let (student, set_student) = signal(String::new());
    let (reason, set_reason) = signal(VisitReason::Routine.code().to_owned());
    let (planned, set_planned) = signal(String::new());
    let (note, set_note) = signal(String::new());

    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if !status.settled_change() || status.user_id.get().is_none() {
            return;
        }
        leptos::task::spawn_local(async move {
            use crate::visits::device;
            let roster = device::roster(status).await.unwrap_or_default();
            let local = device::local_plans(status).await.unwrap_or_default();
            let server = crate::sync::http::get_json::<Vec<PlanView>>("/api/v1/visit-plans")
                .await
                .unwrap_or_default();
            loaded.set(Loaded {
                roster,
                local,
                server,
            });
        });
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(student_id) = student.get_untracked().parse::<i32>() else {
            problem.set(Some("请选择学生".into()));
            return;
        };
        #[cfg(feature = "hydrate")]
        {
            use crate::sync::engine;
            use crate::visits::local::parse_local_datetime;
            use crate::visits::model::PlanInput;
            let Some(planned_at) =
                parse_local_datetime(&planned.get_untracked(), engine::offset_minutes())
            else {
                problem.set(Some("请填写计划家访时间".into()));
                return;
            };
            let Some(reason) = VisitReason::from_code(&reason.get_untracked()) else {
                return;
            };
            let input = PlanInput {
                student_id,
                reason,
                planned_at,
                note: note.get_untracked().trim().to_owned(),
            };
            if let Some(first) = input.validate().into_iter().next() {
                problem.set(Some(first.message));
                return;
            }
            let s =
                loaded.with_untracked(|l| l.roster.iter().find(|s| s.id == student_id).cloned());
            let plan = LocalPlan {
                id: uuid::Uuid::new_v4(),
                state: LocalState::Pending,
                error: None,
                attempts: 0,
                input,
                student_name: s.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
                class_name: s.map(|s| s.class_name).unwrap_or_default(),
                updated_at_ms: engine::now_ms(),
            };
            problem.set(None);
            leptos::task::spawn_local(async move {
                match crate::visits::device::save_plan(status, &plan).await {
                    Ok(()) => {
                        set_note.set(String::new());
                        engine::request(status, false);
                    }
                    Err(e) => problem.set(Some(e.to_string())),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (student_id, set_note);
    };

    let acknowledge = move |id: uuid::Uuid| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let url = format!("/api/v1/visit-plans/{id}/acknowledge");
            match crate::sync::http::post_json::<_, PlanView>(&url, &serde_json::json!({})).await {
                Ok(_) => status.touch(),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = id;
    };

    view! {
        <h1>"拟家访报备"</h1>
        <p class="hint">"家访前向学校报备（学生、原因、计划时间）；完成家访后在记录表中关联本报备即为回报。"</p>
        <form class="card form" on:submit=submit data-testid="plan-form">
            <label>"学生"
                <select prop:value=student on:change=move |ev| set_student.set(event_target_value(&ev))>
                    <option value="">"请选择"</option>
                    {move || loaded.with(|l| l.roster.clone()).into_iter().map(|s| view! {
                        <option value=s.id.to_string()>{format!("{} {}", s.name, s.class_name)}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"家访原因"
                <select prop:value=reason on:change=move |ev| set_reason.set(event_target_value(&ev))>
                    {VisitReason::ALL.into_iter().map(|r| view! { <option value=r.code()>{r.label()}</option> }).collect_view()}
                </select>
            </label>
            <label>"计划家访时间"
                <input type="datetime-local" prop:value=planned on:change=move |ev| set_planned.set(event_target_value(&ev))/>
            </label>
            <label>"备注"
                <textarea rows="2" prop:value=note on:input=move |ev| set_note.set(event_target_value(&ev))></textarea>
            </label>
            {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
            <button type="submit" class="primary">"提交报备"</button>
        </form>
        <ul class="visit-list" data-testid="plan-list">
            {move || {
                let l = loaded.get();
                let unsent = l.local.iter().filter(|p| p.state != LocalState::Synced && !l.server.iter().any(|s| s.id == p.id));
                let local_rows = unsent.map(|p| view! {
                    <li class="visit-row">
                        <span class="who">{format!("{} {}", p.student_name, p.class_name)}</span>
                        <span class=format!("state state-{}", p.state.code())>{p.state.label()}</span>
                        <span class="muted">{format!("{} · {}", p.input.reason.label(), p.input.planned_at.format("%m-%d %H:%M"))}</span>
                        {p.error.clone().map(|e| view! { <span class="error">{e}</span> })}
                    </li>
                }).collect_view();
                let server_rows = l.server.iter().map(|p| {
                    let id = p.id;
                    let can_ack = leader && p.acknowledged_at.is_none();
                    view! {
                        <li class="visit-row" data-testid="plan-row">
                            <span class="who">{format!("{} {}", p.student_name, p.class_name)}</span>
                            <span class="muted">{format!("{} · {} · {}", p.teacher.name, p.reason.label(), p.planned_at.format("%m-%d %H:%M"))}</span>
                            {match (&p.acknowledged_by, p.acknowledged_at) {
                                (Some(by), Some(at)) => format!("{} 已确认 {}", by.name, china_time(at).format("%m-%d %H:%M")),
                                _ => "待学校确认".to_owned(),
                            }}
                            {if p.visit_id.is_some() { " · 已回报" } else { "" }}
                            {p.visit_id.is_none().then(|| view! {
                                <a href=format!("/visits/new?student={}&plan={}", p.student_id, p.id)>"去家访"</a>
                            })}
                            {can_ack.then(|| view! {
                                <button type="button" class="secondary" on:click=move |_| acknowledge(id)>"确认"</button>
                            })}
                        </li>
                    }
                }).collect_view();
                view! { {local_rows} {server_rows} }
            }}
        </ul>
    }
}
