//! Wall-clock times in a time zone: the one reading of a local time as an instant, used by
//! business hours, activities' all-day midnights and the console's date and time fields.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::{GapInfo, Tz};

/// The instant a local wall-clock time means: the earlier one when the clock went back over
/// it, the first instant after the gap when the clock jumped over it (daylight saving).
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => GapInfo::new(&local, &tz)
            .and_then(|gap| gap.end)
            .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn local(d: (i32, u32, u32), h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(d.0, d.1, d.2)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .expect("a date")
    }

    #[test]
    fn madrid_wall_clock_through_both_changes_of_2026() {
        let madrid: Tz = "Europe/Madrid".parse().expect("zone");
        let at = |d, h, m| resolve_local(madrid, local(d, h, m)).to_rfc3339();
        assert_eq!(at((2026, 1, 15), 10, 0), "2026-01-15T09:00:00+00:00");
        // 02:30 on 29 March does not exist: the first instant after the jump (03:00 CEST).
        assert_eq!(at((2026, 3, 29), 2, 30), "2026-03-29T01:00:00+00:00");
        // 02:30 on 25 October happens twice: the earlier (CEST).
        assert_eq!(at((2026, 10, 25), 2, 30), "2026-10-25T00:30:00+00:00");
    }
}
