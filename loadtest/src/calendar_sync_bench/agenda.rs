//! What every user's calendar holds, made up from numbers alone, so that the seeding and the
//! fake Google Calendar agree without sharing any state: user `n` of the benchmark has the id
//! [`user_id`]`(n)` and the CRM activities [`Agenda::activity`]`(n, k)` for `k` in
//! `0..linked`, each planned at a time given by `k` and already copied to the calendar. A full
//! read shows those and then private events up to `events`; an incremental read shows the first
//! [`Agenda::moved`] activities an hour later, and new private events up to `changed`.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

/// The high half of every benchmark user's id (the low half is its number).
const USER_HIGH: u64 = 0x5e4e_ca1e_0000_8000;
/// The high half of an activity's id, beside its user's number (the low half is its number).
const ACTIVITY_HIGH: u64 = 0xac71_0000_0000_0000;

/// The calendars' shape, shared by the seeding and the fake.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Agenda {
    /// Events of a full read of one calendar.
    pub events: u32,
    /// CRM activities of each user, each on the user's calendar.
    pub linked: u32,
    /// Events of an incremental read of one calendar.
    pub changed: u32,
    /// When the first activity starts (09:00 UTC tomorrow).
    pub first_start: DateTime<Utc>,
}

/// One planned activity of a user, as seeded and as its event shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedActivity {
    pub id: Uuid,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// The id of the benchmark's user `n`.
pub fn user_id(n: u32) -> Uuid {
    Uuid::from_u64_pair(USER_HIGH, u64::from(n))
}

/// The number of a benchmark user, from its id.
pub fn user_number(id: Uuid) -> Option<u32> {
    let (high, low) = id.as_u64_pair();
    (high == USER_HIGH)
        .then_some(low)
        .and_then(|n| u32::try_from(n).ok())
}

/// The access token the fake knows user `n` by (sealed on the user's connection).
pub fn access_token(n: u32) -> String {
    format!("tok-{}", user_id(n))
}

/// The user an access token names.
pub fn user_of_token(token: &str) -> Option<u32> {
    user_number(Uuid::try_parse(token.strip_prefix("tok-")?).ok()?)
}

impl Agenda {
    /// The calendars' shape with the first activity tomorrow at 09:00 UTC.
    pub fn new(events: u32, linked: u32, changed: u32, now: DateTime<Utc>) -> Self {
        let midnight = now.timestamp() - now.timestamp().rem_euclid(86_400);
        let first_start = DateTime::from_timestamp(midnight + 86_400 + 9 * 3600, 0).unwrap_or(now);
        Self {
            events: events.max(linked),
            linked,
            changed,
            first_start,
        }
    }

    /// Activities of each user that an incremental read shows moved: half of it, at most all.
    pub fn moved(&self) -> u32 {
        (self.changed / 2).min(self.linked)
    }

    /// Activity `k` of user `n`: two a working day from tomorrow, at 09:00 and 15:00 UTC, 45
    /// minutes long.
    pub fn activity(&self, n: u32, k: u32) -> PlannedActivity {
        let starts_at = self.first_start
            + Duration::days(i64::from(k / 2))
            + Duration::hours(6 * i64::from(k % 2));
        PlannedActivity {
            id: Uuid::from_u64_pair(ACTIVITY_HIGH | u64::from(n), u64::from(k)),
            title: format!("Visita comercial {k}"),
            starts_at,
            ends_at: starts_at + Duration::minutes(45),
        }
    }

    /// When private event `k` starts: every two hours from 30 days ago.
    pub fn private_start(&self, k: u32) -> DateTime<Utc> {
        self.first_start - Duration::days(30) + Duration::hours(2 * i64::from(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_known_by_its_token_and_its_activities_are_its_own() {
        assert_eq!(user_of_token(&access_token(917)), Some(917));
        assert_eq!(user_of_token("tok-not-a-uuid"), None);
        assert_eq!(user_of_token(&format!("tok-{}", Uuid::nil())), None);
        let agenda = Agenda::new(100, 10, 20, Utc::now());
        assert_ne!(agenda.activity(1, 2).id, agenda.activity(2, 1).id);
        assert_ne!(agenda.activity(1, 2).id, user_id(1));
        assert_eq!(agenda.moved(), 10);
        let first = agenda.activity(1, 0);
        assert!(first.starts_at > Utc::now() && first.ends_at > first.starts_at);
        assert_eq!(first.starts_at.timestamp() % 3600, 0);
    }
}
