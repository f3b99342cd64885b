//! 家访记录抽查 (`/reviews`): the school's records this semester, filtered
//! by review state or drawn at random; each can be opened, marked 已审核,
//! or returned (退回) with a reason the teacher will see.

use leptos::prelude::*;

use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};
use crate::remote::remote_json;
use crate::reviews::ReviewStatus;
use crate::visits::VisitView;

#[component]
pub fn ReviewsPage() -> impl IntoView {
    view! { <Authenticated view=|_me| view! { <Reviews/> }/> }
}

#[component]
fn Reviews() -> impl IntoView {
    // "pending" by default: what still needs a look.
    let status = RwSignal::new("pending".to_owned());
    let sample = RwSignal::new(None::<u32>);
    let data = remote_json::<Vec<VisitView>>(move || {
        let mut url = format!("/api/v1/reviews?status={}", status.get());
        if let Some(n) = sample.get() {
            url.push_str(&format!("&sample={n}"));
        }
        url
    });
    view! {
        <h1>"家访记录抽查"</h1>
        <section class="card filters">
            <label>"状态 "
                <select data-testid="review-status" on:change=move |ev| {
                    sample.set(None);
                    status.set(event_target_value(&ev));
                }>
                    <option value="pending" selected>"待审核"</option>
                    <option value="returned">"退回"</option>
                    <option value="approved">"已审核"</option>
                    <option value="all">"全部"</option>
                </select>
            </label>
            <button type="button" class="secondary" data-testid="review-sample"
                on:click=move |_| { sample.set(Some(10)); data.refetch(); }>
                "随机抽查 10 份"
            </button>
        </section>
        {move || match data.value.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            Some(Ok(list)) if list.is_empty() => view! {
                <p class="muted" data-testid="review-empty">"没有符合条件的家访记录。"</p>
            }.into_any(),
            Some(Ok(list)) => view! {
                <ul class="review-list" data-testid="review-list">
                    {list.into_iter().map(|v| view! { <ReviewItem v on_done=move || data.refetch()/> }).collect_view()}
                </ul>
            }.into_any(),
        }}
    }
}

#[component]
fn ReviewItem(v: VisitView, on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let id = v.id;
    let revision = v.revision;
    let decide = move |decision: &'static str| {
        let _ = (decision, id, revision, on_done);
        busy.set(true);
        error.set(None);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let body = serde_json::json!({
                "decision": decision,
                "note": reason.get_untracked(),
                "revision": revision,
            });
            let result = crate::sync::http::post_json::<_, VisitView>(
                &format!("/api/v1/visits/{id}/review"),
                &body,
            )
            .await;
            busy.set(false);
            match result {
                Ok(_) => on_done(),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let state = v.review_status;
    view! {
        <li class="card review-item" data-testid="review-item" data-visit=v.id.to_string()>
            <p>
                <a href=format!("/visits/view?id={}", v.id)><strong>{v.student_name.clone()}</strong></a>
                " " <span class="muted">{v.class_name.clone()}</span>
                <span class=format!("tag review-{}", state.code())>{state.label()}</span>
                {v.flagged.then(|| view! { <span class="tag alert">"无家长签名"</span> })}
            </p>
            <p class="muted">
                {v.visitor.name.clone()} " · " {v.visited_at.format("%Y-%m-%d %H:%M").to_string()}
                " · " {v.mode.label()} " · 照片 " {v.photos.len()} " 张"
            </p>
            <p class="summary">{v.summary.clone()}</p>
            {v.review_note.clone().map(|n| view! { <p class="muted">"审核意见：" {n}</p> })}
            <div class="review-actions">
                <input type="text" maxlength="500" placeholder="退回原因（退回时必填）"
                    data-testid="review-reason"
                    prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))/>
                <button type="button" data-testid="review-approve" disabled=move || busy.get()
                    hidden=state == ReviewStatus::Approved
                    on:click=move |_| decide("approved")>"已审核"</button>
                <button type="button" class="danger" data-testid="review-return" disabled=move || busy.get()
                    hidden=state == ReviewStatus::Returned
                    on:click=move |_| decide("returned")>"退回"</button>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </li>
    }
}
