//! Google Calendar events as the sync reads and writes them: an event read becomes an
//! [`Incoming`] (or the reason it cannot be read, and it is set aside), and an activity becomes
//! the event body written to the user's calendar, created under an id derived from the
//! activity so that a second insert of it is refused rather than duplicated.

use chrono::{DateTime, NaiveDate, Utc};
use db::activities::ActivityRow;
use integrations::google_calendar::{EventBody, EventTime, ExtendedProperties, GoogleEvent};
use uuid::Uuid;

/// The private property naming the activity an event copies.
pub const ACTIVITY_PROPERTY: &str = "crm_activity";

/// When an event happens, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    Timed {
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    },
    /// Dates of the event's zone; the end is the day after the last.
    AllDay {
        first: NaiveDate,
        after_last: NaiveDate,
    },
}

/// An event read from a connected calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub external_id: String,
    pub etag: Option<String>,
    pub ical_uid: Option<String>,
    /// Deleted in the calendar.
    pub cancelled: bool,
    pub title: Option<String>,
    pub notes: Option<String>,
    pub location: Option<String>,
    /// None for a cancelled event.
    pub slot: Option<Slot>,
    pub updated: Option<DateTime<Utc>>,
    /// The activity our own write named on it.
    pub activity: Option<Uuid>,
    /// One changed occurrence of a series (not synced: the series is).
    pub occurrence_of_series: bool,
}

/// The id of an event read, even from an item that is otherwise unreadable.
pub fn id_of(item: &serde_json::Value) -> String {
    item.get("id")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("(no id)")
        .to_owned()
}

/// Reads one item of a page.
pub fn read(item: serde_json::Value) -> Result<Incoming, String> {
    let e: GoogleEvent =
        serde_json::from_value(item).map_err(|e| format!("not a readable event: {e}"))?;
    let cancelled = e.status == "cancelled";
    let slot = if cancelled {
        None
    } else {
        Some(slot_of(e.start.as_ref(), e.end.as_ref())?)
    };
    let activity = e
        .extended_properties
        .as_ref()
        .and_then(|p| p.private.get(ACTIVITY_PROPERTY))
        .and_then(|id| Uuid::try_parse(id).ok());
    Ok(Incoming {
        external_id: e.id,
        etag: Some(e.etag).filter(|t| !t.is_empty()),
        ical_uid: e.ical_uid,
        cancelled,
        title: e.summary,
        notes: e.description,
        location: e.location,
        slot,
        updated: e.updated.as_deref().and_then(|t| t.parse().ok()),
        activity,
        occurrence_of_series: e.recurring_event_id.is_some(),
    })
}

fn slot_of(start: Option<&EventTime>, end: Option<&EventTime>) -> Result<Slot, String> {
    let (Some(start), Some(end)) = (start, end) else {
        return Err("the event has no start or no end".into());
    };
    let slot = match (&start.date_time, &end.date_time, &start.date, &end.date) {
        (Some(s), Some(e), _, _) => Slot::Timed {
            starts_at: instant(s)?,
            ends_at: instant(e)?,
        },
        (None, None, Some(s), Some(e)) => Slot::AllDay {
            first: day(s)?,
            after_last: day(e)?,
        },
        _ => return Err("the start and the end are not both dates or both times".into()),
    };
    let backwards = match &slot {
        Slot::Timed { starts_at, ends_at } => ends_at < starts_at,
        Slot::AllDay { first, after_last } => after_last <= first,
    };
    if backwards {
        return Err("the event ends before it starts".into());
    }
    Ok(slot)
}

fn instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("'{text}' is not an RFC 3339 time: {e}"))
}

fn day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| format!("'{text}' is not a date: {e}"))
}

/// The id an activity's event is created under: its UUID in hex, which is base32hex.
pub fn event_id_of(activity: Uuid) -> String {
    activity.simple().to_string()
}

/// The iCalendar UID every copy of the activity's meeting carries.
pub fn ical_uid_of(activity: Uuid) -> String {
    format!("{activity}@crm")
}

/// The event an activity is written as; `creating` adds the id and the UID.
pub fn body_of(a: &ActivityRow, creating: bool) -> EventBody {
    let zone = a.time_zone.parse::<chrono_tz::Tz>().ok();
    let at = |t: DateTime<Utc>| -> EventTime {
        if a.all_day {
            let local = zone.map_or(t.date_naive(), |z| t.with_timezone(&z).date_naive());
            EventTime {
                date: Some(local.format("%Y-%m-%d").to_string()),
                ..EventTime::default()
            }
        } else {
            EventTime {
                date_time: Some(t.to_rfc3339()),
                time_zone: Some(a.time_zone.clone()),
                ..EventTime::default()
            }
        }
    };
    let mut recurrence = a.recurrence.as_ref().map(|r| vec![format!("RRULE:{r}")]);
    if let Some(lines) = recurrence.as_mut() {
        lines.extend(
            a.exceptions
                .iter()
                .map(|x| format!("EXDATE:{}", x.format("%Y%m%dT%H%M%SZ"))),
        );
    }
    EventBody {
        id: creating.then(|| event_id_of(a.id)),
        summary: a.title.clone(),
        description: a.notes.clone(),
        location: a.location.clone().or_else(|| a.video_url.clone()),
        start: at(a.starts_at),
        end: at(a.ends_at),
        recurrence,
        ical_uid: creating.then(|| ical_uid_of(a.id)),
        status: Some(
            if a.status == "cancelled" {
                "cancelled"
            } else {
                "confirmed"
            }
            .into(),
        ),
        extended_properties: ExtendedProperties {
            private: [(ACTIVITY_PROPERTY.to_owned(), a.id.to_string())].into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_timed_event_reads_with_its_instants_and_our_activity() {
        let a = Uuid::now_v7();
        let e = read(json!({
            "id": "ev1", "status": "confirmed", "etag": "\"7\"", "iCalUID": "u@x",
            "summary": "Demo", "updated": "2027-03-01T08:00:00.000Z",
            "start": { "dateTime": "2027-03-01T10:00:00+01:00" },
            "end": { "dateTime": "2027-03-01T11:00:00+01:00" },
            "extendedProperties": { "private": { "crm_activity": a.to_string() } }
        }))
        .expect("readable");
        assert_eq!(e.activity, Some(a));
        assert_eq!(e.etag.as_deref(), Some("\"7\""));
        assert_eq!(
            e.slot,
            Some(Slot::Timed {
                starts_at: "2027-03-01T09:00:00Z".parse().expect("t"),
                ends_at: "2027-03-01T10:00:00Z".parse().expect("t"),
            })
        );
    }

    #[test]
    fn a_cancelled_event_needs_no_times_and_a_broken_one_says_why() {
        let gone = read(json!({ "id": "ev2", "status": "cancelled" })).expect("readable");
        assert!(gone.cancelled && gone.slot.is_none());
        let backwards = read(json!({
            "id": "ev3", "status": "confirmed",
            "start": { "date": "2027-03-02" }, "end": { "date": "2027-03-02" }
        }));
        assert_eq!(backwards, Err("the event ends before it starts".into()));
        let mixed = read(json!({
            "id": "ev4", "start": { "date": "2027-03-02" },
            "end": { "dateTime": "2027-03-02T10:00:00Z" }
        }));
        assert!(mixed.is_err());
        assert_eq!(id_of(&json!({ "id": 5 })), "(no id)");
    }

    #[test]
    fn the_id_an_activity_is_created_under_is_base32hex() {
        let id = event_id_of(Uuid::now_v7());
        assert_eq!(id.len(), 32);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='v').contains(&c))
        );
    }
}
