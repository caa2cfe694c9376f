//! Holidays read from an iCalendar feed (RFC 5545), such as a public-holiday calendar.

use std::collections::BTreeSet;

use chrono::{NaiveDate, TimeDelta};

use crate::Invalid;

/// Longest event taken as a run of holidays, in days.
const LONGEST_EVENT_DAYS: i64 = 366;

/// The dates of every event (`VEVENT`) of a feed, sorted and without repeats.
///
/// Each event gives its `DTSTART` date and, for all-day events with a later `DTEND`, every date up
/// to the day before it. Date-times count by the date written, whatever their zone; recurrence
/// rules (`RRULE`) are not expanded.
pub fn holidays_from_ical(text: &str) -> Result<Vec<NaiveDate>, Invalid> {
    let lines = unfold(text);
    if !lines
        .iter()
        .any(|(_, line)| line.eq_ignore_ascii_case("BEGIN:VCALENDAR"))
    {
        return Err(Invalid::new(
            "is not an iCalendar feed: BEGIN:VCALENDAR is missing",
        ));
    }
    let mut dates = BTreeSet::new();
    let mut event: Option<Event> = None;
    for (number, line) in &lines {
        let Some((name, _params, value)) = split_property(line) else {
            continue;
        };
        let name = name.to_ascii_uppercase();
        let fault = |reason: &str| Invalid::new(format!("line {number}: {reason}"));
        match (name.as_str(), event.as_mut()) {
            ("BEGIN", None) if value.eq_ignore_ascii_case("VEVENT") => {
                event = Some(Event::default());
            }
            ("END", Some(e)) if value.eq_ignore_ascii_case("VEVENT") => {
                let start = e.start.ok_or_else(|| fault("an event has no DTSTART"))?;
                let days = e.end.map_or(1, |end| (end - start).num_days()).max(1);
                if days > LONGEST_EVENT_DAYS {
                    return Err(fault("an event longer than a year is not a holiday"));
                }
                dates.extend((0..days).map(|d| start + TimeDelta::days(d)));
                event = None;
            }
            ("DTSTART", Some(e)) => {
                let (date, _) = parse_value(value)
                    .ok_or_else(|| fault("DTSTART must be a date such as 20261225"))?;
                e.start = Some(date);
            }
            // Only an all-day event's end widens it; a timed one stays on its start date.
            ("DTEND", Some(e)) => match parse_value(value) {
                Some((date, false)) => e.end = Some(date),
                Some(_) => {}
                None => return Err(fault("DTEND must be a date such as 20261226")),
            },
            _ => {}
        }
    }
    Ok(dates.into_iter().collect())
}

#[derive(Default)]
struct Event {
    start: Option<NaiveDate>,
    /// The first day after an all-day event.
    end: Option<NaiveDate>,
}

/// Logical lines with the number of the line each starts on: continuation lines (a space or a
/// tab first) joined to the line before, that first character dropped.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some((_, previous))) => previous.push_str(rest),
            _ if raw.is_empty() => {}
            _ => lines.push((i + 1, raw.to_owned())),
        }
    }
    lines
}

/// Name, parameters (with their leading `;`) and value of a content line; the `:` that ends the
/// parameters is the first one outside double quotes.
fn split_property(line: &str) -> Option<(&str, &str, &str)> {
    let mut quoted = false;
    let colon = line.char_indices().find_map(|(i, c)| {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some(i),
            _ => {}
        }
        None
    })?;
    let (head, value) = (&line[..colon], &line[colon + 1..]);
    let name_end = head.find(';').unwrap_or(head.len());
    Some((&head[..name_end], &head[name_end..], value.trim()))
}

/// The date of a `YYYYMMDD` or `YYYYMMDDTHHMMSS[Z]` value, and whether it had a time.
fn parse_value(value: &str) -> Option<(NaiveDate, bool)> {
    let digits = value.get(..8)?;
    let rest = &value[8..];
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let timed = match rest.as_bytes() {
        [] => false,
        [b'T', time @ ..] if matches!(time.len(), 6 | 7) => {
            let (hms, zone) = time.split_at(6);
            if !hms.iter().all(u8::is_ascii_digit) || !matches!(zone, [] | [b'Z']) {
                return None;
            }
            true
        }
        _ => return None,
    };
    let part = |r: std::ops::Range<usize>| digits[r].parse::<u32>().ok();
    let year = i32::try_from(part(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, part(4..6)?, part(6..8)?).map(|d| (d, timed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    const FEED: &str = "BEGIN:VCALENDAR\r\n\
VERSION:2.0\r\n\
PRODID:-//Gobierno//Festivos//ES\r\n\
BEGIN:VTIMEZONE\r\n\
TZID:Europe/Madrid\r\n\
BEGIN:STANDARD\r\n\
DTSTART:19701025T030000\r\n\
END:STANDARD\r\n\
END:VTIMEZONE\r\n\
BEGIN:VEVENT\r\n\
UID:navidad@example\r\n\
DTSTART;VALUE=DATE:20261225\r\n\
DTEND;VALUE=DATE:20261226\r\n\
SUMMARY:Navidad\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
UID:reyes@example\r\n\
DTSTART;VALUE=DATE:2026\r\n\
\x200106\r\n\
SUMMARY:Epifanía del Señor con una descripción muy larga que el servidor parte en\r\n\
\tvarias líneas\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
DTSTART;TZID=\"Europe/Madrid\":20260501T000000\r\n\
SUMMARY:Fiesta del Trabajo\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
DTSTART:20261012T000000Z\r\n\
DTEND:20261013T000000Z\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
DTSTART;VALUE=DATE:20260402\r\n\
DTEND;VALUE=DATE:20260404\r\n\
SUMMARY:Jueves y Viernes Santo\r\n\
BEGIN:VALARM\r\n\
TRIGGER:-PT15M\r\n\
END:VALARM\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
DTSTART;VALUE=DATE:20261225\r\n\
END:VEVENT\r\n\
END:VCALENDAR\r\n";

    #[test]
    fn reads_every_form_of_dtstart() {
        assert_eq!(
            holidays_from_ical(FEED),
            Ok(vec![
                date(2026, 1, 6),
                date(2026, 4, 2),
                date(2026, 4, 3),
                date(2026, 5, 1),
                date(2026, 10, 12),
                date(2026, 12, 25),
            ])
        );
    }

    #[test]
    fn bare_newlines_and_a_bom_are_fine() {
        let feed = "\u{feff}BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260815\nEND:VEVENT\nEND:VCALENDAR";
        assert_eq!(holidays_from_ical(feed), Ok(vec![date(2026, 8, 15)]));
    }

    #[test]
    fn an_empty_calendar_has_no_holidays() {
        assert_eq!(
            holidays_from_ical("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
            Ok(vec![])
        );
    }

    #[test]
    fn bad_feeds_say_where() {
        assert!(holidays_from_ical("<html>Not found</html>").is_err());
        let no_start = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR";
        assert_eq!(
            holidays_from_ical(no_start),
            Err(Invalid::new("line 4: an event has no DTSTART"))
        );
        let bad_date =
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260230\nEND:VEVENT\nEND:VCALENDAR";
        assert_eq!(
            holidays_from_ical(bad_date),
            Err(Invalid::new(
                "line 3: DTSTART must be a date such as 20261225"
            ))
        );
        let too_long = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nDTEND;VALUE=DATE:20280101\nEND:VEVENT\nEND:VCALENDAR";
        assert!(holidays_from_ical(too_long).is_err());
    }

    #[test]
    fn values() {
        assert_eq!(parse_value("20261225"), Some((date(2026, 12, 25), false)));
        assert_eq!(
            parse_value("20261225T101500Z"),
            Some((date(2026, 12, 25), true))
        );
        assert_eq!(parse_value("20261225T1015"), None);
        assert_eq!(parse_value("2026-12-25"), None);
        assert_eq!(parse_value("20261325"), None);
        assert_eq!(parse_value("2026122"), None);
        assert_eq!(parse_value("2026ñ225"), None);
    }

    #[test]
    fn quoted_colons_stay_in_parameters() {
        assert_eq!(
            split_property("DTSTART;TZID=\"a:b\":20260101"),
            Some(("DTSTART", ";TZID=\"a:b\"", "20260101"))
        );
        assert_eq!(split_property("no colon"), None);
    }
}
