//! Spot-checks of visit records by the school (抽查): a leader marks a
//! record 已审核 or returns it (退回) with a reason; the teacher sees the
//! reason and amends the record, which then counts again.

pub mod page;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Not reviewed yet (or amended since): counts.
    #[default]
    Pending,
    /// 已审核: counts.
    Approved,
    /// 退回: does not count until the teacher amends it.
    Returned,
}

impl ReviewStatus {
    pub const ALL: [ReviewStatus; 3] = [
        ReviewStatus::Pending,
        ReviewStatus::Approved,
        ReviewStatus::Returned,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Approved => "approved",
            ReviewStatus::Returned => "returned",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "待审核",
            ReviewStatus::Approved => "已审核",
            ReviewStatus::Returned => "退回",
        }
    }
}

/// The decision a reviewer can make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Approved,
    Returned,
}

/// The body of `POST /api/v1/visits/{id}/review`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReviewInput {
    pub decision: ReviewDecision,
    /// Required when returning: what the teacher must fix.
    #[serde(default)]
    pub note: String,
    /// The revision the reviewer looked at; a newer one must be reviewed
    /// on its own.
    pub revision: i32,
}

/// Longest accepted reason.
pub const MAX_NOTE_CHARS: usize = 500;

impl ReviewInput {
    /// The trimmed note, or why the input is refused (in Chinese).
    pub fn checked_note(&self) -> Result<Option<String>, String> {
        let note = self.note.trim();
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(format!("审核意见不能超过 {MAX_NOTE_CHARS} 字"));
        }
        match self.decision {
            ReviewDecision::Returned if note.is_empty() => {
                Err("退回时请写明原因，方便教师修改".into())
            }
            _ => Ok((!note.is_empty()).then(|| note.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(decision: ReviewDecision, note: &str) -> ReviewInput {
        ReviewInput {
            decision,
            note: note.into(),
            revision: 1,
        }
    }

    #[test]
    fn returning_needs_a_reason_approving_does_not() {
        assert!(
            input(ReviewDecision::Returned, "  ")
                .checked_note()
                .is_err()
        );
        assert_eq!(
            input(ReviewDecision::Returned, " 缺家长签名 ").checked_note(),
            Ok(Some("缺家长签名".into()))
        );
        assert_eq!(input(ReviewDecision::Approved, "").checked_note(), Ok(None));
        let long = "很".repeat(MAX_NOTE_CHARS + 1);
        assert!(
            input(ReviewDecision::Approved, &long)
                .checked_note()
                .is_err()
        );
    }
}
