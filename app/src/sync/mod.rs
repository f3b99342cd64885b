//! Keeping the phone and the server in step.
//!
//! Records are written to the phone first (`store`, IndexedDB) and sent by
//! the `engine` when there is a network: photos and signatures first
//! (`PUT /api/v1/attachments/{sha256}`), then the record with its
//! client-made UUID, so any retry is harmless. `status` is what the pages
//! show: the pending count, progress, the last problem.

pub mod status;

#[cfg(feature = "hydrate")]
pub mod engine;
#[cfg(feature = "hydrate")]
pub mod http;
#[cfg(feature = "hydrate")]
pub mod store;

pub use status::{PendingBadge, SyncStatus, provide_sync_status, sync_status};

/// Wait before retry number `attempts` after a network failure: 2 s, 4 s,
/// 8 s … at most 5 minutes, so a phone in a dead spot does not drain its
/// battery and the server is not hammered when it comes back.
pub fn backoff_ms(attempts: u32) -> u32 {
    2_000u32
        .saturating_mul(1 << attempts.saturating_sub(1).min(8))
        .min(300_000)
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        let waits: Vec<u32> = (1..=10).map(backoff_ms).collect();
        assert_eq!(&waits[..5], &[2_000, 4_000, 8_000, 16_000, 32_000]);
        assert_eq!(backoff_ms(9), 300_000);
        assert_eq!(backoff_ms(u32::MAX), 300_000);
        assert_eq!(backoff_ms(0), 2_000);
    }
}
