//! The root component, routes and the HTML shell.

use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::audit::page::AuditPage;
use crate::auth::pages::{ChangePasswordPage, LoginPage, provide_auth};
use crate::home::{AreaPage, HomePage};
use crate::layout::NotFound;
use crate::roster::detail::StudentPage;
use crate::roster::import::page::ImportPage;
use crate::roster::pages::StudentsPage;
use crate::staff::page::StaffPage;

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
                <Route path=path!("/students/:id") view=StudentPage/>
                <Route path=path!("/staff") view=StaffPage/>
                <Route path=path!("/audit") view=AuditPage/>
                <Route path=path!("/visits") view=|| view! { <AreaPage area="visits"/> }/>
                <Route path=path!("/tasks") view=|| view! { <AreaPage area="tasks"/> }/>
                <Route path=path!("/ledgers") view=|| view! { <AreaPage area="ledgers"/> }/>
                <Route path=path!("/reports") view=|| view! { <AreaPage area="reports"/> }/>
            </Routes>
        </Router>
    }
}
