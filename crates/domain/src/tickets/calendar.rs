//! When a support team works: a time zone, weekly hours and whole-day holidays.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::Invalid;
use crate::custom_field::DefinitionError;

/// Most holidays one calendar may list.
pub const HOLIDAYS_LIMIT: usize = 1000;
/// Minutes in a local day; the end of a working interval may be this (`24:00`).
const DAY_MINUTES: u16 = 24 * 60;
/// The API's names of the weekdays, Monday first.
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A stretch of working time within one local day, in minutes after midnight (`end` ≤ 1440).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct WorkingSpan {
    pub start: u16,
    pub end: u16,
}

/// A validated business calendar; read it from a [`CalendarSpec`] (or serde, same shape).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "CalendarSpec", into = "CalendarSpec")]
pub struct BusinessCalendar {
    pub(super) time_zone: Tz,
    /// Sorted, non-overlapping spans per weekday, Monday first.
    pub(super) weekly_hours: [Vec<WorkingSpan>; 7],
    pub(super) holidays: BTreeSet<NaiveDate>,
}

/// A calendar as the API reads and writes it, before validation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// An IANA time zone name such as `Europe/Madrid`.
    pub time_zone: String,
    /// Working intervals per weekday, in local time.
    #[serde(default)]
    pub weekly_hours: WeeklyHoursSpec,
    /// Local dates off work, `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// Working intervals per weekday, each `["HH:MM", "HH:MM"]` (end may be `"24:00"`); absent = off.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WeeklyHoursSpec {
    /// Monday's intervals.
    pub mon: Vec<[String; 2]>,
    /// Tuesday's intervals.
    pub tue: Vec<[String; 2]>,
    /// Wednesday's intervals.
    pub wed: Vec<[String; 2]>,
    /// Thursday's intervals.
    pub thu: Vec<[String; 2]>,
    /// Friday's intervals.
    pub fri: Vec<[String; 2]>,
    /// Saturday's intervals.
    pub sat: Vec<[String; 2]>,
    /// Sunday's intervals.
    pub sun: Vec<[String; 2]>,
}

impl WeeklyHoursSpec {
    fn days(&self) -> [&Vec<[String; 2]>; 7] {
        [
            &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
        ]
    }

    fn days_mut(&mut self) -> [&mut Vec<[String; 2]>; 7] {
        [
            &mut self.mon,
            &mut self.tue,
            &mut self.wed,
            &mut self.thu,
            &mut self.fri,
            &mut self.sat,
            &mut self.sun,
        ]
    }
}

fn at(pointer: impl Into<String>, reason: impl Into<String>) -> DefinitionError {
    DefinitionError {
        pointer: pointer.into(),
        reason: Invalid::new(reason),
    }
}

impl CalendarSpec {
    /// The calendar, or the first member at fault (`/weekly_hours/mon/1/0`) and why.
    pub fn validate(&self) -> Result<BusinessCalendar, DefinitionError> {
        let time_zone = self.time_zone.parse::<Tz>().map_err(|_| {
            at(
                "/time_zone",
                "must be an IANA time zone such as Europe/Madrid",
            )
        })?;
        let mut weekly_hours: [Vec<WorkingSpan>; 7] = Default::default();
        for (i, intervals) in self.weekly_hours.days().into_iter().enumerate() {
            weekly_hours[i] = day_spans(WEEKDAYS[i], intervals)?;
        }
        if weekly_hours.iter().all(Vec::is_empty) {
            return Err(at(
                "/weekly_hours",
                "the calendar needs at least one working interval",
            ));
        }
        if self.holidays.len() > HOLIDAYS_LIMIT {
            return Err(at(
                "/holidays",
                format!("a calendar may list at most {HOLIDAYS_LIMIT} holidays"),
            ));
        }
        let mut holidays = BTreeSet::new();
        for (i, raw) in self.holidays.iter().enumerate() {
            let date = parse_date(raw)
                .ok_or_else(|| at(format!("/holidays/{i}"), "must be a date YYYY-MM-DD"))?;
            holidays.insert(date);
        }
        Ok(BusinessCalendar {
            time_zone,
            weekly_hours,
            holidays,
        })
    }
}

/// The spans of one weekday, sorted, refusing bad times, reversed and overlapping intervals.
fn day_spans(day: &str, intervals: &[[String; 2]]) -> Result<Vec<WorkingSpan>, DefinitionError> {
    let mut spans: Vec<(WorkingSpan, usize)> = Vec::with_capacity(intervals.len());
    for (i, [start, end]) in intervals.iter().enumerate() {
        let pointer = format!("/weekly_hours/{day}/{i}");
        let start = parse_time(start)
            .filter(|m| *m < DAY_MINUTES)
            .ok_or_else(|| at(format!("{pointer}/0"), "must be a time HH:MM (00:00-23:59)"))?;
        let end = parse_time(end)
            .ok_or_else(|| at(format!("{pointer}/1"), "must be a time HH:MM (00:00-24:00)"))?;
        if end <= start {
            return Err(at(pointer, "the interval must end after it starts"));
        }
        spans.push((WorkingSpan { start, end }, i));
    }
    spans.sort();
    for pair in spans.windows(2) {
        let ((earlier, _), (later, index)) = (pair[0], pair[1]);
        if later.start < earlier.end {
            return Err(at(
                format!("/weekly_hours/{day}/{index}"),
                "the interval overlaps another one of the same day",
            ));
        }
    }
    Ok(spans.into_iter().map(|(span, _)| span).collect())
}

/// Minutes after midnight of `HH:MM`, `24:00` included.
fn parse_time(raw: &str) -> Option<u16> {
    let b = raw.as_bytes();
    let digit = |i: usize| b[i].is_ascii_digit().then(|| u16::from(b[i] - b'0'));
    if b.len() != 5 || b[2] != b':' {
        return None;
    }
    let hours = digit(0)? * 10 + digit(1)?;
    let minutes = digit(3)? * 10 + digit(4)?;
    let total = hours * 60 + minutes;
    (minutes < 60 && total <= DAY_MINUTES).then_some(total)
}

fn format_time(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A strict `YYYY-MM-DD` date.
fn parse_date(raw: &str) -> Option<NaiveDate> {
    let b = raw.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

impl BusinessCalendar {
    /// A calendar that never stops: UTC, every day 00:00-24:00, no holidays.
    pub fn always() -> Self {
        let all_day = vec![WorkingSpan {
            start: 0,
            end: DAY_MINUTES,
        }];
        Self {
            time_zone: Tz::UTC,
            weekly_hours: std::array::from_fn(|_| all_day.clone()),
            holidays: BTreeSet::new(),
        }
    }

    /// The time zone the weekly hours and holidays are read in.
    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    /// Whether a local date is a listed holiday.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.contains(&date)
    }

    /// The calendar in the API's shape.
    pub fn to_spec(&self) -> CalendarSpec {
        let mut weekly_hours = WeeklyHoursSpec::default();
        for (i, day) in weekly_hours.days_mut().into_iter().enumerate() {
            *day = self.weekly_hours[i]
                .iter()
                .map(|s| [format_time(s.start), format_time(s.end)])
                .collect();
        }
        CalendarSpec {
            time_zone: self.time_zone.name().to_owned(),
            weekly_hours,
            holidays: self
                .holidays
                .iter()
                .map(|d| d.format("%Y-%m-%d").to_string())
                .collect(),
        }
    }
}

impl TryFrom<CalendarSpec> for BusinessCalendar {
    type Error = Invalid;

    fn try_from(spec: CalendarSpec) -> Result<Self, Invalid> {
        spec.validate()
            .map_err(|e| Invalid::new(format!("{}: {}", e.pointer, e.reason)))
    }
}

impl From<BusinessCalendar> for CalendarSpec {
    fn from(calendar: BusinessCalendar) -> Self {
        calendar.to_spec()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec(value: serde_json::Value) -> CalendarSpec {
        serde_json::from_value(value).expect("the API shape")
    }

    fn pointer_of(value: serde_json::Value) -> String {
        spec(value).validate().expect_err("invalid").pointer
    }

    #[test]
    fn reads_the_api_shape() {
        let calendar = spec(json!({
            "time_zone": "Europe/Madrid",
            "weekly_hours": {"mon": [["15:00", "18:00"], ["09:00", "14:00"]], "sat": [["10:00", "24:00"]]},
            "holidays": ["2026-12-25", "2026-01-01", "2026-12-25"]
        }))
        .validate()
        .expect("valid");
        assert_eq!(calendar.time_zone(), chrono_tz::Europe::Madrid);
        assert!(calendar.is_holiday(NaiveDate::from_ymd_opt(2026, 12, 25).expect("date")));
        let back = serde_json::to_value(&calendar).expect("serialise");
        assert_eq!(
            back,
            json!({
                "time_zone": "Europe/Madrid",
                "weekly_hours": {
                    "mon": [["09:00", "14:00"], ["15:00", "18:00"]],
                    "tue": [], "wed": [], "thu": [], "fri": [],
                    "sat": [["10:00", "24:00"]], "sun": []
                },
                "holidays": ["2026-01-01", "2026-12-25"]
            })
        );
        let again: BusinessCalendar = serde_json::from_value(back).expect("round trip");
        assert_eq!(again, calendar);
    }

    #[test]
    fn always_round_trips() {
        let always = BusinessCalendar::always();
        let json = serde_json::to_value(&always).expect("serialise");
        assert_eq!(json["time_zone"], "UTC");
        assert_eq!(json["weekly_hours"]["sun"], json!([["00:00", "24:00"]]));
        assert_eq!(
            serde_json::from_value::<BusinessCalendar>(json).expect("read"),
            always
        );
    }

    #[test]
    fn problems_name_their_member() {
        let hours = |h: serde_json::Value| json!({"time_zone": "UTC", "weekly_hours": h});
        assert_eq!(
            pointer_of(
                json!({"time_zone": "Europe/Atlantis", "weekly_hours": {"mon": [["09:00", "18:00"]]}})
            ),
            "/time_zone"
        );
        assert_eq!(pointer_of(json!({"time_zone": "UTC"})), "/weekly_hours");
        assert_eq!(
            pointer_of(hours(json!({"tue": [["9:00", "18:00"]]}))),
            "/weekly_hours/tue/0/0"
        );
        assert_eq!(
            pointer_of(hours(json!({"wed": [["09:00", "24:01"]]}))),
            "/weekly_hours/wed/0/1"
        );
        assert_eq!(
            pointer_of(hours(json!({"wed": [["24:00", "24:00"]]}))),
            "/weekly_hours/wed/0/0"
        );
        assert_eq!(
            pointer_of(hours(json!({"thu": [["09:00", "10:60"]]}))),
            "/weekly_hours/thu/0/1"
        );
        let reversed = spec(hours(json!({"fri": [["18:00", "09:00"]]})))
            .validate()
            .expect_err("reversed");
        assert_eq!(reversed.pointer, "/weekly_hours/fri/0");
        assert_eq!(reversed.reason.0, "the interval must end after it starts");
        assert_eq!(
            pointer_of(hours(json!({"fri": [["09:00", "09:00"]]}))),
            "/weekly_hours/fri/0"
        );
        let overlap = spec(hours(
            json!({"mon": [["13:00", "18:00"], ["08:00", "09:00"], ["09:00", "14:00"]]}),
        ))
        .validate()
        .expect_err("overlap");
        assert_eq!(overlap.pointer, "/weekly_hours/mon/0");
        assert!(overlap.reason.0.contains("overlaps"));
        let bad_holiday = json!({"time_zone": "UTC", "weekly_hours": {"mon": [["09:00", "18:00"]]},
            "holidays": ["2026-12-25", "2026-02-30"]});
        assert_eq!(pointer_of(bad_holiday), "/holidays/1");
        for bad in ["2026-1-05", "26-01-05", "2026/01/05", "2026-01-05T00:00"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn touching_intervals_are_fine() {
        let calendar = spec(json!({"time_zone": "UTC",
            "weekly_hours": {"mon": [["09:00", "14:00"], ["14:00", "18:00"]]}}))
        .validate();
        assert!(calendar.is_ok());
    }

    #[test]
    fn too_many_holidays() {
        let holidays: Vec<String> = (0..=HOLIDAYS_LIMIT)
            .map(|i| {
                let date = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")
                    + chrono::TimeDelta::days(i as i64);
                date.format("%Y-%m-%d").to_string()
            })
            .collect();
        let raw = json!({"time_zone": "UTC", "weekly_hours": {"mon": [["09:00", "18:00"]]},
            "holidays": holidays});
        assert_eq!(pointer_of(raw), "/holidays");
    }

    #[test]
    fn serde_refuses_invalid_calendars_with_the_pointer() {
        let err = serde_json::from_value::<BusinessCalendar>(json!({"time_zone": "Mars/Olympus",
            "weekly_hours": {"mon": [["09:00", "18:00"]]}}))
        .expect_err("unknown zone");
        assert!(err.to_string().starts_with("/time_zone: "), "{err}");
        assert!(
            serde_json::from_value::<CalendarSpec>(
                json!({"time_zone": "UTC", "weekly_hours": {"monday": []}})
            )
            .is_err()
        );
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("00:00"), Some(0));
        assert_eq!(parse_time("09:30"), Some(570));
        assert_eq!(parse_time("24:00"), Some(1440));
        for bad in [
            "24:30", "25:00", "9:00", "09:0", "09-00", "0900", "", "ab:cd", "09:00 ",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(format_time(1440), "24:00");
        assert_eq!(format_time(545), "09:05");
    }
}
