//! The 家访记录表 as it travels between the phone and the server: the body of
//! `PUT /api/v1/visits/{uuid}`, the answer, and the views the pages show.
//! Shared by the wasm client (form validation, outbox) and the server
//! (the same validation, storage), so both refuse the same things with the
//! same Chinese message.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// 家访方式.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitMode {
    /// 入户家访
    Home,
    /// 电话或网络家访
    Phone,
    /// 约请家长到校
    School,
}

impl VisitMode {
    pub const ALL: [VisitMode; 3] = [VisitMode::Home, VisitMode::Phone, VisitMode::School];

    pub fn code(self) -> &'static str {
        match self {
            VisitMode::Home => "home",
            VisitMode::Phone => "phone",
            VisitMode::School => "school",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            VisitMode::Home => "入户家访",
            VisitMode::Phone => "电话或网络家访",
            VisitMode::School => "约请家长到校",
        }
    }

    /// A parent on the phone cannot sign on the teacher's screen, so a
    /// missing signature is only a concern for visits in person.
    pub fn expects_signature(self) -> bool {
        !matches!(self, VisitMode::Phone)
    }
}

/// 家访原因.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitReason {
    /// 日常家访
    Routine,
    /// 缺勤
    Absence,
    /// 劝返
    PersuadeReturn,
    /// 特殊群体关爱
    SpecialCare,
    /// 送教上门
    HomeTeaching,
    /// 其他
    Other,
}

impl VisitReason {
    pub const ALL: [VisitReason; 6] = [
        VisitReason::Routine,
        VisitReason::Absence,
        VisitReason::PersuadeReturn,
        VisitReason::SpecialCare,
        VisitReason::HomeTeaching,
        VisitReason::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            VisitReason::Routine => "routine",
            VisitReason::Absence => "absence",
            VisitReason::PersuadeReturn => "persuade_return",
            VisitReason::SpecialCare => "special_care",
            VisitReason::HomeTeaching => "home_teaching",
            VisitReason::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            VisitReason::Routine => "日常家访",
            VisitReason::Absence => "缺勤",
            VisitReason::PersuadeReturn => "劝返",
            VisitReason::SpecialCare => "特殊群体关爱",
            VisitReason::HomeTeaching => "送教上门",
            VisitReason::Other => "其他",
        }
    }
}

/// Beijing time: how dates are shown and which day a visit counts on.
pub fn china_time(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
        Some(offset) => offset,
        None => unreachable!(),
    };
    at.with_timezone(&CHINA)
}

/// Longest free-text answer (characters); a full page of handwriting.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Longest short answer (names, relation, reasons).
pub const MAX_SHORT_CHARS: usize = 100;
pub const MAX_PHOTOS: usize = 9;
pub const MAX_CO_VISITORS: usize = 10;
/// How long a 送教上门 session may last, in minutes.
pub const HOME_TEACHING_MINUTES: std::ops::RangeInclusive<u32> = 10..=480;

/// A visit may be dated at most this far ahead of the server clock (phones
/// run a little fast; a visit is never recorded before it happens).
pub const MAX_FUTURE_MINUTES: i64 = 10;

/// The body of `PUT /api/v1/visits/{uuid}` (the client makes the UUID when
/// the teacher starts the form, so retries can never create a second visit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VisitInput {
    pub student_id: i32,
    /// RFC 3339 with the phone's UTC offset, e.g. `2026-11-23T15:30:00+08:00`.
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub visited_at: DateTime<FixedOffset>,
    pub mode: VisitMode,
    pub reason: VisitReason,
    /// Other teachers of the school who came along (the sender is the visitor).
    #[serde(default)]
    pub co_visitor_ids: Vec<i32>,
    /// 接待人 (the person met) and their relation to the student.
    #[serde(default)]
    pub met_person: String,
    #[serde(default)]
    pub met_relation: String,
    /// 家庭情况
    #[serde(default)]
    pub family_situation: String,
    /// 学生在家表现
    #[serde(default)]
    pub home_behaviour: String,
    /// 向家长反馈的在校表现
    #[serde(default)]
    pub school_performance: String,
    /// 谈话要点 (required)
    pub summary: String,
    /// 家长意见和要求
    #[serde(default)]
    pub parent_opinion: String,
    /// 后续措施
    #[serde(default)]
    pub follow_up: String,
    /// SHA-256 (lowercase hex) of photos already sent with
    /// `PUT /api/v1/attachments/{sha256}`, in display order.
    #[serde(default)]
    pub photos: Vec<String>,
    /// SHA-256 of the parent's signature (PNG), or null.
    #[serde(default)]
    pub signature: Option<String>,
    /// Why there is no signature (parent refused, cannot write…); the
    /// record is then flagged for the school's attention.
    #[serde(default)]
    pub no_signature_reason: Option<String>,
    /// The 拟家访 report this visit reports back on.
    #[serde(default)]
    pub plan_id: Option<Uuid>,
    /// 送教上门 only: how long the teaching lasted, in minutes. Left out of
    /// the JSON when empty so older records keep their body hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_minutes: Option<u32>,
    /// Set when editing an already-synced visit: the revision being edited.
    #[serde(default)]
    pub base_revision: Option<i32>,
}

/// One problem with a form, tied to the field it concerns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field,
            message: message.into(),
        }
    }
}

pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn too_long(value: &str, max: usize) -> bool {
    value.chars().count() > max
}

impl VisitInput {
    /// The text of a field by its name (the form and the errors use the
    /// same names as the JSON).
    pub const TEXT_FIELDS: [(&'static str, &'static str); 6] = [
        ("family_situation", "家庭情况"),
        ("home_behaviour", "学生在家表现"),
        ("school_performance", "在校表现反馈"),
        ("summary", "谈话要点"),
        ("parent_opinion", "家长意见和要求"),
        ("follow_up", "后续措施"),
    ];

    fn text(&self, field: &str) -> &str {
        match field {
            "family_situation" => &self.family_situation,
            "home_behaviour" => &self.home_behaviour,
            "school_performance" => &self.school_performance,
            "summary" => &self.summary,
            "parent_opinion" => &self.parent_opinion,
            _ => &self.follow_up,
        }
    }

    /// Whether the record needs the school's attention: an in-person visit
    /// without the parent's signature.
    pub fn flagged(&self) -> bool {
        self.signature.is_none() && self.mode.expects_signature()
    }

    /// Every problem with the record, in form order; empty when it may be
    /// saved. `now` is the checker's clock (the phone's or the server's).
    pub fn validate(&self, now: DateTime<Utc>) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut err =
            |field: &'static str, message: String| errors.push(FieldError { field, message });
        if self.student_id <= 0 {
            err("student_id", "请选择学生".into());
        }
        if self.visited_at.with_timezone(&Utc) > now + chrono::Duration::minutes(MAX_FUTURE_MINUTES)
        {
            err("visited_at", "家访时间不能晚于现在".into());
        }
        if self.visited_at.with_timezone(&Utc).timestamp() < 946_684_800 {
            err("visited_at", "家访时间不能早于 2000 年".into());
        }
        if self.co_visitor_ids.len() > MAX_CO_VISITORS {
            err(
                "co_visitor_ids",
                format!("同行人员最多 {MAX_CO_VISITORS} 位"),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        if self.co_visitor_ids.iter().any(|id| !seen.insert(*id)) {
            err("co_visitor_ids", "同行人员有重复".into());
        }
        if too_long(&self.met_person, MAX_SHORT_CHARS) {
            err("met_person", format!("接待人最多 {MAX_SHORT_CHARS} 字"));
        }
        if too_long(&self.met_relation, MAX_SHORT_CHARS) {
            err(
                "met_relation",
                format!("与学生关系最多 {MAX_SHORT_CHARS} 字"),
            );
        }
        for (field, label) in Self::TEXT_FIELDS {
            let value = self.text(field);
            if field == "summary" && value.trim().is_empty() {
                err("summary", "请填写谈话要点".into());
            } else if too_long(value, MAX_TEXT_CHARS) {
                err(field, format!("{label}最多 {MAX_TEXT_CHARS} 字"));
            }
        }
        if self.photos.len() > MAX_PHOTOS {
            err("photos", format!("照片最多 {MAX_PHOTOS} 张"));
        }
        if self.photos.iter().any(|p| !is_sha256_hex(p)) {
            err("photos", "照片编号格式错误".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        if self.photos.iter().any(|p| !seen.insert(p.as_str())) {
            err("photos", "同一张照片重复添加".into());
        }
        let reason = self
            .no_signature_reason
            .as_deref()
            .map(str::trim)
            .unwrap_or("");
        match &self.signature {
            Some(sig) if !is_sha256_hex(sig) => err("signature", "签名编号格式错误".into()),
            Some(_) if !reason.is_empty() => err(
                "no_signature_reason",
                "已有家长签名，无需填写未签名原因".into(),
            ),
            None if self.mode.expects_signature() && reason.is_empty() => err(
                "signature",
                "请家长签名；家长拒绝或无法签名时请填写原因".into(),
            ),
            _ => {}
        }
        if too_long(reason, MAX_SHORT_CHARS) {
            err(
                "no_signature_reason",
                format!("未签名原因最多 {MAX_SHORT_CHARS} 字"),
            );
        }
        match (self.reason, self.duration_minutes) {
            (VisitReason::HomeTeaching, Some(m)) if HOME_TEACHING_MINUTES.contains(&m) => {}
            (VisitReason::HomeTeaching, _) => {
                err("duration_minutes", "请填写送教时长（10–480 分钟）".into())
            }
            (_, Some(_)) => err("duration_minutes", "只有送教上门记录填写送教时长".into()),
            (_, None) => {}
        }
        errors
    }
}

/// The server's answer to a saved visit (201 the first time, 200 for a
/// replay of the same body).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VisitSaved {
    pub id: Uuid,
    pub revision: i32,
    /// Whether the record lacks the parent's signature (see `VisitInput::flagged`).
    pub flagged: bool,
    /// The semester the visit counts in (by its date in Asia/Shanghai).
    pub semester_id: Option<i32>,
    pub saved_at: DateTime<Utc>,
}

/// The most visits one batch may carry. A batch's body must also fit the
/// API's 2 MB JSON limit (a bigger one is refused with 413).
pub const MAX_BATCH_VISITS: usize = 100;

/// The phone's batches: as many visits as the server takes, so a hand-in
/// of a semester's visits costs few requests (the server writes a batch
/// with a handful of statements per table, whatever its size)...
pub const SYNC_BATCH_VISITS: usize = MAX_BATCH_VISITS;
/// ...at most this much JSON (a quarter of the body limit; a visit with
/// every text field full is about 100 KB)...
pub const SYNC_BATCH_BYTES: usize = 512 * 1024;
/// ...and at most this many photos and signatures to go up before it, so
/// on a slow link confirmations come in steps while photos go up.
pub const SYNC_BATCH_FILES: usize = 20;

/// What one record adds to a batch: its JSON bytes and its files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchCost {
    pub bytes: usize,
    pub files: usize,
}

impl BatchCost {
    pub fn of(input: &VisitInput) -> Self {
        BatchCost {
            bytes: serde_json::to_vec(input).map_or(0, |json| json.len()),
            files: input.photos.len() + usize::from(input.signature.is_some()),
        }
    }
}

/// The phone's outbox cut into batches, in order: each as long as the
/// limits above allow (a record over a limit on its own goes alone).
pub fn sync_batches<T>(items: &[T], cost: impl Fn(&T) -> BatchCost) -> Vec<&[T]> {
    let mut batches = Vec::new();
    let (mut start, mut sum) = (0, BatchCost::default());
    for (i, item) in items.iter().enumerate() {
        let c = cost(item);
        let fits = i - start < SYNC_BATCH_VISITS
            && sum.bytes + c.bytes <= SYNC_BATCH_BYTES
            && sum.files + c.files <= SYNC_BATCH_FILES;
        if i > start && !fits {
            batches.push(&items[start..i]);
            (start, sum) = (i, BatchCost::default());
        }
        sum.bytes += c.bytes;
        sum.files += c.files;
    }
    if start < items.len() {
        batches.push(&items[start..]);
    }
    batches
}

/// The body of `POST /api/v1/visits/batch`: several visits from one phone,
/// each as it would be sent to `PUT /api/v1/visits/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VisitBatch {
    /// 1 to 100 visits (`MAX_BATCH_VISITS`), at most 2 MB of JSON.
    pub visits: Vec<BatchVisit>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BatchVisit {
    /// Made by the phone when the form was opened.
    pub id: Uuid,
    pub visit: VisitInput,
}

/// The answer to a batch: one result per visit, in the order sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BatchResults {
    pub results: Vec<BatchResult>,
}

/// What `PUT /api/v1/visits/{id}` would have answered for this visit:
/// its status, and the saved visit (200, 201) or the error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BatchResult {
    pub id: Uuid,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved: Option<VisitSaved>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::error::ErrorBody>,
}

/// A person shown by name (visitors, co-visitors, colleagues to pick from).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PersonRef {
    pub id: i32,
    pub name: String,
}

/// A visit as stored on the server, for lists, the detail page and print.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VisitView {
    pub id: Uuid,
    pub revision: i32,
    pub student_id: i32,
    pub student_name: String,
    pub class_name: String,
    pub visitor: PersonRef,
    pub co_visitors: Vec<PersonRef>,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub visited_at: DateTime<FixedOffset>,
    pub mode: VisitMode,
    pub reason: VisitReason,
    pub met_person: String,
    pub met_relation: String,
    pub family_situation: String,
    pub home_behaviour: String,
    pub school_performance: String,
    pub summary: String,
    pub parent_opinion: String,
    pub follow_up: String,
    pub photos: Vec<String>,
    pub signature: Option<String>,
    pub no_signature_reason: Option<String>,
    pub flagged: bool,
    pub plan_id: Option<Uuid>,
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    pub semester_id: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The school's spot-check (records cached on phones before reviews
    /// existed read as pending).
    #[serde(default)]
    pub review_status: crate::reviews::ReviewStatus,
    /// Why it was returned (退回).
    #[serde(default)]
    pub review_note: Option<String>,
    #[serde(default)]
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// The body of `PUT /api/v1/visit-plans/{uuid}`: a 拟家访 report made before
/// the visit (also made offline, so the client makes the UUID too).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlanInput {
    pub student_id: i32,
    pub reason: VisitReason,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub planned_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub note: String,
}

impl PlanInput {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.student_id <= 0 {
            errors.push(FieldError {
                field: "student_id",
                message: "请选择学生".into(),
            });
        }
        if too_long(&self.note, MAX_TEXT_CHARS) {
            errors.push(FieldError {
                field: "note",
                message: format!("备注最多 {MAX_TEXT_CHARS} 字"),
            });
        }
        errors
    }
}

/// A 拟家访 report as leaders and its author see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlanView {
    pub id: Uuid,
    pub student_id: i32,
    pub student_name: String,
    pub class_name: String,
    pub teacher: PersonRef,
    pub reason: VisitReason,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub planned_at: DateTime<FixedOffset>,
    pub note: String,
    /// The leader who acknowledged the report, and when.
    pub acknowledged_by: Option<PersonRef>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// The finished visit that reports back on this plan.
    pub visit_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> VisitInput {
        VisitInput {
            student_id: 7,
            visited_at: "2026-11-20T15:30:00+08:00".parse().unwrap(),
            mode: VisitMode::Home,
            reason: VisitReason::Routine,
            co_visitor_ids: vec![],
            met_person: "张母".into(),
            met_relation: "母亲".into(),
            family_situation: String::new(),
            home_behaviour: String::new(),
            school_performance: String::new(),
            summary: "学习习惯良好".into(),
            parent_opinion: String::new(),
            follow_up: String::new(),
            photos: vec!["a".repeat(64)],
            signature: Some("b".repeat(64)),
            no_signature_reason: None,
            plan_id: None,
            duration_minutes: None,
            base_revision: None,
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-23T00:00:00Z".parse().unwrap()
    }

    fn fields(v: &VisitInput) -> Vec<&'static str> {
        v.validate(now()).into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_complete_record_is_valid() {
        assert!(input().validate(now()).is_empty());
        assert!(!input().flagged());
    }

    #[test]
    fn summary_is_required() {
        let mut v = input();
        v.summary = "  ".into();
        assert_eq!(fields(&v), ["summary"]);
    }

    #[test]
    fn in_person_visit_needs_signature_or_reason() {
        let mut v = input();
        v.signature = None;
        assert_eq!(fields(&v), ["signature"]);
        v.no_signature_reason = Some("家长不识字".into());
        assert!(fields(&v).is_empty());
        assert!(v.flagged());
        v.mode = VisitMode::Phone;
        v.no_signature_reason = None;
        assert!(fields(&v).is_empty());
        assert!(!v.flagged());
    }

    #[test]
    fn future_and_malformed_values_are_refused() {
        let mut v = input();
        v.visited_at = "2026-11-24T00:00:00+08:00".parse().unwrap();
        v.photos = vec!["A".repeat(64), "A".repeat(64)];
        v.co_visitor_ids = vec![3, 3];
        assert_eq!(
            fields(&v),
            ["visited_at", "co_visitor_ids", "photos", "photos"]
        );
    }

    #[test]
    fn json_uses_the_documented_codes() {
        let json = serde_json::to_value(input()).unwrap();
        assert_eq!(json["mode"], "home");
        assert_eq!(json["reason"], "routine");
        let parsed: VisitInput = serde_json::from_value(serde_json::json!({
            "student_id": 1, "visited_at": "2026-11-20T08:00:00+08:00", "mode": "phone",
            "reason": "persuade_return", "summary": "x"
        }))
        .unwrap();
        assert_eq!(parsed.mode, VisitMode::Phone);
        assert!(parsed.photos.is_empty() && parsed.signature.is_none());
    }

    proptest::proptest! {
        /// Batches keep the outbox's order, leave nothing out, stay within
        /// every limit (a record over one goes alone), and are as long as
        /// the limits allow.
        #[test]
        fn sync_batches_cover_the_outbox_within_the_limits(
            costs in proptest::collection::vec((0usize..200_000, 0usize..25), 0..300)
        ) {
            let costs: Vec<BatchCost> = costs
                .into_iter()
                .map(|(bytes, files)| BatchCost { bytes, files })
                .collect();
            let batches = sync_batches(&costs, |c| *c);
            let joined: Vec<BatchCost> = batches.iter().flat_map(|b| b.iter().copied()).collect();
            proptest::prop_assert_eq!(&joined, &costs);
            let total = |b: &[BatchCost]| {
                (b.len(), b.iter().map(|c| c.bytes).sum::<usize>(), b.iter().map(|c| c.files).sum::<usize>())
            };
            let within = |(n, bytes, files): (usize, usize, usize)| {
                n <= SYNC_BATCH_VISITS && bytes <= SYNC_BATCH_BYTES && files <= SYNC_BATCH_FILES
            };
            for (i, batch) in batches.iter().enumerate() {
                proptest::prop_assert!(!batch.is_empty());
                proptest::prop_assert!(batch.len() == 1 || within(total(batch)));
                if let Some(next) = batches.get(i + 1) {
                    let mut longer = batch.to_vec();
                    longer.push(next[0]);
                    proptest::prop_assert!(!within(total(&longer)), "batch {} could take one more", i);
                }
            }
        }
    }

    #[test]
    fn an_outbox_of_plain_visits_goes_in_batches_of_a_hundred() {
        let mut plain = input();
        plain.photos.clear();
        plain.signature = None;
        assert_eq!(BatchCost::of(&plain).files, 0);
        let outbox = vec![plain.clone(); 220];
        let sizes: Vec<usize> = sync_batches(&outbox, BatchCost::of)
            .iter()
            .map(|b| b.len())
            .collect();
        assert_eq!(sizes, [100, 100, 20]);
        // Two photos and a signature each: twenty files to a batch.
        let mut signed = plain;
        signed.photos = vec!["ab".repeat(32), "cd".repeat(32)];
        signed.signature = Some("ef".repeat(32));
        let outbox = vec![signed; 10];
        let sizes: Vec<usize> = sync_batches(&outbox, BatchCost::of)
            .iter()
            .map(|b| b.len())
            .collect();
        assert_eq!(sizes, [6, 4]);
    }
}
