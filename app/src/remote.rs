//! Reading the REST API from pages that only make sense online (dashboards,
//! reviews): the page renders "加载中" on the server and fetches in the
//! browser, again whenever the address it depends on changes.

use leptos::prelude::*;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// The answer of `GET url()`; `None` while loading (and on the server).
/// `reload` fetches again (after a change was saved).
pub struct Remote<T: Send + Sync + 'static> {
    pub value: RwSignal<Option<Result<T, AppError>>>,
    pub reload: RwSignal<u64>,
}

impl<T: Send + Sync + 'static> Clone for Remote<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Remote<T> {}

impl<T: Send + Sync + 'static> Remote<T> {
    pub fn refetch(&self) {
        self.reload.update(|n| *n += 1);
    }
}

pub fn remote_json<T>(url: impl Fn() -> String + Send + Sync + 'static) -> Remote<T>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let remote = Remote {
        value: RwSignal::new(None),
        reload: RwSignal::new(0),
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        remote.reload.track();
        let url = url();
        leptos::task::spawn_local(async move {
            let answer = crate::sync::http::get_json::<T>(&url).await;
            remote.value.set(Some(answer));
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
    remote
}
