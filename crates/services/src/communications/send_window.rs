//! The tenant's per-minute send limit on a channel (`per_minute_limit`), counted where a count
//! costs the same at any send rate. The worker counts in Redis (`worker::send_window`); when
//! Redis cannot be reached, the delivery counts the channel's messages sent in the last minute
//! in the database instead: exact, but its cost grows with the rate itself.

use async_trait::async_trait;
use uuid::Uuid;

/// Counts sends per tenant and channel over the last minute.
#[async_trait]
pub trait SendWindow: Send + Sync {
    /// Takes one send of `channel` for `tenant` when fewer than `limit` were taken in the last
    /// minute: `Some(true)` taken, `Some(false)` the limit is reached (nothing taken), `None` the
    /// counter cannot be reached.
    async fn take(&self, tenant: Uuid, channel: &str, limit: u32) -> Option<bool>;
}

/// No counter: every delivery counts in the database (tools and tests without Redis).
pub struct CountInDatabase;

#[async_trait]
impl SendWindow for CountInDatabase {
    async fn take(&self, _tenant: Uuid, _channel: &str, _limit: u32) -> Option<bool> {
        None
    }
}
