//! 班级管理: a school's leaders see every class with its pupils and
//! teachers, add classes, rename them or move them to another grade, and
//! remove a class that was created by mistake (one nobody was ever put in).

pub mod page;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

/// Grades a school of compulsory education has (小学一年级 … 初三 = 9).
pub const GRADE_LEVELS: std::ops::RangeInclusive<i32> = 1..=9;

/// Longest class name accepted (三年级(12)班 is 8).
pub const MAX_NAME_CHARS: usize = 20;

/// One class as the 班级管理 page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ClassRow {
    pub id: i32,
    pub grade_level: i32,
    /// e.g. 三年级.
    pub grade_name: String,
    /// e.g. 三年级(1)班.
    pub name: String,
    /// Pupils on the roll (在籍: in school, on leave, being persuaded back…).
    pub students_on_roll: u32,
    /// Pupils of any status whose record names this class (transferred,
    /// dropped out, graduated included): a class holding any cannot be removed.
    pub students_total: u32,
    /// Display names of the head teachers (班主任).
    pub head_teachers: Vec<String>,
    /// How many subject teachers (任课教师) teach it.
    pub subject_teachers: u32,
    /// Nobody and nothing refers to it, so it may be removed.
    pub removable: bool,
}

/// The body of `POST /api/v1/classes` and `PUT /api/v1/classes/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ClassInput {
    /// 1 … 9 (一年级 … 九年级/初三).
    pub grade_level: i32,
    /// The class's name; a bare number such as `4` becomes 三年级(4)班.
    pub name: String,
}

impl ClassInput {
    /// (field, message in Chinese) of every problem.
    pub fn validate(&self) -> Vec<(&'static str, String)> {
        let mut errors = Vec::new();
        if !GRADE_LEVELS.contains(&self.grade_level) {
            errors.push(("grade_level", "请选择一至九年级".to_owned()));
        }
        let name = self.name.trim();
        if name.is_empty() {
            errors.push((
                "name",
                "请填写班级名称，如“三年级(4)班”或班号“4”".to_owned(),
            ));
        } else if name.chars().count() > MAX_NAME_CHARS {
            errors.push(("name", format!("班级名称不能超过 {MAX_NAME_CHARS} 个字")));
        } else if name.chars().any(char::is_control) {
            errors.push(("name", "班级名称含有无法显示的字符".to_owned()));
        }
        errors
    }
}

/// 一 … 九, as grades are written.
pub const GRADE_DIGITS: [&str; 9] = ["一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// 1 → 一年级 … 9 → 九年级.
pub fn grade_name(level: i32) -> String {
    match usize::try_from(level - 1)
        .ok()
        .and_then(|i| GRADE_DIGITS.get(i))
    {
        Some(d) => format!("{d}年级"),
        None => format!("{level}年级"),
    }
}

/// (3, 4) → 三年级(4)班, the form rosters and imports use.
pub fn class_name(grade_level: i32, number: u32) -> String {
    format!("{}({number})班", grade_name(grade_level))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn input(grade_level: i32, name: &str) -> ClassInput {
        ClassInput {
            grade_level,
            name: name.to_owned(),
        }
    }

    #[test]
    fn grade_and_name_are_checked() {
        assert!(input(3, "4").validate().is_empty());
        assert_eq!(input(0, "4").validate()[0].0, "grade_level");
        assert_eq!(input(10, "4").validate()[0].0, "grade_level");
        assert_eq!(input(3, "  ").validate()[0].0, "name");
        assert_eq!(input(3, &"班".repeat(21)).validate()[0].0, "name");
        assert_eq!(input(3, "三\u{0}班").validate()[0].0, "name");
    }
}
