//! The frame around every signed-in page: a header with the app name, the
//! network state and the person; the page; a bottom navigation bar sized
//! for thumbs on a 360 px phone.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::auth::Me;
use crate::error::AppError;

/// The five areas of the app, in navigation order: (path, label, icon).
pub const AREAS: [(&str, &str, &str); 5] = [
    ("/visits", "家访", "🏠"),
    ("/tasks", "任务", "✅"),
    ("/students", "学生", "👥"),
    ("/ledgers", "台账", "📒"),
    ("/reports", "报表", "📊"),
];

#[component]
pub fn AppFrame(me: Me, children: Children) -> impl IntoView {
    let online = network_status();
    view! {
        <div class="app">
            <header class="topbar">
                <A href="/" attr:class="brand">"家访通"</A>
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
                                <span class="tab-icon" aria-hidden="true">{icon}</span>
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
