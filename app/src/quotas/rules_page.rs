//! 家访计数规则 (`/quota-rules?school_id=`): what applies to a school this
//! semester; county officers edit the county's defaults, a principal or
//! school admin the school's stricter override.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::auth::Me;
use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};
use crate::quotas::{Combine, QuotaRules, RulesScope, RulesView};
use crate::remote::remote_json;

#[component]
pub fn RulesPage() -> impl IntoView {
    view! { <Authenticated view=rules_page/> }
}

fn rules_page(me: Me) -> impl IntoView {
    let query = use_query_map();
    let own_school = me.school.as_ref().map(|s| s.id);
    let school_id = move || {
        query
            .read()
            .get("school_id")
            .and_then(|id| id.parse::<i32>().ok())
            .or(own_school)
    };
    let data = remote_json::<RulesView>(move || {
        format!(
            "/api/v1/quota-rules?school_id={}",
            school_id().unwrap_or_default()
        )
    });
    view! {
        <h1>"家访计数规则"</h1>
        {move || match data.value.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            Some(Ok(v)) => view! { <RulesForm v on_saved=move || data.refetch()/> }.into_any(),
        }}
    }
}

#[component]
fn RulesForm(v: RulesView, on_saved: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let draft = RwSignal::new(v.effective.clone());
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let school_id = v.school_id;
    let semester_id = v.semester.id;
    let save = move |scope: RulesScope, rules: Option<QuotaRules>| {
        let _ = (scope, &rules, school_id, semester_id, on_saved);
        error.set(None);
        saved.set(false);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let body = crate::quotas::RulesChange {
                school_id,
                semester_id: Some(semester_id),
                scope,
                rules,
            };
            match crate::sync::http::put_json::<_, RulesView>("/api/v1/quota-rules", &body).await {
                Ok(_) => {
                    saved.set(true);
                    on_saved();
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let number = move |label: &'static str,
                       name: &'static str,
                       get: fn(&QuotaRules) -> u32,
                       set: fn(&mut QuotaRules, u32)| {
        view! {
            <label>{label}
                <input type="number" min="0" max="500" name=name inputmode="numeric"
                    prop:value=move || draft.with(|r| get(r).to_string())
                    on:input=move |ev| {
                        let n = event_target_value(&ev).trim().parse::<u32>().unwrap_or(0);
                        draft.update(|r| set(r, n));
                    }/>
            </label>
        }
    };
    let check = move |label: &'static str,
                      name: &'static str,
                      get: fn(&QuotaRules) -> bool,
                      set: fn(&mut QuotaRules, bool)| {
        view! {
            <label class="check">
                <input type="checkbox" name=name prop:checked=move || draft.with(get)
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        draft.update(|r| set(r, on));
                    }/>
                {label}
            </label>
        }
    };
    let editable = (v.can_edit_county || v.can_edit_school) && !v.closed;
    let has_override = v.school_override.is_some();
    view! {
        <p class="muted">
            {v.school_name.clone()} " · " {v.semester.name.clone()}
            {if has_override { "（本校在县级规则基础上提高了要求）" } else { "（执行县级规则）" }}
        </p>
        {v.closed.then(|| view! { <p class="hint">"本学期已结束，规则保持学期内的设置，不能再修改。"</p> })}
        <form class="card rules-form" data-testid="rules-form" on:submit=|ev| ev.prevent_default()>
            <fieldset disabled=!editable>
                <legend>"每学期应完成人次"</legend>
                {number("校长", "principal", |r| r.principal, |r, n| r.principal = n)}
                {number("副校长", "vice_principal", |r| r.vice_principal, |r, n| r.vice_principal = n)}
                {number("科任教师", "subject_teacher", |r| r.subject_teacher, |r, n| r.subject_teacher = n)}
                {number("学校管理员", "school_admin", |r| r.school_admin, |r, n| r.school_admin = n)}
                {check("班主任至少访本班人数的一半（学期初人数，向上取整）", "head_teacher_half_class",
                    |r| r.head_teacher_half_class, |r, on| r.head_teacher_half_class = on)}
                {number("班主任最低人次（0 为不设）", "head_teacher_minimum", |r| r.head_teacher_minimum, |r, n| r.head_teacher_minimum = n)}
                <label>"一人多个角色时"
                    <select name="combine" on:change=move |ev| {
                        let sum = event_target_value(&ev) == "sum";
                        draft.update(|r| r.combine = if sum { Combine::Sum } else { Combine::Max });
                    }>
                        <option value="max" selected=move || draft.with(|r| r.combine == Combine::Max)>{Combine::Max.label()}</option>
                        <option value="sum" selected=move || draft.with(|r| r.combine == Combine::Sum)>{Combine::Sum.label()}</option>
                    </select>
                </label>
            </fieldset>
            <fieldset disabled=!editable>
                <legend>"计入任务的家访"</legend>
                {check("入户家访", "count_home", |r| r.count_home, |r, on| r.count_home = on)}
                {check("电话或网络家访", "count_phone", |r| r.count_phone, |r, on| r.count_phone = on)}
                {check("约请家长到校", "count_school", |r| r.count_school, |r, on| r.count_school = on)}
                {check("联合家访计入每位参与教师", "joint_visit_counts_for_all",
                    |r| r.joint_visit_counts_for_all, |r, on| r.joint_visit_counts_for_all = on)}
            </fieldset>
            <p class="muted">"同一次出行访问两名兄弟姐妹计 2 人次；被学校退回的记录修改后才计入。"</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="rules-error">{e}</p> })}
            {move || saved.get().then(|| view! { <p class="ok" data-testid="rules-saved">"已保存"</p> })}
            <div class="actions">
                {(v.can_edit_county && !v.closed).then(|| view! {
                    <button type="button" data-testid="save-county"
                        on:click=move |_| save(RulesScope::County, Some(draft.get_untracked()))>"保存为县级规则"</button>
                })}
                {(v.can_edit_school && !v.closed).then(|| view! {
                    <button type="button" data-testid="save-school"
                        on:click=move |_| save(RulesScope::School, Some(draft.get_untracked()))>"保存为本校规则"</button>
                })}
                {(v.can_edit_school && has_override && !v.closed).then(|| view! {
                    <button type="button" class="secondary" data-testid="drop-school"
                        on:click=move |_| save(RulesScope::School, None)>"取消本校规则，执行县级规则"</button>
                })}
            </div>
        </form>
    }
}
