//! The sync engine: sends what the phone holds, in the background.
//!
//! Runs when the app opens, when the browser says it is back online, after
//! the teacher saves a record, on the 立即同步 button, and after a failure
//! on a doubling timer (2 s … 5 min). One pass at a time; a request during a
//! pass runs one more pass after it.
//!
//! Visits go in groups of up to ten: first every photo and signature of
//! the group (`PUT /api/v1/attachments/{sha256}`, each marked uploaded as
//! soon as the server has it), then the group's records in one request
//! (`POST /api/v1/visits/batch`, one answer per record: one round trip
//! instead of ten on a slow link). Because each UUID was made on the phone
//! and files are named by their hash, a pass cut off anywhere is simply
//! repeated: the server answers a replay with the same result and nothing
//! is counted twice. Local files are only dropped after the server has
//! confirmed the visit.

use std::cell::{Cell, RefCell};

use gloo_timers::callback::Timeout;
use leptos::prelude::*;

use crate::attendance::{LocalRollCall, RollCallView};
use crate::error::AppError;
use crate::sync::status::SyncStatus;
use crate::sync::store::{BLOBS, CACHE, DeviceStore, PLANS, ROLL_CALLS, VISITS};
use crate::sync::{backoff_ms, http};
use crate::visits::local::{LocalPlan, LocalState, LocalVisit};
use crate::visits::model::{
    BatchResults, BatchVisit, PlanView, VisitBatch, VisitInput, VisitSaved,
};

thread_local! {
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    /// Another pass was asked for while one ran (`Some(include_failed)`).
    static AGAIN: Cell<Option<bool>> = const { Cell::new(None) };
    static RETRY: RefCell<Option<Timeout>> = const { RefCell::new(None) };
}

pub const ROSTER_KEY: &str = "roster";
pub const ROSTER_URL: &str = "/api/v1/students";
pub const COLLEAGUES_KEY: &str = "colleagues";
pub const SERVER_VISITS_KEY: &str = "server_visits";

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The phone's UTC offset in minutes east (China: 480).
pub fn offset_minutes() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Starts syncing in the background: now, on every reconnect, and whenever
/// the signed-in person changes.
pub fn start(status: SyncStatus) {
    let on = window_event_listener(leptos::ev::online, move |_| request(status, false));
    // The app frame lives as long as the page; keep listening.
    std::mem::forget(on);
    Effect::new(move |_| {
        if status.user_id.get().is_some() {
            request(status, false);
        }
    });
}

/// Asks for a sync pass. `include_failed` also retries records the server
/// refused before (the teacher pressed 立即同步).
pub fn request(status: SyncStatus, include_failed: bool) {
    leptos::task::spawn_local(run(status, include_failed));
}

async fn run(status: SyncStatus, include_failed: bool) {
    if RUNNING.get() {
        AGAIN.set(Some(AGAIN.get().unwrap_or(false) || include_failed));
        return;
    }
    RUNNING.set(true);
    RETRY.with(|r| r.borrow_mut().take()).map(Timeout::cancel);
    status.running.set(true);
    let mut include_failed = include_failed;
    let retry_after = loop {
        let retry_after = match pass(status, include_failed).await {
            Ok(outcome) => {
                status.last_error.set(outcome.problem);
                outcome.retry_attempts
            }
            Err(err) => {
                status.last_error.set(Some(err.to_string()));
                err.is_transient().then_some(1)
            }
        };
        match AGAIN.take() {
            Some(failed_too) => include_failed = failed_too,
            None => break retry_after,
        }
    };
    status.progress.set(None);
    status.running.set(false);
    RUNNING.set(false);
    if let Some(attempts) = retry_after.filter(|_| online()) {
        let delay = backoff_ms(attempts);
        let timer = Timeout::new(delay, move || request(status, false));
        RETRY.with(|r| *r.borrow_mut() = Some(timer));
    }
}

#[derive(Default)]
struct Outcome {
    /// Something failed in a way worth retrying; the most attempts so far.
    retry_attempts: Option<u32>,
    problem: Option<String>,
}

fn wanted(state: LocalState, include_failed: bool) -> bool {
    match state {
        LocalState::Pending | LocalState::Syncing => true,
        LocalState::Failed => include_failed,
        LocalState::Draft | LocalState::Synced => false,
    }
}

async fn pass(status: SyncStatus, include_failed: bool) -> Result<Outcome, AppError> {
    let Some(user_id) = status.user_id.get_untracked() else {
        return Ok(Outcome::default());
    };
    let store = DeviceStore::open(user_id).await?;
    // The count first: after a reload the header must not say 0 while a
    // slow pass is still sending.
    refresh_pending(status, &store).await?;
    let mut outcome = Outcome::default();
    if online() {
        let mut plans: Vec<LocalPlan> = store.all(PLANS).await?;
        plans.retain(|p| wanted(p.state, include_failed));
        plans.sort_by(|a, b| a.updated_at_ms.total_cmp(&b.updated_at_ms));
        for plan in plans {
            let result = send_plan(&store, &plan).await;
            if !settle(&store, plan, result, &mut outcome).await? {
                break;
            }
            status.touch();
        }
        // Roll calls before visits: a visit then closes the task the roll
        // call opened (the server copes with either order).
        let mut rolls: Vec<LocalRollCall> = store.all(ROLL_CALLS).await?;
        rolls.retain(|r| wanted(r.state, include_failed));
        rolls.sort_by(|a, b| a.updated_at_ms.total_cmp(&b.updated_at_ms));
        for roll in rolls {
            let result = send_roll_call(&store, &roll).await;
            if !settle(&store, roll, result, &mut outcome).await? {
                break;
            }
            status.touch();
        }
        let mut visits: Vec<LocalVisit> = store.all(VISITS).await?;
        visits.retain(|v| wanted(v.state, include_failed));
        visits.sort_by(|a, b| a.updated_at_ms.total_cmp(&b.updated_at_ms));
        for group in crate::visits::sync_batches(&visits, LocalVisit::batch_cost) {
            if !send_visits(&store, status, group, &mut outcome).await? {
                break;
            }
        }
        if outcome.retry_attempts.is_none() && status.records_visits.get_untracked() {
            refresh_cache(&store).await;
            status.touch();
        }
    }
    refresh_pending(status, &store).await?;
    Ok(outcome)
}

/// Recounts the records waiting for the server (shown in the header).
pub async fn refresh_pending(status: SyncStatus, store: &DeviceStore) -> Result<(), AppError> {
    let visits: Vec<LocalVisit> = store.all(VISITS).await?;
    let plans: Vec<LocalPlan> = store.all(PLANS).await?;
    let rolls: Vec<LocalRollCall> = store.all(ROLL_CALLS).await?;
    let pending = visits.iter().filter(|v| v.state.is_unsynced()).count()
        + plans.iter().filter(|p| p.state.is_unsynced()).count()
        + rolls.iter().filter(|r| r.state.is_unsynced()).count();
    status.pending.set(pending);
    Ok(())
}

async fn send_plan(store: &DeviceStore, plan: &LocalPlan) -> Result<(), AppError> {
    let mut syncing = plan.clone();
    syncing.state = LocalState::Syncing;
    store.put(PLANS, &plan.id.to_string(), &syncing).await?;
    let _: PlanView =
        http::put_json(&format!("/api/v1/visit-plans/{}", plan.id), &plan.input).await?;
    Ok(())
}

async fn send_roll_call(store: &DeviceStore, roll: &LocalRollCall) -> Result<(), AppError> {
    let mut syncing = roll.clone();
    syncing.state = LocalState::Syncing;
    store
        .put(
            ROLL_CALLS,
            &LocalRollCall::key(roll.class_id, roll.day),
            &syncing,
        )
        .await?;
    let _: RollCallView = http::put_json(&roll.url(), &roll.input).await?;
    Ok(())
}

/// A record the phone keeps until the server confirms it (plans, roll
/// calls): where it is stored and its sending state.
trait Outboxed: Clone + serde::Serialize + serde::de::DeserializeOwned {
    const STORE: &'static str;
    fn key(&self) -> String;
    fn updated_at_ms(&self) -> f64;
    fn state_mut(&mut self) -> (&mut LocalState, &mut u32, &mut Option<String>);
}

impl Outboxed for LocalPlan {
    const STORE: &'static str = PLANS;
    fn key(&self) -> String {
        self.id.to_string()
    }
    fn updated_at_ms(&self) -> f64 {
        self.updated_at_ms
    }
    fn state_mut(&mut self) -> (&mut LocalState, &mut u32, &mut Option<String>) {
        (&mut self.state, &mut self.attempts, &mut self.error)
    }
}

impl Outboxed for LocalRollCall {
    const STORE: &'static str = ROLL_CALLS;
    fn key(&self) -> String {
        LocalRollCall::key(self.class_id, self.day)
    }
    fn updated_at_ms(&self) -> f64 {
        self.updated_at_ms
    }
    fn state_mut(&mut self) -> (&mut LocalState, &mut u32, &mut Option<String>) {
        (&mut self.state, &mut self.attempts, &mut self.error)
    }
}

/// Records the result of one attempt; `false` stops the pass (signed out).
async fn settle<T: Outboxed>(
    store: &DeviceStore,
    item: T,
    result: Result<(), AppError>,
    outcome: &mut Outcome,
) -> Result<bool, AppError> {
    let key = item.key();
    let mut current: T = store.get(T::STORE, &key).await?.unwrap_or(item.clone());
    let unchanged = current.updated_at_ms() == item.updated_at_ms();
    let (state, attempts, error) = current.state_mut();
    let carry_on = match result {
        Ok(()) if unchanged => {
            *state = LocalState::Synced;
            *error = None;
            *attempts = 0;
            true
        }
        // Changed while it was being sent: send the new version next pass.
        Ok(()) => {
            *state = LocalState::Pending;
            true
        }
        Err(err) => {
            let (new_state, carry_on) = classify(&err, *attempts + 1, outcome);
            *state = new_state;
            *attempts += 1;
            *error = Some(err.to_string());
            carry_on
        }
    };
    store.put(T::STORE, &key, &current).await?;
    Ok(carry_on)
}

/// What a failed attempt means for the record and for the pass.
fn classify(err: &AppError, attempts: u32, outcome: &mut Outcome) -> (LocalState, bool) {
    outcome.problem = Some(err.to_string());
    match err {
        AppError::Unauthenticated | AppError::PasswordChangeRequired => {
            outcome.problem = Some("登录已过期，请重新登录后再同步".into());
            (LocalState::Pending, false)
        }
        e if e.is_transient() => {
            outcome.retry_attempts = Some(outcome.retry_attempts.unwrap_or(0).max(attempts));
            // The network is gone: the rest would fail the same way.
            (LocalState::Pending, !matches!(e, AppError::Network { .. }))
        }
        _ => (LocalState::Failed, true),
    }
}

/// Sends a group of visits: the files of each, then the records that
/// have all their files on the server, in one batch. `false` stops the pass.
async fn send_visits(
    store: &DeviceStore,
    status: SyncStatus,
    group: &[LocalVisit],
    outcome: &mut Outcome,
) -> Result<bool, AppError> {
    let mut ready = Vec::with_capacity(group.len());
    for visit in group {
        match send_files(store, status, visit).await {
            Ok(input) => ready.push((visit, input)),
            Err(err) => {
                let carry_on =
                    settle_visit(store, visit.clone(), Err(err.clone()), outcome).await?;
                if !carry_on {
                    // The group's other records would meet the same fate
                    // (offline, signed out): back to waiting with it.
                    for (waiting, _) in &ready {
                        settle_visit(store, (*waiting).clone(), Err(err.clone()), outcome).await?;
                    }
                }
                refresh_pending(status, store).await?;
                status.touch();
                if !carry_on {
                    return Ok(false);
                }
            }
        }
    }
    if ready.is_empty() {
        return Ok(true);
    }
    status
        .progress
        .set(Some(format!("正在提交 {} 条家访记录", ready.len())));
    let batch = VisitBatch {
        visits: ready
            .iter()
            .map(|(visit, input)| BatchVisit {
                id: visit.id,
                visit: input.clone(),
            })
            .collect(),
    };
    let answers = http::post_json::<_, BatchResults>("/api/v1/visits/batch", &batch).await;
    let mut carry_on = true;
    for (visit, _) in ready {
        let result = match &answers {
            Ok(answers) => answer_for(answers, visit.id),
            Err(err) => Err(err.clone()),
        };
        // Every record of the batch is settled, even after one says stop.
        carry_on &= settle_visit(store, visit.clone(), result, outcome).await?;
    }
    // The header counts down as records are confirmed.
    refresh_pending(status, store).await?;
    status.touch();
    Ok(carry_on)
}

/// The server's answer for one record of a batch, as a single request
/// would have had it.
fn answer_for(answers: &BatchResults, id: uuid::Uuid) -> Result<VisitSaved, AppError> {
    match answers.results.iter().find(|r| r.id == id) {
        Some(r) => match (&r.saved, r.status) {
            (Some(saved), 200 | 201) => Ok(saved.clone()),
            _ => Err(http::error_of(r.status, r.error.clone())),
        },
        None => Err(AppError::Network {
            message: "服务器没有答复这条记录，稍后自动重试".into(),
        }),
    }
}

/// Marks the visit as being sent and uploads the files the server does
/// not have yet; the record to send.
async fn send_files(
    store: &DeviceStore,
    status: SyncStatus,
    visit: &LocalVisit,
) -> Result<VisitInput, AppError> {
    let key = visit.id.to_string();
    let mut syncing = visit.clone();
    syncing.state = LocalState::Syncing;
    store.put(VISITS, &key, &syncing).await?;
    status.touch();

    let input = visit.to_input().map_err(|errors| AppError::Invalid {
        field: errors.first().map(|e| e.field.to_owned()),
        message: errors
            .first()
            .map(|e| e.message.clone())
            .unwrap_or_default(),
    })?;
    let files: Vec<_> = visit.files_to_upload().cloned().collect();
    for (i, file) in files.iter().enumerate() {
        status.progress.set(Some(format!(
            "正在上传照片和签名 {}/{}",
            i + 1,
            files.len()
        )));
        let blob = store
            .get_blob(&file.sha256)
            .await?
            .ok_or_else(|| AppError::Invalid {
                field: Some("photos".into()),
                message: "有一张照片在手机上找不到了，请删除后重新添加".into(),
            })?;
        http::put_blob(
            &format!("/api/v1/attachments/{}", file.sha256),
            &blob,
            &file.content_type,
        )
        .await?;
        mark_uploaded(store, &key, &file.sha256).await?;
    }
    Ok(input)
}

/// Remembers at once that the server holds a file, so a cut connection
/// does not send it again.
async fn mark_uploaded(store: &DeviceStore, key: &str, sha256: &str) -> Result<(), AppError> {
    if let Some(mut current) = store.get::<LocalVisit>(VISITS, key).await? {
        for blob in current
            .photos
            .iter_mut()
            .chain(current.signature.iter_mut())
        {
            if blob.sha256 == sha256 {
                blob.uploaded = true;
            }
        }
        store.put(VISITS, key, &current).await?;
    }
    Ok(())
}

async fn settle_visit(
    store: &DeviceStore,
    visit: LocalVisit,
    result: Result<VisitSaved, AppError>,
    outcome: &mut Outcome,
) -> Result<bool, AppError> {
    let key = visit.id.to_string();
    let mut current: LocalVisit = store.get(VISITS, &key).await?.unwrap_or(visit.clone());
    let carry_on = match result {
        Ok(saved) => {
            current.server_revision = Some(saved.revision);
            if current.updated_at_ms == visit.updated_at_ms {
                current.state = LocalState::Synced;
                current.base_revision = None;
                current.error = None;
                current.attempts = 0;
            } else {
                // Edited while being sent: the new text goes as an amendment.
                current.base_revision = Some(saved.revision);
                if current.state == LocalState::Syncing {
                    current.state = LocalState::Pending;
                }
            }
            true
        }
        Err(err) => {
            let (state, carry_on) = classify(&err, current.attempts + 1, outcome);
            current.state = state;
            current.attempts += 1;
            current.error = Some(err.to_string());
            carry_on
        }
    };
    store.put(VISITS, &key, &current).await?;
    if current.state == LocalState::Synced {
        drop_confirmed_files(store, &current).await?;
    }
    Ok(carry_on)
}

/// The server holds the visit and its files: free the phone's space,
/// keeping any file another unsent record still uses.
async fn drop_confirmed_files(store: &DeviceStore, visit: &LocalVisit) -> Result<(), AppError> {
    let others: Vec<LocalVisit> = store.all(VISITS).await?;
    for blob in visit.photos.iter().chain(visit.signature.iter()) {
        let still_needed = others.iter().any(|o| {
            o.id != visit.id
                && o.state != LocalState::Synced
                && o.photos
                    .iter()
                    .chain(o.signature.iter())
                    .any(|b| b.sha256 == blob.sha256)
        });
        if !still_needed {
            store.delete(BLOBS, &blob.sha256).await?;
        }
    }
    Ok(())
}

/// Fetches `url` and keeps the answer on the phone under `key`.
pub async fn refresh_cached<T: serde::Serialize + serde::de::DeserializeOwned>(
    store: &DeviceStore,
    key: &str,
    url: &str,
) -> Result<T, AppError> {
    let fresh: T = http::get_json(url).await?;
    store.put(CACHE, key, &fresh).await?;
    Ok(fresh)
}

/// Keeps the roster, colleagues and the server's list of my visits on the
/// phone for offline use. Failures are ignored: the old copy stays.
async fn refresh_cache(store: &DeviceStore) {
    for (key, url) in [
        (ROSTER_KEY, ROSTER_URL),
        (COLLEAGUES_KEY, "/api/v1/colleagues"),
        (SERVER_VISITS_KEY, "/api/v1/visits?semester=current"),
        (
            crate::quotas::page::QUOTA_KEY,
            crate::quotas::page::QUOTA_URL,
        ),
        (
            crate::dropout::tasks_page::TASKS_KEY,
            crate::dropout::tasks_page::TASKS_URL,
        ),
    ] {
        let _ = refresh_cached::<serde_json::Value>(store, key, url).await;
    }
}
