//! The flows of one activity: plan it (or log one already done), read it, change it (moving,
//! completing, cancelling), delete it. Every change is a timeline event on the client's
//! timeline; completing one (or logging one done) is contact with the client. Each write plans
//! when its next reminder comes due.

use db::activities::{ActivityData, ActivityRow};
use domain::EventType;
use domain::calendar::ActivityStatus;
use serde_json::json;
use uuid::Uuid;

use super::activity::{ActivityOut, ActivityPatch, NewActivity, activity_out, data_of, snapshot};
use super::reminders::next_due;
use super::rules::{apply, check_links, from_new, settle};
use crate::clock::now;
use crate::{Change, Error, Expected, InvalidField, Result, Scope, Versioned};

/// An activity with its version.
pub async fn get(scope: &mut Scope, id: Uuid) -> Result<Versioned<ActivityOut>> {
    let row = db::activities::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(activity_out(row))
}

/// Plans an activity for a client (or logs one already done).
pub async fn create(scope: &mut Scope, input: NewActivity) -> Result<Versioned<ActivityOut>> {
    let tenant = scope.tenant();
    let zone = db::tenants::get(&mut scope.tx, tenant)
        .await?
        .map_or_else(|| "Europe/Madrid".to_owned(), |t| t.time_zone);
    let client_id = input.client_id;
    let mut d = from_new(input, zone, scope.user_id());
    let mut problems = Vec::new();
    settle(&mut d, now(), &mut problems);
    if db::clients::get(&mut scope.tx, client_id, false)
        .await?
        .is_none()
    {
        problems.push(InvalidField::at(
            "/client_id",
            "is not a client of this tenant",
        ));
    } else {
        check_links(scope, client_id, &d, None, &mut problems).await?;
    }
    Error::check(problems)?;
    let (id, me) = (Uuid::now_v7(), scope.user_id());
    let next = next_due(scope, id, &d, now()).await?;
    let row = db::activities::insert(&mut scope.tx, id, client_id, me, &d, next).await?;
    let kind = if d.status == ActivityStatus::Done.as_str() {
        EventType::ActivityLogged
    } else {
        EventType::ActivityPlanned
    };
    scope
        .record(
            Change::of(kind, "activity", id)
                .after(snapshot(&d))
                .on_timeline_of(client_id, described(kind, &d), payload(id, &d)),
        )
        .await?;
    Ok(activity_out(row))
}

/// Changes an activity at a version `expected` allows.
pub async fn update(
    scope: &mut Scope,
    id: Uuid,
    patch: ActivityPatch,
    expected: &Expected,
) -> Result<Versioned<ActivityOut>> {
    let row = db::activities::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(row.version)?;
    change(scope, row, patch).await
}

/// Applies `patch` to a row locked for update and records the change (nothing when it changes
/// nothing). Only the links the patch changes are checked: an assignee who has since left the
/// tenant does not block moving the activity.
pub(super) async fn change(
    scope: &mut Scope,
    row: ActivityRow,
    patch: ActivityPatch,
) -> Result<Versioned<ActivityOut>> {
    let id = row.id;
    let before = data_of(&row);
    let mut after = before.clone();
    apply(&mut after, patch);
    let mut problems = Vec::new();
    settle(&mut after, now(), &mut problems);
    check_links(scope, row.client_id, &after, Some(&before), &mut problems).await?;
    Error::check(problems)?;
    if after == before {
        return Ok(activity_out(row));
    }
    let next = next_due(scope, id, &after, now()).await?;
    let row = db::activities::update(&mut scope.tx, id, &after, next).await?;
    let kind = change_kind(&before, &after);
    scope
        .record(
            Change::of(kind, "activity", id)
                .before(snapshot(&before))
                .after(snapshot(&after))
                .on_timeline_of(row.client_id, described(kind, &after), payload(id, &after)),
        )
        .await?;
    Ok(activity_out(row))
}

/// Deletes an activity.
pub async fn delete(scope: &mut Scope, id: Uuid) -> Result<()> {
    let row = db::activities::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    db::activities::delete(&mut scope.tx, id).await?;
    let d = data_of(&row);
    let kind = EventType::ActivityDeleted;
    scope
        .record(
            Change::of(kind, "activity", id)
                .before(snapshot(&d))
                .on_timeline_of(row.client_id, described(kind, &d), payload(id, &d)),
        )
        .await
}

/// What a change did: completed or cancelled it when its status became so, else changed it.
fn change_kind(before: &ActivityData, after: &ActivityData) -> EventType {
    let became = |s: ActivityStatus| after.status == s.as_str() && before.status != s.as_str();
    if became(ActivityStatus::Done) {
        EventType::ActivityCompleted
    } else if became(ActivityStatus::Cancelled) {
        EventType::ActivityCancelled
    } else {
        EventType::ActivityUpdated
    }
}

/// The activity's line on the client's timeline, its time in its own zone.
fn described(kind: EventType, d: &ActivityData) -> String {
    let verb = match kind {
        EventType::ActivityPlanned => "planned",
        EventType::ActivityLogged => "logged",
        EventType::ActivityCompleted => "done",
        EventType::ActivityCancelled => "cancelled",
        EventType::ActivityDeleted => "deleted",
        _ => "changed",
    };
    let at = d.time_zone.parse::<chrono_tz::Tz>().map_or_else(
        |_| d.starts_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        |z| {
            d.starts_at
                .with_timezone(&z)
                .format("%Y-%m-%d %H:%M %Z")
                .to_string()
        },
    );
    let repeats = if d.recurrence.is_some() {
        ", repeating"
    } else {
        ""
    };
    format!(
        "{} {verb}: {} ({at}{repeats})",
        capitalised(&d.kind),
        d.title
    )
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn payload(id: Uuid, d: &ActivityData) -> serde_json::Value {
    json!({
        "activity_id": id,
        "kind": d.kind,
        "title": d.title,
        "starts_at": d.starts_at,
        "status": d.status,
        "outcome": d.outcome,
    })
}
