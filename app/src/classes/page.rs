//! 班级管理 (`/classes`): the school's classes with their pupils and
//! teachers; add, rename or move to another grade, remove an empty one.

use leptos::prelude::*;

use super::{ClassInput, ClassRow, GRADE_LEVELS, grade_name};
use crate::auth::Me;
use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};
use crate::remote::remote_json;

#[component]
pub fn ClassesPage() -> impl IntoView {
    view! { <Authenticated view=classes_view/> }
}

fn classes_view(me: Me) -> impl IntoView {
    if !me.roles.iter().any(|r| r.role.is_school_leader()) {
        return view! { <section class="card"><h1>"班级管理"</h1><p>"只有学校管理员和校领导可以管理班级。"</p></section> }
            .into_any();
    }
    let data = remote_json::<Vec<ClassRow>>(|| "/api/v1/classes/overview".to_owned());
    // The class being edited (None: a new one).
    let editing = RwSignal::new(None::<ClassRow>);
    // The class whose 删除 was tapped once (a second tap removes it).
    let confirming = RwSignal::new(None::<i32>);
    let list_error = RwSignal::new(None::<String>);
    let remove = move |row: ClassRow| {
        if confirming.get_untracked() != Some(row.id) {
            confirming.set(Some(row.id));
            return;
        }
        confirming.set(None);
        list_error.set(None);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match crate::sync::http::delete(&format!("/api/v1/classes/{}", row.id)).await {
                Ok(()) => data.refetch(),
                Err(e) => list_error.set(Some(e.to_string())),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (row, data);
    };
    view! {
        <h1>"班级管理"</h1>
        <p class="muted">"班主任和任课教师在“教师账号”中安排，学生调班在学生详情页。只有从未有过学生、教师安排和点名记录的班级可以删除。"</p>
        {move || list_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {move || match data.value.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            Some(Ok(list)) if list.is_empty() => view! {
                <p class="muted" data-testid="class-list">"还没有班级。可以在下面新建，或导入学生名册时自动建立。"</p>
            }.into_any(),
            Some(Ok(list)) => view! {
                <div class="table-wrap">
                    <table class="data" data-testid="class-list">
                        <thead><tr>
                            <th>"年级"</th><th>"班级"</th><th>"在籍学生"</th><th>"班主任"</th><th>"任课教师"</th><th></th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|row| {
                                let edit = row.clone();
                                let gone = row.clone();
                                let id = row.id;
                                let heads = if row.head_teachers.is_empty() {
                                    "未安排".to_owned()
                                } else {
                                    row.head_teachers.join("、")
                                };
                                view! {
                                    <tr data-class-id=id>
                                        <td>{row.grade_name.clone()}</td>
                                        <td>{row.name.clone()}</td>
                                        <td>{row.students_on_roll}</td>
                                        <td>{heads}</td>
                                        <td>{row.subject_teachers}</td>
                                        <td class="actions">
                                            <button type="button" class="small secondary"
                                                on:click=move |_| editing.set(Some(edit.clone()))>"修改"</button>
                                            {row.removable.then(|| view! {
                                                <button type="button" class="small danger"
                                                    on:click=move |_| remove(gone.clone())>
                                                    {move || if confirming.get() == Some(id) { "确认删除" } else { "删除" }}
                                                </button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any(),
        }}
        <ClassForm editing on_saved=move || { editing.set(None); data.refetch(); }/>
    }
    .into_any()
}

#[component]
fn ClassForm(
    editing: RwSignal<Option<ClassRow>>,
    on_saved: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let grade = RwSignal::new(1_i32);
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(row) = editing.get() {
            grade.set(row.grade_level);
            name.set(row.name.clone());
            error.set(None);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = ClassInput {
            grade_level: grade.get_untracked(),
            name: name.get_untracked(),
        };
        // Checked here too, so a slip is explained without a round trip.
        if let Some((_, message)) = body.validate().into_iter().next() {
            error.set(Some(message));
            return;
        }
        error.set(None);
        let id = editing.get_untracked().map(|row| row.id);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let result = match id {
                Some(id) => {
                    crate::sync::http::put_json::<_, ClassRow>(
                        &format!("/api/v1/classes/{id}"),
                        &body,
                    )
                    .await
                }
                None => crate::sync::http::post_json::<_, ClassRow>("/api/v1/classes", &body).await,
            };
            match result {
                Ok(_) => {
                    name.set(String::new());
                    on_saved();
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (body, id, on_saved);
    };
    view! {
        <form class="card form" data-testid="class-form" on:submit=submit>
            <h2>{move || if editing.get().is_some() { "修改班级" } else { "新建班级" }}</h2>
            <div class="two">
                <label>"年级"
                    <select name="grade_level" prop:value=move || grade.get().to_string()
                        on:change=move |ev| grade.set(event_target_value(&ev).parse().unwrap_or(1))>
                        {GRADE_LEVELS.map(|level| view! {
                            <option value=level.to_string()>{grade_name(level)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"班级名称"
                    <input type="text" name="name" maxlength="20" placeholder="班号如 4，或完整名称"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                </label>
            </div>
            <p class="muted">"只填班号时自动写成“三年级(4)班”的形式。"</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="actions">
                <button type="submit" class="primary" data-testid="save-class">"保存"</button>
                <Show when=move || editing.get().is_some()>
                    <button type="button" class="secondary"
                        on:click=move |_| { editing.set(None); name.set(String::new()); }>"取消修改"</button>
                </Show>
            </div>
        </form>
    }
}
