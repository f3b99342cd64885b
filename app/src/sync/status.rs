//! The sync state every page can see (shared through Leptos context).

use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct SyncStatus {
    /// Whose records are on the device (each account has its own database).
    pub user_id: RwSignal<Option<i32>>,
    /// The account records visits (school staff). An officer's device
    /// keeps no teacher caches: the county's roster is not for a phone.
    pub records_visits: RwSignal<bool>,
    /// Records saved by the teacher but not yet confirmed by the server.
    pub pending: RwSignal<usize>,
    /// A sync pass is running.
    pub running: RwSignal<bool>,
    /// e.g. "正在上传照片 2/5".
    pub progress: RwSignal<Option<String>>,
    /// The last problem, in Chinese; cleared by a clean pass.
    pub last_error: RwSignal<Option<String>>,
    /// Bumped whenever records on the device change, so lists reload.
    pub changed: RwSignal<u64>,
}

impl SyncStatus {
    pub fn touch(&self) {
        self.changed.update(|n| *n += 1);
    }

    /// For an effect that reloads from the server: subscribes it to
    /// changes on the device and to the end of sync passes, and says
    /// whether to reload now. `false` while a pass runs, so a pass that
    /// settles 30 records costs one reload when it ends, not 60.
    pub fn settled_change(&self) -> bool {
        self.changed.track();
        !self.running.get()
    }
}

pub fn provide_sync_status() -> SyncStatus {
    let status = SyncStatus {
        user_id: RwSignal::new(None),
        records_visits: RwSignal::new(false),
        pending: RwSignal::new(0),
        running: RwSignal::new(false),
        progress: RwSignal::new(None),
        last_error: RwSignal::new(None),
        changed: RwSignal::new(0),
    };
    provide_context(status);
    status
}

pub fn sync_status() -> SyncStatus {
    expect_context::<SyncStatus>()
}

/// "待同步 N" in the header whenever something is waiting; tapping it
/// opens the list of visits.
#[component]
pub fn PendingBadge() -> impl IntoView {
    let status = sync_status();
    view! {
        <a href="/visits" class="pending" class:busy=move || status.running.get()
            data-testid="pending-count" data-count=move || status.pending.get().to_string()
            hidden=move || status.pending.get() == 0 && !status.running.get()>
            {move || {
                if status.running.get() && status.pending.get() > 0 {
                    format!("同步中 {}", status.pending.get())
                } else {
                    format!("待同步 {}", status.pending.get())
                }
            }}
        </a>
    }
}
