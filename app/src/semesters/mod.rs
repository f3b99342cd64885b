//! Semesters: the county sets them, a school may override its own dates.
//! Visits count in the semester containing their date (Asia/Shanghai).

#[cfg(feature = "ssr")]
pub mod service;
