//! 学期设置 (`/semesters`): county officers set the county's semesters; a
//! school's principal or admin may give the school its own dates.

use chrono::NaiveDate;
use leptos::prelude::*;

use crate::auth::Me;
use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};
use crate::remote::remote_json;
use crate::semesters::SemesterView;

#[component]
pub fn SemestersPage() -> impl IntoView {
    view! { <Authenticated view=semesters/> }
}

fn semesters(me: Me) -> impl IntoView {
    let county = me
        .roles
        .iter()
        .any(|r| r.role == crate::auth::Role::CountyOfficer);
    let own_school = me
        .roles
        .iter()
        .find(|r| {
            matches!(
                r.role,
                crate::auth::Role::Principal | crate::auth::Role::SchoolAdmin
            )
        })
        .and_then(|r| r.school_id);
    let data = remote_json::<Vec<SemesterView>>(|| "/api/v1/semesters".to_owned());
    // The semester being edited (None: a new one).
    let editing = RwSignal::new(None::<SemesterView>);
    view! {
        <h1>"学期设置"</h1>
        <p class="muted">"家访按北京时间的日期计入所在学期。学校自定的日期优先于全县的学期；同一范围内的学期不能重叠，已结束的学期不能修改。"</p>
        {move || match data.value.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            Some(Ok(list)) => view! {
                <div class="table-wrap">
                    <table class="data" data-testid="semester-list">
                        <thead><tr><th>"学期"</th><th>"范围"</th><th>"开始"</th><th>"结束"</th><th></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|s| {
                                let edit = s.clone();
                                view! {
                                    <tr>
                                        <td>{s.name.clone()}</td>
                                        <td>{s.scope.clone()}</td>
                                        <td>{s.start.to_string()}</td>
                                        <td>{s.end.to_string()}</td>
                                        <td>{s.editable.then(|| view! {
                                            <button type="button" class="small secondary"
                                                on:click=move |_| editing.set(Some(edit.clone()))>"修改"</button>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any(),
        }}
        {(county || own_school.is_some()).then(|| view! {
            <SemesterForm editing county own_school on_saved=move || { editing.set(None); data.refetch(); }/>
        })}
    }
}

#[component]
fn SemesterForm(
    editing: RwSignal<Option<SemesterView>>,
    county: bool,
    own_school: Option<i32>,
    on_saved: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    // County-wide unless the person only keeps a school.
    let for_school = RwSignal::new(!county);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(s) = editing.get() {
            name.set(s.name.clone());
            start.set(s.start.to_string());
            end.set(s.end.to_string());
            for_school.set(s.school_id.is_some());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let parse = |v: String| NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok();
        let (Some(s), Some(e)) = (parse(start.get_untracked()), parse(end.get_untracked())) else {
            error.set(Some("请填写开始和结束日期".into()));
            return;
        };
        let body = crate::semesters::SemesterInput {
            name: name.get_untracked(),
            start: s,
            end: e,
            school_id: if for_school.get_untracked() {
                own_school
            } else {
                None
            },
        };
        let id = editing.get_untracked().map(|v| v.id);
        let _ = (&body, id, on_saved);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let result = match id {
                Some(id) => {
                    crate::sync::http::put_json::<_, SemesterView>(
                        &format!("/api/v1/semesters/{id}"),
                        &body,
                    )
                    .await
                }
                None => {
                    crate::sync::http::post_json::<_, SemesterView>("/api/v1/semesters", &body)
                        .await
                }
            };
            match result {
                Ok(_) => {
                    name.set(String::new());
                    start.set(String::new());
                    end.set(String::new());
                    on_saved();
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <form class="card form" data-testid="semester-form" on:submit=submit>
            <h2>{move || if editing.get().is_some() { "修改学期" } else { "新建学期" }}</h2>
            <label>"名称"
                <input type="text" name="name" maxlength="32" placeholder="2027年春季学期"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            </label>
            <div class="two">
                <label>"开始日期"
                    <input type="date" name="start" prop:value=move || start.get()
                        on:input=move |ev| start.set(event_target_value(&ev))/>
                </label>
                <label>"结束日期（含）"
                    <input type="date" name="end" prop:value=move || end.get()
                        on:input=move |ev| end.set(event_target_value(&ev))/>
                </label>
            </div>
            {(county && own_school.is_some()).then(|| view! {
                <label class="choice">
                    <input type="checkbox" prop:checked=move || for_school.get()
                        on:change=move |ev| for_school.set(event_target_checked(&ev))/>
                    "仅本校（学校自定日期）"
                </label>
            })}
            {(!county).then(|| view! { <p class="muted">"将保存为本校自定的学期日期。"</p> })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="actions">
                <button type="submit" class="primary" data-testid="save-semester">"保存"</button>
                <Show when=move || editing.get().is_some()>
                    <button type="button" class="secondary" on:click=move |_| editing.set(None)>"取消修改"</button>
                </Show>
            </div>
        </form>
    }
}
