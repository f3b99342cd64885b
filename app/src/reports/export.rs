//! The reports as Excel workbooks: the school's 辍学学生情况统计表 (what
//! the principal signs, stamps, scans and sends with the editable file) and
//! the area's summary for the town or county.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use super::{AreaMonthReport, SchoolMonthReport, StageRow};
use crate::error::AppError;

/// Columns of a stage line, after the leading ones.
pub const STAGE_HEADERS: [&str; 10] = [
    "学段",
    "在籍学生数",
    "本月新增疑似辍学",
    "本月新增辍学",
    "本月劝返复学",
    "月末疑似辍学",
    "月末辍学",
    "辍学率(%)",
    "控制目标(%)",
    "是否达标",
];

/// Columns of the 辍学学生名单.
pub const LIST_HEADERS: [&str; 11] = [
    "序号",
    "姓名",
    "性别",
    "学籍号",
    "年级班级",
    "当前状态",
    "状态起始日期",
    "说明",
    "劝返次数",
    "最近劝返日期",
    "最近劝返结果",
];

/// Where the table starts on the statistics sheets: title, subtitle, then
/// the header row.
pub const HEADER_ROW: u32 = 2;

pub const FOOTER: &str =
    "校长签名：＿＿＿＿＿＿＿＿　　学校盖章：　　　　　　　　填报日期：　　　　年　　月　　日";

struct Formats {
    title: Format,
    header: Format,
    cell: Format,
    bold: Format,
    rate: Format,
    alert: Format,
}

impl Formats {
    fn new() -> Self {
        let cell = Format::new().set_border(FormatBorder::Thin);
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_size(16)
                .set_align(FormatAlign::Center),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_border(FormatBorder::Thin),
            bold: cell.clone().set_bold(),
            rate: cell.clone().set_num_format("0.00"),
            alert: cell.clone().set_font_color("#B42318").set_bold(),
            cell,
        }
    }
}

fn finish(build: impl FnOnce(&mut Workbook) -> Result<(), XlsxError>) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    build(&mut book)
        .and_then(|()| book.save_to_buffer())
        .map_err(|e| AppError::internal("xlsx export failed", e))
}

/// A new A4 landscape sheet: the title across the top, a line under it
/// and the header row.
fn titled_sheet<'a>(
    book: &'a mut Workbook,
    name: &str,
    headers: &[&str],
    title: &str,
    subtitle: &str,
    f: &Formats,
) -> Result<&'a mut Worksheet, XlsxError> {
    let last_col = (headers.len() - 1) as u16;
    let sheet = book.add_worksheet().set_name(name)?;
    sheet.set_landscape();
    sheet.set_paper_size(9); // A4
    sheet.merge_range(0, 0, 0, last_col, title, &f.title)?;
    sheet.set_row_height(0, 28)?;
    sheet.merge_range(1, 0, 1, last_col, subtitle, &Format::new())?;
    header_row(sheet, HEADER_ROW, headers, f)?;
    Ok(sheet)
}

fn header_row(
    sheet: &mut Worksheet,
    row: u32,
    names: &[&str],
    f: &Formats,
) -> Result<(), XlsxError> {
    for (col, name) in names.iter().enumerate() {
        sheet.write_string_with_format(row, col as u16, *name, &f.header)?;
    }
    sheet.set_row_height(row, 32)?;
    Ok(())
}

/// A stage line from column `col`: the 学段 label and the figures.
fn stage_cells(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    r: &StageRow,
    f: &Formats,
) -> Result<(), XlsxError> {
    let label_format = if r.stage.is_none() { &f.bold } else { &f.cell };
    sheet.write_string_with_format(row, col, &r.label, label_format)?;
    let counts = [
        r.enrolled,
        r.new_suspected,
        r.new_dropouts,
        r.returned,
        r.suspected_at_end,
        r.dropouts_at_end,
    ];
    for (i, n) in counts.into_iter().enumerate() {
        sheet.write_number_with_format(row, col + 1 + i as u16, n, &f.cell)?;
    }
    let over = r.meets_target == Some(false);
    let rate_format = if over {
        &f.alert.clone().set_num_format("0.00")
    } else {
        &f.rate
    };
    sheet.write_number_with_format(row, col + 7, r.dropout_rate, rate_format)?;
    match r.target {
        Some(t) => sheet.write_number_with_format(row, col + 8, t, &f.rate)?,
        None => sheet.write_blank(row, col + 8, &f.cell)?,
    };
    match r.meets_target {
        Some(true) => sheet.write_string_with_format(row, col + 9, "是", &f.cell)?,
        Some(false) => sheet.write_string_with_format(row, col + 9, "否", &f.alert)?,
        None => sheet.write_blank(row, col + 9, &f.cell)?,
    };
    Ok(())
}

/// Sheets: 辍学学生情况统计表 (title, header, a line per stage, 合计,
/// signature line) and 辍学学生名单.
pub fn school_workbook(r: &SchoolMonthReport) -> Result<Vec<u8>, AppError> {
    finish(|book| {
        let f = Formats::new();
        let last_col = (STAGE_HEADERS.len() - 1) as u16;
        let sheet = titled_sheet(
            book,
            "辍学学生情况统计表",
            &STAGE_HEADERS,
            &format!("{}义务教育学校辍学学生情况统计表", r.county_name),
            &format!(
                "学校：{}　　统计月份：{}　　统计截至：{}",
                r.school_name,
                r.month_label,
                r.as_of.format("%Y年%m月%d日")
            ),
            &f,
        )?;
        sheet.set_column_width(0, 10)?;
        for col in 1..=last_col {
            sheet.set_column_width(col, 12)?;
        }
        let mut row = HEADER_ROW + 1;
        for s in r.stages.iter().chain(std::iter::once(&r.total)) {
            stage_cells(sheet, row, 0, s, &f)?;
            row += 1;
        }
        row += 1;
        sheet.merge_range(
            row,
            0,
            row,
            last_col,
            "注：在籍学生数不含转出、休学、销号学生；月末辍学含劝返中；辍学率 = 月末辍学 ÷ 在籍学生数；控制目标：小学 0.5%，初中 1.2%。",
            &Format::new().set_text_wrap(),
        )?;
        sheet.set_row_height(row, 30)?;
        row += 2;
        sheet.merge_range(row, 0, row, last_col, FOOTER, &Format::new())?;

        let last_col = (LIST_HEADERS.len() - 1) as u16;
        let sheet = titled_sheet(
            book,
            "辍学学生名单",
            &LIST_HEADERS,
            &format!("{}辍学学生名单", r.school_name),
            &format!(
                "统计月份：{}（本月曾为疑似辍学、辍学、劝返中或本月复学的学生，状态截至 {}）",
                r.month_label,
                r.as_of.format("%Y年%m月%d日")
            ),
            &f,
        )?;
        let widths = [6, 10, 6, 24, 14, 10, 13, 30, 9, 13, 30];
        for (col, w) in widths.into_iter().enumerate() {
            sheet.set_column_width(col as u16, w)?;
        }
        let mut row = HEADER_ROW + 1;
        for s in &r.students {
            let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            sheet.write_number_with_format(row, 0, s.seq, &f.cell)?;
            sheet.write_string_with_format(row, 1, &s.name, &f.cell)?;
            sheet.write_string_with_format(row, 2, &s.gender, &f.cell)?;
            sheet.write_string_with_format(row, 3, &s.student_no, &f.cell)?;
            sheet.write_string_with_format(row, 4, &s.class_name, &f.cell)?;
            sheet.write_string_with_format(row, 5, &s.status_label, &f.cell)?;
            sheet.write_string_with_format(row, 6, s.status_since.to_string(), &f.cell)?;
            sheet.write_string_with_format(row, 7, &s.note, &f.cell)?;
            sheet.write_number_with_format(row, 8, s.persuasions, &f.cell)?;
            sheet.write_string_with_format(row, 9, date(s.last_persuasion_day), &f.cell)?;
            sheet.write_string_with_format(
                row,
                10,
                s.last_persuasion_result.clone().unwrap_or_default(),
                &f.cell,
            )?;
            row += 1;
        }
        if r.students.is_empty() {
            sheet.merge_range(row, 0, row, last_col, "本月无", &f.cell)?;
            row += 1;
        }
        row += 1;
        sheet.merge_range(row, 0, row, last_col, FOOTER, &Format::new())?;
        Ok(())
    })
}

/// Columns of the area sheet: school, town, then the stage line, then the
/// submission.
pub const AREA_HEADERS: [&str; 14] = [
    "学校",
    "乡镇",
    "学段",
    "在籍学生数",
    "本月新增疑似辍学",
    "本月新增辍学",
    "本月劝返复学",
    "月末疑似辍学",
    "月末辍学",
    "辍学率(%)",
    "控制目标(%)",
    "是否达标",
    "报送情况",
    "报送时间",
];

/// One sheet, 各校辍学学生情况: a line per school and stage, then the
/// area's line per stage and its 合计.
pub fn area_workbook(r: &AreaMonthReport) -> Result<Vec<u8>, AppError> {
    finish(|book| {
        let f = Formats::new();
        let last_col = (AREA_HEADERS.len() - 1) as u16;
        let sheet = titled_sheet(
            book,
            "各校辍学学生情况",
            &AREA_HEADERS,
            &format!("{}义务教育学校辍学学生情况汇总表", r.area_name),
            &format!(
                "统计月份：{}　　报送截止：{}　　已报送 {} 所，逾期未报送 {} 所，共 {} 所",
                r.month_label,
                r.due_date.format("%Y年%m月%d日"),
                r.submitted_count,
                r.overdue_count,
                r.schools.len()
            ),
            &f,
        )?;
        sheet.set_column_width(0, 26)?;
        for col in 1..=last_col {
            sheet.set_column_width(col, 11)?;
        }
        sheet.set_column_width(last_col, 17)?;
        sheet.set_freeze_panes(HEADER_ROW + 1, 1)?;
        let mut row = HEADER_ROW + 1;
        for s in &r.schools {
            let (status, format) = if s.submitted {
                ("已报送", &f.cell)
            } else if s.overdue {
                ("逾期未报送", &f.alert)
            } else {
                ("未报送", &f.cell)
            };
            let at = s
                .submission
                .as_ref()
                .map(|x| x.submitted_at_label.clone())
                .unwrap_or_default();
            for line in s
                .stages
                .iter()
                .chain((s.stages.len() > 1).then_some(&s.total))
            {
                sheet.write_string_with_format(row, 0, &s.school_name, &f.cell)?;
                sheet.write_string_with_format(row, 1, &s.town_name, &f.cell)?;
                stage_cells(sheet, row, 2, line, &f)?;
                sheet.write_string_with_format(row, 12, status, format)?;
                sheet.write_string_with_format(row, 13, &at, &f.cell)?;
                row += 1;
            }
        }
        let area_total = format!("{}合计", r.area_name);
        for line in r.stages.iter().chain(std::iter::once(&r.total)) {
            sheet.write_string_with_format(row, 0, &area_total, &f.bold)?;
            sheet.write_blank(row, 1, &f.cell)?;
            stage_cells(sheet, row, 2, line, &f)?;
            sheet.write_blank(row, 12, &f.cell)?;
            sheet.write_blank(row, 13, &f.cell)?;
            row += 1;
        }
        Ok(())
    })
}
