//! The visit pages' access to the phone's store (browser only): load and
//! save records, and read what the engine cached for offline use.

use leptos::prelude::*;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::roster::StudentSummary;
use crate::sync::engine::{COLLEAGUES_KEY, ROSTER_KEY, ROSTER_URL, SERVER_VISITS_KEY};
use crate::sync::store::{BLOBS, CACHE, DeviceStore, PLANS, VISITS};
use crate::sync::{SyncStatus, engine};
use crate::visits::local::{LocalPlan, LocalVisit};
use crate::visits::model::{PersonRef, VisitView};

pub async fn store(status: SyncStatus) -> Result<DeviceStore, AppError> {
    let user_id = status
        .user_id
        .get_untracked()
        .ok_or(AppError::Unauthenticated)?;
    DeviceStore::open(user_id).await
}

pub async fn save_visit(status: SyncStatus, visit: &LocalVisit) -> Result<(), AppError> {
    let store = store(status).await?;
    store.put(VISITS, &visit.id.to_string(), visit).await?;
    engine::refresh_pending(status, &store).await?;
    status.touch();
    Ok(())
}

pub async fn load_visit(status: SyncStatus, id: &str) -> Result<Option<LocalVisit>, AppError> {
    store(status).await?.get(VISITS, id).await
}

pub async fn local_visits(status: SyncStatus) -> Result<Vec<LocalVisit>, AppError> {
    let mut visits: Vec<LocalVisit> = store(status).await?.all(VISITS).await?;
    visits.sort_by(|a, b| b.updated_at_ms.total_cmp(&a.updated_at_ms));
    Ok(visits)
}

/// Deletes a draft the teacher threw away, with its files.
pub async fn delete_draft(status: SyncStatus, visit: &LocalVisit) -> Result<(), AppError> {
    let store = store(status).await?;
    for blob in visit.photos.iter().chain(visit.signature.iter()) {
        store.delete(BLOBS, &blob.sha256).await?;
    }
    store.delete(VISITS, &visit.id.to_string()).await?;
    engine::refresh_pending(status, &store).await?;
    status.touch();
    Ok(())
}

pub async fn save_plan(status: SyncStatus, plan: &LocalPlan) -> Result<(), AppError> {
    let store = store(status).await?;
    store.put(PLANS, &plan.id.to_string(), plan).await?;
    engine::refresh_pending(status, &store).await?;
    status.touch();
    Ok(())
}

pub async fn local_plans(status: SyncStatus) -> Result<Vec<LocalPlan>, AppError> {
    let mut plans: Vec<LocalPlan> = store(status).await?.all(PLANS).await?;
    plans.sort_by(|a, b| b.updated_at_ms.total_cmp(&a.updated_at_ms));
    Ok(plans)
}

async fn cached<T: DeserializeOwned>(status: SyncStatus, key: &str) -> Vec<T> {
    match store(status).await {
        Ok(store) => store
            .get::<Vec<T>>(CACHE, key)
            .await
            .ok()
            .flatten()
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// The roster from the last sync; fetched now if there is none yet.
pub async fn roster(status: SyncStatus) -> Result<Vec<StudentSummary>, AppError> {
    let list: Vec<StudentSummary> = cached(status, ROSTER_KEY).await;
    if !list.is_empty() {
        return Ok(list);
    }
    engine::refresh_cached(&store(status).await?, ROSTER_KEY, ROSTER_URL).await
}

pub async fn colleagues(status: SyncStatus) -> Vec<PersonRef> {
    cached(status, COLLEAGUES_KEY).await
}

pub async fn server_visits(status: SyncStatus) -> Vec<VisitView> {
    cached(status, SERVER_VISITS_KEY).await
}

/// A query parameter of the current address (pages that must open offline
/// read it in the browser only, so the server's HTML never depends on it).
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
        .filter(|v| !v.is_empty())
}

/// Replaces the address without navigating (so a reload reopens the same draft).
pub fn replace_url(url: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
    }
}
