//! 审计日志: who changed what and when, newest first, a page of 100 at a
//! time, filtered by action and date (Beijing days).

use chrono::NaiveDate;
use leptos::prelude::*;

use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::{ACTIONS, AuditEntryView, AuditFilter, PAGE_SIZE, action_label, audit_entries};
use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};

#[component]
pub fn AuditPage() -> impl IntoView {
    view! { <Authenticated view=|_| view! { <Entries/> }/> }
}

/// The filter in the address (`?action=&from=&to=&before_id=`): the form
/// is a plain GET form, so it works before the script has loaded, and a
/// reload or a shared link shows the same entries.
fn filter_of(query: &leptos_router::params::ParamsMap) -> AuditFilter {
    let day = |key: &str| {
        query
            .get(key)
            .and_then(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok())
    };
    AuditFilter {
        action: query
            .get("action")
            .filter(|a| ACTIONS.iter().any(|(code, _)| code == a)),
        from: day("from"),
        to: day("to"),
        before_id: query.get("before_id").and_then(|v| v.parse().ok()),
    }
}

/// The address of the same filter on another page (`before_id`).
fn page_href(f: &AuditFilter, before_id: Option<i32>) -> String {
    let mut parts = Vec::new();
    if let Some(a) = &f.action {
        parts.push(format!("action={a}"));
    }
    if let Some(d) = f.from {
        parts.push(format!("from={d}"));
    }
    if let Some(d) = f.to {
        parts.push(format!("to={d}"));
    }
    if let Some(id) = before_id {
        parts.push(format!("before_id={id}"));
    }
    format!("/audit?{}", parts.join("&"))
}

#[component]
fn Entries() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| filter_of(&query.read()));
    let entries = Resource::new(
        move || filter.get(),
        |f| audit_entries(f.before_id, f.action, f.from, f.to),
    );
    let shown = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    view! {
        <h1>"审计日志"</h1>
        <Form method="GET" action="/audit" attr:class="card form filters" attr:data-testid="audit-filter">
            <label>"操作"
                <select name="action" prop:value=move || filter.get().action.unwrap_or_default()>
                    <option value="">"全部"</option>
                    {ACTIONS.iter().map(|(code, label)| view! {
                        <option value=*code>{*label}</option>
                    }).collect_view()}
                </select>
            </label>
            <div class="two">
                <label>"从"
                    <input type="date" name="from" prop:value=move || shown(filter.get().from)/>
                </label>
                <label>"到（含）"
                    <input type="date" name="to" prop:value=move || shown(filter.get().to)/>
                </label>
            </div>
            <div class="actions">
                <button type="submit" class="primary">"查询"</button>
            </div>
        </Form>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let f = filter.get_untracked();
                match entries.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted" data-testid="audit-empty">"没有符合条件的记录。"</p>
                    }.into_any(),
                    Ok(list) => {
                        let older = list
                            .last()
                            .filter(|_| list.len() as u64 >= PAGE_SIZE)
                            .map(|e| page_href(&f, Some(e.id)));
                        let newest = f.before_id.map(|_| page_href(&f, None));
                        view! {
                            <div class="table-wrap">
                                <table class="data">
                                    <thead><tr><th>"时间"</th><th>"人员"</th><th>"操作"</th><th>"内容"</th></tr></thead>
                                    <tbody>{list.into_iter().map(entry_row).collect_view()}</tbody>
                                </table>
                            </div>
                            <div class="actions">
                                {newest.map(|href| view! { <a class="button-link secondary" href=href>"最新的记录"</a> })}
                                {older.map(|href| view! { <a class="button-link secondary" href=href>"更早的记录"</a> })}
                            </div>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn entry_row(e: AuditEntryView) -> impl IntoView {
    // Beijing time (UTC+8, no daylight saving).
    let at = e.at + chrono::Duration::hours(8);
    let what = format!(
        "{}{}",
        action_label(&e.action),
        e.entity_id.map(|id| format!(" #{id}")).unwrap_or_default()
    );
    view! {
        <tr data-testid="audit-row">
            <td>{at.format("%Y-%m-%d %H:%M").to_string()}</td>
            <td>{e.actor.unwrap_or_else(|| "系统".into())}{e.school.map(|s| view! { <br/><small class="muted">{s}</small> })}</td>
            <td>{what}</td>
            <td>{e.detail.as_deref().map(readable_detail).map(|text| view! {
                <details><summary>"详情"</summary><pre class="detail">{text}</pre></details>
            })}</td>
        </tr>
    }
}

/// The stored JSON, indented (it names fields and ids, not personal data).
fn readable_detail(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| json.to_owned())
}
