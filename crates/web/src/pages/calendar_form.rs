//! The activity form as typed: dates and times of the activity's own time zone (an all-day
//! activity's last day included, as people say it), a repetition chosen from the usual ones
//! or written as an RFC 5545 rule, and the assignees. Read from the posted fields, written
//! from a stored activity, and turned into the service's input; the rules are the service's.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use domain::local_time::resolve_local;
use services::InvalidField;
use services::calendar::{ActivityOut, ActivityPatch, NewActivity};
use uuid::Uuid;

use super::admin::Fields;
use super::tickets_new::Choice;
use crate::i18n::{Arg, Locale};

/// The repetitions the form offers, each with its rule (`custom`: the rule typed).
pub const REPEATS: [(&str, &str); 6] = [
    ("daily", "FREQ=DAILY"),
    ("weekdays", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
    ("weekly", "FREQ=WEEKLY"),
    ("monthly", "FREQ=MONTHLY"),
    ("yearly", "FREQ=YEARLY"),
    ("custom", ""),
];

/// The reminders the form offers, in minutes before the start (a stored activity's other
/// values are offered too).
pub const REMINDER_CHOICES: [i32; 9] = [0, 5, 10, 15, 30, 60, 120, 1440, 10080];

/// How people say `minutes` before a start: "at the start", "15 minutes before", "1 day
/// before".
pub fn reminder_label(locale: Locale, minutes: i32) -> String {
    const UNITS: [(i32, &str); 4] = [
        (10080, "reminder-weeks"),
        (1440, "reminder-days"),
        (60, "reminder-hours"),
        (1, "reminder-minutes"),
    ];
    if minutes == 0 {
        return locale.t("reminder-at-start");
    }
    let (size, key) = UNITS
        .into_iter()
        .find(|(size, _)| minutes % size == 0)
        .unwrap_or((1, "reminder-minutes"));
    locale.t_with(key, &[("n", Arg::Number(i64::from(minutes / size)))])
}

/// The reminders to choose from: the usual ones and any of `chosen` besides, in order, each
/// chosen one selected.
pub fn reminder_choices(locale: Locale, chosen: &[String]) -> Vec<Choice> {
    let picked: Vec<i32> = chosen
        .iter()
        .filter_map(|m| m.trim().parse().ok())
        .collect();
    let mut all: Vec<i32> = REMINDER_CHOICES.iter().chain(&picked).copied().collect();
    all.sort_unstable();
    all.dedup();
    all.into_iter()
        .map(|m| Choice {
            value: m.to_string(),
            label: reminder_label(locale, m),
            selected: picked.contains(&m),
        })
        .collect()
}

/// The form's fields as text.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ActivityForm {
    pub client_id: String,
    pub kind: String,
    pub title: String,
    pub start_date: String,
    pub start_time: String,
    pub end_date: String,
    pub end_time: String,
    pub all_day: bool,
    pub time_zone: String,
    pub location: String,
    pub video_url: String,
    pub assignee_ids: Vec<String>,
    /// Blank (no repetition), a key of [`REPEATS`].
    pub repeat: String,
    /// How many times in all (blank: without end).
    pub repeat_count: String,
    /// The rule of a `custom` repetition.
    pub rule: String,
    pub notes: String,
    /// Each assignee's default reminders (no `reminder_minutes` of its own).
    pub reminder_default: bool,
    /// Minutes before the start, when not the defaults.
    pub reminder_minutes: Vec<String>,
    pub version: String,
}

fn text(raw: &str) -> Option<String> {
    Some(raw.trim().to_owned()).filter(|t| !t.is_empty())
}

impl ActivityForm {
    /// The posted form.
    pub fn read(f: &Fields) -> Self {
        Self {
            client_id: f.one("client_id"),
            kind: f.one("kind"),
            title: f.one("title"),
            start_date: f.one("start_date"),
            start_time: f.one("start_time"),
            end_date: f.one("end_date"),
            end_time: f.one("end_time"),
            all_day: f.one("all_day") == "on",
            time_zone: f.one("time_zone"),
            location: f.one("location"),
            video_url: f.one("video_url"),
            assignee_ids: f.all("assignee_ids"),
            repeat: f.one("repeat"),
            repeat_count: f.one("repeat_count"),
            rule: f.one("rule"),
            notes: f.one("notes"),
            reminder_default: f.one("reminder_default") == "on",
            reminder_minutes: f.all("reminder_minutes"),
            version: f.one("version"),
        }
    }

    /// A new activity's form: `start` in `zone` for `minutes`, assigned to `me`.
    pub fn blank(start: DateTime<Utc>, minutes: i64, zone: &str, me: Uuid) -> Self {
        let tz = zone.parse::<chrono_tz::Tz>().unwrap_or(chrono_tz::UTC);
        let (s, e) = (
            start.with_timezone(&tz),
            (start + TimeDelta::minutes(minutes)).with_timezone(&tz),
        );
        Self {
            kind: "meeting".into(),
            start_date: s.format("%Y-%m-%d").to_string(),
            start_time: s.format("%H:%M").to_string(),
            end_date: e.format("%Y-%m-%d").to_string(),
            end_time: e.format("%H:%M").to_string(),
            time_zone: zone.to_owned(),
            assignee_ids: vec![me.to_string()],
            reminder_default: true,
            ..Self::default()
        }
    }

    /// The form of a stored activity, its times in its own zone.
    pub fn of(a: &ActivityOut) -> Self {
        let tz = a
            .time_zone
            .parse::<chrono_tz::Tz>()
            .unwrap_or(chrono_tz::UTC);
        let (s, e) = (a.starts_at.with_timezone(&tz), a.ends_at.with_timezone(&tz));
        // The last day of an all-day activity is the day before its end (midnight).
        let last = if a.all_day && e > s {
            e - TimeDelta::days(1)
        } else {
            e
        };
        let (repeat, repeat_count, rule) = repetition_of(a.recurrence.as_deref());
        Self {
            client_id: a.client_id.to_string(),
            kind: a.kind.clone(),
            title: a.title.clone(),
            start_date: s.format("%Y-%m-%d").to_string(),
            start_time: s.format("%H:%M").to_string(),
            end_date: last.format("%Y-%m-%d").to_string(),
            end_time: e.format("%H:%M").to_string(),
            all_day: a.all_day,
            time_zone: a.time_zone.clone(),
            location: a.location.clone().unwrap_or_default(),
            video_url: a.video_url.clone().unwrap_or_default(),
            assignee_ids: a.assignee_ids.iter().map(Uuid::to_string).collect(),
            repeat,
            repeat_count,
            rule,
            notes: a.notes.clone().unwrap_or_default(),
            reminder_default: a.reminder_minutes.is_none(),
            reminder_minutes: a
                .reminder_minutes
                .iter()
                .flatten()
                .map(i32::to_string)
                .collect(),
            version: a.version.to_string(),
        }
    }

    /// The start and end as instants, or each that cannot be read.
    fn times(&self) -> Result<(DateTime<Utc>, DateTime<Utc>), Vec<InvalidField>> {
        let mut problems = Vec::new();
        let Ok(tz) = self.time_zone.parse::<chrono_tz::Tz>() else {
            return Err(vec![InvalidField::at(
                "/time_zone",
                "must be an IANA time zone such as Europe/Madrid",
            )]);
        };
        let day = |raw: &str, pointer: &str, problems: &mut Vec<InvalidField>| {
            NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                .map_err(|_| problems.push(InvalidField::at(pointer, "must be a date")))
                .ok()
        };
        let time = |raw: &str, pointer: &str, problems: &mut Vec<InvalidField>| {
            NaiveTime::parse_from_str(raw.trim(), "%H:%M")
                .map_err(|_| problems.push(InvalidField::at(pointer, "must be a time (HH:MM)")))
                .ok()
        };
        let first = day(&self.start_date, "/starts_at", &mut problems);
        let last = match self.end_date.trim() {
            "" => first,
            raw => day(raw, "/ends_at", &mut problems),
        };
        let (starts, ends) = if self.all_day {
            let midnight = |d: NaiveDate| d.and_time(NaiveTime::MIN);
            (
                first.map(midnight),
                last.and_then(|d| d.succ_opt()).map(midnight),
            )
        } else {
            let from = time(&self.start_time, "/starts_at", &mut problems);
            let to = match self.end_time.trim() {
                "" => from,
                raw => time(raw, "/ends_at", &mut problems),
            };
            (
                first.zip(from).map(|(d, t)| d.and_time(t)),
                last.zip(to).map(|(d, t)| d.and_time(t)),
            )
        };
        match (starts, ends) {
            (Some(s), Some(e)) if problems.is_empty() => {
                Ok((resolve_local(tz, s), resolve_local(tz, e)))
            }
            _ => Err(problems),
        }
    }

    /// The repetition's rule (none for no repetition).
    fn recurrence(&self) -> Option<String> {
        let base = REPEATS
            .iter()
            .find(|(key, _)| *key == self.repeat.trim())
            .map(|(_, rule)| *rule)?;
        if base.is_empty() {
            return text(&self.rule);
        }
        Some(match self.repeat_count.trim() {
            "" => base.to_owned(),
            count => format!("{base};COUNT={count}"),
        })
    }

    fn assignees(&self) -> Result<Vec<Uuid>, Vec<InvalidField>> {
        let mut problems = Vec::new();
        let ids = self
            .assignee_ids
            .iter()
            .enumerate()
            .filter_map(|(i, raw)| {
                Uuid::try_parse(raw.trim())
                    .map_err(|_| {
                        problems.push(InvalidField::at(
                            &format!("/assignee_ids/{i}"),
                            "must be a user of the tenant",
                        ));
                    })
                    .ok()
            })
            .collect();
        if problems.is_empty() {
            Ok(ids)
        } else {
            Err(problems)
        }
    }

    /// The reminders: `None` for the assignees' defaults, else the minutes chosen.
    fn reminders(&self) -> Result<Option<Vec<i32>>, Vec<InvalidField>> {
        if self.reminder_default {
            return Ok(None);
        }
        let mut problems = Vec::new();
        let minutes = self
            .reminder_minutes
            .iter()
            .enumerate()
            .filter_map(|(i, raw)| {
                raw.trim()
                    .parse::<i32>()
                    .map_err(|_| {
                        problems.push(InvalidField::at(
                            &format!("/reminder_minutes/{i}"),
                            "must be a number of minutes",
                        ));
                    })
                    .ok()
            })
            .collect();
        if problems.is_empty() {
            Ok(Some(minutes))
        } else {
            Err(problems)
        }
    }

    /// The service's input for a new activity. No client chosen is the nil id, which the
    /// service refuses at `/client_id` with every other problem.
    pub fn new_activity(&self) -> Result<NewActivity, Vec<InvalidField>> {
        let (times, assignees) = (self.times(), self.assignees());
        let ((starts_at, ends_at), assignee_ids) = both(times, assignees)?;
        let reminder_minutes = self.reminders()?;
        Ok(NewActivity {
            client_id: Uuid::try_parse(self.client_id.trim()).unwrap_or_else(|_| Uuid::nil()),
            contact_id: None,
            opportunity_id: None,
            ticket_id: None,
            kind: self.kind.trim().to_owned(),
            title: self.title.clone(),
            notes: text(&self.notes),
            starts_at,
            ends_at: Some(ends_at),
            all_day: Some(self.all_day),
            time_zone: text(&self.time_zone),
            location: text(&self.location),
            video_url: text(&self.video_url),
            assignee_ids: Some(assignee_ids),
            status: None,
            outcome: None,
            recurrence: self.recurrence(),
            exceptions: None,
            reminder_minutes,
        })
    }

    /// The change the form makes to a stored activity (every field it shows).
    pub fn patch(&self) -> Result<ActivityPatch, Vec<InvalidField>> {
        let (times, assignees) = (self.times(), self.assignees());
        let ((starts_at, ends_at), assignee_ids) = both(times, assignees)?;
        let reminder_minutes = Some(self.reminders()?);
        Ok(ActivityPatch {
            kind: Some(self.kind.trim().to_owned()),
            title: Some(self.title.clone()),
            notes: Some(text(&self.notes)),
            starts_at: Some(starts_at),
            ends_at: Some(ends_at),
            all_day: Some(self.all_day),
            time_zone: text(&self.time_zone),
            location: Some(text(&self.location)),
            video_url: Some(text(&self.video_url)),
            assignee_ids: Some(assignee_ids),
            recurrence: Some(self.recurrence()),
            reminder_minutes,
            ..ActivityPatch::default()
        })
    }
}

fn both<A, B>(
    a: Result<A, Vec<InvalidField>>,
    b: Result<B, Vec<InvalidField>>,
) -> Result<(A, B), Vec<InvalidField>> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err([a.err(), b.err()].into_iter().flatten().flatten().collect()),
    }
}

/// The form's repetition of a stored rule: a preset (with its count), or the rule itself.
fn repetition_of(rule: Option<&str>) -> (String, String, String) {
    let Some(rule) = rule else {
        return (String::new(), String::new(), String::new());
    };
    let (base, count) = match rule.rsplit_once(";COUNT=") {
        Some((base, n)) if n.parse::<u32>().is_ok() => (base, n),
        _ => (rule, ""),
    };
    match REPEATS
        .iter()
        .find(|(key, r)| *key != "custom" && *r == base)
    {
        Some((key, _)) => ((*key).to_owned(), count.to_owned(), String::new()),
        None => ("custom".to_owned(), String::new(), rule.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ActivityForm {
        ActivityForm {
            kind: "meeting".into(),
            title: "Quarterly review".into(),
            start_date: "2026-03-28".into(),
            start_time: "10:00".into(),
            end_date: "2026-03-28".into(),
            end_time: "11:30".into(),
            time_zone: "Europe/Madrid".into(),
            assignee_ids: vec![Uuid::nil().to_string()],
            repeat: "weekly".into(),
            repeat_count: "4".into(),
            reminder_default: true,
            ..ActivityForm::default()
        }
    }

    #[test]
    fn wall_clock_times_are_read_in_the_activitys_zone() {
        let input = form().new_activity().expect("input");
        assert_eq!(input.starts_at.to_rfc3339(), "2026-03-28T09:00:00+00:00");
        assert_eq!(
            input.ends_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-03-28T10:30:00+00:00")
        );
        assert_eq!(input.recurrence.as_deref(), Some("FREQ=WEEKLY;COUNT=4"));
        assert_eq!(input.client_id, Uuid::nil());
    }

    #[test]
    fn an_all_day_activity_ends_at_the_midnight_after_its_last_day() {
        let mut f = form();
        f.all_day = true;
        f.end_date = "2026-03-29".into();
        f.start_time = "nonsense".into();
        let input = f.new_activity().expect("input");
        // Madrid moves to summer time on the 29th: the 30th starts at 22:00 UTC.
        assert_eq!(input.starts_at.to_rfc3339(), "2026-03-27T23:00:00+00:00");
        assert_eq!(
            input.ends_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-03-29T22:00:00+00:00")
        );
    }

    #[test]
    fn a_stored_activity_reads_back_as_the_form_that_made_it() {
        let f = form();
        let input = f.new_activity().expect("input");
        let stored = ActivityOut {
            id: Uuid::nil(),
            client_id: Uuid::nil(),
            contact_id: None,
            opportunity_id: None,
            ticket_id: None,
            kind: input.kind,
            title: input.title,
            notes: None,
            starts_at: input.starts_at,
            ends_at: input.ends_at.expect("end"),
            all_day: false,
            time_zone: "Europe/Madrid".into(),
            location: None,
            video_url: None,
            assignee_ids: vec![Uuid::nil()],
            status: "planned".into(),
            outcome: None,
            completed_at: None,
            recurrence: input.recurrence,
            exceptions: vec![],
            occurs_until: None,
            reminder_minutes: None,
            next_reminder_at: None,
            created_by: None,
            version: 1,
            created_at: input.starts_at,
            updated_at: input.starts_at,
        };
        let back = ActivityForm::of(&stored);
        assert_eq!(
            back,
            ActivityForm {
                client_id: Uuid::nil().to_string(),
                version: "1".into(),
                ..f
            }
        );
        assert_eq!(
            repetition_of(Some("FREQ=MONTHLY;BYMONTHDAY=-1")),
            (
                "custom".into(),
                String::new(),
                "FREQ=MONTHLY;BYMONTHDAY=-1".into()
            )
        );
    }

    #[test]
    fn unreadable_fields_are_named() {
        let mut f = form();
        f.start_date = "28/03/2026".into();
        f.end_time = "late".into();
        f.assignee_ids.push("someone".into());
        let pointers: Vec<String> = f
            .new_activity()
            .expect_err("refused")
            .into_iter()
            .map(|p| p.pointer)
            .collect();
        assert_eq!(pointers, ["/starts_at", "/ends_at", "/assignee_ids/1"]);
    }
}
