//! What only the demo data (`crm seed-demo`) does with a message: its past messages were never
//! handed to a worker, so it stores that their provider accepted them when the story says.

use chrono::{DateTime, Utc};
use domain::EventType;
use domain::communications::MessageStatus;
use uuid::Uuid;

use crate::{Error, Result, Scope};

/// Stores that the provider accepted the queued outbound message `id` at `at` under
/// `provider_id`, and records it as the worker's delivery would have. The provider's later
/// reports (delivered, read, failed) go through `inbound::apply_report`; the message's
/// delivery job, still queued, finds it sent and does nothing.
pub(crate) async fn mark_sent_at(
    scope: &mut Scope,
    id: Uuid,
    provider_id: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let row = db::communications::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    if row.status != MessageStatus::Queued.as_str() {
        return Err(Error::Corrupt(format!(
            "message {id} is {}, not queued",
            row.status
        )));
    }
    db::communications::mark_sent(&mut scope.tx, id, Some(provider_id), at).await?;
    super::delivery::record(scope, &row, EventType::CommunicationSent, "sent", None, at).await
}
