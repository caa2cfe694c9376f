//! An iCalendar (RFC 5545) file of occurrences, for any calendar application: one VEVENT per
//! occurrence with times in UTC (all-day ones as dates), text escaped (§3.3.11) and lines
//! folded at 75 octets (§3.1), CRLF line ends.

use chrono::{DateTime, NaiveDate, Utc};

/// One occurrence as a calendar application shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEvent {
    /// Unique and stable for this occurrence (the activity and its start).
    pub uid: String,
    /// When it last changed.
    pub stamp: DateTime<Utc>,
    pub when: When,
    pub summary: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub url: Option<String>,
    pub cancelled: bool,
    /// The activity's version: a client replaces an event with a higher SEQUENCE.
    pub sequence: i32,
    pub category: String,
}

/// Timed (instants) or whole days (the first and the day after the last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    At(DateTime<Utc>, DateTime<Utc>),
    Days(NaiveDate, NaiveDate),
}

/// The file: a VCALENDAR named `name` holding `events`.
pub fn feed(name: &str, events: &[FeedEvent]) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//CRM//Calendar feed//ES",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        push(&mut out, line);
    }
    push(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    for e in events {
        event(&mut out, e);
    }
    push(&mut out, "END:VCALENDAR");
    out
}

fn event(out: &mut String, e: &FeedEvent) {
    push(out, "BEGIN:VEVENT");
    push(out, &format!("UID:{}", escape(&e.uid)));
    push(out, &format!("DTSTAMP:{}", utc(e.stamp)));
    match e.when {
        When::At(start, end) => {
            push(out, &format!("DTSTART:{}", utc(start)));
            push(out, &format!("DTEND:{}", utc(end)));
        }
        When::Days(first, after) => {
            push(
                out,
                &format!("DTSTART;VALUE=DATE:{}", first.format("%Y%m%d")),
            );
            push(out, &format!("DTEND;VALUE=DATE:{}", after.format("%Y%m%d")));
        }
    }
    push(out, &format!("SUMMARY:{}", escape(&e.summary)));
    if let Some(d) = &e.description {
        push(out, &format!("DESCRIPTION:{}", escape(d)));
    }
    if let Some(l) = &e.location {
        push(out, &format!("LOCATION:{}", escape(l)));
    }
    if let Some(u) = &e.url {
        push(out, &format!("URL:{}", u.replace(['\r', '\n'], "")));
    }
    push(out, &format!("CATEGORIES:{}", escape(&e.category)));
    let status = if e.cancelled {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    push(out, &format!("STATUS:{status}"));
    push(out, &format!("SEQUENCE:{}", e.sequence.max(0)));
    push(out, "END:VEVENT");
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT as RFC 5545 writes it: backslash, semicolon and comma escaped, line breaks as `\n`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded into lines of at most 75 octets (continuations start with a space),
/// never inside a character, each ended by CRLF.
fn push(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 9, h, 0, 0)
            .single()
            .expect("a time")
    }

    #[test]
    fn text_is_escaped_and_long_lines_folded_between_characters() {
        let e = FeedEvent {
            uid: "a@b".into(),
            stamp: at(8),
            when: When::At(at(9), at(10)),
            summary: "Reunión; precios, plazos\\y más\nsegunda línea".into(),
            description: Some("ñ".repeat(60)),
            location: None,
            url: Some("https://meet.example.com/x".into()),
            cancelled: true,
            sequence: 3,
            category: "meeting".into(),
        };
        let text = feed("Agenda, de Ana", &[e]);
        assert!(text.contains("SUMMARY:Reunión\\; precios\\, plazos\\\\y más\\nsegunda línea\r\n"));
        assert!(text.contains("X-WR-CALNAME:Agenda\\, de Ana\r\n"));
        assert!(text.contains("DTSTART:20261209T090000Z\r\nDTEND:20261209T100000Z\r\n"));
        assert!(text.contains("STATUS:CANCELLED\r\nSEQUENCE:3\r\n"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        // The description (12 + 120 octets) is folded, and unfolds to itself.
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("DESCRIPTION:{}\r\n", "ñ".repeat(60))));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn whole_days_are_dates() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).expect("a day");
        let e = FeedEvent {
            uid: "d@b".into(),
            stamp: at(8),
            when: When::Days(day(24), day(26)),
            summary: "Cierre".into(),
            description: None,
            location: None,
            url: None,
            cancelled: false,
            sequence: 1,
            category: "deadline".into(),
        };
        let text = feed("x", &[e]);
        assert!(text.contains("DTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261226\r\n"));
    }
}
