//! Live updates of committed timeline events: what a transaction recorded, and the notices
//! jobs publish for the API processes to render and stream to their subscribers.

use std::time::Duration;

use domain::EventType;
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

/// The timeline events a transaction recorded, published once it commits.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Recorded {
    pub events: Vec<Uuid>,
    /// Whether any may change the client KPIs.
    pub clients_changed: bool,
}

impl Recorded {
    pub fn note(&mut self, event_id: Uuid, kind: EventType) {
        self.events.push(event_id);
        self.clients_changed |= kind.changes_clients();
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The notice of a job's commit in `tenant_id`.
    pub fn notice(self, tenant_id: Uuid) -> Notice {
        Notice {
            tenant_id,
            event_ids: self.events,
            clients_changed: self.clients_changed,
        }
    }
}

/// Events a job committed for a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub tenant_id: Uuid,
    pub event_ids: Vec<Uuid>,
    /// Whether any was a `client.*` event (the KPIs changed).
    pub clients_changed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_client_events_change_the_kpis() {
        let mut r = Recorded::default();
        r.note(Uuid::now_v7(), EventType::ContactAdded);
        assert!(!r.clients_changed);
        r.note(Uuid::now_v7(), EventType::ClientUpdated);
        assert!(r.clients_changed);
        assert_eq!(r.events.len(), 2);
    }
}
