//! 教师账号: staff of the school, create accounts, reset passwords.

use leptos::prelude::*;

use super::server_fns::{CreateStaff, ResetStaffPassword, staff_overview};
use super::{InitialPassword, SCHOOL_ROLES, StaffMember};
use crate::auth::pages::Authenticated;
use crate::auth::{Me, Role};
use crate::error::AppError;
use crate::layout::{ErrorNotice, Loading};

#[component]
pub fn StaffPage() -> impl IntoView {
    view! { <Authenticated view=staff_view/> }
}

fn staff_view(me: Me) -> impl IntoView {
    if !me.roles.iter().any(|r| r.role.is_school_leader()) {
        return view! { <section class="card"><h1>"教师账号"</h1><p>"只有学校管理员和校领导可以管理账号。"</p></section> }
            .into_any();
    }
    let create = ServerAction::<CreateStaff>::new();
    let reset = ServerAction::<ResetStaffPassword>::new();
    let overview = Resource::new(
        move || (create.version().get(), reset.version().get()),
        |_| staff_overview(),
    );
    view! {
        <h1>"教师账号"</h1>
        <PasswordNotice result=Signal::derive(move || create.value().get())/>
        <PasswordNotice result=Signal::derive(move || reset.value().get())/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok((staff, classes)) => view! {
                        <CreateForm create classes/>
                        <TeacherImport/>
                        <StaffList staff reset/>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// Shows a new initial password once, or the error of the last attempt.
#[component]
fn PasswordNotice(result: Signal<Option<Result<InitialPassword, AppError>>>) -> impl IntoView {
    move || {
        result.get().map(|r| match r {
            Ok(p) => view! {
                <p class="notice" data-testid="initial-password">
                    {format!("账号 {} 的初始密码：", p.username)}<strong>{p.initial_password}</strong>
                    "。只显示这一次，请当面转告本人；首次登录须修改密码。"
                </p>
            }
            .into_any(),
            Err(error) => view! { <ErrorNotice error/> }.into_any(),
        })
    }
}

#[component]
fn CreateForm(
    create: ServerAction<CreateStaff>,
    classes: Vec<super::ClassOption>,
) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::SubjectTeacher);
    let class_id = RwSignal::new(classes.first().map(|c| c.id));
    let subject = RwSignal::new(String::new());
    let needs_class = move || matches!(role.get(), Role::HeadTeacher | Role::SubjectTeacher);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateStaff {
            username: username.get(),
            display_name: display_name.get(),
            role: role.get(),
            class_id: if needs_class() { class_id.get() } else { None },
            subject: Some(subject.get()).filter(|s| !s.trim().is_empty()),
        });
    };
    view! {
        <details class="card">
            <summary>"新建教师账号"</summary>
            <form class="form" on:submit=submit>
                <label>"姓名"<input type="text" required maxlength="32" bind:value=display_name/></label>
                <label>"用户名（登录用，字母或数字）"<input type="text" required maxlength="64" autocapitalize="off" bind:value=username/></label>
                <label>
                    "角色"
                    <select on:change=move |ev| {
                        if let Some(r) = Role::from_code(&event_target_value(&ev)) {
                            role.set(r);
                        }
                    }>
                        {SCHOOL_ROLES.into_iter().map(|r| view! {
                            <option value=r.code() selected=r == Role::SubjectTeacher>{r.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <Show when=needs_class>
                    <label>
                        "班级"
                        <select on:change=move |ev| class_id.set(event_target_value(&ev).parse().ok())>
                            {classes.iter().map(|c| view! { <option value=c.id.to_string()>{c.name.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                </Show>
                <label>"学科（科任教师必填）"<input type="text" maxlength="16" placeholder="如 数学" bind:value=subject/></label>
                <button type="submit" class="primary" disabled=move || create.pending().get()>"创建账号"</button>
            </form>
        </details>
    }
}

#[component]
fn StaffList(staff: Vec<StaffMember>, reset: ServerAction<ResetStaffPassword>) -> impl IntoView {
    view! {
        <table class="roster">
            <thead><tr><th>"姓名"</th><th>"角色"</th><th></th></tr></thead>
            <tbody>
                {staff.into_iter().map(|m| {
                    let id = m.id;
                    view! {
                        <tr data-testid="staff-row">
                            <td>
                                {m.display_name}<br/><small class="hint">{m.username}</small>
                                {m.must_change_password.then(|| view! { <span class="tag">"待改密"</span> })}
                            </td>
                            <td>{m.roles.iter().map(|r| view! {
                                <div><span class="role">{r.label.clone()}</span>" "<small>{r.scope.clone()}</small></div>
                            }).collect_view()}</td>
                            <td>
                                <button class="secondary small" on:click=move |_| {
                                    reset.dispatch(ResetStaffPassword { user_id: id });
                                }>"重置密码"</button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// 批量导入教师: choose a file, check it (every bad row explained), then
/// import; the new accounts' initial passwords are listed once, to print.
#[component]
fn TeacherImport() -> impl IntoView {
    use super::import::TeacherImportReport;
    // The file is read from the input when sent: a browser File kept in a
    // local StoredValue would be dropped on another server thread after
    // rendering, which panics and cuts the page short.
    let input = NodeRef::<leptos::html::Input>::new();
    let report = RwSignal::new(None::<TeacherImportReport>);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let pick = move |_| {
        report.set(None);
        problem.set(None);
    };
    let send = move |step: &'static str| {
        #[cfg(feature = "hydrate")]
        {
            let chosen = input
                .get_untracked()
                .and_then(|i| i.files())
                .and_then(|files| files.get(0));
            let Some(chosen) = chosen else {
                problem.set(Some("请先选择文件".into()));
                return;
            };
            busy.set(true);
            leptos::task::spawn_local(async move {
                let url = format!("/api/v1/imports/teachers/{step}");
                let answer = crate::sync::http::post_blob::<TeacherImportReport>(
                    &url,
                    &chosen,
                    "application/octet-stream",
                )
                .await;
                busy.set(false);
                match answer {
                    Ok(r) => {
                        problem.set(None);
                        report.set(Some(r));
                    }
                    Err(e) => problem.set(Some(e.to_string())),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (step, input);
    };
    view! {
        <details class="card">
            <summary>"批量导入教师"</summary>
            <p class="hint">"Excel 或 CSV，表头：姓名、用户名（或手机号）、角色（校长、副校长、班主任、科任教师、学校管理员、家访审核员，多个用顿号分隔）、班级（如 三年级(1)班）、学科。先检查，再导入；再次导入同一文件不会重复建账号。"</p>
            <input type="file" accept=".xlsx,.xls,.csv" data-testid="teacher-file" node_ref=input on:change=pick/>
            <div class="admin-links">
                <button type="button" class="secondary" disabled=move || busy.get() on:click=move |_| send("preview")>"检查"</button>
                <button type="button" class="primary" data-testid="teacher-commit"
                    disabled=move || busy.get() || !report.get().is_some_and(|r| !r.committed && r.valid_rows > 0)
                    on:click=move |_| send("commit")>"导入"</button>
            </div>
            {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            {move || report.get().map(|r| view! {
                <p data-testid="teacher-report">{format!(
                    "共 {} 行：{} 行有效（新建 {}，更新角色 {}，无变化 {}），{} 行有错误{}",
                    r.total_rows, r.valid_rows, r.to_create, r.to_update, r.unchanged,
                    r.errors.iter().map(|e| e.row).collect::<std::collections::BTreeSet<_>>().len(),
                    if r.committed { "。已导入。" } else { "。" }
                )}</p>
                <ul class="plain">
                    {r.errors.iter().map(|e| view! { <li class="error">{format!("第 {} 行「{}」：{}", e.row, e.column, e.message)}</li> }).collect_view()}
                </ul>
                {(!r.created.is_empty()).then(|| view! {
                    <p class="notice">"新账号的初始密码只显示这一次，请打印或抄下后当面转告本人；首次登录须修改密码。"</p>
                    <table class="data" data-testid="teacher-passwords">
                        <thead><tr><th>"用户名"</th><th>"初始密码"</th></tr></thead>
                        <tbody>
                            {r.created.iter().map(|p| view! { <tr><td>{p.username.clone()}</td><td><strong>{p.initial_password.clone()}</strong></td></tr> }).collect_view()}
                        </tbody>
                    </table>
                })}
            })}
        </details>
    }
}
