//! Notices of timeline events written outside a request (by jobs), for the API processes to
//! render and stream to their subscribers.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A resumed stream also resends the events recorded this long before the last one it sent,
/// since events reach streams in commit order but carry ids of when they were recorded. So a
/// transaction that records timeline events must commit within this of recording the first
/// (requests do; import batches end after [`BATCH_TIME_LIMIT`]), or a stream that resumes
/// around its commit misses them.
pub const REPLAY_OVERLAP: Duration = Duration::from_secs(5);

/// How long a job's batch may go on recording events before it commits: well within
/// [`REPLAY_OVERLAP`], leaving the rest for a last slow row and the commit itself.
pub const BATCH_TIME_LIMIT: Duration = Duration::from_secs(1);

/// The Redis channel of notices.
pub const NOTICE_CHANNEL: &str = "crm:events:notices";

/// Events a job committed for a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub tenant_id: Uuid,
    pub event_ids: Vec<Uuid>,
    /// Whether any was a `client.*` event (the KPIs changed).
    pub clients_changed: bool,
}
