//! Login, password change, logout, and the gate around signed-in pages.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::auth::server_fns::{ChangePassword, Login, Logout, get_me};
use crate::auth::{MIN_PASSWORD_CHARS, Me};
use crate::error::{AppError, plain_form_error_message};
use crate::layout::{AppFrame, ErrorNotice, Loading};

/// The auth actions and the current-user resource, shared through context.
/// The resource re-runs whenever one of the actions completes.
#[derive(Clone, Copy)]
pub struct Auth {
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
    pub change_password: ServerAction<ChangePassword>,
    pub me: Resource<Result<Option<Me>, AppError>>,
}

pub fn provide_auth() {
    let login = ServerAction::<Login>::new();
    let logout = ServerAction::<Logout>::new();
    let change_password = ServerAction::<ChangePassword>::new();
    let me = Resource::new(
        move || {
            (
                login.version().get(),
                logout.version().get(),
                change_password.version().get(),
            )
        },
        |_| get_me(),
    );
    provide_context(Auth {
        login,
        logout,
        change_password,
        me,
    });
}

fn auth() -> Auth {
    expect_context::<Auth>()
}

/// Renders `view` with the logged-in person inside the app frame; sends
/// everyone else to the login page (or to the forced password change).
#[component]
pub fn Authenticated<F, IV>(view: F) -> impl IntoView
where
    F: Fn(Me) -> IV + Clone + Send + Sync + 'static,
    IV: IntoView + 'static,
{
    let me = auth().me;
    view! {
        <Suspense fallback=Loading>
            {move || {
                let view = view.clone();
                Suspend::new(async move {
                    match me.await {
                        Ok(Some(me)) if me.must_change_password => {
                            view! { <Redirect path="/change-password"/> }.into_any()
                        }
                        Ok(Some(me)) => {
                            let page = view(me.clone());
                            view! { <AppFrame me=me>{page}</AppFrame> }.into_any()
                        }
                        Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                        Err(error) => view! { <main class="page narrow"><ErrorNotice error/></main> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The error of the last submission of a form's action, if it failed.
fn action_error<S>(value: S) -> impl IntoView
where
    S: Get<Value = Option<Result<(), AppError>>> + Send + Sync + 'static,
{
    // Before the page's script has loaded, the form is posted the plain way
    // and an error comes back as `?error=<code>` in the address.
    let query = use_query_map();
    move || match value.get() {
        Some(result) => result
            .err()
            .map(|error| view! { <ErrorNotice error/> }.into_any()),
        None => query
            .read()
            .get("error")
            .and_then(|code| plain_form_error_message(&code))
            .map(|message| view! { <p class="error" role="alert">{message}</p> }.into_any()),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let Auth { login, me, .. } = auth();
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                if let Ok(Some(_)) = me.await {
                    return view! { <Redirect path="/"/> }.into_any();
                }
                view! {
                    <main class="page narrow login">
                        <h1 class="login-title">"家访通"</h1>
                        <p class="subtitle">"家访记录 · 任务 · 控辍保学台账"</p>
                        <ActionForm action=login attr:class="card form">
                            <label>
                                "用户名"
                                <input type="text" name="username" autocomplete="username" autocapitalize="off"
                                    required maxlength="64"/>
                            </label>
                            <label>
                                "密码"
                                <input type="password" name="password" autocomplete="current-password" required/>
                            </label>
                            {action_error(login.value())}
                            <button type="submit" class="primary" disabled=move || login.pending().get()>
                                {move || if login.pending().get() { "正在登录…" } else { "登录" }}
                            </button>
                        </ActionForm>
                        <p class="hint">"忘记密码请联系学校管理员重置。"</p>
                    </main>
                }
                    .into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let Auth {
        change_password,
        me,
        ..
    } = auth();
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let forced = match me.await {
                    Ok(Some(me)) => me.must_change_password,
                    _ => return view! { <Redirect path="/login"/> }.into_any(),
                };
                view! {
                    <main class="page narrow">
                        <h1>"修改密码"</h1>
                        {forced.then(|| view! { <p class="notice">"首次登录，请先设置您自己的密码。"</p> })}
                        <ActionForm action=change_password attr:class="card form">
                            <label>
                                "原密码"
                                <input type="password" name="old_password" autocomplete="current-password" required/>
                            </label>
                            <label>
                                "新密码"
                                <input type="password" name="new_password" autocomplete="new-password" required
                                    minlength=MIN_PASSWORD_CHARS.to_string()/>
                            </label>
                            <label>
                                "再次输入新密码"
                                <input type="password" name="confirm_password" autocomplete="new-password" required/>
                            </label>
                            <p class="hint">{format!("至少 {MIN_PASSWORD_CHARS} 位，不能与用户名或原密码相同。")}</p>
                            {action_error(change_password.value())}
                            <button type="submit" class="primary">"保存新密码"</button>
                        </ActionForm>
                        {(!forced).then(|| view! { <p><a href="/">"返回首页"</a></p> })}
                    </main>
                }
                    .into_any()
            })}
        </Suspense>
    }
}

/// Logging out also drops the pages this person's browser cached for
/// offline use (see `register-sw.js`, which watches `data-logout`).
#[component]
pub fn LogoutButton() -> impl IntoView {
    let logout = auth().logout;
    view! {
        <div data-logout="">
            <ActionForm action=logout>
                <button type="submit" class="secondary">"退出登录"</button>
            </ActionForm>
        </div>
    }
}
