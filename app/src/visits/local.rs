//! A visit as the phone keeps it in IndexedDB, from the first keystroke
//! (草稿) through the outbox (待同步 / 同步中 / 失败) to 已同步. The record
//! is only ever replaced, never deleted, until the server has confirmed it.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::visits::model::{
    BatchCost, FieldError, PlanInput, VisitInput, VisitMode, VisitReason, VisitView,
};

/// Where a record is on its way to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalState {
    /// Being written; autosaved, not sent.
    Draft,
    /// Saved by the teacher, waiting for the network.
    Pending,
    /// Being sent right now.
    Syncing,
    /// The server holds it (possibly an older copy is being amended).
    Synced,
    /// The server refused it; the teacher must look at `error`.
    Failed,
}

impl LocalState {
    pub fn code(self) -> &'static str {
        match self {
            LocalState::Draft => "draft",
            LocalState::Pending => "pending",
            LocalState::Syncing => "syncing",
            LocalState::Synced => "synced",
            LocalState::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LocalState::Draft => "草稿",
            LocalState::Pending => "待同步",
            LocalState::Syncing => "同步中",
            LocalState::Synced => "已同步",
            LocalState::Failed => "失败",
        }
    }

    /// Saved by the teacher but not yet confirmed by the server.
    pub fn is_unsynced(self) -> bool {
        matches!(
            self,
            LocalState::Pending | LocalState::Syncing | LocalState::Failed
        )
    }
}

/// The form as typed: strings exactly as the inputs hold them, so a half
/// filled form can always be saved and restored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VisitForm {
    pub student_id: Option<i32>,
    pub student_name: String,
    pub class_name: String,
    /// `<input type="datetime-local">` value, e.g. `2026-11-23T15:30`.
    pub visited_at: String,
    pub mode: String,
    pub reason: String,
    pub co_visitor_ids: Vec<i32>,
    pub met_person: String,
    pub met_relation: String,
    pub family_situation: String,
    pub home_behaviour: String,
    pub school_performance: String,
    pub summary: String,
    pub parent_opinion: String,
    pub follow_up: String,
    /// The parent did not sign; `no_signature_reason` says why.
    pub no_signature: bool,
    pub no_signature_reason: String,
    pub plan_id: Option<Uuid>,
    /// 送教上门 only: minutes, as typed.
    pub duration_minutes: String,
}

/// A photo or signature kept as a Blob in the `blobs` store under its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalBlob {
    pub sha256: String,
    pub content_type: String,
    pub bytes: u32,
    /// The server has confirmed it holds this file.
    #[serde(default)]
    pub uploaded: bool,
}

/// One pen stroke of the signature, points relative to the pad (0..1), so
/// a rotation or reload redraws it exactly.
pub type Stroke = Vec<[f32; 2]>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalVisit {
    pub id: Uuid,
    pub state: LocalState,
    /// Why the last attempt failed, in Chinese.
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    pub form: VisitForm,
    #[serde(default)]
    pub photos: Vec<LocalBlob>,
    #[serde(default)]
    pub signature: Option<LocalBlob>,
    #[serde(default)]
    pub strokes: Vec<Stroke>,
    /// The server revision this record amends (editing a synced visit).
    #[serde(default)]
    pub base_revision: Option<i32>,
    /// The revision the server confirmed last.
    #[serde(default)]
    pub server_revision: Option<i32>,
    /// The phone's UTC offset in minutes east when the form was saved.
    pub offset_minutes: i32,
    /// Milliseconds since the epoch (JS `Date.now()`).
    pub updated_at_ms: f64,
}

impl LocalVisit {
    pub fn new(id: Uuid, offset_minutes: i32, now_ms: f64) -> Self {
        LocalVisit {
            id,
            state: LocalState::Draft,
            error: None,
            attempts: 0,
            form: VisitForm {
                mode: VisitMode::Home.code().into(),
                reason: VisitReason::Routine.code().into(),
                ..VisitForm::default()
            },
            photos: Vec::new(),
            signature: None,
            strokes: Vec::new(),
            base_revision: None,
            server_revision: None,
            offset_minutes,
            updated_at_ms: now_ms,
        }
    }

    /// Marks a change by the teacher: a record the server refused, or one
    /// already synced (an amendment), becomes a draft again until saved.
    pub fn edited(&mut self, now_ms: f64) {
        self.updated_at_ms = now_ms;
        if matches!(self.state, LocalState::Failed | LocalState::Synced) {
            self.state = LocalState::Draft;
        }
    }

    /// The body of `PUT /api/v1/visits/{id}`, or what is missing in Chinese.
    pub fn to_input(&self) -> Result<VisitInput, Vec<FieldError>> {
        let f = &self.form;
        let mut errors = Vec::new();
        let visited_at = parse_local_datetime(&f.visited_at, self.offset_minutes);
        if visited_at.is_none() {
            errors.push(FieldError {
                field: "visited_at",
                message: "请填写家访时间".into(),
            });
        }
        let mode = VisitMode::from_code(&f.mode);
        if mode.is_none() {
            errors.push(FieldError {
                field: "mode",
                message: "请选择家访方式".into(),
            });
        }
        let reason = VisitReason::from_code(&f.reason);
        if reason.is_none() {
            errors.push(FieldError {
                field: "reason",
                message: "请选择家访原因".into(),
            });
        }
        let (Some(visited_at), Some(mode), Some(reason)) = (visited_at, mode, reason) else {
            return Err(errors);
        };
        let reason_text = f.no_signature_reason.trim();
        Ok(VisitInput {
            student_id: f.student_id.unwrap_or(0),
            visited_at,
            mode,
            reason,
            co_visitor_ids: f.co_visitor_ids.clone(),
            met_person: f.met_person.trim().to_owned(),
            met_relation: f.met_relation.trim().to_owned(),
            family_situation: f.family_situation.trim().to_owned(),
            home_behaviour: f.home_behaviour.trim().to_owned(),
            school_performance: f.school_performance.trim().to_owned(),
            summary: f.summary.trim().to_owned(),
            parent_opinion: f.parent_opinion.trim().to_owned(),
            follow_up: f.follow_up.trim().to_owned(),
            photos: self.photos.iter().map(|p| p.sha256.clone()).collect(),
            // A drawn signature wins unless the teacher ticked "not signed".
            signature: if f.no_signature {
                None
            } else {
                self.signature.as_ref().map(|s| s.sha256.clone())
            },
            no_signature_reason: (f.no_signature && !reason_text.is_empty())
                .then(|| reason_text.to_owned()),
            plan_id: f.plan_id,
            // An unreadable number is sent as missing, which the check
            // reports with the field's own message.
            duration_minutes: (reason == VisitReason::HomeTeaching)
                .then(|| f.duration_minutes.trim().parse().ok())
                .flatten(),
            base_revision: self.base_revision,
        })
    }

    /// Every problem that keeps the record from being saved for sync.
    pub fn check(&self, now: chrono::DateTime<chrono::Utc>) -> Vec<FieldError> {
        match self.to_input() {
            Ok(input) => input.validate(now),
            Err(errors) => errors,
        }
    }

    /// A synced visit opened for amendment (e.g. after the school returned
    /// it): the server's content as a draft on top of its revision. Its
    /// files are already on the server, so nothing is uploaded again.
    pub fn from_server(v: &VisitView, offset_minutes: i32, now_ms: f64) -> Self {
        let held = |sha: &str, content_type: &str| LocalBlob {
            sha256: sha.to_owned(),
            content_type: content_type.to_owned(),
            bytes: 0,
            uploaded: true,
        };
        let mut local = LocalVisit::new(v.id, offset_minutes, now_ms);
        local.form = VisitForm {
            student_id: Some(v.student_id),
            student_name: v.student_name.clone(),
            class_name: v.class_name.clone(),
            visited_at: local_datetime_value(v.visited_at.to_utc(), offset_minutes),
            mode: v.mode.code().into(),
            reason: v.reason.code().into(),
            co_visitor_ids: v.co_visitors.iter().map(|p| p.id).collect(),
            met_person: v.met_person.clone(),
            met_relation: v.met_relation.clone(),
            family_situation: v.family_situation.clone(),
            home_behaviour: v.home_behaviour.clone(),
            school_performance: v.school_performance.clone(),
            summary: v.summary.clone(),
            parent_opinion: v.parent_opinion.clone(),
            follow_up: v.follow_up.clone(),
            no_signature: v.signature.is_none() && v.no_signature_reason.is_some(),
            no_signature_reason: v.no_signature_reason.clone().unwrap_or_default(),
            plan_id: v.plan_id,
            duration_minutes: v
                .duration_minutes
                .map(|m| m.to_string())
                .unwrap_or_default(),
        };
        local.photos = v.photos.iter().map(|sha| held(sha, "image/jpeg")).collect();
        local.signature = v.signature.as_deref().map(|sha| held(sha, "image/png"));
        local.server_revision = Some(v.revision);
        local
    }

    /// Files still to send before the visit itself.
    pub fn files_to_upload(&self) -> impl Iterator<Item = &LocalBlob> {
        self.photos
            .iter()
            .chain(self.signature.iter())
            .filter(|b| !b.uploaded)
    }

    /// What this record adds to a sync batch (`sync_batches`): about its
    /// JSON, and the files it still has to send first.
    pub fn batch_cost(&self) -> BatchCost {
        BatchCost {
            bytes: serde_json::to_vec(&self.form).map_or(0, |json| json.len()),
            files: self.files_to_upload().count(),
        }
    }
}

/// A 拟家访 report made on the phone, waiting for (or past) the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalPlan {
    pub id: Uuid,
    pub state: LocalState,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    pub input: PlanInput,
    pub student_name: String,
    pub class_name: String,
    pub updated_at_ms: f64,
}

/// `2026-11-23T15:30` typed on a phone whose clock is `offset_minutes` east
/// of UTC, as an RFC 3339 instant with that offset.
pub fn parse_local_datetime(value: &str, offset_minutes: i32) -> Option<DateTime<FixedOffset>> {
    let value = value.trim();
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    let offset = FixedOffset::east_opt(offset_minutes.checked_mul(60)?)?;
    offset.from_local_datetime(&naive).single()
}

/// The value for `<input type="datetime-local">` showing `at` on a phone
/// `offset_minutes` east of UTC.
pub fn local_datetime_value(at: DateTime<chrono::Utc>, offset_minutes: i32) -> String {
    let offset = FixedOffset::east_opt(offset_minutes * 60)
        .unwrap_or_else(|| FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset"));
    at.with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn filled() -> LocalVisit {
        let mut v = LocalVisit::new(Uuid::nil(), 480, 0.0);
        v.form.student_id = Some(5);
        v.form.visited_at = "2026-11-20T15:30".into();
        v.form.summary = " 谈了学习计划 ".into();
        v.signature = Some(LocalBlob {
            sha256: "c".repeat(64),
            content_type: "image/png".into(),
            bytes: 900,
            uploaded: false,
        });
        v
    }

    #[test]
    fn a_filled_form_becomes_the_api_body() {
        let input = filled().to_input().unwrap();
        assert_eq!(input.visited_at.to_rfc3339(), "2026-11-20T15:30:00+08:00");
        assert_eq!(input.summary, "谈了学习计划");
        assert_eq!(input.signature.as_deref(), Some("c".repeat(64).as_str()));
        assert!(
            filled()
                .check("2026-11-23T00:00:00Z".parse().unwrap())
                .is_empty()
        );
    }

    #[test]
    fn not_signed_drops_the_signature_and_needs_a_reason() {
        let mut v = filled();
        v.form.no_signature = true;
        let now = "2026-11-23T00:00:00Z".parse().unwrap();
        let fields: Vec<_> = v.check(now).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["signature"]);
        v.form.no_signature_reason = "家长外出务工，由祖母接待但不会写字".into();
        assert!(v.check(now).is_empty());
        assert!(v.to_input().unwrap().signature.is_none());
    }

    #[test]
    fn an_edit_reopens_refused_and_synced_records_as_drafts() {
        let mut v = filled();
        for (from, to) in [
            (LocalState::Failed, LocalState::Draft),
            (LocalState::Synced, LocalState::Draft),
            (LocalState::Pending, LocalState::Pending),
            (LocalState::Draft, LocalState::Draft),
        ] {
            v.state = from;
            v.edited(42.0);
            assert_eq!((v.state, v.updated_at_ms), (to, 42.0));
        }
    }

    #[test]
    fn a_synced_visit_reopens_with_the_same_content_and_nothing_to_upload() {
        let mut original = filled();
        original.form.co_visitor_ids = vec![7];
        original.form.family_situation = "父母在外务工".into();
        original.photos = vec![LocalBlob {
            sha256: "a".repeat(64),
            content_type: "image/jpeg".into(),
            bytes: 1000,
            uploaded: true,
        }];
        let input = original.to_input().unwrap();
        let at = input.visited_at.to_utc();
        let person = |id: i32| crate::visits::model::PersonRef {
            id,
            name: format!("教师{id}"),
        };
        let view = VisitView {
            id: Uuid::nil(),
            revision: 3,
            student_id: 5,
            student_name: "张小明".into(),
            class_name: "三年级(1)班".into(),
            visitor: person(1),
            co_visitors: vec![person(7)],
            visited_at: input.visited_at,
            mode: input.mode,
            reason: input.reason,
            met_person: input.met_person.clone(),
            met_relation: input.met_relation.clone(),
            family_situation: input.family_situation.clone(),
            home_behaviour: input.home_behaviour.clone(),
            school_performance: input.school_performance.clone(),
            summary: input.summary.clone(),
            parent_opinion: input.parent_opinion.clone(),
            follow_up: input.follow_up.clone(),
            photos: input.photos.clone(),
            signature: input.signature.clone(),
            no_signature_reason: None,
            flagged: false,
            plan_id: None,
            duration_minutes: None,
            semester_id: Some(1),
            created_at: at,
            updated_at: at,
            review_status: crate::reviews::ReviewStatus::Returned,
            review_note: Some("缺少家访照片".into()),
            reviewed_at: Some(at),
        };
        let reopened = LocalVisit::from_server(&view, 480, 1.0);
        // Unchanged, it is the very body the server holds (a harmless replay).
        assert_eq!(reopened.to_input().unwrap(), input);
        assert_eq!(reopened.files_to_upload().count(), 0);
        assert_eq!(
            (reopened.state, reopened.server_revision),
            (LocalState::Draft, Some(3))
        );
    }

    #[test]
    fn missing_time_is_reported_in_chinese() {
        let mut v = filled();
        v.form.visited_at.clear();
        assert_eq!(v.check(chrono::Utc::now())[0].message, "请填写家访时间");
    }

    proptest! {
        #[test]
        fn datetime_values_round_trip(secs in 946_684_800i64..4_102_444_800, offset in -720i32..=840) {
            let at = chrono::DateTime::from_timestamp(secs - secs % 60, 0).unwrap();
            let value = local_datetime_value(at, offset);
            let parsed = parse_local_datetime(&value, offset).unwrap();
            prop_assert_eq!(parsed.with_timezone(&chrono::Utc), at);
        }
    }
}
