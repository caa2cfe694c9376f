//! One event read from a connected calendar, applied to the CRM:
//!
//! - an event linked to an activity and read back with the ETag last seen is our own write
//!   (or a change already applied) coming back, and changes nothing;
//! - a changed linked event moves or renames its activity; if the activity also changed since
//!   the last sync, **the later change wins** (the event's `updated` against the activity's
//!   last change) and the conflict is noted on the link and the client's timeline;
//! - a deleted linked event unlinks; the activity is cancelled only when it was that user's
//!   alone and no other calendar still shows it;
//! - an unlinked event is linked when it copies an activity (our private property, our
//!   iCalendar UID, or the UID of a meeting another teammate's calendar already links): one
//!   meeting, one activity, its user added to the assignees. Any other event is the user's own
//!   business and stays out of the CRM.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use db::activities::ActivityRow;
use db::calendar_connections::ConnectionRow;
use db::calendar_event_links::{self as links, LinkRow};
use domain::EventType;
use serde_json::json;
use uuid::Uuid;

use super::google_event::{Incoming, Slot};
use crate::calendar::activity::ActivityPatch;
use crate::calendar::{MAX_ASSIGNEES, TITLE_CHARS, flows};
use crate::{Change, Result, Scope};

/// What one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Seen before, or our own write.
    Unchanged,
    /// An activity changed, was linked or unlinked.
    Changed,
    /// Changed on both sides; the rule chose.
    Conflict,
    /// Not the CRM's business (a private event, one occurrence of a series).
    Ignored,
}

/// Applies event `e` of connection `conn`.
pub async fn apply(scope: &mut Scope, conn: &ConnectionRow, e: Incoming) -> Result<Applied> {
    if e.occurrence_of_series {
        return Ok(Applied::Ignored);
    }
    match links::by_external(&mut scope.tx, conn.id, &e.external_id).await? {
        Some(link) => apply_linked(scope, conn, link, e).await,
        None => link_new(scope, conn, e).await,
    }
}

async fn apply_linked(
    scope: &mut Scope,
    conn: &ConnectionRow,
    link: LinkRow,
    e: Incoming,
) -> Result<Applied> {
    if e.etag.is_some() && e.etag == link.etag {
        return Ok(Applied::Unchanged);
    }
    let Some(row) = db::activities::get_for_update(&mut scope.tx, link.activity_id).await? else {
        return Ok(Applied::Ignored);
    };
    if e.cancelled {
        return unlink(scope, conn, link, row).await;
    }
    let crm_changed = row.version != link.activity_version;
    let calendar_later = e.updated.is_some_and(|u| u > row.updated_at);
    if crm_changed && !calendar_later {
        let note = conflict_note(&conn.provider, false);
        save(scope, &link, &e, link.activity_version, Some(&note)).await?;
        record_conflict(scope, row.id, row.client_id, &row.title, &note).await?;
        return Ok(Applied::Conflict);
    }
    let (id, client, title) = (row.id, row.client_id, row.title.clone());
    let patch = patch_of(&e, &row);
    let changed = flows::change(scope, row, patch).await?;
    let note = crm_changed.then(|| conflict_note(&conn.provider, true));
    save(scope, &link, &e, changed.version, note.as_deref()).await?;
    if let Some(note) = note {
        record_conflict(scope, id, client, &title, &note).await?;
        return Ok(Applied::Conflict);
    }
    Ok(Applied::Changed)
}

async fn unlink(
    scope: &mut Scope,
    conn: &ConnectionRow,
    link: LinkRow,
    row: ActivityRow,
) -> Result<Applied> {
    links::remove(&mut scope.tx, conn.id, &link.external_id).await?;
    let others = links::count_of_activity(&mut scope.tx, row.id).await?;
    if row.status == "planned" && others == 0 && row.assignee_ids == [conn.user_id] {
        let patch = ActivityPatch {
            status: Some("cancelled".into()),
            ..ActivityPatch::default()
        };
        flows::change(scope, row, patch).await?;
    }
    Ok(Applied::Changed)
}

async fn link_new(scope: &mut Scope, conn: &ConnectionRow, e: Incoming) -> Result<Applied> {
    if e.cancelled {
        return Ok(Applied::Ignored);
    }
    let Some(id) = activity_copied(scope, &e).await? else {
        return Ok(Applied::Ignored);
    };
    let Some(row) = db::activities::get_for_update(&mut scope.tx, id).await? else {
        return Ok(Applied::Ignored);
    };
    let mut version = row.version;
    if !row.assignee_ids.contains(&conn.user_id) && row.assignee_ids.len() < MAX_ASSIGNEES {
        let mut assignees = row.assignee_ids.clone();
        assignees.push(conn.user_id);
        let patch = ActivityPatch {
            assignee_ids: Some(assignees),
            ..ActivityPatch::default()
        };
        version = flows::change(scope, row, patch).await?.version;
    }
    let link = LinkRow {
        connection_id: conn.id,
        external_id: e.external_id.clone(),
        activity_id: id,
        ical_uid: e.ical_uid.clone(),
        etag: None,
        activity_version: version,
        synced_at: Utc::now(),
        conflict: None,
    };
    save(scope, &link, &e, version, None).await?;
    Ok(Applied::Changed)
}

/// The activity an unlinked event copies, if any.
async fn activity_copied(scope: &mut Scope, e: &Incoming) -> Result<Option<Uuid>> {
    if let Some(id) = e.activity {
        return Ok(Some(id));
    }
    let Some(uid) = e.ical_uid.as_deref() else {
        return Ok(None);
    };
    if let Some(id) = uid
        .strip_suffix("@crm")
        .and_then(|u| Uuid::try_parse(u).ok())
    {
        return Ok(Some(id));
    }
    Ok(links::activity_of_uid(&mut scope.tx, uid).await?)
}

async fn save(
    scope: &mut Scope,
    link: &LinkRow,
    e: &Incoming,
    activity_version: i32,
    conflict: Option<&str>,
) -> Result<()> {
    let row = LinkRow {
        etag: e.etag.clone(),
        ical_uid: e.ical_uid.clone().or_else(|| link.ical_uid.clone()),
        activity_version,
        conflict: conflict.map(str::to_owned),
        ..link.clone()
    };
    Ok(links::save(&mut scope.tx, &row).await?)
}

fn conflict_note(provider: &str, calendar_won: bool) -> String {
    let calendar = if provider == "google" {
        "Google Calendar"
    } else {
        "Outlook"
    };
    if calendar_won {
        format!(
            "Changed both here and in {calendar} since the last sync: {calendar}'s later change was kept."
        )
    } else {
        format!(
            "Changed both here and in {calendar} since the last sync: this later change was kept and sent to {calendar}."
        )
    }
}

async fn record_conflict(
    scope: &mut Scope,
    id: Uuid,
    client: Uuid,
    title: &str,
    note: &str,
) -> Result<()> {
    scope
        .record(
            Change::of(EventType::ActivitySyncConflict, "activity", id).on_timeline_of(
                client,
                format!("{title}: {note}"),
                json!({ "activity_id": id, "title": title, "conflict": note }),
            ),
        )
        .await
}

/// The activity's details as the event now has them.
fn patch_of(e: &Incoming, row: &ActivityRow) -> ActivityPatch {
    let mut p = ActivityPatch {
        title: e
            .title
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| t.chars().take(TITLE_CHARS).collect()),
        notes: Some(e.notes.clone().filter(|n| !n.trim().is_empty())),
        location: e
            .location
            .clone()
            .map(|l| Some(l).filter(|l| !l.trim().is_empty())),
        ..ActivityPatch::default()
    };
    match &e.slot {
        Some(Slot::Timed { starts_at, ends_at }) => {
            p.starts_at = Some(*starts_at);
            p.ends_at = Some(*ends_at);
            p.all_day = Some(false);
        }
        Some(Slot::AllDay { first, after_last }) => {
            p.starts_at = Some(midnight(*first, &row.time_zone));
            p.ends_at = Some(midnight(*after_last, &row.time_zone));
            p.all_day = Some(true);
        }
        None => {}
    }
    p
}

fn midnight(day: NaiveDate, zone: &str) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    zone.parse::<chrono_tz::Tz>()
        .ok()
        .and_then(|z| z.from_local_datetime(&naive).earliest())
        .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
}
