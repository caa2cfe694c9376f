//! Change notices from the providers' push channels: a notice names its channel, and the
//! connection holding that channel is synced at the worker's next pass (within a minute).
//! Notices are hints, not data; the sync reads the changes itself, and the reconciliation
//! catches up on any notice that never came.

use crate::{Result, Scope};

/// Google's notice on channel `channel_id` (its first, `sync`, when the channel opens, then
/// `exists` or `not_exists` on each change). False if no connection of the tenant has the
/// channel (a stopped or forged one).
pub async fn google_notice(scope: &mut Scope, channel_id: &str) -> Result<bool> {
    if channel_id.is_empty() || channel_id.len() > 200 {
        return Ok(false);
    }
    Ok(db::calendar_connections::notice_on_channel(&mut scope.tx, channel_id).await?)
}
