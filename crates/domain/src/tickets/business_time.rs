//! Business-time arithmetic on a [`BusinessCalendar`]: walked day by day, interval by interval.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};

use crate::local_time::resolve_local;

use super::calendar::BusinessCalendar;

/// How far ahead `add_business` looks before giving up: 50 years of calendar days.
const HORIZON_DAYS: u32 = 50 * 366;

impl BusinessCalendar {
    /// The instant at which `minutes` of business time have elapsed from `start` (`start` itself
    /// for `minutes` ≤ 0); `None` only when that lies more than 50 years ahead.
    pub fn add_business(&self, start: DateTime<Utc>, minutes: i64) -> Option<DateTime<Utc>> {
        self.add_business_seconds(start, minutes.saturating_mul(60))
    }

    /// Whole business minutes from `a` to `b`, negative when `b` is before `a`.
    pub fn business_minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        let seconds = self.business_seconds_between(a, b);
        seconds.signum() * (seconds.abs() / 60)
    }

    /// Like [`Self::add_business`], to the second.
    pub(super) fn add_business_seconds(
        &self,
        start: DateTime<Utc>,
        seconds: i64,
    ) -> Option<DateTime<Utc>> {
        if seconds <= 0 {
            return Some(start);
        }
        // Kept as a duration, not whole seconds: a start between two seconds must not lose its
        // fraction at each span it crosses.
        let mut left = TimeDelta::try_seconds(seconds)?;
        // A day's spans never start before its local midnight, so the day before is enough.
        let mut day = self.local_date(start).pred_opt()?;
        for _ in 0..HORIZON_DAYS {
            for (from, to) in self.spans(day) {
                let from = from.max(start);
                if to <= from {
                    continue;
                }
                let length = to - from;
                if left <= length {
                    return from.checked_add_signed(left);
                }
                left -= length;
            }
            day = day.succ_opt()?;
        }
        None
    }

    /// Business seconds from `a` to `b`, negative when `b` is before `a`.
    pub(super) fn business_seconds_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        if b < a {
            return -self.business_seconds_between(b, a);
        }
        let last = self.local_date(b);
        let Some(mut day) = self.local_date(a).pred_opt() else {
            return 0;
        };
        let mut total = TimeDelta::zero();
        while day <= last {
            for (from, to) in self.spans(day) {
                let (from, to) = (from.max(a), to.min(b));
                if from < to {
                    total += to - from;
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        total.num_seconds()
    }

    fn local_date(&self, instant: DateTime<Utc>) -> NaiveDate {
        instant.with_timezone(&self.time_zone).date_naive()
    }

    /// The working spans of a local date as instants, in order; none on a holiday.
    fn spans(&self, day: NaiveDate) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        let spans = if self.holidays.contains(&day) {
            &[][..]
        } else {
            &self.weekly_hours[day.weekday().num_days_from_monday() as usize][..]
        };
        let midnight = day.and_hms_opt(0, 0, 0);
        spans.iter().filter_map(move |span| {
            let local =
                |minute: u16| midnight?.checked_add_signed(TimeDelta::minutes(i64::from(minute)));
            let from = resolve_local(self.time_zone, local(span.start)?);
            let to = resolve_local(self.time_zone, local(span.end)?);
            (from < to).then_some((from, to))
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_start_between_seconds_keeps_its_fraction_across_midnight() {
        let always = BusinessCalendar::always();
        let start = DateTime::parse_from_rfc3339("2026-12-06T19:05:09.573614Z")
            .expect("time")
            .with_timezone(&Utc);
        let due = always.add_business(start, 600).expect("due");
        assert_eq!(due - start, TimeDelta::minutes(600));
        assert_eq!(always.business_minutes_between(start, due), 600);
    }

    /// Europe/Madrid, Monday to Friday 09:00-14:00 and 15:00-18:00, Christmas off.
    fn office() -> BusinessCalendar {
        let lunch = json!([["09:00", "14:00"], ["15:00", "18:00"]]);
        serde_json::from_value(json!({
            "time_zone": "Europe/Madrid",
            "weekly_hours": {"mon": lunch, "tue": lunch, "wed": lunch, "thu": lunch, "fri": lunch},
            "holidays": ["2026-12-25"]
        }))
        .expect("valid calendar")
    }

    /// Europe/Madrid, every day of the week with the given intervals.
    fn every_day(intervals: serde_json::Value) -> BusinessCalendar {
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let hours: serde_json::Map<String, serde_json::Value> = days
            .iter()
            .map(|d| ((*d).to_owned(), intervals.clone()))
            .collect();
        serde_json::from_value(json!({"time_zone": "Europe/Madrid", "weekly_hours": hours}))
            .expect("valid calendar")
    }

    fn utc(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw)
            .expect("RFC 3339")
            .with_timezone(&Utc)
    }

    #[test]
    fn within_one_morning() {
        let cal = office();
        // Monday 2026-06-01 10:00 in Madrid (CEST, UTC+2).
        let start = utc("2026-06-01T10:00:00+02:00");
        assert_eq!(
            cal.add_business(start, 90),
            Some(utc("2026-06-01T11:30:00+02:00"))
        );
        assert_eq!(cal.add_business(start, 0), Some(start));
        assert_eq!(cal.add_business(start, -5), Some(start));
    }

    #[test]
    fn lunch_break_is_skipped() {
        let cal = office();
        let start = utc("2026-06-01T13:30:00+02:00");
        assert_eq!(
            cal.add_business(start, 60),
            Some(utc("2026-06-01T15:30:00+02:00"))
        );
        // Exactly at the end of the morning: due then, not after lunch.
        assert_eq!(
            cal.add_business(start, 30),
            Some(utc("2026-06-01T14:00:00+02:00"))
        );
        // Starting during lunch counts from 15:00.
        let lunch = utc("2026-06-01T14:20:00+02:00");
        assert_eq!(
            cal.add_business(lunch, 10),
            Some(utc("2026-06-01T15:10:00+02:00"))
        );
        assert_eq!(
            cal.business_minutes_between(
                utc("2026-06-01T09:00:00+02:00"),
                utc("2026-06-01T18:00:00+02:00")
            ),
            8 * 60
        );
    }

    #[test]
    fn across_midnight_and_the_weekend() {
        let cal = office();
        // Friday 2026-06-05 17:00 + 2 h: one hour on Friday, one on Monday morning.
        let friday = utc("2026-06-05T17:00:00+02:00");
        let monday = utc("2026-06-08T10:00:00+02:00");
        assert_eq!(cal.add_business(friday, 120), Some(monday));
        assert_eq!(cal.business_minutes_between(friday, monday), 120);
        assert_eq!(cal.business_minutes_between(monday, friday), -120);
        // Tuesday evening after hours + 1 min lands on Wednesday 09:01.
        let evening = utc("2026-06-02T23:59:00+02:00");
        assert_eq!(
            cal.add_business(evening, 1),
            Some(utc("2026-06-03T09:01:00+02:00"))
        );
        // Saturday counts nothing.
        let saturday = utc("2026-06-06T12:00:00+02:00");
        assert_eq!(cal.business_minutes_between(friday, saturday), 60);
    }

    #[test]
    fn holidays_are_skipped() {
        let cal = office();
        // Thursday 2026-12-24 17:30 + 60 min: 30 min Thursday, Christmas Friday off, 30 min Monday.
        let start = utc("2026-12-24T17:30:00+01:00");
        let due = utc("2026-12-28T09:30:00+01:00");
        assert_eq!(cal.add_business(start, 60), Some(due));
        assert_eq!(cal.business_minutes_between(start, due), 60);
        assert!(cal.is_holiday(NaiveDate::from_ymd_opt(2026, 12, 25).expect("date")));
    }

    #[test]
    fn spring_forward_weekend_in_madrid() {
        let cal = office();
        // Friday 27 March is CET (UTC+1); Monday 30 March is CEST (UTC+2).
        let friday = utc("2026-03-27T17:00:00+01:00");
        let monday = utc("2026-03-30T10:00:00+02:00");
        assert_eq!(cal.add_business(friday, 120), Some(monday));
        assert_eq!(cal.business_minutes_between(friday, monday), 120);
    }

    #[test]
    fn dst_days_still_have_nine_hours_from_nine_to_six() {
        let cal = every_day(json!([["09:00", "18:00"]]));
        for (day, offset) in [("2026-03-29", "+02:00"), ("2026-10-25", "+01:00")] {
            let nine = utc(&format!("{day}T09:00:00{offset}"));
            let six = utc(&format!("{day}T18:00:00{offset}"));
            assert_eq!(cal.business_minutes_between(nine, six), 9 * 60, "{day}");
            assert_eq!(cal.add_business(nine, 9 * 60), Some(six), "{day}");
            // The whole day around it counts nine hours too.
            let before = utc(&format!("{day}T00:00:00Z")) - TimeDelta::hours(3);
            let after = utc(&format!("{day}T23:00:00Z"));
            assert_eq!(cal.business_minutes_between(before, after), 9 * 60, "{day}");
        }
    }

    #[test]
    fn intervals_in_the_skipped_hour() {
        // 29 March 2026: Madrid skips 02:00-03:00 (01:00 UTC jumps to 03:00 CEST).
        let inside = every_day(json!([["02:00", "02:45"]]));
        let day_start = utc("2026-03-28T23:00:00Z");
        let day_end = utc("2026-03-29T22:00:00Z");
        assert_eq!(inside.business_minutes_between(day_start, day_end), 0);
        // The day before and after still count their 45 minutes.
        assert_eq!(
            inside.business_minutes_between(
                day_start - TimeDelta::days(1),
                day_end + TimeDelta::days(1)
            ),
            90
        );
        let across = every_day(json!([["01:00", "04:00"]]));
        // 01:00 CET = 00:00 UTC; 04:00 CEST = 02:00 UTC: two real hours.
        assert_eq!(across.business_minutes_between(day_start, day_end), 120);
        assert_eq!(
            across.add_business(utc("2026-03-29T00:00:00Z"), 90),
            Some(utc("2026-03-29T01:30:00Z"))
        );
        // An interval ending in the gap ends when the gap does (03:00 CEST).
        let ending = every_day(json!([["01:00", "02:30"]]));
        assert_eq!(ending.business_minutes_between(day_start, day_end), 60);
    }

    #[test]
    fn intervals_in_the_repeated_hour() {
        // 25 October 2026: Madrid goes from 03:00 CEST back to 02:00 CET (01:00 UTC).
        let day_start = utc("2026-10-24T22:00:00Z");
        let day_end = utc("2026-10-25T23:00:00Z");
        // 01:00 CEST = 23:00 UTC; 04:00 CET = 03:00 UTC: four real hours.
        let across = every_day(json!([["01:00", "04:00"]]));
        assert_eq!(across.business_minutes_between(day_start, day_end), 240);
        // 02:00-02:30 means its first occurrence (CEST, 00:00-00:30 UTC).
        let inside = every_day(json!([["02:00", "02:30"]]));
        assert_eq!(inside.business_minutes_between(day_start, day_end), 30);
        assert_eq!(
            inside.add_business(day_start, 30),
            Some(utc("2026-10-25T00:30:00Z"))
        );
    }

    #[test]
    fn always_is_wall_clock_time() {
        let cal = BusinessCalendar::always();
        let start = utc("2026-03-28T22:13:27Z");
        for minutes in [1, 59, 60 * 24, 60 * 24 * 45] {
            let due = start + TimeDelta::minutes(minutes);
            assert_eq!(cal.add_business(start, minutes), Some(due));
            assert_eq!(cal.business_minutes_between(start, due), minutes);
        }
    }

    #[test]
    fn seconds_are_kept_and_minutes_truncate() {
        let cal = office();
        let start = utc("2026-06-01T09:00:30+02:00");
        assert_eq!(
            cal.add_business(start, 1),
            Some(utc("2026-06-01T09:01:30+02:00"))
        );
        let end = utc("2026-06-01T09:02:00+02:00");
        assert_eq!(cal.business_minutes_between(start, end), 1);
        assert_eq!(cal.business_minutes_between(end, start), -1);
    }

    #[test]
    fn weeks_ahead_is_the_inverse_of_between() {
        let cal = office();
        let start = utc("2026-11-20T11:17:00+01:00");
        for minutes in [1, 479, 480, 481, 8 * 60 * 5, 8 * 60 * 30, 8 * 60 * 250] {
            let due = cal
                .add_business(start, minutes)
                .expect("within the horizon");
            assert_eq!(
                cal.business_minutes_between(start, due),
                minutes,
                "{minutes}"
            );
        }
    }

    #[test]
    fn a_far_target_gives_up_instead_of_looping() {
        let sunday_only: BusinessCalendar = serde_json::from_value(json!({
            "time_zone": "UTC", "weekly_hours": {"sun": [["10:00", "10:01"]]}
        }))
        .expect("valid");
        let start = utc("2026-01-01T00:00:00Z");
        assert!(sunday_only.add_business(start, 52 * 10).is_some());
        assert_eq!(sunday_only.add_business(start, 52 * 60), None);
        assert_eq!(sunday_only.add_business(start, i64::MAX), None);
    }

    #[test]
    fn gaps_resolve_to_their_end() {
        let madrid = chrono_tz::Europe::Madrid;
        let skipped = NaiveDate::from_ymd_opt(2026, 3, 29)
            .and_then(|d| d.and_hms_opt(2, 30, 0))
            .expect("time");
        assert_eq!(resolve_local(madrid, skipped), utc("2026-03-29T01:00:00Z"));
        let repeated = NaiveDate::from_ymd_opt(2026, 10, 25)
            .and_then(|d| d.and_hms_opt(2, 30, 0))
            .expect("time");
        assert_eq!(resolve_local(madrid, repeated), utc("2026-10-25T00:30:00Z"));
    }
}
