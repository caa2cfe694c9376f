//! Two-way sync of each user's connected calendar (issue 18): `google_event` reads events and
//! writes activities as events, `inbound` applies one event read to the CRM (links, loops,
//! conflicts, one activity per meeting), and `run` is one connection's sync run, which the
//! worker's pass starts for every connection that is due.

pub mod google_event;
pub mod inbound;
pub mod notices;
pub mod run;

pub use run::{RunReport, SyncClients, sync_connection};

/// How a sync last resolved a change made both in the CRM and in a connected calendar, shown
/// on the activity.
pub async fn sync_conflict(
    scope: &mut crate::Scope,
    activity: uuid::Uuid,
) -> crate::Result<Option<String>> {
    Ok(db::calendar_event_links::conflict_of(&mut scope.tx, activity).await?)
}
