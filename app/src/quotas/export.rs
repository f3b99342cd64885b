//! The dashboards as Excel workbooks (what the principal prints or sends
//! on; what the county files).

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::error::AppError;
use crate::quotas::{AreaDashboard, SchoolDashboard};

fn headers(sheet: &mut Worksheet, names: &[&str], bold: &Format) -> Result<(), XlsxError> {
    for (col, name) in names.iter().enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(0, col, *name, bold)?;
        sheet.set_column_width(col, if col == 0 { 18 } else { 12 })?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn finish(build: impl FnOnce(&mut Workbook) -> Result<(), XlsxError>) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    build(&mut book)
        .and_then(|()| book.save_to_buffer())
        .map_err(|e| AppError::internal("xlsx export failed", e))
}

/// Sheets: 教师进度, 未家访学生, 每周家访.
pub fn school_workbook(d: &SchoolDashboard) -> Result<Vec<u8>, AppError> {
    finish(|book| {
        let bold = Format::new().set_bold();
        let sheet = book.add_worksheet().set_name("教师进度")?;
        sheet.write_string(
            0,
            0,
            format!("{} {} 家访任务完成情况", d.school_name, d.semester.name),
        )?;
        sheet.write_string(
            1,
            0,
            format!(
                "应完成 {} 人次，已完成 {} 人次（{}%），进度落后 {} 人",
                d.required, d.completed, d.completion_percent, d.teachers_behind
            ),
        )?;
        let names = [
            "姓名",
            "角色",
            "应完成",
            "已完成",
            "剩余",
            "每周需完成",
            "进度",
        ];
        for (col, name) in names.iter().enumerate() {
            sheet.write_string_with_format(3, col as u16, *name, &bold)?;
        }
        sheet.set_column_width(0, 14)?;
        sheet.set_column_width(1, 20)?;
        for (i, t) in d.teachers.iter().enumerate() {
            let row = 4 + i as u32;
            sheet.write_string(row, 0, &t.name)?;
            sheet.write_string(row, 1, &t.roles)?;
            sheet.write_number(row, 2, t.required)?;
            sheet.write_number(row, 3, t.counted)?;
            sheet.write_number(row, 4, t.remaining)?;
            sheet.write_number(row, 5, t.pace_per_week)?;
            sheet.write_string(row, 6, t.status.label())?;
        }

        let sheet = book.add_worksheet().set_name("未家访学生")?;
        headers(sheet, &["姓名", "班级", "需关注"], &bold)?;
        for (i, s) in d.unvisited.iter().enumerate() {
            let row = 1 + i as u32;
            sheet.write_string(row, 0, &s.name)?;
            sheet.write_string(row, 1, &s.class_name)?;
            sheet.write_string(row, 2, s.concerns.join("、"))?;
        }
        if d.unvisited_total as usize > d.unvisited.len() {
            sheet.write_string(
                1 + d.unvisited.len() as u32,
                0,
                format!(
                    "另有 {} 名未列出",
                    d.unvisited_total as usize - d.unvisited.len()
                ),
            )?;
        }

        let sheet = book.add_worksheet().set_name("每周家访")?;
        headers(sheet, &["周一日期", "家访人次"], &bold)?;
        for (i, w) in d.weeks.iter().enumerate() {
            let row = 1 + i as u32;
            sheet.write_string(row, 0, w.week_start.to_string())?;
            sheet.write_number(row, 1, w.visits)?;
        }
        Ok(())
    })
}

/// One sheet: 各校家访完成情况.
pub fn area_workbook(d: &AreaDashboard) -> Result<Vec<u8>, AppError> {
    finish(|book| {
        let bold = Format::new().set_bold();
        let sheet = book.add_worksheet().set_name("各校家访完成情况")?;
        headers(
            sheet,
            &[
                "学校",
                "乡镇",
                "学期",
                "教师数",
                "应完成",
                "已完成",
                "完成率(%)",
                "进度落后教师",
                "本周家访",
            ],
            &bold,
        )?;
        sheet.set_column_width(0, 24)?;
        sheet.set_column_width(2, 16)?;
        let mut row = 1u32;
        for s in &d.schools {
            sheet.write_string(row, 0, &s.school_name)?;
            sheet.write_string(row, 1, &s.town_name)?;
            sheet.write_string(row, 2, &s.semester_name)?;
            sheet.write_number(row, 3, s.teachers)?;
            sheet.write_number(row, 4, s.required)?;
            sheet.write_number(row, 5, s.completed)?;
            sheet.write_number(row, 6, s.completion_percent)?;
            sheet.write_number(row, 7, s.teachers_behind)?;
            sheet.write_number(row, 8, s.visits_this_week)?;
            row += 1;
        }
        sheet.write_string_with_format(row, 0, format!("{} 合计", d.area_name), &bold)?;
        sheet.write_number(row, 3, d.teachers)?;
        sheet.write_number(row, 4, d.required)?;
        sheet.write_number(row, 5, d.completed)?;
        sheet.write_number(row, 6, d.completion_percent)?;
        sheet.write_number(row, 7, d.teachers_behind)?;
        sheet.write_number(row, 8, d.visits_this_week)?;
        Ok(())
    })
}
