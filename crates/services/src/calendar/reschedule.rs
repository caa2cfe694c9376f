//! Moving an activity to another slot of the calendar, as the console's drag and drop does:
//! between two instants, or over whole days read in the activity's own time zone (an all-day
//! activity's midnights are its zone's, whatever the browser's zone is).

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use db::activities::ActivityRow;
use domain::local_time::resolve_local;
use uuid::Uuid;

use super::activity::{ActivityOut, ActivityPatch};
use super::flows::change;
use crate::{Error, Expected, Result, Scope, Versioned};

/// Where an activity goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// From `starts_at` to `ends_at` (none: it keeps its length, one hour when it was all-day).
    Timed {
        starts_at: DateTime<Utc>,
        ends_at: Option<DateTime<Utc>>,
    },
    /// The days from `first` up to `end`, exclusive (none: the one day).
    Days {
        first: NaiveDate,
        end: Option<NaiveDate>,
    },
}

/// Moves an activity at a version `expected` allows; the rules are those of any change (an
/// end before the start is refused, a recurring series moves as a whole).
pub async fn reschedule(
    scope: &mut Scope,
    id: Uuid,
    slot: Slot,
    expected: &Expected,
) -> Result<Versioned<ActivityOut>> {
    let row = db::activities::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(row.version)?;
    let patch = moved(&row, slot)?;
    change(scope, row, patch).await
}

/// The change that puts `row` at `slot`.
fn moved(row: &ActivityRow, slot: Slot) -> Result<ActivityPatch> {
    let (starts_at, ends_at, all_day) = match slot {
        Slot::Timed { starts_at, ends_at } => {
            let length = if row.all_day {
                TimeDelta::hours(1)
            } else {
                row.ends_at - row.starts_at
            };
            (starts_at, ends_at.unwrap_or(starts_at + length), false)
        }
        Slot::Days { first, end } => {
            let zone = row.time_zone.parse::<chrono_tz::Tz>().map_err(|_| {
                Error::Corrupt(format!("activity {}: zone {}", row.id, row.time_zone))
            })?;
            let end = end.or_else(|| first.succ_opt()).unwrap_or(first);
            let midnight = |d: NaiveDate| resolve_local(zone, d.and_time(NaiveTime::MIN));
            (midnight(first), midnight(end), true)
        }
    };
    Ok(ActivityPatch {
        starts_at: Some(starts_at),
        ends_at: Some(ends_at),
        all_day: Some(all_day),
        ..ActivityPatch::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(all_day: bool, starts: &str, ends: &str) -> ActivityRow {
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        ActivityRow {
            id: Uuid::nil(),
            client_id: Uuid::nil(),
            contact_id: None,
            opportunity_id: None,
            ticket_id: None,
            kind: "meeting".into(),
            title: "Demo".into(),
            notes: None,
            starts_at: t(starts),
            ends_at: t(ends),
            all_day,
            time_zone: "Europe/Madrid".into(),
            location: None,
            video_url: None,
            assignee_ids: vec![],
            status: "planned".into(),
            outcome: None,
            completed_at: None,
            recurrence: None,
            exceptions: vec![],
            occurs_until: None,
            reminder_minutes: None,
            next_reminder_at: None,
            created_by: None,
            version: 1,
            created_at: t(starts),
            updated_at: t(starts),
        }
    }

    #[test]
    fn a_timed_move_keeps_the_length_and_days_are_the_zones_midnights() {
        let meeting = row(false, "2026-12-08T09:00:00Z", "2026-12-08T09:45:00Z");
        let to = DateTime::parse_from_rfc3339("2026-12-09T15:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let p = moved(
            &meeting,
            Slot::Timed {
                starts_at: to,
                ends_at: None,
            },
        )
        .expect("moved");
        assert_eq!(p.ends_at, Some(to + TimeDelta::minutes(45)));
        let day = NaiveDate::from_ymd_opt(2026, 7, 1).expect("date");
        let p = moved(
            &meeting,
            Slot::Days {
                first: day,
                end: None,
            },
        )
        .expect("moved");
        let starts = p.starts_at.expect("start").to_rfc3339();
        let ends = p.ends_at.expect("end").to_rfc3339();
        assert_eq!(
            (starts.as_str(), ends.as_str(), p.all_day),
            (
                "2026-06-30T22:00:00+00:00",
                "2026-07-01T22:00:00+00:00",
                Some(true)
            )
        );
        let whole_day = row(true, "2026-12-07T23:00:00Z", "2026-12-08T23:00:00Z");
        let p = moved(
            &whole_day,
            Slot::Timed {
                starts_at: to,
                ends_at: None,
            },
        )
        .expect("moved");
        assert_eq!(p.ends_at, Some(to + TimeDelta::hours(1)));
    }
}
