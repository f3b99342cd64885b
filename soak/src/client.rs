//! A headless phone that speaks the app's sync protocol exactly as the wasm
//! client does (app/src/sync/engine.rs and http.rs):
//!
//! - a pass sends every pending visit, oldest change first, in groups of
//!   ten: for each visit of the group each photo and the signature not yet
//!   marked uploaded (`PUT /api/v1/attachments/{sha256}`, marked as soon as
//!   the server answers 2xx), then the records whose files are all there
//!   in one `POST /api/v1/visits/batch` (UUIDs made on the phone);
//! - only a 200/201 result for the visit in a batch answer whose JSON body
//!   was read confirms the visit (then the phone may drop its files); each
//!   other result is read like the status and body of a single request;
//! - 408/429/5xx and connection failures are transient ("network"): the
//!   visit stays pending and the pass stops; 401 stops the pass until the
//!   teacher logs in again; any other refusal marks the visit failed (sent
//!   again only when the teacher presses 立即同步);
//! - after a failure the engine retries after 2 s, 4 s, 8 s … 5 min (the
//!   harness divides these waits by a time scale);
//! - a pass that needs no retry refreshes the offline copies (roster,
//!   colleagues, my visits, quota, absence tasks), ignoring failures.

use std::time::Duration;

use chrono::{FixedOffset, Utc};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::media::Blob;

/// The app's `sync::backoff_ms`: 2 s, 4 s, 8 s … at most 5 minutes.
pub fn backoff_ms(attempts: u32) -> u64 {
    2_000u64
        .saturating_mul(1 << attempts.saturating_sub(1).min(8))
        .min(300_000)
}

/// The client's reading of a failed call (app/src/sync/http.rs `error_from`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientError {
    /// No answer, a cut answer, 408, 429 or 5xx: worth retrying.
    Network(String),
    Unauthenticated,
    PasswordChangeRequired,
    Conflict(String),
    Invalid(u16, String),
}

impl ClientError {
    pub fn is_transient(&self) -> bool {
        matches!(self, ClientError::Network(_))
    }
}

#[derive(Deserialize, Default, Clone, Debug)]
pub struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    message: String,
}

/// What an error answer means to the phone (also each refused visit of a
/// batch): app/src/sync/http.rs `error_of`.
fn error_of(status: u16, body: ErrorBody) -> ClientError {
    let message = if body.message.is_empty() {
        format!("服务器返回 {status}")
    } else {
        body.message
    };
    match status {
        401 => ClientError::Unauthenticated,
        403 if body.error == "password_change_required" => ClientError::PasswordChangeRequired,
        408 | 429 | 500..=599 => ClientError::Network(message),
        409 => ClientError::Conflict(message),
        code => ClientError::Invalid(code, message),
    }
}

/// The engine's batches (`app::visits::sync_batches`): at most this many
/// records...
pub const VISITS_PER_BATCH: usize = 100;
/// ...with at most this many photos and signatures still to send.
pub const FILES_PER_BATCH: usize = 20;

/// The outbox cut into the engine's batches, in order (the engine's JSON
/// size limit never binds on these short records).
pub fn batches<T>(items: &[T], files: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let (mut start, mut sum) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let f = files(item);
        if i > start && (i - start == VISITS_PER_BATCH || sum + f > FILES_PER_BATCH) {
            out.push(&items[start..i]);
            (start, sum) = (i, 0);
        }
        sum += f;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

/// The answer to `POST /api/v1/visits/batch`.
#[derive(Deserialize, Debug)]
pub struct BatchResults {
    pub results: Vec<BatchResult>,
}

#[derive(Deserialize, Debug)]
pub struct BatchResult {
    pub id: Uuid,
    pub status: u16,
    #[serde(default)]
    pub saved: Option<VisitSaved>,
    #[serde(default)]
    pub error: Option<ErrorBody>,
}

impl BatchResults {
    /// The engine's `answer_for`: one record's result, as a single request
    /// would have had it.
    pub fn answer_for(&self, id: Uuid) -> Result<VisitSaved, ClientError> {
        match self.results.iter().find(|r| r.id == id) {
            Some(r) => match (&r.saved, r.status) {
                (Some(saved), 200 | 201) => Ok(saved.clone()),
                _ => Err(error_of(r.status, r.error.clone().unwrap_or_default())),
            },
            None => Err(ClientError::Network("服务器没有答复这条记录".into())),
        }
    }
}

/// The body of a batch of these visits.
pub fn batch_body<'a>(visits: impl IntoIterator<Item = &'a LocalVisit>) -> Value {
    json!({
        "visits": visits
            .into_iter()
            .map(|v| json!({ "id": v.id, "visit": v.input() }))
            .collect::<Vec<_>>(),
    })
}

/// REST calls with a session cookie, like the browser's `fetch`.
#[derive(Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .timeout(Duration::from_secs(60))
                .build()
                .expect("building the HTTP client"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, request: RequestBuilder) -> Result<Response, ClientError> {
        let response = request
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| ClientError::Network(format!("网络不可用（{e}）")))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let body: ErrorBody = response.json().await.unwrap_or_default();
        Err(error_of(status, body))
    }

    async fn json<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
        response
            .json()
            .await
            .map_err(|e| ClientError::Network(format!("服务器应答无法读取：{e}")))
    }

    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        Self::json(self.send(self.http.get(self.url(path))).await?).await
    }

    /// A PUT answered without a body (204).
    pub async fn put_no_content(&self, path: &str, body: &Value) -> Result<(), ClientError> {
        self.send(self.http.put(self.url(path)).json(body))
            .await
            .map(|_| ())
    }

    pub async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<T, ClientError> {
        Self::json(self.send(self.http.post(self.url(path)).json(body)).await?).await
    }

    /// The raw file as the body. Like the app's `put_blob`, success is the
    /// 2xx status line: the answer's body is not read.
    pub async fn put_blob(&self, path: &str, blob: &Blob) -> Result<(), ClientError> {
        let request = self
            .http
            .put(self.url(path))
            .header("Content-Type", blob.content_type)
            .body(blob.bytes.as_ref().clone());
        self.send(request).await.map(|_| ())
    }

    /// Status and body of a GET, for the checks after the run.
    pub async fn get_raw(&self, path: &str) -> Result<(StatusCode, Vec<u8>), String> {
        let r = self
            .http
            .get(self.url(path))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status();
        let bytes = r.bytes().await.map_err(|e| e.to_string())?;
        Ok((status, bytes.to_vec()))
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<(), ClientError> {
        let _: Value = self
            .post_json(
                "/api/v1/session",
                &json!({ "username": username, "password": password }),
            )
            .await?;
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalState {
    Pending,
    Syncing,
    Synced,
    Failed,
}

#[derive(Clone, Debug)]
pub struct LocalBlob {
    pub blob: Blob,
    /// The server confirmed it holds this file.
    pub uploaded: bool,
}

/// One visit record on the phone.
#[derive(Clone, Debug)]
pub struct LocalVisit {
    pub id: Uuid,
    pub student_id: i32,
    pub visited_at: String,
    pub summary: String,
    pub photos: Vec<LocalBlob>,
    pub signature: LocalBlob,
    pub state: LocalState,
    pub attempts: u32,
    pub error: Option<String>,
    /// Order of local changes (the engine sorts by `updated_at_ms`).
    pub updated_at: u64,
    pub server_revision: Option<i32>,
    pub base_revision: Option<i32>,
    /// Edits made after the first confirmation.
    pub edits: i32,
}

impl LocalVisit {
    pub fn new(
        student_id: i32,
        summary: String,
        photos: Vec<Blob>,
        signature: Blob,
        minutes_ago: i64,
        updated_at: u64,
    ) -> LocalVisit {
        let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
        let at = (Utc::now() - chrono::Duration::minutes(minutes_ago)).with_timezone(&china);
        LocalVisit {
            id: Uuid::new_v4(),
            student_id,
            visited_at: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            summary,
            photos: photos
                .into_iter()
                .map(|blob| LocalBlob {
                    blob,
                    uploaded: false,
                })
                .collect(),
            signature: LocalBlob {
                blob: signature,
                uploaded: false,
            },
            state: LocalState::Pending,
            attempts: 0,
            error: None,
            updated_at,
            server_revision: None,
            base_revision: None,
            edits: 0,
        }
    }

    /// The body of `PUT /api/v1/visits/{uuid}` (the app's `VisitInput`).
    pub fn input(&self) -> Value {
        json!({
            "student_id": self.student_id,
            "visited_at": self.visited_at,
            "mode": "home",
            "reason": "routine",
            "co_visitor_ids": [],
            "met_person": "学生家长",
            "met_relation": "母亲",
            "family_situation": "家庭和睦，父母在外务工，祖母照看",
            "home_behaviour": "按时完成作业",
            "school_performance": "上课认真",
            "summary": self.summary,
            "parent_opinion": "希望老师多关注孩子的数学",
            "follow_up": "下月电话回访",
            "photos": self.photos.iter().map(|p| p.blob.sha256.clone()).collect::<Vec<_>>(),
            "signature": self.signature.blob.sha256,
            "no_signature_reason": null,
            "plan_id": null,
            "base_revision": self.base_revision,
        })
    }

    fn wanted(&self, include_failed: bool) -> bool {
        match self.state {
            LocalState::Pending | LocalState::Syncing => true,
            LocalState::Failed => include_failed,
            LocalState::Synced => false,
        }
    }
}

/// The server's answer to a saved visit (`VisitSaved`).
#[derive(Deserialize, Debug, Clone)]
pub struct VisitSaved {
    pub id: Uuid,
    pub revision: i32,
}

/// What one pass left to do (the engine's `Outcome`).
#[derive(Default, Debug)]
pub struct Outcome {
    /// Retry later; the most attempts of any record so far.
    pub retry_attempts: Option<u32>,
    /// The session is gone: the teacher has to log in again.
    pub unauthenticated: bool,
}

/// Client-side tallies.
#[derive(Default, Debug, Clone)]
pub struct DeviceStats {
    pub passes: u64,
    pub logins: u64,
    pub login_failures: u64,
    pub uploads_confirmed: u64,
    pub visits_confirmed: u64,
    /// Failures by kind as the client saw them (`network`, `conflict`, …).
    pub errors: std::collections::BTreeMap<String, u64>,
    /// Refusals that are not transient: a visit marked failed (a 4xx).
    pub refusals: Vec<String>,
}

/// A teacher's phone: its own cookie jar and outbox.
pub struct Device {
    pub name: String,
    pub username: String,
    pub password: String,
    pub api: Api,
    base: String,
    pub visits: Vec<LocalVisit>,
    pub clock: u64,
    pub stats: DeviceStats,
}

impl Device {
    pub fn new(name: String, username: &str, password: &str, base: &str) -> Device {
        Device {
            name,
            username: username.to_owned(),
            password: password.to_owned(),
            api: Api::new(base),
            base: base.to_owned(),
            visits: Vec::new(),
            clock: 0,
            stats: DeviceStats::default(),
        }
    }

    pub fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Opens the app afresh: a new browser session (no cookie yet).
    pub fn forget_cookies(&mut self) {
        self.api = Api::new(&self.base);
    }

    fn count_error(&mut self, err: &ClientError) {
        let kind = match err {
            ClientError::Network(_) => "network".to_owned(),
            ClientError::Unauthenticated => "unauthenticated".to_owned(),
            ClientError::PasswordChangeRequired => "password change required".to_owned(),
            ClientError::Conflict(_) => "conflict (409)".to_owned(),
            ClientError::Invalid(code, _) => format!("refused ({code})"),
        };
        *self.stats.errors.entry(kind).or_default() += 1;
    }

    /// Logs in, retrying transient failures with the app's waits divided by
    /// `time_scale`; false if it did not get through in `tries`.
    pub async fn login(&mut self, tries: u32, time_scale: u64) -> bool {
        for attempt in 1..=tries {
            self.stats.logins += 1;
            match self.api.login(&self.username, &self.password).await {
                Ok(()) => return true,
                Err(err) => {
                    self.stats.login_failures += 1;
                    self.count_error(&err);
                    if !err.is_transient() {
                        panic!("{} cannot log in: {err:?}", self.username);
                    }
                    tokio::time::sleep(Duration::from_millis(backoff_ms(attempt) / time_scale))
                        .await;
                }
            }
        }
        false
    }

    /// Records still waiting for the server (the header's 待同步 count).
    pub fn unsynced(&self) -> usize {
        self.visits
            .iter()
            .filter(|v| v.state != LocalState::Synced)
            .count()
    }

    /// One sync pass, exactly in the engine's order.
    pub async fn pass(&mut self, include_failed: bool) -> Outcome {
        self.stats.passes += 1;
        let mut outcome = Outcome::default();
        let mut order: Vec<usize> = (0..self.visits.len())
            .filter(|&i| self.visits[i].wanted(include_failed))
            .collect();
        order.sort_by_key(|&i| self.visits[i].updated_at);
        let files = |&i: &usize| {
            let v = &self.visits[i];
            v.photos
                .iter()
                .chain(std::iter::once(&v.signature))
                .filter(|b| !b.uploaded)
                .count()
        };
        for group in batches(&order, files) {
            if !self.send_group(group, &mut outcome).await {
                break;
            }
        }
        if outcome.retry_attempts.is_none() && !outcome.unauthenticated {
            self.refresh_cache().await;
        }
        outcome
    }

    /// The engine's `send_visits`: the files of each visit of the group,
    /// then the records whose files are all there, in one batch.
    async fn send_group(&mut self, group: &[usize], outcome: &mut Outcome) -> bool {
        let mut ready = Vec::with_capacity(group.len());
        for &i in group {
            match self.send_files(i).await {
                Ok(()) => ready.push(i),
                Err(err) => {
                    if !self.settle_visit(i, Err(err.clone()), outcome) {
                        for waiting in ready {
                            self.settle_visit(waiting, Err(err.clone()), outcome);
                        }
                        return false;
                    }
                }
            }
        }
        if ready.is_empty() {
            return true;
        }
        let body = batch_body(ready.iter().map(|&i| &self.visits[i]));
        let answers = self
            .api
            .post_json::<BatchResults>("/api/v1/visits/batch", &body)
            .await;
        let mut carry_on = true;
        for i in ready {
            let result = match &answers {
                Ok(answers) => answers.answer_for(self.visits[i].id),
                Err(err) => Err(err.clone()),
            };
            carry_on &= self.settle_visit(i, result, outcome);
        }
        carry_on
    }

    async fn send_files(&mut self, i: usize) -> Result<(), ClientError> {
        self.visits[i].state = LocalState::Syncing;
        let files: Vec<(bool, usize)> = (0..self.visits[i].photos.len())
            .map(|p| (true, p))
            .chain(std::iter::once((false, 0)))
            .filter(|&(photo, p)| {
                let v = &self.visits[i];
                !if photo { &v.photos[p] } else { &v.signature }.uploaded
            })
            .collect();
        for (photo, p) in files {
            let blob = {
                let v = &self.visits[i];
                if photo { &v.photos[p] } else { &v.signature }.blob.clone()
            };
            self.api
                .put_blob(&format!("/api/v1/attachments/{}", blob.sha256), &blob)
                .await?;
            self.stats.uploads_confirmed += 1;
            let v = &mut self.visits[i];
            if photo {
                &mut v.photos[p]
            } else {
                &mut v.signature
            }
            .uploaded = true;
        }
        Ok(())
    }

    /// The engine's `settle_visit` + `classify`; false stops the pass.
    fn settle_visit(
        &mut self,
        i: usize,
        result: Result<VisitSaved, ClientError>,
        outcome: &mut Outcome,
    ) -> bool {
        match result {
            Ok(saved) => {
                assert_eq!(
                    saved.id, self.visits[i].id,
                    "server answered for another visit"
                );
                self.stats.visits_confirmed += 1;
                let v = &mut self.visits[i];
                v.server_revision = Some(saved.revision);
                v.state = LocalState::Synced;
                v.base_revision = None;
                v.error = None;
                v.attempts = 0;
                true
            }
            Err(err) => {
                self.count_error(&err);
                let attempts = self.visits[i].attempts + 1;
                let v = &mut self.visits[i];
                v.attempts = attempts;
                v.error = Some(format!("{err:?}"));
                match err {
                    ClientError::Unauthenticated | ClientError::PasswordChangeRequired => {
                        v.state = LocalState::Pending;
                        outcome.unauthenticated = true;
                        false
                    }
                    ClientError::Network(_) => {
                        v.state = LocalState::Pending;
                        outcome.retry_attempts =
                            Some(outcome.retry_attempts.unwrap_or(0).max(attempts));
                        false
                    }
                    other => {
                        v.state = LocalState::Failed;
                        let id = v.id;
                        self.stats
                            .refusals
                            .push(format!("{}: visit {id}: {other:?}", self.name));
                        true
                    }
                }
            }
        }
    }

    async fn refresh_cache(&mut self) {
        for url in [
            "/api/v1/students",
            "/api/v1/colleagues",
            "/api/v1/visits?semester=current",
            "/api/v1/quota",
            "/api/v1/absence-tasks",
        ] {
            let _ = self.api.get_json::<Value>(url).await;
        }
    }

    /// Edits a confirmed visit (详情页 “修改”): the new text goes as the next
    /// revision on top of the one the phone has; photos are not sent again.
    pub fn edit(&mut self, i: usize) {
        let clock = self.tick();
        let v = &mut self.visits[i];
        debug_assert_eq!(v.state, LocalState::Synced);
        v.edits += 1;
        v.summary = format!("{}（第 {} 次修改）", base_summary(&v.summary), v.edits);
        v.base_revision = v.server_revision;
        v.state = LocalState::Pending;
        v.updated_at = clock;
    }
}

fn base_summary(summary: &str) -> &str {
    summary.split('（').next().unwrap_or(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_matches_the_app() {
        let waits: Vec<u64> = (1..=10).map(backoff_ms).collect();
        assert_eq!(&waits[..5], &[2_000, 4_000, 8_000, 16_000, 32_000]);
        assert_eq!(backoff_ms(9), 300_000);
        assert_eq!(backoff_ms(0), 2_000);
    }

    #[test]
    fn edits_replace_the_marker() {
        assert_eq!(
            base_summary("soak a-1 谈话（第 2 次修改）"),
            "soak a-1 谈话"
        );
    }
}
