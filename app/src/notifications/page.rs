//! 消息 (`/notifications`): the list, newest first; opening one marks it read.

use leptos::prelude::*;

use super::NotificationList;
use crate::auth::Me;
use crate::auth::pages::Authenticated;
use crate::layout::{ErrorNotice, Loading};
use crate::remote::remote_json;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    view! { <Authenticated view=notifications/> }
}

/// Opening a notification marks it read (the page it links to loads
/// meanwhile; a failure only leaves it unread).
fn mark_one(id: i32) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        let _ = crate::sync::http::post_json::<_, NotificationList>(
            "/api/v1/notifications/read",
            &super::MarkRead { ids: vec![id] },
        )
        .await;
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

fn notifications(_me: Me) -> impl IntoView {
    let data = remote_json::<NotificationList>(|| "/api/v1/notifications".to_owned());
    let mark_all = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let _ = crate::sync::http::post_json::<_, NotificationList>(
                "/api/v1/notifications/read",
                &super::MarkRead::default(),
            )
            .await;
            data.refetch();
        });
    };
    view! {
        <h1>"消息"</h1>
        {move || match data.value.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            Some(Ok(list)) if list.items.is_empty() => {
                view! { <p class="muted" data-testid="no-notifications">"暂无消息。"</p> }.into_any()
            }
            Some(Ok(list)) => view! {
                <p class="muted">{format!("未读 {} 条", list.unread)}
                    <button type="button" class="small secondary" on:click=mark_all>"全部标为已读"</button>
                </p>
                <ul class="notice-list" data-testid="notification-list">
                    {list.items.into_iter().map(|n| {
                        let id = n.id;
                        view! {
                        <li class:unread=!n.read>
                            <a href=n.link.clone() on:click=move |_| mark_one(id)>
                                <strong>{n.title.clone()}</strong>
                                <span>{n.body.clone()}</span>
                                <small>{crate::visits::model::china_time(n.created_at).format("%m-%d %H:%M").to_string()}</small>
                            </a>
                        </li>
                    }}).collect_view()}
                </ul>
            }.into_any(),
        }}
    }
}

/// 消息 with the unread count in the header; refreshed whenever a sync
/// pass finishes (so it follows the phone coming back online).
#[component]
pub fn NotificationBell() -> impl IntoView {
    let unread = RwSignal::new(0u64);
    #[cfg(feature = "hydrate")]
    {
        let status = crate::sync::sync_status();
        // Once on load and after each sync pass, not on every record the
        // pass settles: a pass over 30 records must not cost 30 requests.
        Effect::new(move |_| {
            if status.running.get() {
                return;
            }
            leptos::task::spawn_local(async move {
                if let Ok(list) =
                    crate::sync::http::get_json::<NotificationList>("/api/v1/notifications").await
                {
                    unread.set(list.unread);
                }
            });
        });
    }
    view! {
        <a href="/notifications" class="bell" data-testid="notification-bell" aria-label="消息">
            "消息"
            {move || (unread.get() > 0).then(|| view! { <span class="count">{unread.get()}</span> })}
        </a>
    }
}
