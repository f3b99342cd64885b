//! 添加 / 修改学生 (`/students/edit`, `?id=` to edit): one student from a
//! form, for school leaders. The server checks it exactly like an imported
//! row; its errors name the field, shown in Chinese next to the form.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};
use crate::remote::remote_json;
use crate::roster::import::StudentForm;
use crate::roster::{Gender, SpecialGroup, StudentDetail};
use crate::staff::ClassOption;

#[component]
pub fn StudentEditPage() -> impl IntoView {
    view! { <Authenticated view=|_| view! { <Editor/> }/> }
}

/// The form's starting values: the stored record, or an empty one.
fn form_of(s: &StudentDetail) -> StudentForm {
    let primary = s
        .guardians
        .iter()
        .find(|g| g.is_primary)
        .or(s.guardians.first());
    let has = |g: SpecialGroup| s.summary.special_groups.contains(&g);
    StudentForm {
        name: s.summary.name.clone(),
        gender: Some(s.summary.gender),
        birth_date: s.birth_date,
        student_no: s.student_no.clone(),
        class_id: s.summary.class_id,
        guardian_name: primary.map(|g| g.name.clone()).unwrap_or_default(),
        guardian_relation: primary.map(|g| g.relation.clone()).unwrap_or_default(),
        guardian_phone: primary.and_then(|g| g.phone.clone()).unwrap_or_default(),
        home_address: s.home_address.clone().unwrap_or_default(),
        // Stored numbers are never sent back; empty keeps the stored one.
        id_card: String::new(),
        left_behind: has(SpecialGroup::LeftBehind),
        orphan: has(SpecialGroup::Orphan),
        disabled: has(SpecialGroup::Disabled),
        low_income: has(SpecialGroup::LowIncome),
        poverty: has(SpecialGroup::Poverty),
        single_parent: has(SpecialGroup::SingleParent),
    }
}

#[component]
fn Editor() -> impl IntoView {
    let query = use_query_map();
    let id = query
        .read_untracked()
        .get("id")
        .and_then(|v| v.parse::<i32>().ok());
    let classes = remote_json::<Vec<ClassOption>>(|| "/api/v1/classes".to_owned());
    move || match (classes.value.get(), id) {
        (None, _) => view! { <Loading/> }.into_any(),
        (Some(Err(error)), _) => view! { <ErrorNotice error/> }.into_any(),
        (Some(Ok(classes)), None) => {
            view! { <Fields classes start=StudentForm::default() id=None/> }.into_any()
        }
        (Some(Ok(classes)), Some(id)) => view! { <Existing id classes/> }.into_any(),
    }
}

#[component]
fn Existing(id: i32, classes: Vec<ClassOption>) -> impl IntoView {
    let student = remote_json::<StudentDetail>(move || format!("/api/v1/students/{id}"));
    move || match student.value.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
        Some(Ok(s)) => {
            view! { <Fields classes=classes.clone() start=form_of(&s) id=Some(id)/> }.into_any()
        }
    }
}

#[component]
fn Fields(classes: Vec<ClassOption>, start: StudentForm, id: Option<i32>) -> impl IntoView {
    let class_id = if start.class_id == 0 {
        classes.first().map_or(0, |c| c.id)
    } else {
        start.class_id
    };
    let form = RwSignal::new(StudentForm { class_id, ..start });
    let problem = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let navigate = leptos_router::hooks::use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = form.get_untracked();
        saving.set(true);
        #[cfg(feature = "hydrate")]
        {
            let navigate = navigate.clone();
            leptos::task::spawn_local(async move {
                let answer = match id {
                    Some(id) => {
                        crate::sync::http::put_json::<_, StudentDetail>(
                            &format!("/api/v1/students/{id}"),
                            &body,
                        )
                        .await
                    }
                    None => {
                        crate::sync::http::post_json::<_, StudentDetail>("/api/v1/students", &body)
                            .await
                    }
                };
                saving.set(false);
                match answer {
                    Ok(saved) => navigate(
                        &format!("/students/{}", saved.summary.id),
                        Default::default(),
                    ),
                    Err(e) => problem.set(Some(e.to_string())),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (body, &navigate);
    };
    let text = move |label: &'static str,
                     name: &'static str,
                     get: fn(&StudentForm) -> String,
                     set: fn(&mut StudentForm, String)| {
        view! {
            <label>{label}
                <input type="text" name=name prop:value=move || form.with(get)
                    on:input=move |ev| form.update(|f| set(f, event_target_value(&ev)))/>
            </label>
        }
    };
    let flag = move |label: &'static str,
                     get: fn(&StudentForm) -> bool,
                     set: fn(&mut StudentForm, bool)| {
        view! {
            <label class="choice">
                <input type="checkbox" prop:checked=move || form.with(get)
                    on:change=move |ev| form.update(|f| set(f, event_target_checked(&ev)))/>
                {label}
            </label>
        }
    };
    view! {
        <p><a href=id.map_or("/students".to_owned(), |id| format!("/students/{id}"))>"← 返回"</a></p>
        <h1>{if id.is_some() { "修改学生信息" } else { "添加学生" }}</h1>
        <form class="form card" on:submit=submit data-testid="student-form">
            {text("姓名", "name", |f| f.name.clone(), |f, v| f.name = v)}
            <label>"性别"
                <select name="gender" on:change=move |ev| {
                    let g = Gender::from_code(&event_target_value(&ev));
                    form.update(|f| f.gender = g);
                }>
                    <option value="" selected=move || form.with(|f| f.gender.is_none())>"请选择"</option>
                    {[Gender::Male, Gender::Female].into_iter().map(|g| view! {
                        <option value=g.code() selected=move || form.with(|f| f.gender == Some(g))>{g.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"出生日期"
                <input type="date" name="birth_date" prop:value=move || form.with(|f| f.birth_date.map(|d| d.to_string()).unwrap_or_default())
                    on:change=move |ev| form.update(|f| f.birth_date = event_target_value(&ev).parse().ok())/>
            </label>
            <label>"学籍号"
                <input type="text" name="student_no" readonly=id.is_some() prop:value=move || form.with(|f| f.student_no.clone())
                    on:input=move |ev| form.update(|f| f.student_no = event_target_value(&ev))/>
            </label>
            <label>"班级"
                <select name="class_id" on:change=move |ev| {
                    if let Ok(c) = event_target_value(&ev).parse() { form.update(|f| f.class_id = c) }
                }>
                    {classes.into_iter().map(|c| view! {
                        <option value=c.id.to_string() selected=move || form.with(|f| f.class_id == c.id)>{c.name}</option>
                    }).collect_view()}
                </select>
            </label>
            {text("监护人姓名", "guardian_name", |f| f.guardian_name.clone(), |f, v| f.guardian_name = v)}
            {text("与学生关系", "guardian_relation", |f| f.guardian_relation.clone(), |f, v| f.guardian_relation = v)}
            {text("联系电话", "guardian_phone", |f| f.guardian_phone.clone(), |f, v| f.guardian_phone = v)}
            {text("家庭住址", "home_address", |f| f.home_address.clone(), |f, v| f.home_address = v)}
            {text(if id.is_some() { "身份证号（不修改请留空）" } else { "身份证号（可不填）" }, "id_card", |f| f.id_card.clone(), |f, v| f.id_card = v)}
            <fieldset class="choices">
                <legend>"关爱类别"</legend>
                {flag("留守", |f| f.left_behind, |f, v| f.left_behind = v)}
                {flag("孤儿", |f| f.orphan, |f, v| f.orphan = v)}
                {flag("残疾", |f| f.disabled, |f, v| f.disabled = v)}
                {flag("低保", |f| f.low_income, |f, v| f.low_income = v)}
                {flag("脱贫(建档立卡)", |f| f.poverty, |f, v| f.poverty = v)}
                {flag("单亲", |f| f.single_parent, |f, v| f.single_parent = v)}
            </fieldset>
            {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            <button type="submit" class="primary" disabled=move || saving.get()>"保存"</button>
        </form>
    }
}
