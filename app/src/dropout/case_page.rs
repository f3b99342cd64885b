//! 一生一案 (`/students/:id/case`): the school's plan for a suspected or
//! confirmed dropout, every 劝返 attempt with the visit record behind it,
//! and the printable 疑似失学学生劝返情况记录表 that goes to the town and
//! the county (print from the browser; the forms are not printed).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::cases::{
    CaseClose, CaseFile, CaseInput, CaseView, PersuasionInput, PersuasionMethod, PersuasionOutcome,
};
use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};
use crate::remote::{Remote, remote_json};

#[component]
pub fn CasePage() -> impl IntoView {
    view! { <Authenticated view=|_| view! { <CaseFileView/> }/> }
}

fn today() -> chrono::NaiveDate {
    crate::visits::model::china_time(chrono::Utc::now()).date_naive()
}

#[component]
fn CaseFileView() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i32>().ok());
    let file = remote_json::<CaseFile>(move || {
        format!("/api/v1/students/{}/case", id().unwrap_or_default())
    });
    view! {
        <p class="no-print"><a href=move || format!("/students/{}", id().unwrap_or_default())>"← 返回学生页面"</a></p>
        {move || match file.value.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            Some(Ok(f)) => view! { <Contents f file/> }.into_any(),
        }}
    }
}

#[component]
fn Contents(f: CaseFile, file: Remote<CaseFile>) -> impl IntoView {
    let student_id = f.student.summary.id;
    let open = f.cases.iter().find(|c| c.is_open()).cloned();
    let past: Vec<CaseView> = f.cases.iter().filter(|c| !c.is_open()).cloned().collect();
    let shown = open.clone().or_else(|| past.first().cloned());
    // The server opens cases only for students out of school (or keeps the
    // open one); the forms follow the same rule.
    let active = open.is_some() || f.student.summary.status.is_out_of_school();
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <div class="title-row no-print">
            <h1>"一生一案"</h1>
            <button type="button" class="secondary" on:click=print>"打印劝返情况记录表"</button>
        </div>
        {match shown {
            Some(case) => view! { <RecordSheet f=f.clone() case/> }.into_any(),
            None => view! {
                <p class="muted" data-testid="no-case">"该学生尚未建立一生一案。疑似辍学、辍学或劝返中的学生由班主任或学校领导建立。"</p>
            }.into_any(),
        }}
        {(f.can_plan && active).then(|| view! { <PlanForm student_id case=open.clone() file/> })}
        {(f.can_record && active).then(|| view! {
            <RecordForm student_id visits=f.visits.clone() file/>
        })}
        {(f.can_plan && open.is_some()).then(|| view! { <CloseForm student_id file/> })}
        {(past.len() > usize::from(open.is_none())).then(|| view! {
            <section class="card no-print">
                <h2>"已结案"</h2>
                <ul class="plain">
                    {past.iter().skip(usize::from(open.is_none())).map(|c| view! {
                        <li>{format!("{} 至 {}：{}（{}）", c.opened_on, c.closed_on.map(|d| d.to_string()).unwrap_or_default(), c.reason, c.close_note)}</li>
                    }).collect_view()}
                </ul>
            </section>
        })}
    }
}

/// The 劝返情况记录表 as it is printed, signed and stamped.
#[component]
fn RecordSheet(f: CaseFile, case: CaseView) -> impl IntoView {
    let s = &f.student;
    let guardians = s
        .guardians
        .iter()
        .map(|g| match &g.phone {
            Some(p) => format!("{}（{}）{}", g.name, g.relation, p),
            None => format!("{}（{}）", g.name, g.relation),
        })
        .collect::<Vec<_>>()
        .join("；");
    view! {
        <section class="card record-sheet" data-testid="record-sheet">
            <h2 class="sheet-title">"义务教育阶段疑似失学学生劝返情况记录表"</h2>
            <table class="sheet info">
                <tbody>
                    <tr><th>"学校"</th><td colspan="3">{f.school_name.clone()}</td></tr>
                    <tr>
                        <th>"学生姓名"</th><td>{s.summary.name.clone()}</td>
                        <th>"性别"</th><td>{s.summary.gender.label()}</td>
                    </tr>
                    <tr>
                        <th>"出生日期"</th><td>{s.birth_date.map(|d| d.to_string()).unwrap_or_default()}</td>
                        <th>"学籍号"</th><td>{s.student_no.clone()}</td>
                    </tr>
                    <tr>
                        <th>"班级"</th><td>{s.summary.class_name.clone()}</td>
                        <th>"当前状态"</th><td>{format!("{}（自 {}）", s.summary.status.label(), s.status_since)}</td>
                    </tr>
                    <tr><th>"监护人"</th><td colspan="3">{guardians}</td></tr>
                    <tr><th>"家庭住址"</th><td colspan="3">{s.home_address.clone().unwrap_or_default()}</td></tr>
                    <tr><th>"建档日期"</th><td>{case.opened_on.to_string()}</td><th>"责任人"</th><td>{case.responsible.clone()}</td></tr>
                    <tr><th>"失学原因"</th><td colspan="3">{case.reason.clone()}</td></tr>
                    <tr><th>"控辍方案"</th><td colspan="3" data-testid="case-plan">
                        {if case.plan.is_empty() { "（待学校制定）".to_owned() } else { case.plan.clone() }}
                    </td></tr>
                    {case.closed_on.map(|d| view! {
                        <tr><th>"结案"</th><td colspan="3">{format!("{d}：{}", case.close_note)}</td></tr>
                    })}
                </tbody>
            </table>
            <h3>"劝返记录"</h3>
            <div class="table-wrap">
            <table class="sheet records" data-testid="persuasion-records">
                <thead><tr><th>"日期"</th><th>"劝返人员"</th><th>"方式"</th><th>"劝返情况"</th><th>"结果"</th><th>"家访记录"</th></tr></thead>
                <tbody>
                    {case.records.iter().map(|r| view! {
                        <tr>
                            <td>{r.day.to_string()}</td>
                            <td>{r.persons.clone()}</td>
                            <td>{r.method.label()}</td>
                            <td>{r.result.clone()}</td>
                            <td>{r.outcome.label()}</td>
                            <td>{r.visit.clone().map(|v| view! {
                                <a href=format!("/visits/view?id={}", v.id)>
                                    {format!("{} {}，照片 {} 张{}", v.visit_date, v.visitor, v.photos, if v.signed { "，家长已签名" } else { "" })}
                                </a>
                            })}</td>
                        </tr>
                    }).collect_view()}
                    {case.records.is_empty().then(|| view! { <tr><td colspan="6" class="muted">"尚无劝返记录"</td></tr> })}
                </tbody>
            </table>
            </div>
            <p class="print-only sign-lines">"学校意见：＿＿＿＿＿＿＿＿　校长（签名）：＿＿＿＿　（公章）　日期：＿＿＿＿"</p>
        </section>
    }
}

/// Sends `body` to `url`, then reloads the file or shows the error.
fn send<B: serde::Serialize + Send + 'static>(
    url: String,
    put: bool,
    body: B,
    file: Remote<CaseFile>,
    problem: RwSignal<Option<String>>,
) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        let answer = if put {
            crate::sync::http::put_json::<_, CaseFile>(&url, &body).await
        } else {
            crate::sync::http::post_json::<_, CaseFile>(&url, &body).await
        };
        match answer {
            Ok(_) => {
                problem.set(None);
                file.refetch();
            }
            Err(e) => problem.set(Some(e.to_string())),
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, put, body, file, problem);
}

fn problem_view(problem: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        problem
            .get()
            .map(|m| view! { <p class="error" role="alert">{m}</p> })
    }
}

#[component]
fn PlanForm(student_id: i32, case: Option<CaseView>, file: Remote<CaseFile>) -> impl IntoView {
    let opened_on = RwSignal::new(case.as_ref().map(|c| c.opened_on).unwrap_or_else(today));
    let reason = RwSignal::new(case.as_ref().map(|c| c.reason.clone()).unwrap_or_default());
    let plan = RwSignal::new(case.as_ref().map(|c| c.plan.clone()).unwrap_or_default());
    let responsible = RwSignal::new(
        case.as_ref()
            .map(|c| c.responsible.clone())
            .unwrap_or_default(),
    );
    let problem = RwSignal::new(None::<String>);
    let heading = if case.is_some() {
        "修改控辍方案"
    } else {
        "建立一生一案"
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = CaseInput {
            opened_on: opened_on.get_untracked(),
            reason: reason.get_untracked(),
            plan: plan.get_untracked(),
            responsible: responsible.get_untracked(),
        };
        match input.validate(today()).into_iter().next() {
            Some(e) => problem.set(Some(e.message)),
            None => send(
                format!("/api/v1/students/{student_id}/case"),
                true,
                input,
                file,
                problem,
            ),
        }
    };
    view! {
        <details class="card no-print" open=case.as_ref().is_none_or(|c| c.plan.is_empty())>
            <summary>{heading}</summary>
            <form class="form" on:submit=submit data-testid="case-form">
                <label>"建档日期" <input type="date" prop:value=move || opened_on.get().to_string()
                    on:change=move |ev| if let Ok(d) = event_target_value(&ev).parse() { opened_on.set(d) }/></label>
                <label>"失学原因" <textarea name="reason" rows="2" maxlength="500" bind:value=reason
                    placeholder="如：厌学、家庭经济困难、外出务工"></textarea></label>
                <label>"控辍方案与措施" <textarea name="plan" rows="4" maxlength="2000" bind:value=plan
                    placeholder="如：班主任每周入户一次；学校落实资助；镇村干部联合劝返"></textarea></label>
                <label>"责任人" <input type="text" name="responsible" maxlength="200" bind:value=responsible/></label>
                {problem_view(problem)}
                <button type="submit" class="primary">"保存方案"</button>
            </form>
        </details>
    }
}

#[component]
fn RecordForm(
    student_id: i32,
    visits: Vec<super::cases::LinkedVisit>,
    file: Remote<CaseFile>,
) -> impl IntoView {
    let day = RwSignal::new(today());
    let persons = RwSignal::new(String::new());
    let method = RwSignal::new(PersuasionMethod::Home);
    let result = RwSignal::new(String::new());
    let outcome = RwSignal::new(PersuasionOutcome::Undecided);
    let visit_id = RwSignal::new(None::<uuid::Uuid>);
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = PersuasionInput {
            day: day.get_untracked(),
            persons: persons.get_untracked(),
            method: method.get_untracked(),
            result: result.get_untracked(),
            outcome: outcome.get_untracked(),
            visit_id: visit_id.get_untracked(),
        };
        match input.validate(today()).into_iter().next() {
            Some(e) => problem.set(Some(e.message)),
            None => {
                persons.set(String::new());
                result.set(String::new());
                send(
                    format!("/api/v1/students/{student_id}/persuasion-records"),
                    false,
                    input,
                    file,
                    problem,
                )
            }
        }
    };
    view! {
        <details class="card no-print">
            <summary>"添加劝返记录"</summary>
            <form class="form" on:submit=submit data-testid="persuasion-form">
                <label>"劝返日期" <input type="date" prop:value=move || day.get().to_string()
                    on:change=move |ev| if let Ok(d) = event_target_value(&ev).parse() { day.set(d) }/></label>
                <label>"劝返人员" <input type="text" name="persons" maxlength="200" bind:value=persons
                    placeholder="如：班主任王老师、村委李主任"/></label>
                <label>"方式"
                    <select on:change=move |ev| if let Some(m) = PersuasionMethod::from_code(&event_target_value(&ev)) { method.set(m) }>
                        {PersuasionMethod::ALL.into_iter().map(|m| view! { <option value=m.code()>{m.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"劝返情况" <textarea name="result" rows="3" maxlength="2000" bind:value=result></textarea></label>
                <label>"结果"
                    <select on:change=move |ev| if let Some(o) = PersuasionOutcome::from_code(&event_target_value(&ev)) { outcome.set(o) }>
                        {PersuasionOutcome::ALL.into_iter().rev().map(|o| view! { <option value=o.code()>{o.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"对应家访记录（照片、家长签名）"
                    <select on:change=move |ev| visit_id.set(event_target_value(&ev).parse().ok())>
                        <option value="">"不关联"</option>
                        {visits.iter().map(|v| view! {
                            <option value=v.id.to_string()>{format!("{} {} {}", v.visit_date, v.reason, v.visitor)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <p class="hint"><a href=format!("/visits/new?student={student_id}&reason=persuade_return")>"先记录一次劝返家访（可离线，含照片和签名）"</a></p>
                {problem_view(problem)}
                <button type="submit" class="primary">"保存劝返记录"</button>
            </form>
        </details>
    }
}

#[component]
fn CloseForm(student_id: i32, file: Remote<CaseFile>) -> impl IntoView {
    let closed_on = RwSignal::new(today());
    let note = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = CaseClose {
            closed_on: closed_on.get_untracked(),
            note: note.get_untracked(),
        };
        send(
            format!("/api/v1/students/{student_id}/case/close"),
            false,
            input,
            file,
            problem,
        );
    };
    view! {
        <details class="card no-print">
            <summary>"结案"</summary>
            <form class="form" on:submit=submit>
                <p class="hint">"学生复学、转出或销号后结案；请先在学生页面登记状态变更。"</p>
                <label>"结案日期" <input type="date" prop:value=move || closed_on.get().to_string()
                    on:change=move |ev| if let Ok(d) = event_target_value(&ev).parse() { closed_on.set(d) }/></label>
                <label>"结案依据" <textarea rows="2" maxlength="1000" bind:value=note
                    placeholder="如：11 月 20 日复学，已安排跟踪家访"></textarea></label>
                {problem_view(problem)}
                <button type="submit" class="secondary">"结案"</button>
            </form>
        </details>
    }
}
