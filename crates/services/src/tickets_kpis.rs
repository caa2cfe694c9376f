//! KPIs of the support desk (issue 17), for `GET /api/v1/kpis/support` and the dashboard: SLA
//! compliance per target, overall and per category; business hours to first response and to
//! resolution (mean and 90th percentile); the backlog by status and age; the breaches the
//! escalation pass recorded; the satisfaction scores.
//!
//! The SLA figures are computed in Rust with the tickets' own SLA computations
//! ([`crate::tickets::sla`]: the view every reader sees, the clock's business time) over
//! the tickets that can count in the period: the open backlog and the tickets resolved (or
//! replied to) since the period began, read slim (`db::ticket_kpis::tickets_of_period`) with
//! their pauses. That is fine for a tenant of tens of thousands of tickets: over 20,000 (a
//! quarter open, on a 24/7 and an office calendar) the answer took some 110-180 ms in a release
//! build on two shared cores (reading the tickets, and walking their SLA clocks' calendars day
//! by day). A much larger desk would want each target's outcome stored as it is decided
//! instead; the dashboard keeps the figures for a minute.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use db::business_calendars::CalendarRow;
use db::ticket_categories::CategoryRow;
use db::ticket_kpis::{BacklogCounts, TicketTimes};
use db::tickets::{PauseRow, TicketData};
use domain::tickets::SlaTarget;
use serde::Serialize;
use uuid::Uuid;

use crate::kpis::KpiParams;
use crate::tickets::TicketSla;
use crate::tickets::sla::{self, Policy, TargetOut, sla_view};
use crate::{Result, Scope};

/// The period of the support KPIs: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportKpiParams {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl SupportKpiParams {
    /// The last 30 days up to `now`, as the client KPIs' period.
    pub fn defaults(now: DateTime<Utc>) -> Self {
        let p = KpiParams::defaults(now);
        Self {
            from: p.from,
            to: p.to,
        }
    }

    /// From the `from` and `to` parameters as given, read as the client KPIs read theirs.
    pub fn parse(from: Option<&str>, to: Option<&str>, now: DateTime<Utc>) -> Result<Self> {
        let p = KpiParams::parse(from, to, None, now)?;
        Ok(Self {
            from: p.from,
            to: p.to,
        })
    }

    fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.to
    }
}

/// The period the figures cover.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupportPeriod {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// How one SLA target fared among the tickets that had it decided in the period: met (on time
/// or late), missed (its due time passed), or the ticket resolved first (on time).
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetCompliance {
    /// Decided on time.
    pub on_time: i64,
    /// Decided in the period, on time or not.
    pub decided: i64,
    /// `on_time / decided`, from 0 to 1; null when none was decided.
    pub rate: Option<f64>,
}

impl TargetCompliance {
    fn count(&mut self, on_time: bool) {
        self.decided += 1;
        self.on_time += i64::from(on_time);
        self.rate = Some(self.on_time as f64 / self.decided as f64);
    }
}

/// SLA compliance per target. Next response counts each ticket's latest customer message (the
/// earlier ones' rounds are not kept).
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaCompliance {
    pub first_response: TargetCompliance,
    pub next_response: TargetCompliance,
    pub resolution: TargetCompliance,
}

impl SlaCompliance {
    fn target(&mut self, target: SlaTarget) -> &mut TargetCompliance {
        match target {
            SlaTarget::FirstResponse => &mut self.first_response,
            SlaTarget::NextResponse => &mut self.next_response,
            SlaTarget::Resolution => &mut self.resolution,
        }
    }
}

/// One ticket category's SLA compliance.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryCompliance {
    pub id: Uuid,
    pub name: String,
    pub compliance: SlaCompliance,
}

/// Business hours (on the ticket's category's calendar, or 24/7; pauses left out), summed up.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BusinessHours {
    /// Tickets measured.
    pub count: i64,
    /// Mean, in hours to two decimals; null without tickets.
    pub mean: Option<f64>,
    /// 90th percentile (nearest rank), in hours; null without tickets.
    pub p90: Option<f64>,
}

impl BusinessHours {
    fn of(mut hours: Vec<f64>) -> Self {
        if hours.is_empty() {
            return Self::default();
        }
        hours.sort_by(f64::total_cmp);
        let n = hours.len();
        let rank = (n * 9).div_ceil(10).max(1);
        Self {
            count: n as i64,
            mean: Some(two_decimals(hours.iter().sum::<f64>() / n as f64)),
            p90: Some(hours[rank - 1]),
        }
    }
}

fn two_decimals(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Open tickets by status.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BacklogByStatus {
    pub new: i64,
    pub open: i64,
    pub pending_customer: i64,
    pub on_hold: i64,
}

/// Open tickets by time since they were created.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BacklogByAge {
    /// Less than a day old.
    pub under_1_day: i64,
    /// One day old to less than three.
    pub from_1_to_3_days: i64,
    /// Three days old to less than seven.
    pub from_3_to_7_days: i64,
    /// Seven days old or more.
    pub over_7_days: i64,
}

/// The tickets open now (new, open, pending customer, on hold), whatever the period.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupportBacklog {
    pub total: i64,
    pub by_status: BacklogByStatus,
    pub by_age: BacklogByAge,
}

impl From<&BacklogCounts> for SupportBacklog {
    fn from(c: &BacklogCounts) -> Self {
        Self {
            total: c.new + c.open + c.pending_customer + c.on_hold,
            by_status: BacklogByStatus {
                new: c.new,
                open: c.open,
                pending_customer: c.pending_customer,
                on_hold: c.on_hold,
            },
            by_age: BacklogByAge {
                under_1_day: c.under_1_day,
                from_1_to_3_days: c.from_1_to_3_days,
                from_3_to_7_days: c.from_3_to_7_days,
                over_7_days: c.over_7_days,
            },
        }
    }
}

/// The satisfaction scores (1-5) of the tickets resolved in the period.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupportSatisfaction {
    /// Mean score, to two decimals; null without scores.
    pub average: Option<f64>,
    pub count: i64,
}

/// The support desk's KPIs for a period.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupportKpis {
    pub period: SupportPeriod,
    /// Every ticket with an SLA (a category with targets for its priority).
    pub compliance: SlaCompliance,
    /// Each category of the tenant, by name.
    pub categories: Vec<CategoryCompliance>,
    /// From creation to the first public reply, for first replies in the period.
    pub first_response_hours: BusinessHours,
    /// From creation to resolution, for resolutions in the period.
    pub resolution_hours: BusinessHours,
    pub backlog: SupportBacklog,
    /// SLA targets the escalation pass found breached in the period.
    pub breaches: i64,
    pub satisfaction: SupportSatisfaction,
}

/// When and how one target of a ticket was decided, as seen now.
fn decision(t: &TargetOut, resolved_at: Option<DateTime<Utc>>) -> Option<(DateTime<Utc>, bool)> {
    match t.met_at {
        Some(met) => Some((met, !t.breached)),
        // Missed: decided when it fell due.
        None if t.breached => t.due_at.map(|due| (due, false)),
        // Still running when the ticket was resolved: the resolution answered it in time.
        None => resolved_at.map(|at| (at, true)),
    }
}

fn targets(view: &TicketSla) -> [(SlaTarget, Option<&TargetOut>); 3] {
    [
        (SlaTarget::FirstResponse, view.first_response.as_ref()),
        (SlaTarget::NextResponse, view.next_response.as_ref()),
        (SlaTarget::Resolution, view.resolution.as_ref()),
    ]
}

/// What the SLA computations read of a slim ticket (no text).
fn data_of(t: &TicketTimes) -> TicketData {
    TicketData {
        contact_id: None,
        category_id: t.category_id,
        title: String::new(),
        description: String::new(),
        status: t.status.clone(),
        priority: t.priority.clone(),
        priority_reason: String::new(),
        assignee_id: None,
        team: None,
        first_response_at: t.first_response_at,
        last_customer_at: t.last_customer_at,
        last_agent_reply_at: t.last_agent_reply_at,
        resolved_at: t.resolved_at,
        closed_at: t.closed_at,
        satisfaction: t.satisfaction,
        next_due_at: None,
        next_warn_at: None,
    }
}

/// The figures gathered ticket by ticket.
#[derive(Default)]
struct Tally {
    overall: SlaCompliance,
    by_category: HashMap<Uuid, SlaCompliance>,
    first_response: Vec<f64>,
    resolution: Vec<f64>,
    scores: Vec<i16>,
}

impl Tally {
    fn add(
        &mut self,
        t: &TicketTimes,
        pauses: &[PauseRow],
        policy: Option<&Policy>,
        period: &SupportKpiParams,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let d = data_of(t);
        if let (Some(category), Some(_)) = (t.category_id, policy) {
            let view = sla_view(t.created_at, &d, None, pauses, policy, now)?;
            for (target, out) in targets(&view) {
                let Some((at, on_time)) = out.and_then(|o| decision(o, t.resolved_at)) else {
                    continue;
                };
                if period.contains(at) {
                    self.overall.target(target).count(on_time);
                    let of_category = self.by_category.entry(category).or_default();
                    of_category.target(target).count(on_time);
                }
            }
        }
        let hours = |until| sla::business_hours(t.created_at, until, &d, pauses, policy);
        if let Some(at) = t.first_response_at.filter(|at| period.contains(*at)) {
            self.first_response.extend(hours(at));
        }
        if let Some(at) = t.resolved_at.filter(|at| period.contains(*at)) {
            self.resolution.extend(hours(at));
            self.scores.extend(t.satisfaction);
        }
        Ok(())
    }

    fn satisfaction(&self) -> SupportSatisfaction {
        let count = self.scores.len();
        let sum: i64 = self.scores.iter().map(|s| i64::from(*s)).sum();
        SupportSatisfaction {
            average: (count > 0).then(|| two_decimals(sum as f64 / count as f64)),
            count: count as i64,
        }
    }
}

/// Every category's policy, by id.
async fn policies(scope: &mut Scope, categories: &[CategoryRow]) -> Result<HashMap<Uuid, Policy>> {
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

/// The support KPIs of the period: five statements (the period's tickets, their pauses, the
/// categories and their calendars, the backlog and breaches), then one pass in memory.
pub async fn support_kpis(scope: &mut Scope, p: &SupportKpiParams) -> Result<SupportKpis> {
    let now = Utc::now();
    let tickets = db::ticket_kpis::tickets_of_period(&mut scope.tx, p.from, p.to).await?;
    let ids: Vec<Uuid> = tickets.iter().map(|t| t.id).collect();
    let pauses = sla::pauses(scope, &ids).await?;
    let categories = db::ticket_categories::list(&mut scope.tx).await?;
    let policies = policies(scope, &categories).await?;
    let counts = db::ticket_kpis::backlog_and_breaches(&mut scope.tx, p.from, p.to, now).await?;
    let mut tally = Tally::default();
    for t in &tickets {
        let own = pauses.get(&t.id).map(Vec::as_slice).unwrap_or_default();
        let policy = t.category_id.and_then(|c| policies.get(&c));
        tally.add(t, own, policy, p, now)?;
    }
    let satisfaction = tally.satisfaction();
    Ok(SupportKpis {
        period: SupportPeriod {
            from: p.from,
            to: p.to,
        },
        compliance: tally.overall,
        categories: categories
            .into_iter()
            .map(|c| CategoryCompliance {
                compliance: tally.by_category.get(&c.id).copied().unwrap_or_default(),
                id: c.id,
                name: c.name,
            })
            .collect(),
        first_response_hours: BusinessHours::of(tally.first_response),
        resolution_hours: BusinessHours::of(tally.resolution),
        backlog: SupportBacklog::from(&counts),
        breaches: counts.breaches,
        satisfaction,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use domain::tickets::{BusinessCalendar, SlaPolicy, SlaTargets};

    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).expect("time") + TimeDelta::minutes(minutes)
    }

    fn ticket() -> TicketTimes {
        TicketTimes {
            id: Uuid::nil(),
            category_id: Some(Uuid::nil()),
            status: "open".into(),
            priority: "normal".into(),
            created_at: at(0),
            first_response_at: None,
            last_customer_at: None,
            last_agent_reply_at: None,
            resolved_at: None,
            closed_at: None,
            satisfaction: None,
        }
    }

    /// First response in 60 minutes, next response in 30, resolution in 600, 24/7.
    fn policy() -> Policy {
        let targets = SlaTargets {
            first_response_minutes: Some(60),
            next_response_minutes: Some(30),
            resolution_minutes: Some(600),
        };
        Policy {
            calendar: BusinessCalendar::always(),
            sla: SlaPolicy {
                normal: targets,
                ..SlaPolicy::default()
            },
            warn_at_percent: 80,
        }
    }

    fn period(from: i64, to: i64) -> SupportKpiParams {
        SupportKpiParams {
            from: at(from),
            to: at(to),
        }
    }

    fn rates(c: &SlaCompliance) -> [(i64, i64); 3] {
        [c.first_response, c.next_response, c.resolution].map(|t| (t.on_time, t.decided))
    }

    #[test]
    fn targets_count_in_the_period_they_are_decided_in() {
        let p = policy();
        let mut late = ticket();
        late.first_response_at = Some(at(90));
        late.last_customer_at = Some(at(100));
        late.last_agent_reply_at = Some(at(120));
        let mut tally = Tally::default();
        tally
            .add(&late, &[], Some(&p), &period(0, 1000), at(2000))
            .expect("add");
        // First response met late, next response on time, resolution missed at 600.
        assert_eq!(rates(&tally.overall), [(0, 1), (1, 1), (0, 1)]);
        let mut tally = Tally::default();
        tally
            .add(&late, &[], Some(&p), &period(95, 500), at(2000))
            .expect("add");
        assert_eq!(rates(&tally.overall), [(0, 0), (1, 1), (0, 0)]);
        assert_eq!(tally.first_response, Vec::<f64>::new());
    }

    #[test]
    fn a_resolution_answers_the_targets_still_running() {
        let p = policy();
        let mut quick = ticket();
        quick.status = "resolved".into();
        quick.resolved_at = Some(at(30));
        quick.satisfaction = Some(4);
        let mut tally = Tally::default();
        tally
            .add(&quick, &[], Some(&p), &period(0, 100), at(200))
            .expect("add");
        assert_eq!(rates(&tally.overall), [(1, 1), (0, 0), (1, 1)]);
        assert_eq!(tally.resolution, [0.5]);
        assert_eq!(tally.satisfaction().average, Some(4.0));
    }

    #[test]
    fn undecided_targets_and_tickets_without_a_policy_do_not_count() {
        let mut tally = Tally::default();
        tally
            .add(&ticket(), &[], Some(&policy()), &period(0, 100), at(30))
            .expect("add");
        let mut replied = ticket();
        replied.category_id = None;
        replied.first_response_at = Some(at(45));
        tally
            .add(&replied, &[], None, &period(0, 100), at(90))
            .expect("add");
        assert_eq!(rates(&tally.overall), [(0, 0), (0, 0), (0, 0)]);
        assert_eq!(tally.first_response, [0.75]);
    }

    #[test]
    fn pauses_are_left_out_of_the_hours() {
        let mut paused = ticket();
        paused.resolved_at = Some(at(300));
        paused.first_response_at = Some(at(150));
        let pause = PauseRow {
            ticket_id: Uuid::nil(),
            started_at: at(60),
            ended_at: Some(at(120)),
            reason: "on_hold".into(),
            note: None,
        };
        let mut tally = Tally::default();
        tally
            .add(&paused, &[pause], Some(&policy()), &period(0, 400), at(400))
            .expect("add");
        assert_eq!(tally.first_response, [1.5]);
        assert_eq!(tally.resolution, [4.0]);
    }

    #[test]
    fn resolution_hours_leave_nights_weekends_holidays_and_pauses_out() {
        let lunch = serde_json::json!([["09:00", "14:00"], ["15:00", "18:00"]]);
        let office: BusinessCalendar = serde_json::from_value(serde_json::json!({
            "time_zone": "Europe/Madrid",
            "weekly_hours": {"mon": lunch, "tue": lunch, "wed": lunch, "thu": lunch, "fri": lunch},
            "holidays": ["2026-06-08"]
        }))
        .expect("calendar");
        let policy = Policy {
            calendar: office,
            ..policy()
        };
        let utc = |raw: &str| {
            DateTime::parse_from_rfc3339(raw)
                .expect("time")
                .with_timezone(&Utc)
        };
        // Friday 17:00 to Wednesday 10:30, Monday a holiday, Tuesday 10:00-12:00 on hold.
        let created = utc("2026-06-05T17:00:00+02:00");
        let resolved = utc("2026-06-10T10:30:00+02:00");
        let pause = PauseRow {
            ticket_id: Uuid::nil(),
            started_at: utc("2026-06-09T10:00:00+02:00"),
            ended_at: Some(utc("2026-06-09T12:00:00+02:00")),
            reason: "on_hold".into(),
            note: None,
        };
        let mut d = data_of(&ticket());
        d.resolved_at = Some(resolved);
        for (pauses, office_hours, wall_hours) in [(vec![], 10.5, 113.5), (vec![pause], 8.5, 111.5)]
        {
            let office = sla::resolution_hours(created, &d, &pauses, Some(&policy));
            assert_eq!(office, Some(office_hours));
            let around_the_clock = sla::resolution_hours(created, &d, &pauses, None);
            assert_eq!(around_the_clock, Some(wall_hours));
        }
    }

    #[test]
    fn mean_and_nearest_rank_90th_percentile() {
        let h = BusinessHours::of(vec![15.0, 4.0, 0.5]);
        assert_eq!((h.count, h.mean, h.p90), (3, Some(6.5), Some(15.0)));
        let h = BusinessHours::of((1..=10).map(f64::from).collect());
        assert_eq!((h.mean, h.p90), (Some(5.5), Some(9.0)));
        let h = BusinessHours::of(vec![2.0]);
        assert_eq!(h.p90, Some(2.0));
        let none = BusinessHours::of(Vec::new());
        assert_eq!((none.count, none.mean, none.p90), (0, None, None));
    }

    #[test]
    fn the_period_is_read_as_the_client_kpis_read_theirs() {
        let now = at(100_000);
        assert_eq!(
            SupportKpiParams::parse(None, None, now).ok(),
            Some(SupportKpiParams::defaults(now))
        );
        assert!(SupportKpiParams::parse(Some("yesterday"), None, now).is_err());
    }
}
