//! Check one data row and turn it into a `StudentRecord`, or explain in
//! Chinese everything that is wrong with it.

use chrono::{Datelike, NaiveDate};

use super::RowError;
use super::columns::{ColumnMap, Field, halfwidth};
pub use crate::classes::{GRADE_DIGITS, class_name, grade_name};
use crate::roster::Gender;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StudentRecord {
    pub row: usize,
    pub name: String,
    pub gender: Gender,
    pub birth_date: Option<NaiveDate>,
    pub student_no: String,
    pub grade_level: i32,
    pub class_name: String,
    pub guardian_name: Option<String>,
    pub guardian_relation: Option<String>,
    pub guardian_phone: Option<String>,
    pub address: Option<String>,
    pub id_card: Option<String>,
    /// `None` when the file has no such column: keep what is stored.
    pub flags: [Option<bool>; 6],
}

pub const FLAG_FIELDS: [Field; 6] = [
    Field::LeftBehind,
    Field::Orphan,
    Field::Disabled,
    Field::LowIncome,
    Field::Poverty,
    Field::SingleParent,
];

/// 三年级 / 3 / 3年级 / 初一 / 七年级 → 3 / 3 / 3 / 7 / 7.
pub fn parse_grade(raw: &str) -> Option<i32> {
    let text = halfwidth(raw).replace(' ', "");
    let text = text.trim_end_matches("级").trim_end_matches('年');
    if let Ok(n) = text.parse::<i32>() {
        return (1..=9).contains(&n).then_some(n);
    }
    if let Some(rest) = text.strip_prefix('初') {
        return ["一", "二", "三"]
            .iter()
            .position(|d| *d == rest)
            .map(|i| i as i32 + 7);
    }
    GRADE_DIGITS
        .iter()
        .position(|d| *d == text)
        .map(|i| i as i32 + 1)
}

/// 1 / 1班 / (1)班 / 三年级(1)班 / 三年级1班 / 3.1 → class number 1.
pub fn parse_class_number(raw: &str) -> Option<u32> {
    let text = halfwidth(raw).replace(' ', "");
    let text = text.trim_end_matches('班').trim_end_matches(')');
    let digits: String = text
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse::<u32>().ok().filter(|n| (1..=99).contains(n))
}

pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let text = halfwidth(raw).trim().to_owned();
    let text = text.split_whitespace().next().unwrap_or("");
    for format in ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d"] {
        if let Ok(date) = NaiveDate::parse_from_str(text, format) {
            return Some(date);
        }
    }
    // An Excel serial number that lost its date format.
    if let Ok(serial) = text.parse::<i64>()
        && (20_000..80_000).contains(&serial)
    {
        return NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|d| d.checked_add_days(chrono::Days::new(serial as u64)));
    }
    None
}

fn parse_flag(raw: &str) -> Result<bool, ()> {
    match halfwidth(raw).trim().to_lowercase().as_str() {
        "" | "否" | "无" | "n" | "no" | "0" | "false" | "×" | "-" => Ok(false),
        "是" | "有" | "y" | "yes" | "1" | "true" | "√" | "✓" | "✔" => Ok(true),
        _ => Err(()),
    }
}

fn valid_phone(phone: &str) -> bool {
    let digits: String = phone.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    let all_digits = digits.chars().all(|c| c.is_ascii_digit());
    let mobile = digits.len() == 11 && digits.starts_with('1') && all_digits;
    let landline = (10..=12).contains(&digits.len()) && digits.starts_with('0') && all_digits;
    mobile || landline
}

/// 学籍号: a letter (G, L, J…) or digit followed by 9–31 letters and digits.
fn valid_student_no(no: &str) -> bool {
    (10..=32).contains(&no.len()) && no.chars().all(|c| c.is_ascii_alphanumeric())
}

fn valid_id_card(id: &str) -> bool {
    // Check characters, not byte slices: the cell may hold any Unicode.
    let chars: Vec<char> = id.chars().collect();
    chars.len() == 18
        && chars[..17].iter().all(char::is_ascii_digit)
        && (chars[17].is_ascii_digit() || chars[17] == 'X')
}

fn optional(
    text: &str,
    max_chars: usize,
    column: Field,
    row: usize,
    errors: &mut Vec<RowError>,
) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    if text.chars().count() > max_chars {
        errors.push(RowError {
            row,
            column: column.header().into(),
            message: format!("内容过长（最多 {max_chars} 字）"),
        });
        return None;
    }
    Some(text.to_owned())
}

/// Check one row. `today` bounds plausible birth dates.
pub fn check_row(
    map: &ColumnMap,
    row: usize,
    cells: &[String],
    today: NaiveDate,
) -> Result<StudentRecord, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut error = |field: Field, message: &str| {
        errors.push(RowError {
            row,
            column: field.header().into(),
            message: message.into(),
        })
    };

    let name = map.value(Field::Name, cells).to_owned();
    if name.is_empty() {
        error(Field::Name, "姓名不能为空");
    } else if name.chars().count() > 32 {
        error(Field::Name, "姓名过长（最多 32 字）");
    }
    let gender = match halfwidth(map.value(Field::Gender, cells))
        .trim()
        .to_lowercase()
        .as_str()
    {
        "男" | "男性" | "m" | "male" | "1" => Some(Gender::Male),
        "女" | "女性" | "f" | "female" | "2" => Some(Gender::Female),
        "" => {
            error(Field::Gender, "性别不能为空");
            None
        }
        _ => {
            error(Field::Gender, "性别应为“男”或“女”");
            None
        }
    };
    let birth_raw = map.value(Field::BirthDate, cells);
    let birth_date = if birth_raw.is_empty() {
        None
    } else {
        match parse_date(birth_raw) {
            Some(d) if (today.year() - 20..=today.year() - 3).contains(&d.year()) => Some(d),
            Some(_) => {
                error(Field::BirthDate, "出生日期不在义务教育学生的合理范围内");
                None
            }
            None => {
                error(Field::BirthDate, "出生日期格式不正确（例如 2016-09-01）");
                None
            }
        }
    };
    let student_no = halfwidth(map.value(Field::StudentNo, cells))
        .replace(' ', "")
        .to_uppercase();
    if student_no.is_empty() {
        error(Field::StudentNo, "学籍号不能为空");
    } else if !valid_student_no(&student_no) {
        error(Field::StudentNo, "学籍号格式不正确（10–32 位字母或数字）");
    }
    let grade_level = parse_grade(map.value(Field::Grade, cells));
    if grade_level.is_none() {
        error(Field::Grade, "无法识别年级（例如 三年级 或 3）");
    }
    let class_number = parse_class_number(map.value(Field::Class, cells));
    if class_number.is_none() {
        error(Field::Class, "无法识别班级（例如 1班 或 三年级(1)班）");
    }
    let phone = halfwidth(map.value(Field::GuardianPhone, cells));
    let guardian_phone = if phone.is_empty() {
        None
    } else if valid_phone(&phone) {
        Some(phone.chars().filter(|c| !c.is_whitespace()).collect())
    } else {
        error(
            Field::GuardianPhone,
            "联系电话格式不正确（11 位手机号或带区号的座机）",
        );
        None
    };
    let id_raw = halfwidth(map.value(Field::IdCard, cells))
        .replace(' ', "")
        .to_uppercase();
    let id_card = if id_raw.is_empty() {
        None
    } else if valid_id_card(&id_raw) {
        Some(id_raw)
    } else {
        error(Field::IdCard, "身份证号应为 18 位");
        None
    };
    let mut flags = [None; 6];
    for (slot, field) in flags.iter_mut().zip(FLAG_FIELDS) {
        if map.has(field) {
            match parse_flag(map.value(field, cells)) {
                Ok(value) => *slot = Some(value),
                Err(()) => error(field, "请填写“是”或“否”"),
            }
        }
    }
    let guardian_name = optional(
        map.value(Field::GuardianName, cells),
        32,
        Field::GuardianName,
        row,
        &mut errors,
    );
    let guardian_relation = optional(
        map.value(Field::GuardianRelation, cells),
        16,
        Field::GuardianRelation,
        row,
        &mut errors,
    );
    let address = optional(
        map.value(Field::Address, cells),
        200,
        Field::Address,
        row,
        &mut errors,
    );

    match (errors.is_empty(), gender, grade_level, class_number) {
        (true, Some(gender), Some(grade_level), Some(number)) => Ok(StudentRecord {
            row,
            name,
            gender,
            birth_date,
            student_no,
            grade_level,
            class_name: class_name(grade_level, number),
            guardian_name,
            guardian_relation,
            guardian_phone,
            address,
            id_card,
            flags,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn grades_and_classes() {
        assert_eq!(parse_grade("三年级"), Some(3));
        assert_eq!(parse_grade("3"), Some(3));
        assert_eq!(parse_grade("初一"), Some(7));
        assert_eq!(parse_grade("十年级"), None);
        assert_eq!(parse_class_number("（2）班"), Some(2));
        assert_eq!(parse_class_number("三年级(12)班"), Some(12));
        assert_eq!(parse_class_number("3.1"), Some(1));
        assert_eq!(parse_class_number("甲班"), None);
        assert_eq!(class_name(3, 1), "三年级(1)班");
    }

    #[test]
    fn dates_in_common_spellings() {
        let d = NaiveDate::from_ymd_opt(2016, 9, 1);
        for text in [
            "2016-09-01",
            "2016/9/1",
            "2016.09.01",
            "2016年9月1日",
            "20160901",
            "42614",
            "2016-09-01 00:00:00",
        ] {
            assert_eq!(parse_date(text), d, "{text}");
        }
        assert_eq!(parse_date("2016-13-01"), None);
    }

    #[test]
    fn phones() {
        assert!(valid_phone("13812345678"));
        assert!(valid_phone("0762-6812345"));
        assert!(!valid_phone("1381234567"));
        assert!(!valid_phone("abc"));
    }

    proptest! {
        #[test]
        fn check_row_never_panics(cells in proptest::collection::vec(".{0,40}", 0..12)) {
            let header: Vec<String> = ["姓名", "性别", "出生日期", "学籍号", "年级", "班级", "联系电话", "身份证号", "留守"]
                .iter().map(|s| s.to_string()).collect();
            let map = ColumnMap::from_header(&header).unwrap();
            let _ = check_row(&map, 2, &cells, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        }
    }
}
