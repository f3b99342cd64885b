//! One synced visit (`/visits/view?id=<uuid>`), laid out as the paper
//! 家访记录表 so it prints on A4 with photos and the parent's signature.

use leptos::prelude::*;

use crate::auth::pages::Authenticated;
use crate::reviews::ReviewStatus;
use crate::sync::sync_status;
use crate::visits::model::{VisitView, china_time};

#[component]
pub fn VisitDetailPage() -> impl IntoView {
    view! { <Authenticated view=|me: crate::auth::Me| view! { <VisitDetail me_id=me.id/> }/> }
}

#[component]
fn VisitDetail(me_id: i32) -> impl IntoView {
    let status = sync_status();
    let visit = RwSignal::new(None::<Result<VisitView, String>>);

    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if status.user_id.get().is_none() {
            return;
        }
        leptos::task::spawn_local(async move {
            let Some(id) = crate::visits::device::query_param("id") else {
                visit.set(Some(Err("缺少记录编号".into())));
                return;
            };
            let cached = crate::visits::device::server_visits(status)
                .await
                .into_iter()
                .find(|v| v.id.to_string() == id);
            if let Some(v) = cached.clone() {
                visit.set(Some(Ok(v)));
            }
            match crate::sync::http::get_json::<VisitView>(&format!("/api/v1/visits/{id}")).await {
                Ok(v) => visit.set(Some(Ok(v))),
                Err(e) if cached.is_none() => visit.set(Some(Err(e.to_string()))),
                Err(_) => {}
            }
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = status;

    view! {
        {move || match visit.get() {
            None => view! { <p class="loading">"正在打开…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(v)) => view! { <VisitSheet v me_id/> }.into_any(),
        }}
    }
}

/// Opens a synced visit in the form as a draft on top of its revision
/// (unless the phone still holds unsent changes to it).
#[cfg(feature = "hydrate")]
async fn amend(v: VisitView) -> Result<String, crate::error::AppError> {
    use crate::sync::engine::{now_ms, offset_minutes};
    use crate::visits::device;
    use crate::visits::local::{LocalState, LocalVisit};
    let status = sync_status();
    let id = v.id.to_string();
    let unsent = device::load_visit(status, &id)
        .await?
        .is_some_and(|l| l.state != LocalState::Synced);
    if !unsent {
        device::save_visit(
            status,
            &LocalVisit::from_server(&v, offset_minutes(), now_ms()),
        )
        .await?;
    }
    Ok(format!("/visits/new?draft={id}"))
}

#[component]
fn VisitSheet(v: VisitView, me_id: i32) -> impl IntoView {
    let row = |label: &'static str, value: String| {
        view! { <tr><th>{label}</th><td>{if value.is_empty() { "—".to_owned() } else { value }}</td></tr> }
    };
    let visitors = std::iter::once(v.visitor.name.clone())
        .chain(v.co_visitors.iter().map(|p| p.name.clone()))
        .collect::<Vec<_>>()
        .join("、");
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    let mine = v.visitor.id == me_id;
    let problem = RwSignal::new(None::<String>);
    let for_edit = v.clone();
    #[cfg(feature = "hydrate")]
    let navigate = leptos_router::hooks::use_navigate();
    let edit = move |_| {
        let _ = &for_edit;
        #[cfg(feature = "hydrate")]
        {
            let v = for_edit.clone();
            let navigate = navigate.clone();
            leptos::task::spawn_local(async move {
                match amend(v).await {
                    Ok(url) => navigate(&url, Default::default()),
                    Err(e) => problem.set(Some(e.to_string())),
                }
            });
        }
    };
    let review = v.review_status;
    view! {
        <article class="visit-sheet" data-testid="visit-sheet">
            <div class="title-row no-print">
                <a href="/visits">"← 我的家访"</a>
                {mine.then(|| view! {
                    <button type="button" class="secondary" data-testid="amend-visit" on:click=edit.clone()>"修改"</button>
                })}
                <button type="button" class="secondary" on:click=print>"打印家访记录表"</button>
            </div>
            {(review != ReviewStatus::Pending).then(|| view! {
                <p class=format!("review-banner review-{} no-print", review.code()) data-testid="review-banner">
                    "学校审核：" {review.label()}
                    {v.review_note.clone().map(|n| format!("。{n}"))}
                    {(review == ReviewStatus::Returned && mine).then_some("（请点“修改”补充后重新提交）")}
                </p>
            })}
            {move || problem.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <h1>"家访记录表"</h1>
            <table class="sheet">
                <tbody>
                    {row("学生", format!("{}（{}）", v.student_name, v.class_name))}
                    {row("家访时间", v.visited_at.format("%Y年%m月%d日 %H:%M").to_string())}
                    {row("家访方式", v.mode.label().to_owned())}
                    {row("家访原因", v.reason.label().to_owned())}
                    {v.duration_minutes.map(|m| row("送教时长", format!("{m} 分钟")))}
                    {row("家访人员", visitors)}
                    {row("接待人", format!("{} {}", v.met_person, v.met_relation).trim().to_owned())}
                    {row("家庭情况", v.family_situation.clone())}
                    {row("学生在家表现", v.home_behaviour.clone())}
                    {row("在校表现反馈", v.school_performance.clone())}
                    {row("谈话要点", v.summary.clone())}
                    {row("家长意见和要求", v.parent_opinion.clone())}
                    {row("后续措施", v.follow_up.clone())}
                    <tr>
                        <th>"家长签名"</th>
                        <td>
                            {match (&v.signature, &v.no_signature_reason) {
                                (Some(sha), _) => view! {
                                    <img class="signature" src=format!("/api/v1/attachments/{sha}") alt="家长签名"/>
                                }.into_any(),
                                (None, Some(reason)) => view! { <span class="alert">"未签名：" {reason.clone()}</span> }.into_any(),
                                (None, None) => view! { <span>"—"</span> }.into_any(),
                            }}
                        </td>
                    </tr>
                </tbody>
            </table>
            <div class="sheet-photos" data-testid="sheet-photos">
                {v.photos.iter().map(|sha| view! {
                    <a href=format!("/api/v1/attachments/{sha}") target="_blank">
                        <img src=format!("/api/v1/attachments/{sha}") alt="家访照片" loading="lazy"/>
                    </a>
                }).collect_view()}
            </div>
            <p class="muted">{format!("第 {} 版 · 最后更新 {}", v.revision, china_time(v.updated_at).format("%Y-%m-%d %H:%M"))}</p>
        </article>
    }
}
