//! The root component, routes and the HTML shell.

use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::audit::page::AuditPage;
use crate::auth::pages::{ChangePasswordPage, LoginPage, provide_auth};
use crate::home::HomePage;
use crate::layout::NotFound;
use crate::quotas::dashboard_page::{AreaDashboardPage, SchoolDashboardPage};
use crate::quotas::page::TasksPage;
use crate::quotas::rules_page::RulesPage;
use crate::reviews::page::ReviewsPage;
use crate::roster::detail::StudentPage;
use crate::roster::import::page::ImportPage;
use crate::roster::pages::StudentsPage;
use crate::semesters::page::SemestersPage;
use crate::staff::page::StaffPage;
use crate::visits::detail::VisitDetailPage;
use crate::visits::form::VisitFormPage;
use crate::visits::list::VisitsPage;
use crate::visits::plans_page::PlansPage;

/// The HTML document rendered by the server around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="zh-CN">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
                <script src="/register-sw.js" defer></script>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_auth();
    let sync = crate::sync::provide_sync_status();
    start_sync(sync);

    view! {
        <Stylesheet id="leptos" href="/pkg/jiafang.css"/>
        <Title text="家访通"/>
        <Meta name="theme-color" content="#1f6f5c"/>
        <Meta name="description" content="家访通：家访记录、任务与控辍保学台账"/>
        <Link rel="manifest" href="/manifest.webmanifest"/>
        <Link rel="icon" href="/icons/icon-192.png"/>
        <Link rel="apple-touch-icon" href="/icons/icon-192.png"/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage/>
                <Route path=path!("/change-password") view=ChangePasswordPage/>
                <Route path=path!("/") view=HomePage/>
                <Route path=path!("/students") view=StudentsPage/>
                <Route path=path!("/students/import") view=ImportPage/>
                <Route path=path!("/students/edit") view=crate::roster::edit_page::StudentEditPage/>
                <Route path=path!("/students/:id") view=StudentPage/>
                <Route path=path!("/students/:id/case") view=crate::dropout::case_page::CasePage/>
                <Route path=path!("/staff") view=StaffPage/>
                <Route path=path!("/classes") view=crate::classes::page::ClassesPage/>
                <Route path=path!("/audit") view=AuditPage/>
                <Route path=path!("/visits") view=VisitsPage/>
                <Route path=path!("/visits/new") view=VisitFormPage/>
                <Route path=path!("/visits/view") view=VisitDetailPage/>
                <Route path=path!("/visits/plans") view=PlansPage/>
                <Route path=path!("/tasks") view=TasksPage/>
                <Route path=path!("/dashboard") view=SchoolDashboardPage/>
                <Route path=path!("/dashboard/area") view=AreaDashboardPage/>
                <Route path=path!("/reviews") view=ReviewsPage/>
                <Route path=path!("/quota-rules") view=RulesPage/>
                <Route path=path!("/semesters") view=SemestersPage/>
                <Route path=path!("/attendance") view=crate::attendance::page::AttendancePage/>
                <Route path=path!("/absences") view=crate::dropout::tasks_page::AbsenceTasksPage/>
                <Route path=path!("/notifications") view=crate::notifications::page::NotificationsPage/>
                <Route path=path!("/ledgers") view=crate::dropout::ledgers_page::LedgersPage/>
                <Route path=path!("/home-teaching") view=crate::home_teaching::page::HomeTeachingPage/>
                <Route path=path!("/reports") view=crate::reports::page::ReportsPage/>
            </Routes>
        </Router>
    }
}

/// In the browser: tell the sync engine whose records to send once the
/// account is known, and keep the offline pages cached for that account.
fn start_sync(sync: crate::sync::SyncStatus) {
    #[cfg(feature = "hydrate")]
    {
        let me = expect_context::<crate::auth::pages::Auth>().me;
        Effect::new(move |_| {
            let (id, records) = match me.get() {
                Some(Ok(Some(me))) if !me.must_change_password => {
                    (Some(me.id), me.records_visits())
                }
                _ => (None, false),
            };
            sync.records_visits.set(records);
            if sync.user_id.get_untracked() != id {
                sync.user_id.set(id);
                if let Some(id) = id.filter(|_| records) {
                    cache_offline_pages(id);
                }
            }
        });
        crate::sync::engine::start(sync);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = sync;
}

/// Saves the pages a teacher must be able to open with no signal right
/// after login (see `public/register-sw.js`).
/// Once per browser session and account (the worker keeps them fresh on
/// every later visit anyway).
#[cfg(feature = "hydrate")]
fn cache_offline_pages(user_id: i32) {
    const OFFLINE_PAGES: [&str; 8] = [
        "/",
        "/tasks",
        "/attendance",
        "/absences",
        "/visits",
        "/visits/new",
        "/visits/view",
        "/visits/plans",
    ];
    const DONE_KEY: &str = "jiafang-offline-pages";
    use wasm_bindgen::JsValue;
    let Some(window) = web_sys::window() else {
        return;
    };
    let session = window.session_storage().ok().flatten();
    if let Some(session) = &session {
        if session.get_item(DONE_KEY).ok().flatten() == Some(user_id.to_string()) {
            return;
        }
        let _ = session.set_item(DONE_KEY, &user_id.to_string());
    }
    let Ok(cache_page) = js_sys::Reflect::get(&window, &JsValue::from_str("jiafangCachePage"))
    else {
        return;
    };
    let Ok(cache_page) = wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(cache_page) else {
        return;
    };
    for page in OFFLINE_PAGES {
        let _ = cache_page.call1(&JsValue::NULL, &JsValue::from_str(page));
    }
}
