//! The downloadable import template: the headers we read best, one example
//! row and a sheet of instructions.

use rust_xlsxwriter::{Format, Workbook};

use super::columns::Field;
use crate::error::AppError;

pub fn student_template() -> Result<Vec<u8>, AppError> {
    let build = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut book = Workbook::new();
        let bold = Format::new().set_bold();
        let text = Format::new().set_num_format("@");
        let sheet = book.add_worksheet().set_name("学生名册")?;
        let example = [
            "李小明",
            "男",
            "2017-03-15",
            "G441622201703150012",
            "三年级",
            "1班",
            "李大山",
            "父亲",
            "13812345678",
            "老隆镇水贝村3组12号",
            "",
            "是",
            "否",
            "否",
            "否",
            "否",
            "否",
        ];
        for (col, (field, value)) in Field::ALL.iter().zip(example).enumerate() {
            let col = col as u16;
            let header = if field.is_required() {
                format!("{}*", field.header())
            } else {
                field.header().to_owned()
            };
            sheet.write_string_with_format(0, col, header, &bold)?;
            // Text format keeps long numbers (学籍号, 电话, 身份证号) exact.
            sheet.set_column_format(col, &text)?;
            sheet.write_string(1, col, value)?;
            sheet.set_column_width(col, if col == 9 { 28 } else { 14 })?;
        }
        let help = book.add_worksheet().set_name("填写说明")?;
        let lines = [
            "带 * 的列必填：姓名、性别、学籍号、年级、班级。",
            "性别填“男”或“女”；出生日期如 2017-03-15。",
            "年级填“三年级”或“3”；班级填“1班”或“三年级(1)班”。不存在的班级会在导入时新建。",
            "留守、孤儿、残疾、低保、脱贫/建档立卡、单亲：填“是”或“否”，留空视为“否”。",
            "再次导入同一学籍号时更新该学生信息，不会重复添加；留空的单元格不会覆盖已有信息。",
            "也可直接上传学籍系统导出的 Excel 或 CSV（UTF-8 或 GBK 编码），表头名称相近即可识别。",
            "请删除第 2 行示例后再填写。",
        ];
        for (row, line) in lines.iter().enumerate() {
            help.write_string(row as u32, 0, *line)?;
        }
        help.set_column_width(0, 90)?;
        book.save_to_buffer()
    };
    build().map_err(|e| AppError::internal("template generation failed", e))
}
