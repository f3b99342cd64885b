//! Students of the caller's classes or school: the roster the phone caches
//! and the 学生 page shows.

pub mod detail;
pub mod edit_page;
pub mod import;
pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A student's status; the dated history of changes is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StudentStatus {
    InSchool,
    OnLeave,
    SuspectedDropout,
    Dropout,
    Persuading,
    Returned,
    TransferredOut,
    Suspended,
    /// 销号: taken off the dropout ledgers after verification (studying
    /// elsewhere, over age, deceased…), with the evidence in the note.
    Closed,
}

impl StudentStatus {
    pub const ALL: [StudentStatus; 9] = [
        StudentStatus::InSchool,
        StudentStatus::OnLeave,
        StudentStatus::SuspectedDropout,
        StudentStatus::Dropout,
        StudentStatus::Persuading,
        StudentStatus::Returned,
        StudentStatus::TransferredOut,
        StudentStatus::Suspended,
        StudentStatus::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            StudentStatus::InSchool => "in_school",
            StudentStatus::OnLeave => "on_leave",
            StudentStatus::SuspectedDropout => "suspected_dropout",
            StudentStatus::Dropout => "dropout",
            StudentStatus::Persuading => "persuading",
            StudentStatus::Returned => "returned",
            StudentStatus::TransferredOut => "transferred_out",
            StudentStatus::Suspended => "suspended",
            StudentStatus::Closed => "closed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Status changes the ledgers allow; anything else is refused with a
    /// clear message. Every change is dated, attributed and explained.
    pub fn can_become(self, to: StudentStatus) -> bool {
        use StudentStatus::*;
        matches!(
            (self, to),
            (
                InSchool,
                OnLeave | SuspectedDropout | TransferredOut | Suspended
            ) | (OnLeave, InSchool | SuspectedDropout)
                | (
                    SuspectedDropout,
                    InSchool | Dropout | Persuading | TransferredOut | Closed
                )
                | (Dropout, Persuading | TransferredOut | Closed)
                | (Persuading, Returned | Dropout | Closed)
                | (Returned, InSchool | SuspectedDropout)
                | (TransferredOut, InSchool)
                | (Suspended, Returned | TransferredOut)
        )
    }

    /// Away from school and followed up by the dropout ledgers: 疑似辍学,
    /// 辍学 or 劝返中 (a case file and 劝返 records belong to them).
    pub fn is_out_of_school(self) -> bool {
        matches!(
            self,
            StudentStatus::SuspectedDropout | StudentStatus::Dropout | StudentStatus::Persuading
        )
    }

    /// On the class's roll (在籍): everyone except those transferred out,
    /// suspended (休学) or taken off the books (销号). Dropouts stay on
    /// the roll: they are the ones to visit, and the dropout rate counts
    /// them.
    pub fn is_on_roll(self) -> bool {
        !matches!(
            self,
            StudentStatus::TransferredOut | StudentStatus::Suspended | StudentStatus::Closed
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            StudentStatus::InSchool => "在校",
            StudentStatus::OnLeave => "请假",
            StudentStatus::SuspectedDropout => "疑似辍学",
            StudentStatus::Dropout => "辍学",
            StudentStatus::Persuading => "劝返中",
            StudentStatus::Returned => "复学",
            StudentStatus::TransferredOut => "转出",
            StudentStatus::Suspended => "休学",
            StudentStatus::Closed => "销号",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    pub fn code(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "male" => Some(Gender::Male),
            "female" => Some(Gender::Female),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Gender::Male => "男",
            Gender::Female => "女",
        }
    }
}

/// Special groups that get extra care and visits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SpecialGroup {
    LeftBehind,
    Orphan,
    Disabled,
    LowIncome,
    Poverty,
    SingleParent,
    Other,
}

impl SpecialGroup {
    pub fn label(self) -> &'static str {
        match self {
            SpecialGroup::LeftBehind => "留守",
            SpecialGroup::Orphan => "孤儿",
            SpecialGroup::Disabled => "残疾",
            SpecialGroup::LowIncome => "低保",
            SpecialGroup::Poverty => "脱贫(建档立卡)",
            SpecialGroup::SingleParent => "单亲",
            SpecialGroup::Other => "其他",
        }
    }
}

/// One row of the roster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StudentSummary {
    pub id: i32,
    pub name: String,
    pub gender: Gender,
    pub school_id: i32,
    pub class_id: i32,
    pub class_name: String,
    pub status: StudentStatus,
    pub special_groups: Vec<SpecialGroup>,
    /// The last four characters of the 学籍号 (`number_tail`), no more:
    /// the masked number every viewer of the student sees shows as much.
    /// Empty in a roster a phone cached before it was sent.
    #[serde(default)]
    pub student_no_tail: String,
}

/// Characters of the 学籍号 shown to everyone who may see the student.
pub const STUDENT_NO_TAIL: usize = 4;

/// The end of a 学籍号 as `mask(number, 1, STUDENT_NO_TAIL)` shows it (the
/// student page for anyone who does not manage the roster); nothing when the
/// mask would show no digits.
pub fn number_tail(student_no: &str) -> String {
    let chars: Vec<char> = student_no.chars().collect();
    if chars.len() <= 1 + STUDENT_NO_TAIL {
        return String::new();
    }
    chars[chars.len() - STUDENT_NO_TAIL..].iter().collect()
}

impl StudentSummary {
    /// `学籍号尾号 0038`: shown next to the name where another student of
    /// the same class has the same name, so a visit or an absence is not
    /// put on the wrong child.
    pub fn number_hint(&self) -> String {
        format!("学籍号尾号 {}", self.student_no_tail)
    }
}

/// The students of `list` who share their name and class with another
/// one of the list.
pub fn namesakes(list: &[StudentSummary]) -> std::collections::HashSet<i32> {
    let mut by_name: std::collections::HashMap<(&str, i32), Vec<i32>> = Default::default();
    for s in list {
        by_name.entry((&s.name, s.class_id)).or_default().push(s.id);
    }
    by_name
        .into_values()
        .filter(|ids| ids.len() > 1)
        .flatten()
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuardianView {
    pub name: String,
    pub relation: String,
    /// Only for staff who contact the family; `None` otherwise.
    pub phone: Option<String>,
    pub is_primary: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatusChange {
    pub from: Option<StudentStatus>,
    pub to: StudentStatus,
    pub effective_date: NaiveDate,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StudentDetail {
    pub summary: StudentSummary,
    pub birth_date: Option<NaiveDate>,
    /// 学籍号, masked unless the caller manages the student.
    pub student_no: String,
    /// Identity-card number, always masked (PIPL minimisation).
    pub id_card_masked: Option<String>,
    /// Only for staff who visit the family.
    pub home_address: Option<String>,
    pub other_group_note: Option<String>,
    /// Taught at home (送教上门) because the student cannot come to school.
    #[serde(default)]
    pub home_teaching: bool,
    pub status_since: NaiveDate,
    pub guardians: Vec<GuardianView>,
    pub history: Vec<StatusChange>,
}

/// A dated status change with the reason, as recorded by school staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatusChangeRequest {
    pub to: StudentStatus,
    pub effective_date: NaiveDate,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MoveClassRequest {
    pub class_id: i32,
}

/// Keep the first `keep_start` and last `keep_end` characters, star the rest.
pub fn mask(value: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < keep_start || i >= chars.len() - keep_end {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn masks_identity_numbers() {
        assert_eq!(mask("441622201501012345", 3, 4), "441***********2345");
        assert_eq!(mask("123", 3, 4), "***");
    }

    fn student(id: i32, name: &str, class_id: i32, student_no: &str) -> StudentSummary {
        let student_no_tail = number_tail(student_no);
        StudentSummary {
            id,
            name: name.into(),
            gender: Gender::Male,
            school_id: 1,
            class_id,
            class_name: format!("{class_id}班"),
            status: StudentStatus::InSchool,
            special_groups: vec![],
            student_no_tail,
        }
    }

    #[test]
    fn namesakes_are_the_same_name_in_the_same_class() {
        let list = [
            student(1, "冯睿", 1, "G441622201801240038"),
            student(2, "冯睿", 1, "G441622201803150117"),
            student(3, "冯睿", 2, "G441622201805010001"),
            student(4, "冯家乐", 1, "G1"),
        ];
        let mut found: Vec<i32> = namesakes(&list).into_iter().collect();
        found.sort();
        assert_eq!(found, [1, 2]);
        assert_eq!(list[1].number_hint(), "学籍号尾号 0117");
    }

    #[test]
    fn the_roster_shows_no_more_of_the_number_than_the_mask() {
        for number in ["G441622201801240038", "123456", "12345", "G1", ""] {
            let tail = number_tail(number);
            let masked = mask(number, 1, STUDENT_NO_TAIL);
            assert!(masked.ends_with(&tail), "{number}: {tail} vs {masked}");
            assert!(!masked.ends_with('*') || tail.is_empty(), "{number}");
        }
        assert_eq!(number_tail("G441622201801240038"), "0038");
    }

    #[test]
    fn a_roster_cached_without_numbers_still_reads() {
        let old = r#"[{"id":1,"name":"冯睿","gender":"male","school_id":1,"class_id":1,
            "class_name":"三年级(1)班","status":"in_school","special_groups":[]}]"#;
        let list: Vec<StudentSummary> = serde_json::from_str(old).unwrap();
        assert_eq!(list[0].student_no_tail, "");
    }

    #[test]
    fn status_codes_round_trip() {
        for s in StudentStatus::ALL {
            assert_eq!(StudentStatus::from_code(s.code()), Some(s));
        }
    }

    #[test]
    fn ledger_transitions() {
        use StudentStatus::*;
        assert!(InSchool.can_become(SuspectedDropout));
        assert!(SuspectedDropout.can_become(Dropout));
        assert!(Persuading.can_become(Returned));
        assert!(
            !InSchool.can_become(Returned),
            "only a dropout case returns"
        );
        assert!(
            !Dropout.can_become(InSchool),
            "a dropout returns through 劝返"
        );
        for s in StudentStatus::ALL {
            assert!(!s.can_become(s), "{s:?} to itself is no change");
        }
    }

    proptest! {
        #[test]
        fn mask_keeps_length_and_hides_the_middle(v in "[0-9X]{0,24}", a in 0usize..5, b in 0usize..5) {
            let m = mask(&v, a, b);
            prop_assert_eq!(m.chars().count(), v.chars().count());
            if v.chars().count() > a + b {
                prop_assert!(m.chars().skip(a).take(v.chars().count() - a - b).all(|c| c == '*'));
            }
        }
    }
}
