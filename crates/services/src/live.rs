//! Notices of timeline events written outside a request (by jobs), for the API processes to
//! render and stream to their subscribers.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
