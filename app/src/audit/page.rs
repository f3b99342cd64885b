//! 审计日志: the latest 100 entries the caller may read.

use leptos::prelude::*;

use super::{action_label, audit_entries};
use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};

#[component]
pub fn AuditPage() -> impl IntoView {
    view! { <Authenticated view=|_| view! { <Entries/> }/> }
}

#[component]
fn Entries() -> impl IntoView {
    let entries = Resource::new(|| (), |_| audit_entries(None));
    view! {
        <h1>"审计日志"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(list) => view! {
                        <table class="roster">
                            <thead><tr><th>"时间"</th><th>"人员"</th><th>"操作"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|e| {
                                    // Beijing time (UTC+8, no daylight saving).
                                    let at = e.at + chrono::Duration::hours(8);
                                    view! {
                                        <tr data-testid="audit-row">
                                            <td>{at.format("%m-%d %H:%M").to_string()}</td>
                                            <td>{e.actor.unwrap_or_else(|| "系统".into())}</td>
                                            <td>{action_label(&e.action).to_owned()}{e.entity_id.map(|id| format!(" #{id}"))}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
