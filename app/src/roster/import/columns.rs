//! Match the header row to the fields we know. Schools' sheets say 学生姓名
//! or 姓名, 联系电话 or 监护人电话, put stars on required columns and use
//! full-width brackets; all of that is accepted.

use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Gender,
    BirthDate,
    StudentNo,
    Grade,
    Class,
    GuardianName,
    GuardianRelation,
    GuardianPhone,
    Address,
    IdCard,
    LeftBehind,
    Orphan,
    Disabled,
    LowIncome,
    Poverty,
    SingleParent,
}

impl Field {
    pub const ALL: [Field; 17] = [
        Field::Name,
        Field::Gender,
        Field::BirthDate,
        Field::StudentNo,
        Field::Grade,
        Field::Class,
        Field::GuardianName,
        Field::GuardianRelation,
        Field::GuardianPhone,
        Field::Address,
        Field::IdCard,
        Field::LeftBehind,
        Field::Orphan,
        Field::Disabled,
        Field::LowIncome,
        Field::Poverty,
        Field::SingleParent,
    ];

    /// The header used in our template and in error messages.
    pub fn header(self) -> &'static str {
        match self {
            Field::Name => "姓名",
            Field::Gender => "性别",
            Field::BirthDate => "出生日期",
            Field::StudentNo => "学籍号",
            Field::Grade => "年级",
            Field::Class => "班级",
            Field::GuardianName => "监护人姓名",
            Field::GuardianRelation => "与学生关系",
            Field::GuardianPhone => "联系电话",
            Field::Address => "家庭住址",
            Field::IdCard => "身份证号",
            Field::LeftBehind => "留守",
            Field::Orphan => "孤儿",
            Field::Disabled => "残疾",
            Field::LowIncome => "低保",
            Field::Poverty => "脱贫/建档立卡",
            Field::SingleParent => "单亲",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Name => &["姓名", "学生姓名", "名字"],
            Field::Gender => &["性别", "学生性别"],
            Field::BirthDate => &["出生日期", "出生年月", "出生年月日", "生日"],
            Field::StudentNo => &[
                "学籍号",
                "全国学籍号",
                "学籍编号",
                "学生学籍号",
                "全国学籍号码",
            ],
            Field::Grade => &["年级", "所在年级", "年级名称"],
            Field::Class => &["班级", "班级名称", "所在班级", "班别", "班"],
            Field::GuardianName => &["监护人姓名", "监护人", "家长姓名", "家长", "监护人1姓名"],
            Field::GuardianRelation => &[
                "与学生关系",
                "关系",
                "监护人关系",
                "与本人关系",
                "监护人与学生关系",
            ],
            Field::GuardianPhone => &[
                "联系电话",
                "电话",
                "手机",
                "手机号",
                "手机号码",
                "监护人电话",
                "家长电话",
                "联系方式",
                "监护人联系电话",
            ],
            Field::Address => &[
                "家庭住址",
                "住址",
                "家庭地址",
                "现住址",
                "居住地址",
                "家庭现住址",
            ],
            Field::IdCard => &[
                "身份证号",
                "身份证件号",
                "身份证号码",
                "身份证件号码",
                "证件号码",
            ],
            Field::LeftBehind => &["留守", "留守儿童", "是否留守儿童", "是否留守"],
            Field::Orphan => &["孤儿", "是否孤儿"],
            Field::Disabled => &["残疾", "残疾儿童", "是否残疾", "是否残疾儿童"],
            Field::LowIncome => &["低保", "低保户", "是否低保", "是否低保户"],
            Field::Poverty => &[
                "脱贫",
                "建档立卡",
                "脱贫/建档立卡",
                "脱贫户",
                "是否建档立卡",
                "建档立卡户",
                "是否脱贫户",
            ],
            Field::SingleParent => &["单亲", "单亲家庭", "是否单亲"],
        }
    }

    pub fn is_required(self) -> bool {
        matches!(
            self,
            Field::Name | Field::Gender | Field::StudentNo | Field::Grade | Field::Class
        )
    }
}

/// Full-width letters, digits and brackets to ASCII; used for headers and values.
pub fn halfwidth(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

fn normalize_header(raw: &str) -> String {
    let text = halfwidth(raw);
    // Drop "(必填)"-style notes and markers, then all whitespace and stars.
    let text = match text.find('(') {
        Some(i) if i > 0 => text[..i].to_owned(),
        _ => text,
    };
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != ':')
        .collect()
}

/// Column index of each known field, found in the header row.
#[derive(Debug, Default)]
pub struct ColumnMap {
    columns: Vec<(Field, usize)>,
}

impl ColumnMap {
    pub fn from_header(cells: &[String]) -> Result<Self, AppError> {
        let mut columns = Vec::new();
        for (index, cell) in cells.iter().enumerate() {
            let header = normalize_header(cell);
            if header.is_empty() {
                continue;
            }
            if let Some(field) = Field::ALL
                .into_iter()
                .find(|f| f.aliases().contains(&header.as_str()))
                && !columns.iter().any(|(f, _)| *f == field)
            {
                columns.push((field, index));
            }
        }
        let missing: Vec<&str> = Field::ALL
            .into_iter()
            .filter(|f| f.is_required() && !columns.iter().any(|(c, _)| c == f))
            .map(Field::header)
            .collect();
        if !missing.is_empty() {
            return Err(AppError::Invalid {
                field: Some("file".into()),
                message: format!(
                    "第 1 行（表头）缺少必需的列：{}。请使用导入模板。",
                    missing.join("、")
                ),
            });
        }
        Ok(ColumnMap { columns })
    }

    pub fn value<'a>(&self, field: Field, cells: &'a [String]) -> &'a str {
        self.columns
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, i)| cells.get(*i))
            .map(|s| s.trim())
            .unwrap_or("")
    }

    pub fn has(&self, field: Field) -> bool {
        self.columns.iter().any(|(f, _)| *f == field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cells: &[&str]) -> Result<ColumnMap, AppError> {
        ColumnMap::from_header(&cells.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn headers_are_matched_flexibly() {
        let map = header(&[
            "学生姓名*",
            " 性 别 ",
            "全国学籍号（必填）",
            "年级",
            "班级名称",
            "监护人电话",
            "是否留守儿童",
        ])
        .unwrap();
        let row: Vec<String> = ["张三", "男", "G1", "三年级", "1班", "13800000000", "是"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(map.value(Field::Name, &row), "张三");
        assert_eq!(map.value(Field::StudentNo, &row), "G1");
        assert_eq!(map.value(Field::GuardianPhone, &row), "13800000000");
        assert_eq!(map.value(Field::LeftBehind, &row), "是");
        assert_eq!(map.value(Field::Address, &row), "");
    }

    #[test]
    fn missing_required_columns_are_named() {
        let err = header(&["姓名", "性别"]).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("学籍号") && message.contains("年级") && message.contains("班级"),
            "{message}"
        );
    }

    #[test]
    fn halfwidth_converts_fullwidth_forms() {
        assert_eq!(halfwidth("（１）班Ｘ"), "(1)班X");
    }
}
