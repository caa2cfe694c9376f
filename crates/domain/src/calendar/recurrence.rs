//! A recurring activity's rule: an RFC 5545 RRULE (`FREQ=WEEKLY;BYDAY=MO,WE`), expanded by the
//! `rrule` crate in the activity's time zone, so that "every Monday at 10:00" stays at 10:00 on
//! the wall clock across daylight-saving changes. As RFC 5545 says of DTSTART, the activity's
//! own start is always its first occurrence; exceptions take occurrences (by their start) out.

use chrono::{DateTime, TimeDelta, Utc};
use rrule::{Frequency, RRule, RRuleSet, Tz, Unvalidated};

use crate::Invalid;

/// Most occurrences one expansion returns (a window, or a finite series when its end is
/// computed); a finite series with more is refused, a window with more is cut.
pub const MAX_OCCURRENCES: usize = 2000;

/// The years the calendar holds (from the first to before the last): a recurrence is expanded
/// from its first start, so the span bounds the work of one expansion.
pub const YEARS: std::ops::Range<i32> = 1970..2200;

/// Whether `t` lies in [`YEARS`].
pub fn in_calendar_years(t: DateTime<Utc>) -> bool {
    YEARS.contains(&chrono::Datelike::year(&t))
}

/// One occurrence of an activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Occurrence {
    /// Whether it meets the window `[from, to)`: it runs into it, or is a moment inside it.
    pub fn meets(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        self.starts_at < to && (self.ends_at > from || self.starts_at >= from)
    }
}

/// A checked recurrence rule.
#[derive(Debug, Clone)]
pub struct Recurrence {
    text: String,
    rule: RRule<Unvalidated>,
}

/// The series a rule makes of one activity.
struct Series<'a> {
    rule: &'a Recurrence,
    first: DateTime<Utc>,
    length: TimeDelta,
    zone: chrono_tz::Tz,
    exceptions: &'a [DateTime<Utc>],
}

impl Recurrence {
    /// Reads a rule as RFC 5545 writes it (`FREQ=DAILY;COUNT=5`, with or without the `RRULE:`
    /// name); a DTSTART, RDATE or any other property is not part of a rule.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let text = raw.trim();
        let text = text.strip_prefix("RRULE:").unwrap_or(text);
        if text.is_empty() || text.contains(['\n', '\r', ':']) {
            return Err(Invalid::new(
                "must be one RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=MO",
            ));
        }
        let rule = text
            .parse::<RRule<Unvalidated>>()
            .map_err(|e| Invalid::new(format!("is not a valid RFC 5545 RRULE: {e}")))?;
        if matches!(
            rule.get_freq(),
            Frequency::Secondly | Frequency::Minutely | Frequency::Hourly
        ) {
            return Err(Invalid::new("must repeat daily, weekly, monthly or yearly"));
        }
        Ok(Self {
            text: text.to_owned(),
            rule,
        })
    }

    /// The rule as given (without `RRULE:`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The occurrences of an activity first occurring at `first` for `length`, in `zone`,
    /// without `exceptions`, that meet the window `[from, to)`, in order; `true` with them when
    /// there were more than [`MAX_OCCURRENCES`] and the rest were left out.
    pub fn between(
        &self,
        first: Occurrence,
        zone: chrono_tz::Tz,
        exceptions: &[DateTime<Utc>],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(Vec<Occurrence>, bool), Invalid> {
        let series = Series::of(self, first, zone, exceptions);
        let set = series.set()?.after(series.local(from - series.length));
        let set = set.before(series.local(to));
        series.occurrences(set, |o| o.meets(from, to))
    }

    /// When the last occurrence ends: `None` for a series without end (no COUNT or UNTIL).
    /// A finite series longer than [`MAX_OCCURRENCES`] is refused.
    pub fn last_end(
        &self,
        first: Occurrence,
        zone: chrono_tz::Tz,
        exceptions: &[DateTime<Utc>],
    ) -> Result<Option<DateTime<Utc>>, Invalid> {
        if self.rule.get_count().is_none() && self.rule.get_until().is_none() {
            return Ok(None);
        }
        let series = Series::of(self, first, zone, exceptions);
        let (all, cut) = series.occurrences(series.set()?, |_| true)?;
        if cut {
            return Err(Invalid::new(format!(
                "makes more than {MAX_OCCURRENCES} occurrences; leave COUNT and UNTIL out for a \
                 series without end"
            )));
        }
        Ok(Some(all.last().map_or(first.ends_at, |o| o.ends_at)))
    }
}

impl<'a> Series<'a> {
    fn of(
        rule: &'a Recurrence,
        first: Occurrence,
        zone: chrono_tz::Tz,
        exceptions: &'a [DateTime<Utc>],
    ) -> Self {
        Self {
            rule,
            first: first.starts_at,
            length: first.ends_at - first.starts_at,
            zone,
            exceptions,
        }
    }

    fn local(&self, t: DateTime<Utc>) -> DateTime<Tz> {
        t.with_timezone(&Tz::Tz(self.zone))
    }

    /// The rule's set from the first start, without the exceptions.
    fn set(&self) -> Result<RRuleSet, Invalid> {
        let set = self
            .rule
            .rule
            .clone()
            .build(self.local(self.first))
            .map_err(|e| Invalid::new(format!("does not fit the activity's start: {e}")))?;
        Ok(self
            .exceptions
            .iter()
            .fold(set, |set, e| set.exdate(self.local(*e))))
    }

    /// The set's occurrences `keep` keeps, the first start included when it is not an
    /// exception, in order and once each; `true` when more were left out.
    fn occurrences(
        &self,
        set: RRuleSet,
        keep: impl Fn(&Occurrence) -> bool,
    ) -> Result<(Vec<Occurrence>, bool), Invalid> {
        let limit = u16::try_from(MAX_OCCURRENCES + 1).unwrap_or(u16::MAX);
        let found = set.all(limit);
        let mut starts: Vec<DateTime<Utc>> =
            found.dates.iter().map(|d| d.with_timezone(&Utc)).collect();
        if !self.exceptions.contains(&self.first) {
            starts.push(self.first);
        }
        starts.sort_unstable();
        starts.dedup();
        let mut kept: Vec<Occurrence> = starts
            .into_iter()
            .map(|s| Occurrence {
                starts_at: s,
                ends_at: s + self.length,
            })
            .filter(|o| keep(o))
            .collect();
        let cut = found.limited || kept.len() > MAX_OCCURRENCES;
        kept.truncate(MAX_OCCURRENCES);
        Ok((kept, cut))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use chrono_tz::Europe::Madrid;

    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("a UTC time")
    }

    fn madrid(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Madrid
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("one Madrid time")
            .with_timezone(&Utc)
    }

    fn hour_from(start: DateTime<Utc>) -> Occurrence {
        Occurrence {
            starts_at: start,
            ends_at: start + TimeDelta::hours(1),
        }
    }

    fn starts(o: &[Occurrence]) -> Vec<DateTime<Utc>> {
        o.iter().map(|o| o.starts_at).collect()
    }

    #[test]
    fn a_weekly_meeting_keeps_its_wall_clock_hour_across_both_daylight_saving_changes() {
        let rule = Recurrence::parse("FREQ=WEEKLY;BYDAY=MO").expect("test value");
        // Monday 16 March 2026, 10:00 in Madrid (09:00 UTC); summer time starts on 29 March.
        let first = hour_from(madrid(2026, 3, 16, 10));
        let (spring, cut) = rule
            .between(
                first,
                Madrid,
                &[],
                utc(2026, 3, 16, 0, 0),
                utc(2026, 4, 7, 0, 0),
            )
            .expect("test value");
        assert!(!cut);
        assert_eq!(
            starts(&spring),
            [
                utc(2026, 3, 16, 9, 0),
                utc(2026, 3, 23, 9, 0),
                utc(2026, 3, 30, 8, 0),
                utc(2026, 4, 6, 8, 0),
            ]
        );
        // Winter time comes back on 25 October 2026.
        let (autumn, _) = rule
            .between(
                first,
                Madrid,
                &[],
                utc(2026, 10, 19, 0, 0),
                utc(2026, 11, 3, 0, 0),
            )
            .expect("test value");
        assert_eq!(
            starts(&autumn),
            [
                utc(2026, 10, 19, 8, 0),
                utc(2026, 10, 26, 9, 0),
                utc(2026, 11, 2, 9, 0)
            ]
        );
        assert!(
            autumn
                .iter()
                .all(|o| o.ends_at - o.starts_at == TimeDelta::hours(1))
        );
    }

    #[test]
    fn exceptions_take_occurrences_out_even_the_first() {
        let rule = Recurrence::parse("RRULE:FREQ=DAILY;COUNT=4").expect("test value");
        let first = hour_from(utc(2026, 5, 4, 7, 0));
        let except = [utc(2026, 5, 4, 7, 0), utc(2026, 5, 6, 7, 0)];
        let (got, _) = rule
            .between(
                first,
                Madrid,
                &except,
                utc(2026, 5, 1, 0, 0),
                utc(2026, 6, 1, 0, 0),
            )
            .expect("test value");
        assert_eq!(starts(&got), [utc(2026, 5, 5, 7, 0), utc(2026, 5, 7, 7, 0)]);
        assert_eq!(
            rule.last_end(first, Madrid, &except).expect("test value"),
            Some(utc(2026, 5, 7, 8, 0))
        );
    }

    #[test]
    fn the_start_is_the_first_occurrence_even_off_the_rule() {
        // A Tuesday start for a Monday rule: the Tuesday, then the Mondays.
        let rule = Recurrence::parse("FREQ=WEEKLY;BYDAY=MO;COUNT=2").expect("test value");
        let first = hour_from(utc(2026, 6, 2, 8, 0));
        let (got, _) = rule
            .between(
                first,
                Madrid,
                &[],
                utc(2026, 6, 1, 0, 0),
                utc(2026, 7, 1, 0, 0),
            )
            .expect("test value");
        assert_eq!(
            starts(&got),
            [
                utc(2026, 6, 2, 8, 0),
                utc(2026, 6, 8, 8, 0),
                utc(2026, 6, 15, 8, 0)
            ]
        );
    }

    #[test]
    fn an_occurrence_running_into_the_window_is_in_it() {
        let rule = Recurrence::parse("FREQ=DAILY").expect("test value");
        let first = Occurrence {
            starts_at: utc(2026, 1, 1, 22, 0),
            ends_at: utc(2026, 1, 2, 2, 0),
        };
        let (got, _) = rule
            .between(
                first,
                Madrid,
                &[],
                utc(2026, 1, 10, 0, 0),
                utc(2026, 1, 11, 0, 0),
            )
            .expect("test value");
        assert_eq!(
            starts(&got),
            [utc(2026, 1, 9, 22, 0), utc(2026, 1, 10, 22, 0)]
        );
    }

    #[test]
    fn a_series_without_end_has_no_last_end_and_a_window_is_cut_at_the_most() {
        let rule = Recurrence::parse("FREQ=DAILY").expect("test value");
        let first = hour_from(utc(2026, 1, 1, 0, 0));
        assert_eq!(rule.last_end(first, Madrid, &[]).expect("test value"), None);
        let (got, cut) = rule
            .between(
                first,
                Madrid,
                &[],
                utc(2026, 1, 1, 0, 0),
                utc(2033, 1, 1, 0, 0),
            )
            .expect("test value");
        assert!(cut);
        assert_eq!(got.len(), MAX_OCCURRENCES);
    }

    #[test]
    fn an_until_ends_the_series_and_too_long_a_finite_series_is_refused() {
        let rule = Recurrence::parse("FREQ=DAILY;UNTIL=20260110T235959Z").expect("test value");
        let first = hour_from(utc(2026, 1, 1, 9, 0));
        assert_eq!(
            rule.last_end(first, Madrid, &[]).expect("test value"),
            Some(utc(2026, 1, 10, 10, 0))
        );
        let long = Recurrence::parse("FREQ=DAILY;COUNT=5000").expect("test value");
        assert!(long.last_end(first, Madrid, &[]).is_err());
    }

    #[test]
    fn what_is_not_one_rule_is_refused() {
        for bad in [
            "",
            "FREQ=SOMETIMES",
            "DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY",
            "FREQ=DAILY;BYDAY=XX",
            "FREQ=HOURLY",
        ] {
            assert!(Recurrence::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Recurrence::parse(" RRULE:FREQ=DAILY;INTERVAL=2 ")
                .expect("test value")
                .as_str(),
            "FREQ=DAILY;INTERVAL=2"
        );
    }
}
