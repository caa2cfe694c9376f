//! The benchmark's tickets, planned from a seed: each one's priority, status and times, so that
//! the stored due and warning times are exactly those the tickets service computes on the 24/7
//! calendar (`services::tickets::sla::due_times`; a test checks it). A share of them (`due_share`)
//! have their warning time between an hour ago and four hours from now: those are what a pass
//! reads (the pass looks four hours ahead); the rest warn later, up to days from now.

use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// The benchmark's category in each tenant: 24/7, warning at 80 % of a target.
pub const CATEGORY: &str = "Escalation bench 24/7";
/// Title prefix of the benchmark's tickets (`Escalation bench #17`).
pub const TITLE_PREFIX: &str = "Escalation bench #";
pub const WARN_AT_PERCENT: i64 = 80;
/// How far ahead the pass looks (`services::sla_escalation`'s horizon), in minutes.
pub const HORIZON_MIN: i64 = 240;
/// Warning times of the tickets the pass reads start this long ago: the backlog of an hour
/// without a pass, which the first pass catches up on (the later ones find it done).
pub const BACKLOG_MIN: i64 = 60;
/// Share of the tickets the pass reads that nobody has answered yet (first response open).
const UNANSWERED_SHARE: f64 = 0.3;

const SECOND_MS: i64 = 1_000;
const MINUTE_MS: i64 = 60 * SECOND_MS;

/// Targets of one priority, in minutes: first response, next response, resolution.
struct Targets {
    priority: &'static str,
    /// Of every 100 tickets.
    weight: u32,
    first: i64,
    next: i64,
    resolution: i64,
}

const TARGETS: [Targets; 4] = [
    Targets {
        priority: "urgent",
        weight: 5,
        first: 30,
        next: 60,
        resolution: 480,
    },
    Targets {
        priority: "high",
        weight: 20,
        first: 60,
        next: 120,
        resolution: 1440,
    },
    Targets {
        priority: "normal",
        weight: 55,
        first: 240,
        next: 480,
        resolution: 4320,
    },
    Targets {
        priority: "low",
        weight: 20,
        first: 480,
        next: 960,
        resolution: 10080,
    },
];

/// The category's SLA policy, as `ticket_categories.sla` stores it.
pub fn sla_policy() -> Value {
    let mut policy = serde_json::Map::new();
    for t in &TARGETS {
        policy.insert(
            t.priority.to_owned(),
            json!({
                "first_response_minutes": t.first,
                "next_response_minutes": t.next,
                "resolution_minutes": t.resolution,
            }),
        );
    }
    Value::Object(policy)
}

/// One ticket as stored, its times in Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub priority: &'static str,
    /// `new` (not answered yet) or `open` (answered in time, resolution pending).
    pub status: &'static str,
    pub created_ms: i64,
    /// The first public reply (also the last one); None while `new`.
    pub replied_ms: Option<i64>,
    pub due_ms: i64,
    pub warn_ms: i64,
}

fn targets(rng: &mut StdRng) -> &'static Targets {
    let mut roll = rng.gen_range(0..100);
    for t in &TARGETS {
        if roll < t.weight {
            return t;
        }
        roll -= t.weight;
    }
    &TARGETS[TARGETS.len() - 1]
}

/// A ticket of the data set anchored at `now_ms`. Its times are whole seconds: business time is
/// counted to the second.
pub fn ticket(rng: &mut StdRng, now_ms: i64, due_share: f64) -> Planned {
    let now_ms = now_ms - now_ms.rem_euclid(SECOND_MS);
    let t = targets(rng);
    let soon = rng.gen_bool(due_share.clamp(0.0, 1.0));
    let unanswered = soon && rng.gen_bool(UNANSWERED_SHARE);
    // The nearest target not met: the first response while unanswered, else the resolution.
    let target_min = if unanswered { t.first } else { t.resolution };
    let warn_after_s = target_min * 60 * WARN_AT_PERCENT / 100;
    // A ticket is never created in the future: its warning comes at most `warn_after` from now.
    let (from_s, to_s) = if soon {
        (-BACKLOG_MIN * 60, (HORIZON_MIN * 60).min(warn_after_s))
    } else {
        (HORIZON_MIN * 60, warn_after_s)
    };
    let warn_ms = now_ms + rng.gen_range(from_s.min(to_s - 1) + 1..=to_s) * SECOND_MS;
    let created_ms = warn_ms - warn_after_s * SECOND_MS;
    let replied_ms = (!unanswered).then(|| {
        let within = rng.gen_range(1..=t.first * 60 * WARN_AT_PERCENT / 100);
        (created_ms + within * SECOND_MS).min(now_ms)
    });
    Planned {
        priority: t.priority,
        status: if unanswered { "new" } else { "open" },
        created_ms,
        replied_ms,
        due_ms: created_ms + target_min * MINUTE_MS,
        warn_ms,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use db::tickets::TicketData;
    use domain::tickets::BusinessCalendar;
    use rand::SeedableRng;
    use services::tickets::Policy;
    use services::tickets::sla::due_times;

    use super::*;

    const NOW_MS: i64 = 1_796_000_000_123;

    impl Planned {
        /// Whether the pass started at `now_ms` reads this ticket.
        fn read_by_pass(&self, now_ms: i64) -> bool {
            self.warn_ms <= now_ms + HORIZON_MIN * MINUTE_MS
        }
    }

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).expect("a time")
    }

    fn data(p: &Planned) -> TicketData {
        TicketData {
            contact_id: None,
            category_id: None,
            title: "t".into(),
            description: String::new(),
            status: p.status.into(),
            priority: p.priority.into(),
            priority_reason: String::new(),
            assignee_id: None,
            team: None,
            first_response_at: p.replied_ms.map(at),
            last_customer_at: None,
            last_agent_reply_at: p.replied_ms.map(at),
            resolved_at: None,
            closed_at: None,
            satisfaction: None,
            next_due_at: None,
            next_warn_at: None,
        }
    }

    #[test]
    fn stored_times_are_what_the_service_computes() {
        let policy = Policy {
            calendar: BusinessCalendar::always(),
            sla: serde_json::from_value(sla_policy()).expect("policy"),
            warn_at_percent: WARN_AT_PERCENT as i32,
        };
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..2_000 {
            let p = ticket(&mut rng, NOW_MS, 0.3);
            assert!(p.created_ms <= NOW_MS, "{p:?}");
            assert!(
                p.replied_ms
                    .is_none_or(|r| r >= p.created_ms && r <= NOW_MS)
            );
            let times = due_times(at(p.created_ms), &data(&p), &[], Some(&policy), at(NOW_MS))
                .expect("due times");
            assert_eq!(times.due, Some(at(p.due_ms)), "{p:?}");
            assert_eq!(times.warn, Some(at(p.warn_ms)), "{p:?}");
        }
    }

    #[test]
    fn the_due_share_is_what_the_pass_reads() {
        let mut rng = StdRng::seed_from_u64(2);
        let planned: Vec<Planned> = (0..100_000)
            .map(|_| ticket(&mut rng, NOW_MS, 0.05))
            .collect();
        let read = planned.iter().filter(|p| p.read_by_pass(NOW_MS)).count();
        assert!((4_700..5_300).contains(&read), "{read}");
        let past = planned.iter().filter(|p| p.warn_ms <= NOW_MS).count();
        // An hour of backlog in five hours of warning times, fewer where targets are short.
        assert!(past > read / 10 && past < read / 3, "{past} of {read}");
        let earliest = planned.iter().map(|p| p.warn_ms).min().unwrap_or(0);
        assert!(earliest > NOW_MS - BACKLOG_MIN * MINUTE_MS - SECOND_MS);
        assert!(
            planned
                .iter()
                .all(|p| p.status == "open" || p.read_by_pass(NOW_MS))
        );
    }
}
