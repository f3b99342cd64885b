//! The frame around every signed-in page: a header with the app name, the
//! network state and the person; the page; a bottom navigation bar sized
//! for thumbs on a 360 px phone.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::auth::Me;
use crate::error::AppError;

/// The five areas of the app, in navigation order: (path, label, icon).
/// Icons are inline SVG paths: emoji fonts are missing on many cheap phones.
pub const AREAS: [(&str, &str, &str); 5] = [
    ("/visits", "家访", "M12 3l9 8h-3v9h-5v-6h-2v6H6v-9H3z"),
    (
        "/tasks",
        "任务",
        "M19 3H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2V5a2 2 0 0 0-2-2zm-9 14l-5-5 1.4-1.4 3.6 3.6 7.6-7.6L19 8z",
    ),
    (
        "/students",
        "学生",
        "M16 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm-8 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm0 2c-2.33 0-7 1.17-7 3.5V19h14v-2.5C15 14.17 10.33 13 8 13zm8 0c-.29 0-.62.02-.97.05 1.16.84 1.97 1.97 1.97 3.45V19h6v-2.5c0-2.33-4.67-3.5-7-3.5z",
    ),
    (
        "/ledgers",
        "台账",
        "M18 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2zM6 4h5v8l-2.5-1.5L6 12z",
    ),
    (
        "/reports",
        "报表",
        "M5 9.2h3V19H5zM10.6 5h2.8v14h-2.8zm5.6 8H19v6h-2.8z",
    ),
];

#[component]
pub fn Icon(path: &'static str) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d=path/>
        </svg>
    }
}

#[component]
pub fn AppFrame(me: Me, children: Children) -> impl IntoView {
    let online = network_status();
    view! {
        <div class="app">
            <header class="topbar">
                <A href="/" attr:class="brand">"家访通"</A>
                <crate::sync::PendingBadge/>
                <crate::notifications::page::NotificationBell/>
                <span class="net" class:offline=move || !online.get() data-testid="net-status">
                    {move || if online.get() { "在线" } else { "离线" }}
                </span>
                <span class="who" data-testid="topbar-user">{me.display_name.clone()}</span>
            </header>
            <main class="page">{children()}</main>
            <nav class="tabbar" data-testid="main-nav" aria-label="主导航">
                {AREAS
                    .into_iter()
                    .map(|(href, label, icon)| {
                        view! {
                            <A href=href attr:class="tab">
                                <Icon path=icon/>
                                <span class="tab-label">{label}</span>
                            </A>
                        }
                    })
                    .collect_view()}
            </nav>
        </div>
    }
}

/// `navigator.onLine`, kept up to date by the browser's online/offline
/// events. Starts as online on the server and during hydration.
fn network_status() -> ReadSignal<bool> {
    let (online, set_online) = signal(true);
    #[cfg(feature = "hydrate")]
    {
        Effect::new(move |_| {
            if let Some(window) = web_sys::window() {
                set_online.set(window.navigator().on_line());
            }
        });
        let on = window_event_listener(leptos::ev::online, move |_| set_online.set(true));
        let off = window_event_listener(leptos::ev::offline, move |_| set_online.set(false));
        on_cleanup(move || {
            on.remove();
            off.remove();
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = set_online;
    online
}

#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.to_string()}</p> }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading">"加载中…"</p> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="page narrow">
            <h1>"页面不存在"</h1>
            <p><a href="/">"返回首页"</a></p>
        </main>
    }
}
