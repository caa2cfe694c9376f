//! The SLA of a ticket: the policy that applies to it (its category's targets for its priority,
//! on the category's business calendar or 24/7), the clock made of the ticket and its pauses,
//! what readers see of it ([`TicketSla`]), and the due times kept on the ticket for the
//! escalation pass (`next_due_at`, `next_warn_at`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use db::business_calendars::CalendarRow;
use db::ticket_categories::CategoryRow;
use db::tickets::{PauseRow, TicketData};
use domain::tickets::{
    BusinessCalendar, Pause, Priority, SlaClock, SlaPolicy, SlaStatus, SlaTarget, SlaTargets,
    TargetStatus, TicketStatus,
};
use serde::Serialize;
use uuid::Uuid;

use crate::{Error, Result, Scope};

/// A predicted chance of a breach from which an open ticket counts as at risk, whatever its
/// share of time used (the escalation pass writes the prediction).
pub const AT_RISK_PROBABILITY: f32 = 0.5;

/// What the SLA of a category's tickets is measured with.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The category's business calendar, or one that never stops.
    pub calendar: BusinessCalendar,
    pub sla: SlaPolicy,
    /// A target is at risk (and warned about) from this share of its time, in percent.
    pub warn_at_percent: i32,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Corrupt(format!("{what}: {e}"))
}

/// A stored calendar, read back.
pub(super) fn calendar_of(row: &CalendarRow) -> Result<BusinessCalendar> {
    serde_json::from_value(row.calendar.clone()).map_err(|e| corrupt("business calendar", e))
}

/// A stored SLA policy, read back.
pub(super) fn policy_json(value: &serde_json::Value) -> Result<SlaPolicy> {
    serde_json::from_value(value.clone()).map_err(|e| corrupt("SLA policy", e))
}

impl Policy {
    /// The policy of a category, on its calendar (`None`: 24/7).
    pub fn of(category: &CategoryRow, calendar: Option<&CalendarRow>) -> Result<Self> {
        Ok(Self {
            calendar: match calendar {
                Some(c) => calendar_of(c)?,
                None => BusinessCalendar::always(),
            },
            sla: policy_json(&category.sla)?,
            warn_at_percent: category.warn_at_percent,
        })
    }

    /// The targets of a priority.
    pub fn targets(&self, priority: Priority) -> &SlaTargets {
        self.sla.targets(priority)
    }

    /// The warning share, 0-1.
    fn warn_share(&self) -> f64 {
        f64::from(self.warn_at_percent) / 100.0
    }
}

/// The policies of these categories, by category id (those that exist).
pub(crate) async fn policies(
    scope: &mut Scope,
    category_ids: &[Uuid],
) -> Result<HashMap<Uuid, Policy>> {
    if category_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let categories = db::ticket_categories::get_many(&mut scope.tx, category_ids).await?;
    let calendar_ids: Vec<Uuid> = categories.iter().filter_map(|c| c.calendar_id).collect();
    let calendars: HashMap<Uuid, CalendarRow> =
        db::business_calendars::get_many(&mut scope.tx, &calendar_ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
    categories
        .iter()
        .map(|c| {
            let calendar = c.calendar_id.and_then(|id| calendars.get(&id));
            Ok((c.id, Policy::of(c, calendar)?))
        })
        .collect()
}

/// The policy of one category, if the ticket has one.
pub(crate) async fn policy_of(
    scope: &mut Scope,
    category_id: Option<Uuid>,
) -> Result<Option<Policy>> {
    let Some(id) = category_id else {
        return Ok(None);
    };
    Ok(policies(scope, &[id]).await?.remove(&id))
}

/// The pauses of these tickets, by ticket.
pub(crate) async fn pauses(
    scope: &mut Scope,
    ticket_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<PauseRow>>> {
    let mut by_ticket: HashMap<Uuid, Vec<PauseRow>> = HashMap::new();
    for p in db::tickets::pauses_of(&mut scope.tx, ticket_ids).await? {
        by_ticket.entry(p.ticket_id).or_default().push(p);
    }
    Ok(by_ticket)
}

/// The SLA clock of a ticket created at `created_at`, in the state `d`, with its pauses.
pub fn clock(created_at: DateTime<Utc>, d: &TicketData, pauses: &[PauseRow]) -> SlaClock {
    SlaClock {
        created_at,
        pauses: pauses
            .iter()
            .map(|p| Pause {
                start: p.started_at,
                end: p.ended_at,
            })
            .collect(),
        first_reply_at: d.first_response_at,
        last_customer_message_at: d.last_customer_at,
        reply_after_customer_at: d.last_agent_reply_at,
        resolved_at: d.resolved_at,
    }
}

fn stored_priority(d: &TicketData) -> Result<Priority> {
    Priority::parse(&d.priority).map_err(|e| corrupt("ticket priority", e))
}

fn stored_status(d: &TicketData) -> Result<TicketStatus> {
    TicketStatus::parse(&d.status).map_err(|e| corrupt("ticket status", e))
}

/// Every target at most `percent` of its length: their due times are the warning times.
fn warning_targets(targets: &SlaTargets, percent: i32) -> SlaTargets {
    let share = |m: Option<i64>| m.map(|m| (m * i64::from(percent) / 100).max(1));
    SlaTargets {
        first_response_minutes: share(targets.first_response_minutes),
        next_response_minutes: share(targets.next_response_minutes),
        resolution_minutes: share(targets.resolution_minutes),
    }
}

/// The targets of a status that are not met yet.
fn unmet(status: &SlaStatus) -> impl Iterator<Item = (SlaTarget, &TargetStatus)> {
    SlaTarget::ALL
        .into_iter()
        .filter_map(|t| status.get(t).map(|s| (t, s)))
        .filter(|(_, s)| s.met_at.is_none())
}

/// The due times kept on a ticket for the escalation pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DueTimes {
    /// `tickets.next_due_at`.
    pub due: Option<DateTime<Utc>>,
    /// `tickets.next_warn_at`.
    pub warn: Option<DateTime<Utc>>,
}

/// The derived due times of a ticket: the nearest due time of a target not met yet
/// (`next_due_at`), and the earliest instant such a target crosses the warning share
/// (`next_warn_at`). Both are None for a resolved or closed ticket, for a ticket without an
/// SLA, and while a pause holds every target before its due time (a target due before the
/// pause stays due then: it was breached).
pub fn due_times(
    created_at: DateTime<Utc>,
    d: &TicketData,
    pauses: &[PauseRow],
    policy: Option<&Policy>,
    now: DateTime<Utc>,
) -> Result<DueTimes> {
    let Some(policy) = policy else {
        return Ok(DueTimes::default());
    };
    if !stored_status(d)?.is_open() {
        return Ok(DueTimes::default());
    }
    let targets = policy.targets(stored_priority(d)?);
    let clock = clock(created_at, d, pauses);
    let status = clock.status(&policy.calendar, targets, now);
    let warning = clock.status(
        &policy.calendar,
        &warning_targets(targets, policy.warn_at_percent),
        now,
    );
    let due = unmet(&status).filter_map(|(_, s)| s.due_at).min();
    let warn = unmet(&status)
        .filter_map(|(t, _)| warning.get(t)?.due_at)
        .min();
    Ok(DueTimes { due, warn })
}

/// One SLA target of a ticket, as readers see it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetOut {
    /// When the target is due; `null` while the clock is paused before it.
    pub due_at: Option<DateTime<Utc>>,
    /// Business minutes left (negative: how late), frozen once met or paused.
    pub remaining_business_minutes: i64,
    /// Whether the target was missed (met late, or not met and overdue).
    pub breached: bool,
    /// Whether the target is met (a public reply, a resolution).
    pub met: bool,
    pub met_at: Option<DateTime<Utc>>,
    /// Share of the target's time used, in percent (over 100 once overdue).
    pub used_percent: i64,
    /// Not met, not breached, and past the category's warning share.
    pub at_risk: bool,
}

impl TargetOut {
    fn of(s: &TargetStatus, warn_share: f64) -> Self {
        Self {
            due_at: s.due_at,
            remaining_business_minutes: s.remaining_minutes,
            breached: s.breached,
            met: s.met_at.is_some(),
            met_at: s.met_at,
            used_percent: (s.used * 100.0).round() as i64,
            at_risk: s.is_at_risk(warn_share),
        }
    }
}

/// A ticket's SLA at the moment it is read: each target of its category's policy for its
/// priority (`null` when the policy has none, or, for next response, while no customer
/// message awaits an answer).
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketSla {
    /// The clock stands still: the ticket is pending the customer or on hold.
    pub paused: bool,
    /// Some target was missed.
    pub breached: bool,
    /// The ticket is open, nothing is breached, and a target is past the warning share or a
    /// breach is predicted (`breach_risk` of at least 0.5).
    pub at_risk: bool,
    /// The nearest due time of a target not met yet.
    pub next_due_at: Option<DateTime<Utc>>,
    pub first_response: Option<TargetOut>,
    pub next_response: Option<TargetOut>,
    pub resolution: Option<TargetOut>,
}

/// What readers see of a ticket's SLA at `now`.
pub fn sla_view(
    created_at: DateTime<Utc>,
    d: &TicketData,
    breach_risk: Option<f32>,
    pauses: &[PauseRow],
    policy: Option<&Policy>,
    now: DateTime<Utc>,
) -> Result<TicketSla> {
    let ticket_status = stored_status(d)?;
    let mut view = TicketSla {
        paused: ticket_status.is_paused(),
        ..TicketSla::default()
    };
    let Some(policy) = policy else {
        return Ok(view);
    };
    let clock = clock(created_at, d, pauses);
    let status = clock.status(&policy.calendar, policy.targets(stored_priority(d)?), now);
    let share = policy.warn_share();
    let out = |s: Option<TargetStatus>| s.map(|s| TargetOut::of(&s, share));
    view.first_response = out(status.first_response);
    view.next_response = out(status.next_response);
    view.resolution = out(status.resolution);
    let targets = [&view.first_response, &view.next_response, &view.resolution];
    view.breached = targets
        .iter()
        .any(|t| t.as_ref().is_some_and(|t| t.breached));
    view.next_due_at = if ticket_status.is_open() {
        unmet(&status).filter_map(|(_, s)| s.due_at).min()
    } else {
        None
    };
    let predicted = breach_risk.is_some_and(|r| r >= AT_RISK_PROBABILITY);
    view.at_risk = ticket_status.is_open()
        && !view.breached
        && (predicted
            || targets
                .iter()
                .any(|t| t.as_ref().is_some_and(|t| t.at_risk)));
    Ok(view)
}

/// Business hours from creation to `until` (pauses left out), on the category's calendar or
/// 24/7, to two decimals: the elapsed share of a target just longer than the wall-clock time
/// (business time never exceeds it), so the clock walks only the days in between.
pub fn business_hours(
    created_at: DateTime<Utc>,
    until: DateTime<Utc>,
    d: &TicketData,
    pauses: &[PauseRow],
    policy: Option<&Policy>,
) -> Option<f64> {
    let bound = ((until - created_at).num_minutes() + 1).max(1);
    let always = BusinessCalendar::always();
    let calendar = policy.map_or(&always, |p| &p.calendar);
    let targets = SlaTargets {
        resolution_minutes: Some(bound),
        ..SlaTargets::default()
    };
    let stopped = TicketData {
        resolved_at: Some(until),
        ..d.clone()
    };
    let used = clock(created_at, &stopped, pauses)
        .status(calendar, &targets, until)
        .resolution?
        .used;
    let hours = used * bound as f64 / 60.0;
    Some((hours * 100.0).round() / 100.0)
}

/// Business hours from creation to resolution (pauses left out); None until resolved.
pub fn resolution_hours(
    created_at: DateTime<Utc>,
    d: &TicketData,
    pauses: &[PauseRow],
    policy: Option<&Policy>,
) -> Option<f64> {
    business_hours(created_at, d.resolved_at?, d, pauses, policy)
}

/// Recomputes the due times of the open tickets of these categories, after their policy or
/// calendar changed (derived data: the tickets' versions stay).
pub(crate) async fn refresh_due_times(scope: &mut Scope, category_ids: &[Uuid]) -> Result<()> {
    if category_ids.is_empty() {
        return Ok(());
    }
    let tickets = db::tickets::open_in_categories(&mut scope.tx, category_ids).await?;
    if tickets.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = tickets.iter().map(|t| t.id).collect();
    let policies = policies(scope, category_ids).await?;
    let pauses = pauses(scope, &ids).await?;
    let now = Utc::now();
    let (mut due, mut warn) = (Vec::with_capacity(ids.len()), Vec::with_capacity(ids.len()));
    for t in &tickets {
        let policy = t.category_id.and_then(|c| policies.get(&c));
        let own = pauses.get(&t.id).map(Vec::as_slice).unwrap_or_default();
        let times = due_times(t.created_at, &TicketData::from(t), own, policy, now)?;
        due.push(times.due);
        warn.push(times.warn);
    }
    db::tickets::set_due_times(&mut scope.tx, &ids, &due, &warn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).expect("time") + TimeDelta::minutes(minutes)
    }

    fn ticket(status: &str) -> TicketData {
        TicketData {
            contact_id: None,
            category_id: None,
            title: "t".into(),
            description: String::new(),
            status: status.into(),
            priority: "high".into(),
            priority_reason: String::new(),
            assignee_id: None,
            team: None,
            first_response_at: None,
            last_customer_at: None,
            last_agent_reply_at: None,
            resolved_at: None,
            closed_at: None,
            satisfaction: None,
            next_due_at: None,
            next_warn_at: None,
        }
    }

    fn around_the_clock() -> Policy {
        let targets = SlaTargets {
            first_response_minutes: Some(60),
            next_response_minutes: Some(30),
            resolution_minutes: Some(600),
        };
        Policy {
            calendar: BusinessCalendar::always(),
            sla: SlaPolicy {
                high: targets,
                ..SlaPolicy::default()
            },
            warn_at_percent: 80,
        }
    }

    fn pause(from: i64, to: Option<i64>) -> PauseRow {
        PauseRow {
            ticket_id: Uuid::nil(),
            started_at: at(from),
            ended_at: to.map(at),
            reason: "on_hold".into(),
            note: None,
        }
    }

    #[test]
    fn due_and_warning_times_of_the_nearest_target() {
        let p = around_the_clock();
        let times = due_times(at(0), &ticket("new"), &[], Some(&p), at(10)).expect("times");
        assert_eq!(times.due, Some(at(60)));
        assert_eq!(times.warn, Some(at(48)));
        let mut replied = ticket("open");
        replied.first_response_at = Some(at(5));
        let times = due_times(at(0), &replied, &[], Some(&p), at(10)).expect("times");
        assert_eq!((times.due, times.warn), (Some(at(600)), Some(at(480))));
    }

    #[test]
    fn no_times_without_a_policy_when_resolved_or_paused_before_due() {
        let p = around_the_clock();
        assert_eq!(
            due_times(at(0), &ticket("new"), &[], None, at(1)).expect("times"),
            DueTimes::default()
        );
        let mut resolved = ticket("resolved");
        resolved.resolved_at = Some(at(5));
        assert_eq!(
            due_times(at(0), &resolved, &[], Some(&p), at(6)).expect("times"),
            DueTimes::default()
        );
        let paused = due_times(
            at(0),
            &ticket("on_hold"),
            &[pause(10, None)],
            Some(&p),
            at(20),
        );
        assert_eq!(paused.expect("times"), DueTimes::default());
    }

    #[test]
    fn a_pause_moves_the_due_time() {
        let p = around_the_clock();
        let times = due_times(
            at(0),
            &ticket("open"),
            &[pause(10, Some(40))],
            Some(&p),
            at(45),
        )
        .expect("times");
        assert_eq!(times.due, Some(at(90)));
    }

    #[test]
    fn the_view_tells_breach_and_risk() {
        let p = around_the_clock();
        let view = sla_view(at(0), &ticket("new"), None, &[], Some(&p), at(50)).expect("view");
        let first = view.first_response.as_ref().expect("first response");
        assert_eq!(first.remaining_business_minutes, 10);
        assert!(first.at_risk && !first.breached && !first.met);
        assert_eq!(first.used_percent, 83);
        assert!(view.at_risk && !view.breached);
        assert_eq!(view.next_due_at, Some(at(60)));
        let late = sla_view(at(0), &ticket("new"), None, &[], Some(&p), at(70)).expect("view");
        assert!(late.breached && !late.at_risk);
        let predicted = sla_view(at(0), &ticket("new"), Some(0.9), &[], Some(&p), at(1));
        assert!(predicted.expect("view").at_risk);
        let none = sla_view(at(0), &ticket("new"), None, &[], None, at(1)).expect("view");
        assert!(none.first_response.is_none() && !none.breached);
    }

    #[test]
    fn resolution_hours_leave_pauses_out() {
        let mut resolved = ticket("resolved");
        resolved.resolved_at = Some(at(300));
        let hours = resolution_hours(at(0), &resolved, &[pause(60, Some(120))], None);
        assert_eq!(hours, Some(4.0));
        assert_eq!(resolution_hours(at(0), &ticket("open"), &[], None), None);
    }
}
