//! A ticket's SLA clocks: when each target falls due, how much business time is left, whether it
//! was met or breached. Pauses (pending customer, on hold) stop every clock.

use chrono::{DateTime, Utc};

use super::calendar::BusinessCalendar;
use super::sla::SlaTargets;

/// A stretch during which the ticket was paused; `end` is `None` while it still is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// When the ticket became pending customer or on hold.
    pub start: DateTime<Utc>,
    /// When it left those statuses, if it has.
    pub end: Option<DateTime<Utc>>,
}

/// One of the three targets an SLA sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaTarget {
    /// The first public agent reply.
    FirstResponse,
    /// The public agent reply to the customer's latest message.
    NextResponse,
    /// The resolution of the ticket.
    Resolution,
}

impl SlaTarget {
    /// Every target, in the order a ticket meets them.
    pub const ALL: [SlaTarget; 3] = [Self::FirstResponse, Self::NextResponse, Self::Resolution];

    /// The API spelling (`first_response`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::FirstResponse => "first_response",
            Self::NextResponse => "next_response",
            Self::Resolution => "resolution",
        }
    }
}

impl std::fmt::Display for SlaTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The moments of a ticket that its SLA clocks read.
///
/// Only public agent replies count as replies: the caller leaves internal notes (and automatic
/// messages) out of `first_reply_at` and `reply_after_customer_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaClock {
    /// When the ticket was created: first response and resolution count from here.
    pub created_at: DateTime<Utc>,
    /// Every time the ticket was pending customer or on hold, in any order, overlaps allowed.
    pub pauses: Vec<Pause>,
    /// The first public agent reply, which meets the first-response target.
    pub first_reply_at: Option<DateTime<Utc>>,
    /// The customer's latest message; after the first reply it restarts the next-response target.
    pub last_customer_message_at: Option<DateTime<Utc>>,
    /// The first public agent reply after that message, which meets the next-response target.
    pub reply_after_customer_at: Option<DateTime<Utc>>,
    /// When the ticket was resolved (`None` again once reopened); meets resolution and stops
    /// every clock.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Where one target stands.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TargetStatus {
    /// When the target falls (or fell) due; `None` while the clock is paused, as it cannot tell.
    pub due_at: Option<DateTime<Utc>>,
    /// Business minutes left (at `now`, or when met); negative when overdue.
    pub remaining_minutes: i64,
    /// Whether more business time than the target has run.
    pub breached: bool,
    /// When the target was met, if it was.
    pub met_at: Option<DateTime<Utc>>,
    /// Whether the clock is stopped by a pause right now.
    pub paused: bool,
    /// The share of the target used: 0 at the start, 1 when due, above 1 when overdue.
    pub used: f64,
}

impl TargetStatus {
    /// Whether an unmet, unbreached target has used at least `share` of its time (0.8 = 80 %).
    pub fn is_at_risk(&self, share: f64) -> bool {
        self.met_at.is_none() && !self.breached && self.used >= share
    }
}

/// Where each target of a ticket stands; `None` when the policy sets no such target, or (next
/// response) when no customer message awaits an answer after the first reply.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SlaStatus {
    /// The first-response target.
    pub first_response: Option<TargetStatus>,
    /// The next-response target.
    pub next_response: Option<TargetStatus>,
    /// The resolution target.
    pub resolution: Option<TargetStatus>,
}

impl SlaStatus {
    /// One target's standing.
    pub fn get(&self, target: SlaTarget) -> Option<&TargetStatus> {
        match target {
            SlaTarget::FirstResponse => self.first_response.as_ref(),
            SlaTarget::NextResponse => self.next_response.as_ref(),
            SlaTarget::Resolution => self.resolution.as_ref(),
        }
    }

    /// The unmet target with the fewest minutes left (ask it of unresolved tickets).
    pub fn nearest_open(&self) -> Option<(SlaTarget, &TargetStatus)> {
        SlaTarget::ALL
            .into_iter()
            .filter_map(|t| self.get(t).map(|s| (t, s)))
            .filter(|(_, s)| s.met_at.is_none())
            .min_by_key(|(_, s)| s.remaining_minutes)
    }
}

/// A pause clipped to one clock's run: from its start, `None` for "still paused".
type Stretch = (DateTime<Utc>, Option<DateTime<Utc>>);

impl SlaClock {
    /// Every target's standing at `now`, under a calendar and the targets of the ticket's priority.
    pub fn status(
        &self,
        calendar: &BusinessCalendar,
        targets: &SlaTargets,
        now: DateTime<Utc>,
    ) -> SlaStatus {
        let track = |start, met, minutes: Option<i64>| {
            let minutes = minutes.filter(|m| *m > 0)?;
            Some(self.track(calendar, start, met, minutes, now))
        };
        let awaiting_answer = self
            .last_customer_message_at
            .filter(|m| self.first_reply_at.is_some_and(|first| *m > first));
        SlaStatus {
            first_response: track(
                self.created_at,
                self.first_reply_at,
                targets.first_response_minutes,
            ),
            next_response: awaiting_answer.and_then(|asked| {
                let answer = self.reply_after_customer_at.filter(|r| *r >= asked);
                track(asked, answer, targets.next_response_minutes)
            }),
            resolution: track(
                self.created_at,
                self.resolved_at,
                targets.resolution_minutes,
            ),
        }
    }

    /// One clock running from `start` until met, the ticket resolved, or `now`.
    fn track(
        &self,
        calendar: &BusinessCalendar,
        start: DateTime<Utc>,
        met: Option<DateTime<Utc>>,
        minutes: i64,
        now: DateTime<Utc>,
    ) -> TargetStatus {
        let met = met.map(|m| m.max(start));
        let stopped = met.or(self.resolved_at.map(|r| r.min(now)));
        let until = stopped.unwrap_or(now).max(start);
        let pauses = self.stretches(start, until, stopped.is_some());
        let target = minutes.saturating_mul(60);
        let elapsed = elapsed_seconds(calendar, start, until, &pauses);
        let left = target - elapsed;
        TargetStatus {
            due_at: due(calendar, start, target, &pauses),
            remaining_minutes: left.div_euclid(60),
            breached: left < 0,
            met_at: met,
            paused: pauses.last().is_some_and(|(_, end)| end.is_none()),
            used: elapsed as f64 / target as f64,
        }
    }

    /// The pauses within `[start, until]`, sorted and merged; an open one is closed at `until`
    /// when the clock has stopped, and stays open otherwise.
    fn stretches(&self, start: DateTime<Utc>, until: DateTime<Utc>, stopped: bool) -> Vec<Stretch> {
        let mut clipped: Vec<Stretch> = self
            .pauses
            .iter()
            .filter(|p| p.start <= until && p.end.is_none_or(|e| e > start && e >= p.start))
            .map(|p| {
                let end = match p.end {
                    Some(e) => Some(e.min(until)),
                    None => stopped.then_some(until),
                };
                (p.start.max(start), end)
            })
            .collect();
        clipped.sort_by_key(|(from, _)| *from);
        let mut merged: Vec<Stretch> = Vec::with_capacity(clipped.len());
        for (from, to) in clipped {
            match merged.last_mut() {
                Some((_, last)) if last.is_none_or(|l| from <= l) => {
                    *last = last.zip(to).map(|(a, b)| a.max(b));
                }
                _ => merged.push((from, to)),
            }
        }
        merged
    }
}

/// Business seconds from `start` to `until` outside the pauses.
fn elapsed_seconds(
    calendar: &BusinessCalendar,
    start: DateTime<Utc>,
    until: DateTime<Utc>,
    pauses: &[Stretch],
) -> i64 {
    let paused: i64 = pauses
        .iter()
        .map(|(from, to)| calendar.business_seconds_between(*from, to.unwrap_or(until)))
        .sum();
    calendar.business_seconds_between(start, until) - paused
}

/// When `target` business seconds outside the pauses have run from `start`; `None` when an open
/// pause comes first (or beyond the calendar's horizon).
fn due(
    calendar: &BusinessCalendar,
    start: DateTime<Utc>,
    target: i64,
    pauses: &[Stretch],
) -> Option<DateTime<Utc>> {
    let mut cursor = start;
    let mut left = target;
    for (from, to) in pauses {
        if *from > cursor {
            let candidate = calendar.add_business_seconds(cursor, left)?;
            if candidate <= *from {
                return Some(candidate);
            }
            left -= calendar.business_seconds_between(cursor, *from);
        }
        cursor = cursor.max((*to)?);
    }
    calendar.add_business_seconds(cursor, left)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Europe/Madrid, Monday to Friday 09:00-14:00 and 15:00-18:00.
    fn office() -> BusinessCalendar {
        let lunch = json!([["09:00", "14:00"], ["15:00", "18:00"]]);
        serde_json::from_value(json!({
            "time_zone": "Europe/Madrid",
            "weekly_hours": {"mon": lunch, "tue": lunch, "wed": lunch, "thu": lunch, "fri": lunch}
        }))
        .expect("valid calendar")
    }

    fn targets() -> SlaTargets {
        SlaTargets {
            first_response_minutes: Some(60),
            next_response_minutes: Some(120),
            resolution_minutes: Some(480),
        }
    }

    /// A moment of the week of Monday 1 June 2026 in Madrid (CEST), by day and `HH:MM`.
    fn at(day: u32, time: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-06-{day:02}T{time}:00+02:00"))
            .expect("RFC 3339")
            .with_timezone(&Utc)
    }

    fn created_monday_at_ten() -> SlaClock {
        SlaClock {
            created_at: at(1, "10:00"),
            pauses: Vec::new(),
            first_reply_at: None,
            last_customer_message_at: None,
            reply_after_customer_at: None,
            resolved_at: None,
        }
    }

    fn pause(from: DateTime<Utc>, to: Option<DateTime<Utc>>) -> Pause {
        Pause {
            start: from,
            end: to,
        }
    }

    #[test]
    fn a_public_reply_meets_first_response() {
        let clock = SlaClock {
            first_reply_at: Some(at(1, "10:30")),
            ..created_monday_at_ten()
        };
        let status = clock.status(&office(), &targets(), at(1, "16:00"));
        let first = status.first_response.expect("targeted");
        assert_eq!(first.met_at, Some(at(1, "10:30")));
        assert_eq!(first.due_at, Some(at(1, "11:00")));
        assert_eq!(first.remaining_minutes, 30);
        assert!(!first.breached);
        assert!((first.used - 0.5).abs() < 1e-9);
        assert!(!first.is_at_risk(0.4), "met targets are not at risk");
        assert_eq!(status.next_response, None);
    }

    #[test]
    fn no_reply_breaches_first_response() {
        let status = created_monday_at_ten().status(&office(), &targets(), at(1, "11:30"));
        let first = status.first_response.expect("targeted");
        assert_eq!(first.met_at, None);
        assert_eq!(first.due_at, Some(at(1, "11:00")));
        assert_eq!(first.remaining_minutes, -30);
        assert!(first.breached);
        assert!((first.used - 1.5).abs() < 1e-9);
        // The resolution clock ran the same 90 minutes.
        let resolution = status.resolution.expect("targeted");
        assert_eq!(resolution.remaining_minutes, 480 - 90);
        // Monday from 10:00: 4 h + 3 h, then Tuesday 09:00-10:00.
        assert_eq!(resolution.due_at, Some(at(2, "10:00")));
    }

    #[test]
    fn the_clock_waits_for_business_hours() {
        let clock = SlaClock {
            created_at: at(5, "17:30"),
            ..created_monday_at_ten()
        };
        let status = clock.status(&office(), &targets(), at(8, "09:10"));
        let first = status.first_response.expect("targeted");
        assert_eq!(first.due_at, Some(at(8, "09:30")));
        assert_eq!(first.remaining_minutes, 20);
        assert!(first.is_at_risk(0.6));
        assert!(!first.is_at_risk(0.8));
        // A moment later, 50 minutes of 60 are used: over the 80 % warning.
        let later = clock.status(&office(), &targets(), at(8, "09:20"));
        assert!(later.first_response.expect("targeted").is_at_risk(0.8));
    }

    #[test]
    fn a_pause_stops_and_resume_restarts_the_clock() {
        let clock = SlaClock {
            pauses: vec![pause(at(1, "10:20"), Some(at(1, "13:20")))],
            ..created_monday_at_ten()
        };
        let status = clock.status(&office(), &targets(), at(1, "13:40"));
        let first = status.first_response.expect("targeted");
        assert_eq!(first.remaining_minutes, 20);
        assert_eq!(first.due_at, Some(at(1, "14:00")));
        assert!(!first.paused);
        // Resolution: 480 minutes shifted by the 180 paused ones, to Tuesday 13:00.
        let resolution = status.resolution.expect("targeted");
        assert_eq!(resolution.due_at, Some(at(2, "13:00")));
    }

    #[test]
    fn while_paused_the_clock_is_frozen() {
        let clock = SlaClock {
            pauses: vec![pause(at(1, "10:20"), None)],
            ..created_monday_at_ten()
        };
        for now in [at(1, "10:30"), at(1, "17:00"), at(3, "12:00")] {
            let first = clock
                .status(&office(), &targets(), now)
                .first_response
                .expect("targeted");
            assert!(first.paused);
            assert_eq!(first.due_at, None);
            assert_eq!(first.remaining_minutes, 40);
            assert!(!first.breached);
        }
    }

    #[test]
    fn a_pause_after_the_due_time_changes_nothing() {
        let clock = SlaClock {
            pauses: vec![pause(at(1, "11:30"), None)],
            ..created_monday_at_ten()
        };
        let first = clock
            .status(&office(), &targets(), at(1, "12:00"))
            .first_response
            .expect("targeted");
        assert!(first.breached);
        assert_eq!(first.due_at, Some(at(1, "11:00")));
        assert_eq!(first.remaining_minutes, -30);
    }

    #[test]
    fn a_pause_across_the_due_time_moves_it() {
        let clock = SlaClock {
            pauses: vec![pause(at(1, "10:50"), Some(at(1, "16:00")))],
            ..created_monday_at_ten()
        };
        let first = clock
            .status(&office(), &targets(), at(1, "16:05"))
            .first_response
            .expect("targeted");
        assert_eq!(first.remaining_minutes, 5);
        assert_eq!(first.due_at, Some(at(1, "16:10")));
    }

    #[test]
    fn overlapping_and_unordered_pauses_count_once() {
        let clock = SlaClock {
            pauses: vec![
                pause(at(1, "10:40"), Some(at(1, "11:20"))),
                pause(at(1, "10:20"), Some(at(1, "11:00"))),
                pause(at(1, "09:00"), Some(at(1, "09:30"))), // before creation
            ],
            ..created_monday_at_ten()
        };
        let first = clock
            .status(&office(), &targets(), at(1, "11:30"))
            .first_response
            .expect("targeted");
        assert_eq!(first.remaining_minutes, 60 - 20 - 10);
        assert_eq!(first.due_at, Some(at(1, "12:00")));
    }

    #[test]
    fn a_customer_reply_restarts_next_response() {
        let clock = SlaClock {
            first_reply_at: Some(at(1, "10:30")),
            last_customer_message_at: Some(at(1, "11:00")),
            ..created_monday_at_ten()
        };
        let next = clock
            .status(&office(), &targets(), at(1, "12:00"))
            .next_response
            .expect("running");
        assert_eq!(next.due_at, Some(at(1, "13:00")));
        assert_eq!(next.remaining_minutes, 60);
        assert_eq!(next.met_at, None);
        // A reply before the customer's message does not answer it.
        let early = SlaClock {
            reply_after_customer_at: Some(at(1, "10:45")),
            ..clock.clone()
        };
        let next = early
            .status(&office(), &targets(), at(1, "12:00"))
            .next_response;
        assert_eq!(next.expect("running").met_at, None);
        // The next public reply meets it.
        let answered = SlaClock {
            reply_after_customer_at: Some(at(1, "12:30")),
            ..clock
        };
        let next = answered
            .status(&office(), &targets(), at(1, "17:00"))
            .next_response
            .expect("met");
        assert_eq!(next.met_at, Some(at(1, "12:30")));
        assert_eq!(next.remaining_minutes, 30);
        assert!(!next.breached);
    }

    #[test]
    fn next_response_waits_for_the_first_reply() {
        let clock = SlaClock {
            last_customer_message_at: Some(at(1, "10:10")),
            ..created_monday_at_ten()
        };
        let status = clock.status(&office(), &targets(), at(1, "12:00"));
        assert_eq!(status.next_response, None);
        assert!(status.first_response.expect("targeted").breached);
    }

    #[test]
    fn next_response_pauses_too() {
        // Paused from before the customer wrote until 15:00: the clock starts at 15:00.
        let clock = SlaClock {
            first_reply_at: Some(at(1, "10:30")),
            last_customer_message_at: Some(at(1, "11:00")),
            pauses: vec![pause(at(1, "10:40"), Some(at(1, "15:00")))],
            ..created_monday_at_ten()
        };
        let next = clock
            .status(&office(), &targets(), at(1, "15:30"))
            .next_response
            .expect("running");
        assert_eq!(next.remaining_minutes, 90);
        assert_eq!(next.due_at, Some(at(1, "17:00")));
    }

    #[test]
    fn resolution_is_met_when_resolved() {
        let on_time = SlaClock {
            first_reply_at: Some(at(1, "10:05")),
            resolved_at: Some(at(1, "16:00")),
            ..created_monday_at_ten()
        };
        let status = on_time.status(&office(), &targets(), at(5, "12:00"));
        let resolution = status.resolution.expect("targeted");
        assert_eq!(resolution.met_at, Some(at(1, "16:00")));
        assert_eq!(resolution.remaining_minutes, 480 - 300);
        assert!(!resolution.breached);
        let late = SlaClock {
            resolved_at: Some(at(3, "12:00")),
            ..on_time
        };
        let resolution = late
            .status(&office(), &targets(), at(5, "12:00"))
            .resolution
            .expect("targeted");
        assert!(resolution.breached);
        assert_eq!(resolution.due_at, Some(at(2, "10:00")));
        assert_eq!(resolution.met_at, Some(at(3, "12:00")));
    }

    #[test]
    fn resolving_stops_unmet_clocks() {
        let clock = SlaClock {
            resolved_at: Some(at(1, "10:30")),
            ..created_monday_at_ten()
        };
        let first = clock
            .status(&office(), &targets(), at(5, "12:00"))
            .first_response
            .expect("targeted");
        assert_eq!(first.met_at, None);
        assert_eq!(first.remaining_minutes, 30);
        assert!(!first.breached);
    }

    #[test]
    fn targets_the_policy_leaves_out_are_absent() {
        let status = created_monday_at_ten().status(
            &office(),
            &SlaTargets {
                resolution_minutes: Some(480),
                ..SlaTargets::default()
            },
            at(1, "11:00"),
        );
        assert_eq!(status.first_response, None);
        assert_eq!(status.next_response, None);
        assert!(status.resolution.is_some());
        let none =
            created_monday_at_ten().status(&office(), &SlaTargets::default(), at(1, "11:00"));
        assert_eq!(none.nearest_open(), None);
    }

    #[test]
    fn nearest_open_target() {
        let clock = SlaClock {
            first_reply_at: Some(at(1, "10:30")),
            last_customer_message_at: Some(at(1, "11:00")),
            ..created_monday_at_ten()
        };
        let status = clock.status(&office(), &targets(), at(1, "12:00"));
        let (target, nearest) = status.nearest_open().expect("two open targets");
        assert_eq!(target, SlaTarget::NextResponse);
        assert_eq!(nearest.remaining_minutes, 60);
        assert_eq!(SlaTarget::NextResponse.to_string(), "next_response");
        let json = serde_json::to_value(status).expect("serialise");
        assert_eq!(json["first_response"]["breached"], false);
    }

    #[test]
    fn always_open_calendar() {
        let status = created_monday_at_ten().status(
            &BusinessCalendar::always(),
            &targets(),
            at(6, "10:00"), // Saturday
        );
        let resolution = status.resolution.expect("targeted");
        assert_eq!(resolution.remaining_minutes, 480 - 5 * 24 * 60);
        assert_eq!(resolution.due_at, Some(at(1, "18:00")));
    }
}
