//! Roster import from the school's Excel or 学籍 export: read the file,
//! match the headers, check every row, show a preview, then commit the good
//! rows in one transaction. Re-importing updates students by 学籍号.

pub mod page;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod columns;
#[cfg(feature = "ssr")]
pub mod rows;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod table;
#[cfg(feature = "ssr")]
pub mod template;

use serde::{Deserialize, Serialize};

/// One problem in one row, explained in Chinese.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RowError {
    /// Row number as Excel shows it (the header is row 1).
    pub row: usize,
    /// The column header, e.g. 出生日期.
    pub column: String,
    pub message: String,
}

/// What an import would do (preview) or did (commit).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportReport {
    /// Data rows in the file (blank rows are not counted).
    pub total_rows: usize,
    pub valid_rows: usize,
    /// Every bad row with the reasons; these rows are skipped.
    pub errors: Vec<RowError>,
    pub to_create: usize,
    pub to_update: usize,
    pub unchanged: usize,
    /// Classes that do not exist yet and will be created.
    pub new_classes: Vec<String>,
    /// False for a preview; true once the good rows are saved.
    pub committed: bool,
}

/// `POST /api/v1/students` and `PUT /api/v1/students/{id}`: one student
/// from the admin's form. It goes through exactly the import's checks and
/// its upsert by 学籍号 (a form is an import of one row), so the two can
/// never disagree about what a valid student is. Empty optional fields keep
/// what is stored (e.g. the masked identity-card number).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct StudentForm {
    pub name: String,
    pub gender: Option<crate::roster::Gender>,
    pub birth_date: Option<chrono::NaiveDate>,
    /// 学籍号; fixed once the student exists.
    pub student_no: String,
    pub class_id: i32,
    pub guardian_name: String,
    pub guardian_relation: String,
    pub guardian_phone: String,
    pub home_address: String,
    pub id_card: String,
    pub left_behind: bool,
    pub orphan: bool,
    pub disabled: bool,
    pub low_income: bool,
    pub poverty: bool,
    pub single_parent: bool,
}

impl StudentForm {
    /// The import's column header of each form field, for turning a row
    /// error back into a field error.
    pub const FIELDS: [(&'static str, &'static str); 11] = [
        ("姓名", "name"),
        ("性别", "gender"),
        ("出生日期", "birth_date"),
        ("学籍号", "student_no"),
        ("年级", "class_id"),
        ("班级", "class_id"),
        ("监护人姓名", "guardian_name"),
        ("与学生关系", "guardian_relation"),
        ("联系电话", "guardian_phone"),
        ("家庭住址", "home_address"),
        ("身份证号", "id_card"),
    ];

    pub fn field_of(column: &str) -> &'static str {
        Self::FIELDS
            .iter()
            .find(|(header, _)| *header == column)
            .map_or("student_no", |(_, field)| field)
    }
}
