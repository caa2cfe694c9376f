//! "Plan a meeting in the calendar", as salespeople do: a meeting with the client planned on one
//! of the next working days (`POST /api/v1/activities`, kind `meeting`, 30-60 minutes in
//! `Europe/Madrid`), a look at that week of their calendar
//! (`GET /api/v1/activities?from=&to=&assignee_id=`), the meeting moved an hour later
//! (`PATCH /api/v1/activities/{id}` with `If-Match`), and then either held (`status` `done` with
//! its outcome, contact with the client) or called off and deleted.
//!
//! The meetings are the load test's own (`Loadtest meeting ...`), on its own clients
//! (`Loadtest desk <n>`, created by the first action that needs one), never on seeded ones: a
//! held meeting is contact with the client and would change a seeded client's last contact and
//! the KPIs. A meeting belongs to the action that planned it (nobody else knows its id), so no
//! lock is needed beyond the desk's while its client may still have to be created. No meeting is
//! left planned, so they do not pile up in the calendar run after run: held ones stay behind as
//! history (with their timeline and audit rows), like logged calls.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, SecondsFormat, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use domain::local_time::resolve_local;
use rand::Rng;
use rand::rngs::StdRng;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use super::data::{DESKS, Shared};
use super::mix::{Call, Http, Staff, created_id, desk_client, expect, json_of, pick, with_query};

/// The staff's wall clock: meetings are planned, and weeks read, in this zone.
const ZONE: Tz = chrono_tz::Europe::Madrid;
/// Title prefix of the load test's meetings.
pub const MEETING_PREFIX: &str = "Loadtest meeting";
/// A meeting goes on one of this many working days after today.
const DAYS_AHEAD: u32 = 5;
/// Meetings start on a quarter-hour from 9:00 to 15:45, so that moved an hour later and an hour
/// long they still end by 17:45.
const FIRST_HOUR: i64 = 9;
const START_QUARTERS: i64 = 28;
/// One meeting in this many is held; the others are called off and deleted.
const HELD_ONE_IN: u32 = 3;

const PLACES: &[&str] = &[
    "Oficina del cliente",
    "Nuestra oficina, sala 2",
    "Videollamada",
];

/// What people write after a meeting.
const OUTCOMES: &[&str] = &[
    "Les interesa la ampliación; preparo la propuesta para la semana que viene.",
    "Revisamos la instalación con su responsable de sistemas; todo en orden.",
    "Piden una demostración para dirección antes de decidir.",
    "Aplazan la decisión al próximo trimestre.",
];

/// When a meeting is planned, and the week of the calendar it falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    /// Monday 00:00 of its week and of the next, in the zone.
    week: (DateTime<Utc>, DateTime<Utc>),
}

impl Slot {
    /// The same meeting an hour later.
    fn an_hour_later(self) -> Self {
        let hour = TimeDelta::hours(1);
        Self {
            starts_at: self.starts_at + hour,
            ends_at: self.ends_at + hour,
            ..self
        }
    }
}

fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The `n`th working day after `day` (the first is the next one).
fn working_day_after(mut day: NaiveDate, n: u32) -> NaiveDate {
    let mut left = n;
    while left > 0 {
        day += TimeDelta::days(1);
        if is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// A meeting on one of the next working days after `now`'s day in the zone, starting on a
/// quarter-hour between 9:00 and 15:45, 30, 45 or 60 minutes long.
fn plan_slot(rng: &mut StdRng, now: DateTime<Utc>) -> Slot {
    let today = now.with_timezone(&ZONE).date_naive();
    let day = working_day_after(today, rng.gen_range(1..=DAYS_AHEAD));
    let quarter = rng.gen_range(0..START_QUARTERS);
    let start = day.and_time(NaiveTime::MIN)
        + TimeDelta::hours(FIRST_HOUR)
        + TimeDelta::minutes(15 * quarter);
    let minutes = 15 * rng.gen_range(2..=4);
    let starts_at = resolve_local(ZONE, start);
    let monday = day - TimeDelta::days(i64::from(day.weekday().num_days_from_monday()));
    let midnight = |d: NaiveDate| resolve_local(ZONE, d.and_time(NaiveTime::MIN));
    Slot {
        starts_at,
        ends_at: starts_at + TimeDelta::minutes(minutes),
        week: (midnight(monday), midnight(monday + TimeDelta::days(7))),
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The meeting of staff member `slot` with `client`, as the API takes it.
fn new_meeting(rng: &mut StdRng, staff_slot: usize, client: Uuid, slot: &Slot) -> Value {
    json!({
        "client_id": client,
        "kind": "meeting",
        "title": format!("{MEETING_PREFIX} of staff {staff_slot}"),
        "starts_at": rfc3339(slot.starts_at),
        "ends_at": rfc3339(slot.ends_at),
        "time_zone": ZONE.name(),
        "location": pick(rng, PLACES).copied().unwrap_or_default(),
    })
}

/// Does "plan a meeting in the calendar" as `staff`.
pub async fn plan_meeting<H: Http>(
    http: &mut H,
    staff: &mut Staff,
    shared: &Shared,
) -> Result<(), String> {
    let number = staff.slot % DESKS;
    let desk = shared
        .desk(staff.tenant_index, number)
        .ok_or("the tenant has no desk")?;
    // The lock only while the desk's client may still have to be created.
    let client = {
        let mut current = desk.lock().await;
        desk_client(http, staff, number, &mut current).await?
    };
    let slot = plan_slot(&mut staff.rng, Utc::now());
    let body = new_meeting(&mut staff.rng, staff.slot, client, &slot);
    let name = "/api/v1/activities";
    let reply = http
        .call(Call::send(
            name,
            Method::POST,
            name.to_owned(),
            &staff.token,
            None,
            body,
        ))
        .await?;
    expect(&reply, 201, name)?;
    let id = created_id(&reply, name)?;
    let etag = reply.etag.clone().ok_or("the activity answered no ETag")?;
    // Planned without assignees, the meeting is the planner's: their calendar is read.
    let me = json_of(&reply, name)?["assignee_ids"][0]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{name} answered no assignee"))?;
    read_week(http, staff, &slot, &me, id).await?;

    let moved = slot.an_hour_later();
    let etag = change(
        http,
        staff,
        id,
        &etag,
        json!({ "starts_at": rfc3339(moved.starts_at), "ends_at": rfc3339(moved.ends_at) }),
    )
    .await?;
    if staff.rng.gen_range(0..HELD_ONE_IN) == 0 {
        let outcome = pick(&mut staff.rng, OUTCOMES).copied().unwrap_or_default();
        change(
            http,
            staff,
            id,
            &etag,
            json!({ "status": "done", "outcome": outcome }),
        )
        .await?;
        Ok(())
    } else {
        let name = "/api/v1/activities/{id}";
        let call = Call {
            method: Method::DELETE,
            ..Call::get(name, format!("/api/v1/activities/{id}"), &staff.token)
        };
        let reply = http.call(call).await?;
        expect(&reply, 204, name)
    }
}

/// The week of the planner's calendar the meeting falls in, which must show it.
async fn read_week<H: Http>(
    http: &mut H,
    staff: &Staff,
    slot: &Slot,
    me: &str,
    id: Uuid,
) -> Result<(), String> {
    let name = "/api/v1/activities?from=&to=&assignee_id=";
    let (from, to) = (rfc3339(slot.week.0), rfc3339(slot.week.1));
    let path = with_query(
        "/api/v1/activities",
        &[("from", &from), ("to", &to), ("assignee_id", me)],
    );
    let reply = http.call(Call::get(name, path, &staff.token)).await?;
    expect(&reply, 200, name)?;
    let week = json_of(&reply, name)?;
    let id = id.to_string();
    let shown = week["occurrences"]
        .as_array()
        .is_some_and(|o| o.iter().any(|o| o["activity"]["id"] == id.as_str()));
    // A week of more than 2,000 occurrences is cut short (another run's leftovers at most).
    if shown || week["truncated"] == true {
        Ok(())
    } else {
        Err(format!(
            "{name}: the meeting just planned is not in its week"
        ))
    }
}

/// Changes the meeting at the version `etag` names; its new `ETag`.
async fn change<H: Http>(
    http: &mut H,
    staff: &Staff,
    id: Uuid,
    etag: &str,
    body: Value,
) -> Result<String, String> {
    let name = "/api/v1/activities/{id}";
    let reply = http
        .call(Call::send(
            name,
            Method::PATCH,
            format!("/api/v1/activities/{id}"),
            &staff.token,
            Some(etag),
            body,
        ))
        .await?;
    expect(&reply, 200, name)?;
    reply.etag.ok_or_else(|| format!("{name} answered no ETag"))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Timelike};
    use rand::SeedableRng;

    use super::*;

    fn madrid(t: DateTime<Utc>) -> chrono::DateTime<Tz> {
        t.with_timezone(&ZONE)
    }

    #[test]
    fn working_days_skip_the_weekend() {
        let friday = NaiveDate::from_ymd_opt(2026, 12, 11).expect("a date");
        let monday = NaiveDate::from_ymd_opt(2026, 12, 14).expect("a date");
        assert_eq!(working_day_after(friday, 1), monday);
        assert_eq!(
            working_day_after(friday, 5),
            NaiveDate::from_ymd_opt(2026, 12, 18).expect("a date")
        );
        let saturday = NaiveDate::from_ymd_opt(2026, 12, 12).expect("a date");
        assert_eq!(working_day_after(saturday, 1), monday);
    }

    #[test]
    fn meetings_are_in_working_hours_of_the_next_working_days_and_in_their_week() {
        let mut rng = StdRng::seed_from_u64(5);
        // A Friday evening in winter, and a Sunday in summer time.
        for now in [
            Utc.with_ymd_and_hms(2026, 12, 11, 19, 30, 0),
            Utc.with_ymd_and_hms(2026, 6, 7, 10, 0, 0),
        ] {
            let now = now.single().expect("a time");
            let today = madrid(now).date_naive();
            for _ in 0..500 {
                let slot = plan_slot(&mut rng, now);
                let moved = slot.an_hour_later();
                let (start, end) = (madrid(slot.starts_at), madrid(moved.ends_at));
                assert!(is_working_day(start.date_naive()), "{start}");
                assert!(start.date_naive() > today);
                assert!(start.date_naive() <= working_day_after(today, DAYS_AHEAD));
                assert!(start.hour() >= 9 && start.minute() % 15 == 0, "{start}");
                assert!(
                    end.date_naive() == start.date_naive() && end.hour() < 18,
                    "{end}"
                );
                let minutes = (slot.ends_at - slot.starts_at).num_minutes();
                assert!((30..=60).contains(&minutes), "{minutes}");
                let (from, to) = slot.week;
                assert!(from <= slot.starts_at && moved.ends_at <= to);
                assert_eq!(madrid(from).weekday(), Weekday::Mon);
                assert_eq!((madrid(from).hour(), madrid(to).hour()), (0, 0));
                assert_eq!((to - from).num_days(), 7);
            }
        }
    }

    #[test]
    fn a_meeting_is_what_the_api_takes() {
        let mut rng = StdRng::seed_from_u64(9);
        let now = Utc::now();
        let slot = plan_slot(&mut rng, now);
        let client = Uuid::new_v4();
        let m = new_meeting(&mut rng, 42, client, &slot);
        assert_eq!(m["kind"], "meeting");
        assert_eq!(m["time_zone"], "Europe/Madrid");
        assert_eq!(m["client_id"], json!(client));
        assert_eq!(m["title"], "Loadtest meeting of staff 42");
        let at = |k: &str| {
            m[k].as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        assert_eq!(
            (at("starts_at"), at("ends_at")),
            (Some(slot.starts_at), Some(slot.ends_at))
        );
    }
}
