//! Turn an uploaded file (.xlsx, .xls or .csv in UTF-8 or GBK) into rows of
//! text cells, with hard limits so a hostile file cannot exhaust memory.

use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Xls, Xlsx, open_workbook_from_rs};
use chrono::NaiveDate;

use crate::error::AppError;

pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_ROWS: usize = 20_000;
pub const MAX_COLUMNS: usize = 64;
/// Sum of the uncompressed sizes inside an .xlsx (a zip): stops zip bombs.
const MAX_UNZIPPED_BYTES: u64 = 100 * 1024 * 1024;

/// A sheet as text. `rows[i].0` is the row number Excel would show.
#[derive(Debug, Default, PartialEq)]
pub struct Table {
    pub rows: Vec<(usize, Vec<String>)>,
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::Invalid {
        field: Some("file".into()),
        message: message.into(),
    }
}

pub fn file_too_large() -> AppError {
    invalid(format!(
        "文件过大（上限 {} MB）",
        MAX_FILE_BYTES / 1024 / 1024
    ))
}

fn too_many_rows() -> AppError {
    invalid(format!("行数过多（上限 {MAX_ROWS} 行），请分批导入"))
}

pub fn read_table(bytes: &[u8]) -> Result<Table, AppError> {
    if bytes.is_empty() {
        return Err(invalid("文件是空的"));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(file_too_large());
    }
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        read_xls(bytes)
    } else {
        read_csv(bytes)
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, AppError> {
    check_zip_size(bytes)?;
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|_| invalid("无法读取该 Excel 文件，请确认是 .xlsx 格式且未加密"))?;
    let sheet = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| invalid("Excel 文件中没有工作表"))?;
    let mut reader = book
        .worksheet_cells_reader(&sheet)
        .map_err(|_| invalid("无法读取第一个工作表"))?;
    let mut table = Table::default();
    while let Some(cell) = reader
        .next_cell()
        .map_err(|_| invalid("Excel 文件已损坏，无法读取"))?
    {
        let (row, col) = cell.get_position();
        let (row, col) = (row as usize, col as usize);
        if col >= MAX_COLUMNS {
            continue;
        }
        if row > MAX_ROWS {
            return Err(too_many_rows());
        }
        let text = data_ref_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        put(&mut table, row + 1, col, text);
    }
    Ok(table)
}

fn read_xls(bytes: &[u8]) -> Result<Table, AppError> {
    let mut book: Xls<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|_| invalid("无法读取该 Excel 97-2003 (.xls) 文件"))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| invalid("Excel 文件中没有工作表"))?
        .map_err(|_| invalid("无法读取第一个工作表"))?;
    let (start_row, start_col) = range.start().unwrap_or((0, 0));
    let mut table = Table::default();
    for (r, row) in range.rows().enumerate() {
        let row_number = start_row as usize + r + 1;
        if row_number > MAX_ROWS + 1 {
            return Err(too_many_rows());
        }
        for (c, value) in row.iter().enumerate().take(MAX_COLUMNS) {
            let text = data_text(value);
            if !text.is_empty() {
                put(&mut table, row_number, start_col as usize + c, text);
            }
        }
    }
    Ok(table)
}

fn read_csv(bytes: &[u8]) -> Result<Table, AppError> {
    let text = decode_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = Table::default();
    for (index, record) in reader.records().enumerate() {
        if index > MAX_ROWS {
            return Err(too_many_rows());
        }
        let record =
            record.map_err(|_| invalid(format!("第 {} 行无法按 CSV 格式读取", index + 1)))?;
        for (col, value) in record.iter().enumerate().take(MAX_COLUMNS) {
            let value = value.trim();
            if !value.is_empty() {
                put(&mut table, index + 1, col, value.to_owned());
            }
        }
    }
    Ok(table)
}

/// Chinese Excel saves CSV as GBK (GB18030) unless told otherwise; newer
/// versions write UTF-8 with a BOM. Accept both.
pub fn decode_text(bytes: &[u8]) -> Result<String, AppError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err(invalid("不支持的文件类型，请上传 .xlsx、.xls 或 .csv 文件"));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if had_errors {
        return Err(invalid(
            "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV",
        ));
    }
    Ok(text.into_owned())
}

fn check_zip_size(bytes: &[u8]) -> Result<(), AppError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| invalid("Excel 文件已损坏，无法读取"))?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|_| invalid("Excel 文件已损坏，无法读取"))?;
        total = total.saturating_add(entry.size());
    }
    if total > MAX_UNZIPPED_BYTES {
        return Err(invalid("Excel 文件解压后过大，已拒绝"));
    }
    // A lying declared size does not help an attacker: the zip reader
    // stops at the declared size when calamine decompresses an entry.
    Ok(())
}

fn put(table: &mut Table, row_number: usize, col: usize, text: String) {
    let index = match table.rows.binary_search_by_key(&row_number, |(n, _)| *n) {
        Ok(i) => i,
        Err(i) => {
            table.rows.insert(i, (row_number, Vec::new()));
            i
        }
    };
    let cells = &mut table.rows[index].1;
    if cells.len() <= col {
        cells.resize(col + 1, String::new());
    }
    cells[col] = text;
}

fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

fn date_text(date: Option<NaiveDate>) -> String {
    date.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn data_ref_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::String(s) => s.trim().to_owned(),
        DataRef::SharedString(s) => s.trim().to_owned(),
        DataRef::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        DataRef::DateTime(d) => date_text(d.as_datetime().map(|dt| dt.date())),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.trim().to_owned(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

fn data_text(value: &Data) -> String {
    match value {
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::String(s) => s.trim().to_owned(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        Data::DateTime(d) => date_text(d.as_datetime().map(|dt| dt.date())),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_in_gbk_and_utf8_with_bom_read_the_same() {
        let text = "姓名,性别\n李小明,男\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let expected = read_table(text.as_bytes()).unwrap();
        assert_eq!(read_table(&gbk).unwrap(), expected);
        assert_eq!(read_table(&bom).unwrap(), expected);
        assert_eq!(
            expected.rows[1],
            (2, vec!["李小明".to_owned(), "男".to_owned()])
        );
    }

    #[test]
    fn hostile_inputs_are_clear_errors() {
        assert!(read_table(b"").is_err());
        assert!(read_table(b"PK\x03\x04garbage").is_err());
        assert!(read_table(&[0xD0, 0xCF, 0x11, 0xE0, 1, 2, 3]).is_err());
        assert!(read_table(b"\x00\x01binary").is_err());
        assert!(read_table(&vec![b'a'; MAX_FILE_BYTES + 1]).is_err());
        let many_rows = "a\n".repeat(MAX_ROWS + 5);
        assert!(read_table(many_rows.as_bytes()).is_err());
    }
}
