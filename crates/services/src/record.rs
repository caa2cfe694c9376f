//! A state change as the recorder ([`crate::Scope::record`]) writes it: one audit row, and for
//! changes about a client, one timeline event. Built in one expression at the call site:
//!
//! ```ignore
//! scope.record(
//!     Change::of_client(EventType::ClientConverted, id)
//!         .before(json!({ "status": "lead" }))
//!         .on_timeline(format!("{name} became a client"), json!({ "converted_by": by })),
//! ).await?;
//! ```

use chrono::{DateTime, Utc};
use db::audit;
use db::timeline::NewEvent;
use domain::EventType;
use serde_json::Value;
use uuid::Uuid;

/// One recorded change.
#[derive(Debug, Clone)]
pub struct Change {
    kind: EventType,
    target_type: &'static str,
    target_id: Option<String>,
    /// The client the change is about, if any.
    client_id: Option<Uuid>,
    before: Option<Value>,
    after: Option<Value>,
    timeline: Option<Timeline>,
}

/// The client-facing side of a change.
#[derive(Debug, Clone)]
struct Timeline {
    description: String,
    payload: Value,
    event_date: Option<DateTime<Utc>>,
}

impl Change {
    /// A change of anything, named by its type and id (`user`, `role`, `api_key` ...).
    pub fn of(kind: EventType, target_type: &'static str, target_id: impl ToString) -> Self {
        Self {
            kind,
            target_type,
            target_id: Some(target_id.to_string()),
            client_id: None,
            before: None,
            after: None,
            timeline: None,
        }
    }

    /// A change of a client itself (its timeline event is the client's).
    pub fn of_client(kind: EventType, client_id: Uuid) -> Self {
        let mut change = Self::of(kind, "client", client_id);
        change.client_id = Some(client_id);
        change
    }

    /// The state before the change, already redacted of secrets.
    pub fn before(mut self, before: Value) -> Self {
        self.before = Some(before);
        self
    }

    /// The state after the change, already redacted of secrets.
    pub fn after(mut self, after: Value) -> Self {
        self.after = Some(after);
        self
    }

    /// Also puts the change on `client_id`'s timeline, described for people.
    pub fn on_timeline_of(
        mut self,
        client_id: Uuid,
        description: impl Into<String>,
        payload: Value,
    ) -> Self {
        self.client_id = Some(client_id);
        self.on_timeline(description, payload)
    }

    /// Also puts the change on the timeline of the client it is about ([`Change::of_client`],
    /// [`Change::on_timeline_of`]); a change about no client goes on the tenant's timeline.
    pub fn on_timeline(mut self, description: impl Into<String>, payload: Value) -> Self {
        self.timeline = Some(Timeline {
            description: description.into(),
            payload,
            event_date: None,
        });
        self
    }

    /// Dates the timeline event (an import or an integration backdating what it brings in).
    pub fn dated(mut self, at: DateTime<Utc>) -> Self {
        if let Some(t) = self.timeline.as_mut() {
            t.event_date = Some(at);
        }
        self
    }

    pub fn kind(&self) -> EventType {
        self.kind
    }

    pub(crate) fn audit(&self) -> audit::Change<'_> {
        audit::Change {
            action: self.kind,
            target_type: self.target_type,
            target_id: self.target_id.clone(),
            before: self.before.clone(),
            after: self.after.clone(),
        }
    }

    pub(crate) fn timeline_event(&self) -> Option<NewEvent<'_>> {
        let t = self.timeline.as_ref()?;
        Some(NewEvent {
            client_id: self.client_id,
            event_type: self.kind,
            description: t.description.clone(),
            event_date: t.event_date,
            entity_type: Some(self.target_type),
            entity_id: self.target_id.clone(),
            payload: t.payload.clone(),
        })
    }
}
