//! An activity's input and output: what a client gives to plan or change one, and what it reads
//! back. Times are RFC 3339 instants; `time_zone` is the IANA zone an all-day activity's
//! midnights and a recurrence's wall-clock hours are read in.

use chrono::{DateTime, Utc};
use db::activities::{ActivityData, ActivityRow};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::Versioned;
use crate::patch::present;

/// Most characters of an activity's title.
pub const TITLE_CHARS: usize = 200;
/// Most characters of its notes.
pub const NOTES_CHARS: usize = 5000;
/// Most characters of its location.
pub const LOCATION_CHARS: usize = 500;
/// Most characters of its video link.
pub const VIDEO_URL_CHARS: usize = 2000;
/// Most characters of its outcome.
pub const OUTCOME_CHARS: usize = 2000;
/// Most users one activity is assigned to.
pub const MAX_ASSIGNEES: usize = 20;
/// Most occurrences taken out of a series.
pub const MAX_EXCEPTIONS: usize = 500;

/// A new activity for a client.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewActivity {
    pub client_id: Uuid,
    /// One of the client's contacts.
    pub contact_id: Option<Uuid>,
    /// One of the client's opportunities.
    pub opportunity_id: Option<Uuid>,
    /// One of the client's tickets.
    pub ticket_id: Option<Uuid>,
    /// `call`, `meeting`, `task`, `demo` or `deadline`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(call|meeting|task|demo|deadline)$")
    )]
    pub kind: String,
    /// 1-200 characters.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 200))]
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 5000))]
    pub notes: Option<String>,
    /// The (first) start.
    pub starts_at: DateTime<Utc>,
    /// The (first) end, not before the start (default: the start, a moment such as a
    /// deadline).
    pub ends_at: Option<DateTime<Utc>>,
    /// Whole days: the start and end are midnights in `time_zone` (default false).
    pub all_day: Option<bool>,
    /// An IANA time zone such as `Europe/Madrid` (default: the tenant's).
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub time_zone: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub location: Option<String>,
    /// An `https://` link to the call.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub video_url: Option<String>,
    /// Users of the tenant (default: whoever plans it; at most 20).
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub assignee_ids: Option<Vec<Uuid>>,
    /// `planned` (default), `done` or `cancelled`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(planned|done|cancelled)$"))]
    pub status: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub outcome: Option<String>,
    /// An RFC 5545 RRULE repeating it daily, weekly, monthly or yearly, such as
    /// `FREQ=WEEKLY;BYDAY=MO;COUNT=10`, expanded in `time_zone`.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub recurrence: Option<String>,
    /// Starts of occurrences taken out of the series (at most 500).
    #[cfg_attr(feature = "openapi", schema(max_items = 500))]
    pub exceptions: Option<Vec<DateTime<Utc>>>,
    /// Reminders, in minutes before each start (0 to 10080, at most 5; `[]`: none); absent or
    /// `null`: each assignee's default.
    #[serde(default, deserialize_with = "crate::number::whole_list_opt")]
    #[cfg_attr(feature = "openapi", schema(max_items = 5, value_type = Option<Vec<ReminderMinutes>>))]
    pub reminder_minutes: Option<Vec<i32>>,
}

/// A change of an activity; an absent member keeps its value, `null` clears an optional one.
/// Its client stays.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivityPatch {
    #[serde(default, deserialize_with = "present")]
    pub contact_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    pub opportunity_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    pub ticket_id: Option<Option<Uuid>>,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(call|meeting|task|demo|deadline)$")
    )]
    pub kind: Option<String>,
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 200))]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(max_length = 5000))]
    pub notes: Option<Option<String>>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub all_day: Option<bool>,
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub location: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub video_url: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub assignee_ids: Option<Vec<Uuid>>,
    /// `planned`, `done` (completing it: the client's last contact) or `cancelled`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(planned|done|cancelled)$"))]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub outcome: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub recurrence: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(max_items = 500))]
    pub exceptions: Option<Vec<DateTime<Utc>>>,
    /// Reminders in minutes before each start; `null`: each assignee's default.
    #[serde(default, deserialize_with = "crate::number::whole_list_present")]
    #[cfg_attr(feature = "openapi", schema(max_items = 5, value_type = Option<Vec<ReminderMinutes>>))]
    pub reminder_minutes: Option<Option<Vec<i32>>>,
}

/// Minutes before an occurrence's start: from 0 to a week.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[schema(minimum = 0, maximum = 10080)]
#[allow(dead_code)]
pub struct ReminderMinutes(i32);

/// An activity.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityOut {
    pub id: Uuid,
    pub client_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub opportunity_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    pub kind: String,
    pub title: String,
    pub notes: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub all_day: bool,
    pub time_zone: String,
    pub location: Option<String>,
    pub video_url: Option<String>,
    pub assignee_ids: Vec<Uuid>,
    pub status: String,
    pub outcome: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub recurrence: Option<String>,
    pub exceptions: Vec<DateTime<Utc>>,
    /// When its last occurrence ends; `null` for a series without end.
    pub occurs_until: Option<DateTime<Utc>>,
    /// Reminders in minutes before each start; `null`: each assignee's default.
    pub reminder_minutes: Option<Vec<i32>>,
    /// When its next reminder comes due; `null` when none is to come.
    pub next_reminder_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    /// The concurrency token (also the `ETag`).
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The output of a stored activity.
pub fn activity_out(row: ActivityRow) -> Versioned<ActivityOut> {
    Versioned {
        version: row.version,
        value: ActivityOut {
            id: row.id,
            client_id: row.client_id,
            contact_id: row.contact_id,
            opportunity_id: row.opportunity_id,
            ticket_id: row.ticket_id,
            kind: row.kind,
            title: row.title,
            notes: row.notes,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            all_day: row.all_day,
            time_zone: row.time_zone,
            location: row.location,
            video_url: row.video_url,
            assignee_ids: row.assignee_ids,
            status: row.status,
            outcome: row.outcome,
            completed_at: row.completed_at,
            recurrence: row.recurrence,
            exceptions: row.exceptions,
            occurs_until: row.occurs_until,
            reminder_minutes: row.reminder_minutes,
            next_reminder_at: row.next_reminder_at,
            created_by: row.created_by,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
    }
}

/// The details of a stored activity, to change.
pub(super) fn data_of(row: &ActivityRow) -> ActivityData {
    ActivityData {
        contact_id: row.contact_id,
        opportunity_id: row.opportunity_id,
        ticket_id: row.ticket_id,
        kind: row.kind.clone(),
        title: row.title.clone(),
        notes: row.notes.clone(),
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        all_day: row.all_day,
        time_zone: row.time_zone.clone(),
        location: row.location.clone(),
        video_url: row.video_url.clone(),
        assignee_ids: row.assignee_ids.clone(),
        status: row.status.clone(),
        outcome: row.outcome.clone(),
        completed_at: row.completed_at,
        recurrence: row.recurrence.clone(),
        exceptions: row.exceptions.clone(),
        occurs_until: row.occurs_until,
        reminder_minutes: row.reminder_minutes.clone(),
    }
}

/// What the audit trail keeps of an activity.
pub(super) fn snapshot(d: &ActivityData) -> Value {
    json!({
        "kind": d.kind,
        "title": d.title,
        "starts_at": d.starts_at,
        "ends_at": d.ends_at,
        "all_day": d.all_day,
        "time_zone": d.time_zone,
        "status": d.status,
        "outcome": d.outcome,
        "assignee_ids": d.assignee_ids,
        "recurrence": d.recurrence,
        "exceptions": d.exceptions,
        "contact_id": d.contact_id,
        "opportunity_id": d.opportunity_id,
        "ticket_id": d.ticket_id,
        "location": d.location,
        "video_url": d.video_url,
        "reminder_minutes": d.reminder_minutes,
    })
}
