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
