//! The rules an activity's details keep, checked together whether it is new or changed: a
//! known kind and status, text within bounds, an end not before the start, midnights for an
//! all-day activity, a known time zone, a recurrence that fits its start (which gives
//! `occurs_until`), and links to the client's own contact, opportunity and ticket.

use chrono::{DateTime, NaiveTime, Timelike, Utc};
use db::activities::ActivityData;
use domain::calendar::{
    ActivityKind, ActivityStatus, Occurrence, Recurrence, YEARS, in_calendar_years, reminders,
};
use uuid::Uuid;

use super::activity::{
    ActivityPatch, LOCATION_CHARS, MAX_ASSIGNEES, MAX_EXCEPTIONS, NOTES_CHARS, NewActivity,
    OUTCOME_CHARS, TITLE_CHARS, VIDEO_URL_CHARS,
};
use crate::{InvalidField, Result, Scope, text};

/// The details of a new activity as given, before [`settle`]; `zone` is the tenant's.
pub(super) fn from_new(input: NewActivity, zone: String, me: Option<Uuid>) -> ActivityData {
    ActivityData {
        contact_id: input.contact_id,
        opportunity_id: input.opportunity_id,
        ticket_id: input.ticket_id,
        kind: input.kind,
        title: input.title,
        notes: input.notes,
        starts_at: input.starts_at,
        ends_at: input.ends_at.unwrap_or(input.starts_at),
        all_day: input.all_day.unwrap_or(false),
        time_zone: input.time_zone.unwrap_or(zone),
        location: input.location,
        video_url: input.video_url,
        assignee_ids: input
            .assignee_ids
            .unwrap_or_else(|| me.into_iter().collect()),
        status: input
            .status
            .unwrap_or_else(|| ActivityStatus::Planned.as_str().into()),
        outcome: input.outcome,
        completed_at: None,
        recurrence: input.recurrence,
        exceptions: input.exceptions.unwrap_or_default(),
        occurs_until: None,
        reminder_minutes: input.reminder_minutes,
    }
}

/// Applies a change onto `d`, before [`settle`].
pub(super) fn apply(d: &mut ActivityData, p: ActivityPatch) {
    macro_rules! set {
        ($($field:ident),*) => { $( if let Some(v) = p.$field { d.$field = v; } )* };
    }
    set!(
        contact_id,
        opportunity_id,
        ticket_id,
        kind,
        title,
        notes,
        starts_at,
        ends_at,
        all_day,
        time_zone,
        location,
        video_url,
        assignee_ids,
        status,
        outcome,
        recurrence,
        exceptions,
        reminder_minutes
    );
}

/// Checks `d` and puts it in its stored form (trimmed text, `completed_at` from the status at
/// `now`, `occurs_until` from the recurrence, reminders sorted); each bad member is one
/// problem.
pub(super) fn settle(d: &mut ActivityData, now: DateTime<Utc>, problems: &mut Vec<InvalidField>) {
    if let Err(e) = ActivityKind::parse(&d.kind) {
        problems.push(InvalidField::at("/kind", e.0));
    }
    d.title = text::required("/title", &d.title, TITLE_CHARS, problems);
    d.notes = text::optional("/notes", d.notes.take(), NOTES_CHARS, problems);
    d.location = text::optional("/location", d.location.take(), LOCATION_CHARS, problems);
    d.outcome = text::optional("/outcome", d.outcome.take(), OUTCOME_CHARS, problems);
    d.video_url = text::optional("/video_url", d.video_url.take(), VIDEO_URL_CHARS, problems);
    if d.video_url.as_deref().is_some_and(|u| !is_https(u)) {
        problems.push(InvalidField::at("/video_url", "must be an https:// link"));
    }
    match ActivityStatus::parse(&d.status) {
        Ok(ActivityStatus::Done) => d.completed_at = d.completed_at.or(Some(now)),
        Ok(_) => d.completed_at = None,
        Err(e) => problems.push(InvalidField::at("/status", e.0)),
    }
    if d.assignee_ids.len() > MAX_ASSIGNEES {
        problems.push(InvalidField::at(
            "/assignee_ids",
            format!("must name at most {MAX_ASSIGNEES} users"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    d.assignee_ids.retain(|u| seen.insert(*u));
    if let Some(minutes) = d.reminder_minutes.take() {
        match reminders::checked_minutes(&minutes) {
            Ok(checked) => d.reminder_minutes = Some(checked),
            Err(e) => {
                problems.push(InvalidField::at("/reminder_minutes", e.0));
                d.reminder_minutes = Some(minutes);
            }
        }
    }
    settle_times(d, problems);
}

/// Why a time outside the calendar's years is refused.
pub(super) fn years_reason() -> String {
    format!("must be in the years {} to {}", YEARS.start, YEARS.end - 1)
}

fn is_https(url: &str) -> bool {
    url.strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
}

/// `t` to the whole second: an RFC 5545 DATE-TIME has no fractions, and a recurrence's
/// occurrences (and its exceptions) must meet its first start exactly.
fn whole_second(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_nanosecond(0).unwrap_or(t)
}

/// The time rules: whole seconds, zone, order, all-day midnights, and the recurrence's last
/// end.
fn settle_times(d: &mut ActivityData, problems: &mut Vec<InvalidField>) {
    d.starts_at = whole_second(d.starts_at);
    d.ends_at = whole_second(d.ends_at);
    for e in &mut d.exceptions {
        *e = whole_second(*e);
    }
    for (pointer, t) in [("/starts_at", d.starts_at), ("/ends_at", d.ends_at)] {
        if !in_calendar_years(t) {
            problems.push(InvalidField::at(pointer, years_reason()));
        }
    }
    if d.ends_at < d.starts_at {
        problems.push(InvalidField::at("/ends_at", "must not be before starts_at"));
    }
    let Ok(zone) = d.time_zone.parse::<chrono_tz::Tz>() else {
        problems.push(InvalidField::at(
            "/time_zone",
            "must be an IANA time zone such as Europe/Madrid",
        ));
        return;
    };
    if d.all_day {
        for (pointer, t) in [("/starts_at", d.starts_at), ("/ends_at", d.ends_at)] {
            if t.with_timezone(&zone).time() != NaiveTime::MIN {
                problems.push(InvalidField::at(
                    pointer,
                    format!("must be a midnight in {zone} for an all-day activity"),
                ));
            }
        }
    }
    if d.exceptions.len() > MAX_EXCEPTIONS {
        problems.push(InvalidField::at(
            "/exceptions",
            format!("must hold at most {MAX_EXCEPTIONS} times"),
        ));
    }
    d.exceptions.sort_unstable();
    d.exceptions.dedup();
    d.occurs_until = occurs_until(d, zone, problems);
}

/// When the last occurrence ends (the end of a single activity).
fn occurs_until(
    d: &mut ActivityData,
    zone: chrono_tz::Tz,
    problems: &mut Vec<InvalidField>,
) -> Option<DateTime<Utc>> {
    let Some(raw) = d.recurrence.as_deref() else {
        d.exceptions.clear();
        return Some(d.ends_at);
    };
    let first = Occurrence {
        starts_at: d.starts_at,
        ends_at: d.ends_at.max(d.starts_at),
    };
    let last = Recurrence::parse(raw).and_then(|rule| {
        d.recurrence = Some(rule.as_str().to_owned());
        rule.last_end(first, zone, &d.exceptions)
    });
    match last {
        Ok(last) => last.map(|t| t.max(first.ends_at)),
        Err(e) => {
            problems.push(InvalidField::at("/recurrence", e.0));
            Some(first.ends_at)
        }
    }
}

/// Checks that the linked contact, opportunity and ticket are the client's and that the
/// assignees are users of the tenant; with `before`, only the links that differ from it.
pub(super) async fn check_links(
    scope: &mut Scope,
    client_id: Uuid,
    d: &ActivityData,
    before: Option<&ActivityData>,
    problems: &mut Vec<InvalidField>,
) -> Result<()> {
    const NOT_THEIRS: &str = "is not one of the client's";
    let changed = |now: Option<Uuid>, was: fn(&ActivityData) -> Option<Uuid>| {
        now.filter(|id| before.is_none_or(|b| was(b) != Some(*id)))
    };
    if let Some(id) = changed(d.contact_id, |b| b.contact_id)
        && db::contacts::get(&mut scope.tx, client_id, id)
            .await?
            .is_none()
    {
        problems.push(InvalidField::at("/contact_id", NOT_THEIRS));
    }
    if let Some(id) = changed(d.opportunity_id, |b| b.opportunity_id)
        && db::opportunities::get(&mut scope.tx, id)
            .await?
            .is_none_or(|o| o.client_id != client_id)
    {
        problems.push(InvalidField::at("/opportunity_id", NOT_THEIRS));
    }
    if let Some(id) = changed(d.ticket_id, |b| b.ticket_id)
        && db::tickets::get(&mut scope.tx, id)
            .await?
            .is_none_or(|t| t.client_id != client_id)
    {
        problems.push(InvalidField::at("/ticket_id", NOT_THEIRS));
    }
    for (i, user) in d.assignee_ids.iter().enumerate() {
        if before.is_some_and(|b| b.assignee_ids.contains(user)) {
            continue;
        }
        let pointer = format!("/assignee_ids/{i}");
        crate::users::check_is_user(&mut scope.tx, Some(*user), &pointer, problems).await?;
    }
    Ok(())
}
