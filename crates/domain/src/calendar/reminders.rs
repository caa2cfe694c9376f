//! Reminders of an activity: each recipient is reminded some minutes before each occurrence's
//! start. A reminder is due at `start - minutes`; it is sent by the first pass at or after that
//! moment while the occurrence has not begun, and counted as missed when a pass finds it only
//! after the start. Planning is pure: the pass gives the occurrences and the recipients'
//! offsets, and gets back what to send now and when to look again.

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::Invalid;

/// Most reminders one activity (or one user's default) has.
pub const MAX_REMINDERS: usize = 5;
/// The earliest a reminder may come: a week before.
pub const MAX_MINUTES_BEFORE: i32 = 7 * 24 * 60;
/// How far past the latest reminder a pass expands a series: a series with no occurrence in
/// reach is looked at again this long after.
pub const LOOK_AGAIN: TimeDelta = TimeDelta::days(1);
/// A user's reminders when they have set none: a quarter of an hour before.
pub const DEFAULT_MINUTES: [i32; 1] = [15];

/// Checks a list of reminders (minutes before the start) and returns it sorted, each once.
pub fn checked_minutes(raw: &[i32]) -> Result<Vec<i32>, Invalid> {
    if raw.len() > MAX_REMINDERS {
        return Err(Invalid::new(format!(
            "must hold at most {MAX_REMINDERS} reminders"
        )));
    }
    if raw.iter().any(|m| !(0..=MAX_MINUTES_BEFORE).contains(m)) {
        return Err(Invalid::new(format!(
            "must be minutes before the start, from 0 to {MAX_MINUTES_BEFORE} (a week)"
        )));
    }
    let mut minutes = raw.to_vec();
    minutes.sort_unstable();
    minutes.dedup();
    Ok(minutes)
}

/// How far after `now` a pass needs the occurrences of an activity to plan its reminders.
pub fn horizon(now: DateTime<Utc>) -> DateTime<Utc> {
    now + TimeDelta::minutes(i64::from(MAX_MINUTES_BEFORE)) + LOOK_AGAIN
}

/// One user reminded of one occurrence, so many minutes before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reminder {
    pub occurrence_at: DateTime<Utc>,
    pub user_id: Uuid,
    pub minutes_before: i32,
    pub due_at: DateTime<Utc>,
}

/// What a pass does with an activity at `now`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Due and not begun: send (unless already sent). One per occurrence and user: the one
    /// due last, when several are due at once.
    pub send: Vec<Reminder>,
    /// Due and not begun, but another reminder of the same occurrence to the same user is due
    /// later and goes instead (an activity planned 20 minutes ahead with reminders a day and
    /// half an hour before gets one, not two at once): record without sending.
    pub skip: Vec<Reminder>,
    /// Due since `since` but their occurrence has begun: record as missed (unless recorded).
    pub missed: Vec<Reminder>,
    /// When the next reminder comes due; `None` when none is to come.
    pub next: Option<DateTime<Utc>>,
}

/// Plans the reminders of an activity whose occurrences starting from `since` to
/// [`horizon`]`(now)` are `starts` (in order), whose series goes on past the horizon when
/// `goes_on`, for `recipients` (each user with their minutes before).
pub fn plan(
    starts: &[DateTime<Utc>],
    goes_on: bool,
    recipients: &[(Uuid, Vec<i32>)],
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Plan {
    let mut p = Plan::default();
    for &start in starts {
        for (user, minutes) in recipients {
            for &m in minutes {
                let due_at = start - TimeDelta::minutes(i64::from(m));
                let r = Reminder {
                    occurrence_at: start,
                    user_id: *user,
                    minutes_before: m,
                    due_at,
                };
                if due_at > now {
                    p.next = Some(p.next.map_or(due_at, |n| n.min(due_at)));
                } else if start > now {
                    p.send.push(r);
                } else if due_at >= since {
                    p.missed.push(r);
                }
            }
        }
    }
    // Of the reminders due at once for one occurrence and user, the one due last goes.
    p.send
        .sort_by_key(|r| (r.occurrence_at, r.user_id, r.minutes_before));
    let mut kept: Vec<Reminder> = Vec::new();
    for r in std::mem::take(&mut p.send) {
        match kept.last() {
            Some(k) if k.occurrence_at == r.occurrence_at && k.user_id == r.user_id => {
                p.skip.push(r);
            }
            _ => kept.push(r),
        }
    }
    p.send = kept;
    if goes_on && !recipients.iter().all(|(_, m)| m.is_empty()) {
        let again = now + LOOK_AGAIN;
        p.next = Some(p.next.map_or(again, |n| n.min(again)));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(2027, 3, 1, h, m, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn minutes_are_sorted_once_and_bounded() {
        assert_eq!(checked_minutes(&[60, 15, 60]).expect("ok"), vec![15, 60]);
        assert!(checked_minutes(&[-1]).is_err());
        assert!(checked_minutes(&[MAX_MINUTES_BEFORE + 1]).is_err());
        assert!(checked_minutes(&[1, 2, 3, 4, 5, 6]).is_err());
        assert_eq!(checked_minutes(&[]).expect("ok"), Vec::<i32>::new());
    }

    #[test]
    fn a_reminder_is_sent_once_due_before_the_start_and_the_next_one_is_planned() {
        let (ana, bea) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let who = [(ana, vec![15, 60]), (bea, vec![5])];
        let p = plan(&[at(10, 0)], false, &who, at(8, 0), at(9, 50));
        let who_when = |rs: &[Reminder]| -> Vec<_> {
            rs.iter().map(|r| (r.user_id, r.minutes_before)).collect()
        };
        assert_eq!(
            who_when(&p.send),
            vec![(ana, 15)],
            "one at a time: the last due"
        );
        assert_eq!(who_when(&p.skip), vec![(ana, 60)]);
        assert!(p.missed.is_empty());
        assert_eq!(p.next, Some(at(9, 55)));
        let p = plan(&[at(10, 0)], false, &who, at(9, 55), at(9, 56));
        // Everything due is planned again; the record keeps each reminder once.
        assert_eq!(who_when(&p.send), vec![(ana, 15), (bea, 5)]);
        assert_eq!(p.next, None);
    }

    #[test]
    fn a_reminder_found_after_the_start_is_missed_not_sent() {
        let ana = Uuid::from_u128(1);
        let p = plan(
            &[at(10, 0)],
            false,
            &[(ana, vec![15])],
            at(9, 45),
            at(10, 5),
        );
        assert!(p.send.is_empty());
        assert_eq!(p.missed.len(), 1);
        assert_eq!(p.missed[0].due_at, at(9, 45));
        // Due before the pass last looked (`since`): that pass saw it; nothing to record again.
        let p = plan(
            &[at(10, 0)],
            false,
            &[(ana, vec![15])],
            at(9, 50),
            at(10, 5),
        );
        assert!(p.missed.is_empty());
    }

    #[test]
    fn a_series_beyond_reach_is_looked_at_again_and_no_reminders_mean_no_next() {
        let ana = Uuid::from_u128(1);
        let p = plan(&[], true, &[(ana, vec![15])], at(8, 0), at(9, 0));
        assert_eq!(p.next, Some(at(9, 0) + LOOK_AGAIN));
        let p = plan(&[at(10, 0)], true, &[(ana, vec![])], at(8, 0), at(9, 0));
        assert_eq!(p, Plan::default());
        let p = plan(&[at(10, 0)], true, &[(ana, vec![30])], at(8, 0), at(9, 0));
        assert_eq!(p.next, Some(at(9, 30)));
    }
}
