//! 学生: the caller's roster, searchable by name.

use leptos::prelude::*;

use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};
use crate::roster::server_fns::list_my_students;
use crate::roster::{StudentStatus, StudentSummary};

#[component]
pub fn StudentsPage() -> impl IntoView {
    view! {
        <Authenticated view=|me| {
            let can_import = me.roles.iter().any(|r| r.role.is_school_leader());
            view! { <Roster can_import/> }
        }/>
    }
}

#[component]
fn Roster(can_import: bool) -> impl IntoView {
    let students = Resource::new(|| (), |_| list_my_students());
    let (query, set_query) = signal(String::new());
    view! {
        <div class="title-row">
            <h1>"学生"</h1>
            {can_import.then(|| view! {
                <span class="admin-links">
                    <a href="/students/edit" class="button-link" data-testid="add-student">"添加学生"</a>
                    <a href="/students/import" class="button-link">"导入名册"</a>
                </span>
            })}
        </div>
        <input type="search" class="search" placeholder="按姓名查找" aria-label="按姓名查找"
            on:input=move |ev| set_query.set(event_target_value(&ev))/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match students.await {
                    Ok(list) => view! { <RosterTable list query/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RosterTable(list: Vec<StudentSummary>, query: ReadSignal<String>) -> impl IntoView {
    let total = list.len();
    let list = StoredValue::new(list);
    let visible = move || {
        let q = query.get();
        let q = q.trim();
        list.read_value()
            .iter()
            .filter(|s| q.is_empty() || s.name.contains(q))
            .cloned()
            .collect::<Vec<_>>()
    };
    view! {
        <p class="hint">{format!("共 {total} 名学生")}</p>
        <table class="roster">
            <thead>
                <tr><th>"姓名"</th><th>"班级"</th><th>"状态"</th><th>"关爱"</th></tr>
            </thead>
            <tbody>
                <For each=visible key=|s| s.id let:s>
                    <tr data-testid="student-row">
                        <td>
                            <a href=format!("/students/{}", s.id)>{s.name.clone()}</a>
                            <small class="gender">{s.gender.label()}</small>
                        </td>
                        <td>{s.class_name.clone()}</td>
                        <td class:alert=s.status != StudentStatus::InSchool>{s.status.label()}</td>
                        <td>
                            {s.special_groups.iter().map(|g| view! { <span class="tag">{g.label()}</span> }).collect_view()}
                        </td>
                    </tr>
                </For>
            </tbody>
        </table>
    }
}
