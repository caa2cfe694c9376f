//! The SLA escalation pass of one tenant (`Job::EscalateTickets`, every minute). Each open
//! ticket whose warning time has come is looked at on its category's calendar: a target past
//! the warning share is warned about (`ticket.sla_warning`, seen live by the assignee); a
//! breached target raises the priority, hands the ticket to the category's team lead and writes
//! `ticket.sla_breached`; a ticket likely to breach (the domain's estimate, stored on the
//! ticket with its reason) is escalated early the same way. Each action happens at most once
//! per ticket, target and round (`db::ticket_escalations::take`), with any number of workers
//! and across restarts; a customer's new message starts a new round of next response.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};
use db::tickets::{TicketData, TicketRow};
use domain::EventType;
use domain::tickets::{BreachInputs, Priority, SlaTarget, TargetStatus, predict_breach};
use serde_json::json;
use uuid::Uuid;

use crate::tickets::sla::{self, Policy};
use crate::tickets::{TicketPatch, update};
use crate::{Change, Error, Expected, Result, Scope};

/// Tickets whose warning time comes within this much get a breach estimate.
const HORIZON: TimeDelta = TimeDelta::hours(4);
/// Most tickets one pass looks at in a tenant (the nearest first; the rest next minute).
const MOST_PER_PASS: i64 = 10_000;
/// An estimated chance of breaching from which a ticket is escalated before it breaches.
pub const EARLY_ESCALATION: f64 = 0.8;

/// What one pass did in one tenant.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassCounts {
    /// Tickets looked at.
    pub checked: u64,
    pub warned: u64,
    pub breached: u64,
    /// Escalated early on the breach estimate.
    pub predicted: u64,
}

impl std::ops::AddAssign for PassCounts {
    fn add_assign(&mut self, o: Self) {
        self.checked += o.checked;
        self.warned += o.warned;
        self.breached += o.breached;
        self.predicted += o.predicted;
    }
}

/// What the pass knows of the tenant besides the tickets.
struct Context {
    policies: HashMap<Uuid, Policy>,
    /// The team lead of each category that has one.
    leads: HashMap<Uuid, Uuid>,
    /// The actions earlier passes took on these tickets.
    taken: HashSet<(Uuid, String, String, i64)>,
    queues: HashMap<Uuid, i64>,
    breach_rates: HashMap<Uuid, f64>,
}

/// One pass over the tenant of `scope` at `now`. Its transaction commits without waiting for
/// the disk: a crash may lose its last actions with their events, and the next pass (a minute
/// later) takes them again.
pub async fn escalate(
    scope: &mut Scope,
    notices: &BreachNotices<'_>,
    now: DateTime<Utc>,
) -> Result<PassCounts> {
    db::ticket_escalations::commit_without_waiting_for_disk(&mut scope.tx).await?;
    let tickets =
        db::ticket_escalations::needing_attention(&mut scope.tx, now + HORIZON, MOST_PER_PASS)
            .await?;
    let mut counts = PassCounts {
        checked: tickets.len() as u64,
        ..PassCounts::default()
    };
    if tickets.is_empty() {
        return Ok(counts);
    }
    let ids: Vec<Uuid> = tickets.iter().map(|t| t.id).collect();
    let context = context(scope, &tickets, &ids).await?;
    let pauses = sla::pauses(scope, &ids).await?;
    let mut risks = Estimates::default();
    for t in &tickets {
        let Some(policy) = t.category_id.and_then(|c| context.policies.get(&c)) else {
            continue;
        };
        let own = pauses.get(&t.id).map(Vec::as_slice).unwrap_or_default();
        counts += look_at(scope, t, policy, own, &context, now, &mut risks).await?;
    }
    db::ticket_escalations::set_risks(&mut scope.tx, &risks.ids, &risks.risks, &risks.reasons)
        .await?;
    for breach in &risks.breaches {
        mail_breach(scope, notices, breach).await?;
    }
    Ok(counts)
}

/// What the pass's breach e-mails need: the tenant's cipher (the outbox seals them) and the
/// console's address for the ticket's link (none: the mail names the ticket only).
pub struct BreachNotices<'a> {
    pub cipher: &'a db::crypto::TenantCipher,
    pub console_base: Option<&'a str>,
}

/// A breach the pass escalated: the ticket, who had it before, and why.
struct Breach {
    ticket: Uuid,
    previous_assignee: Option<Uuid>,
    why: String,
}

/// Mails the breach to the ticket's assignee now (the team lead after a hand-over) and to the
/// one who had it before, each once, through the platform's mail.
async fn mail_breach(scope: &mut Scope, notices: &BreachNotices<'_>, b: &Breach) -> Result<()> {
    let Some(ticket) = db::tickets::get(&mut scope.tx, b.ticket).await? else {
        return Ok(());
    };
    let mut whom: Vec<Uuid> = ticket.assignee_id.into_iter().collect();
    if let Some(before) = b.previous_assignee.filter(|p| !whom.contains(p)) {
        whom.push(before);
    }
    let (tenant, locale) = crate::platform_mail::tenant_voice(scope).await?;
    let link = notices
        .console_base
        .map(|base| format!("{}/tickets/{}", base.trim_end_matches('/'), ticket.id));
    for user in whom {
        let Some(u) = db::users::get(&mut scope.tx, user).await? else {
            continue;
        };
        if u.status != "active" {
            continue;
        }
        let letter = crate::platform_mail::sla_breach(
            locale,
            &tenant,
            &u.display_name,
            &ticket.title,
            &b.why,
            link.as_deref(),
        );
        let kind = crate::platform_mail::MailKind::SlaBreach;
        crate::platform_mail::queue(scope, notices.cipher, kind, &u.email, &letter).await?;
    }
    Ok(())
}

/// The breach estimates of a pass, column by column, and the breaches it escalated.
#[derive(Default)]
struct Estimates {
    ids: Vec<Uuid>,
    risks: Vec<f32>,
    reasons: Vec<String>,
    breaches: Vec<Breach>,
}

async fn context(scope: &mut Scope, tickets: &[TicketRow], ids: &[Uuid]) -> Result<Context> {
    let mut categories: Vec<Uuid> = tickets.iter().filter_map(|t| t.category_id).collect();
    categories.sort_unstable();
    categories.dedup();
    let mut assignees: Vec<Uuid> = tickets.iter().filter_map(|t| t.assignee_id).collect();
    assignees.sort_unstable();
    assignees.dedup();
    let leads = db::ticket_categories::get_many(&mut scope.tx, &categories)
        .await?
        .into_iter()
        .filter_map(|c| Some((c.id, c.team_lead_id?)))
        .collect();
    let taken = db::ticket_escalations::taken(&mut scope.tx, ids)
        .await?
        .into_iter()
        .collect();
    Ok(Context {
        policies: sla::policies(scope, &categories).await?,
        leads,
        taken,
        queues: db::ticket_escalations::open_per_assignee(&mut scope.tx, &assignees)
            .await?
            .into_iter()
            .collect(),
        breach_rates: db::ticket_escalations::breach_rates(&mut scope.tx)
            .await?
            .into_iter()
            .collect(),
    })
}

/// The round of a target: next response starts a new one with each customer message (named
/// by its time, in microseconds).
fn round(t: &TicketRow, target: SlaTarget) -> i64 {
    match (target, t.last_customer_at) {
        (SlaTarget::NextResponse, Some(at)) => at.timestamp_micros(),
        _ => 0,
    }
}

fn priority_of(t: &TicketRow) -> Result<Priority> {
    Priority::parse(&t.priority).map_err(|e| Error::Corrupt(format!("ticket priority: {e}")))
}

/// Warns about, or escalates, one ticket's targets; adds its breach estimate to `risks`.
async fn look_at(
    scope: &mut Scope,
    t: &TicketRow,
    policy: &Policy,
    pauses: &[db::tickets::PauseRow],
    context: &Context,
    now: DateTime<Utc>,
    risks: &mut Estimates,
) -> Result<PassCounts> {
    let mut counts = PassCounts::default();
    let priority = priority_of(t)?;
    let status = sla::clock(t.created_at, &TicketData::from(t), pauses).status(
        &policy.calendar,
        policy.targets(priority),
        now,
    );
    let warn_share = f64::from(policy.warn_at_percent) / 100.0;
    let mut escalated = false;
    for target in SlaTarget::ALL {
        let Some(s) = status.get(target).filter(|s| s.met_at.is_none()) else {
            continue;
        };
        let round = round(t, target);
        if s.breached {
            if take(scope, context, t, target, "breached", round).await? {
                let why = format!("SLA breached: {}", target_name(target));
                escalate_ticket(scope, t, context, priority, &why, escalated).await?;
                if !escalated {
                    risks.breaches.push(Breach {
                        ticket: t.id,
                        previous_assignee: t.assignee_id,
                        why: why.clone(),
                    });
                }
                escalated = true;
                note(scope, t, EventType::TicketSlaBreached, target, s, &why).await?;
                counts.breached += 1;
            }
        } else if s.is_at_risk(warn_share)
            && take(scope, context, t, target, "warned", round).await?
        {
            let why = format!(
                "SLA warning: {} at {:.0}% of its time",
                target_name(target),
                s.used * 100.0
            );
            note(scope, t, EventType::TicketSlaWarning, target, s, &why).await?;
            counts.warned += 1;
        }
    }
    let Some((target, s)) = status.nearest_open().filter(|(_, s)| !s.breached) else {
        return Ok(counts);
    };
    let estimate = predict_breach(&BreachInputs {
        minutes_left: s.remaining_minutes,
        target_minutes: target_minutes(policy, priority, target),
        assignee_open_tickets: t
            .assignee_id
            .and_then(|a| context.queues.get(&a))
            .map_or(0, |n| u32::try_from(*n).unwrap_or(u32::MAX)),
        priority,
        category_breach_rate: t
            .category_id
            .and_then(|c| context.breach_rates.get(&c).copied()),
    });
    risks.ids.push(t.id);
    risks.risks.push(estimate.probability as f32);
    risks.reasons.push(estimate.reason.clone());
    if estimate.probability >= EARLY_ESCALATION
        && !escalated
        && take(scope, context, t, target, "predicted", round(t, target)).await?
    {
        let why = format!(
            "Breach of {} predicted ({:.0}%): {}",
            target_name(target),
            estimate.probability * 100.0,
            estimate.reason
        );
        escalate_ticket(scope, t, context, priority, &why, false).await?;
        note(scope, t, EventType::TicketBreachPredicted, target, s, &why).await?;
        counts.predicted += 1;
    }
    Ok(counts)
}

fn target_name(target: SlaTarget) -> &'static str {
    match target {
        SlaTarget::FirstResponse => "first response",
        SlaTarget::NextResponse => "next response",
        SlaTarget::Resolution => "resolution",
    }
}

fn target_minutes(policy: &Policy, priority: Priority, target: SlaTarget) -> i64 {
    let targets = policy.targets(priority);
    match target {
        SlaTarget::FirstResponse => targets.first_response_minutes,
        SlaTarget::NextResponse => targets.next_response_minutes,
        SlaTarget::Resolution => targets.resolution_minutes,
    }
    .unwrap_or(1)
}

/// Takes an action not taken yet: the ones earlier passes took are known from the start, and
/// the insert settles a race with another worker's pass.
async fn take(
    scope: &mut Scope,
    context: &Context,
    t: &TicketRow,
    target: SlaTarget,
    action: &str,
    round: i64,
) -> Result<bool> {
    let key = (t.id, target.as_str().to_owned(), action.to_owned(), round);
    if context.taken.contains(&key) {
        return Ok(false);
    }
    Ok(db::ticket_escalations::take(&mut scope.tx, t.id, target.as_str(), action, round).await?)
}

/// Raises the priority one step and hands the ticket to the category's team lead (once per
/// pass: `already` when this pass did it for another target).
async fn escalate_ticket(
    scope: &mut Scope,
    t: &TicketRow,
    context: &Context,
    priority: Priority,
    why: &str,
    already: bool,
) -> Result<()> {
    if already {
        return Ok(());
    }
    let raised = priority.raised();
    let lead = t
        .category_id
        .and_then(|c| context.leads.get(&c).copied())
        .filter(|lead| t.assignee_id != Some(*lead));
    if raised == priority && lead.is_none() {
        return Ok(());
    }
    let patch = TicketPatch {
        priority: (raised != priority).then(|| raised.as_str().to_owned()),
        priority_reason: (raised != priority).then(|| why.to_owned()),
        assignee_id: lead.map(Some),
        ..TicketPatch::default()
    };
    update(scope, t.id, patch, &Expected::Any).await?;
    Ok(())
}

/// The pass's event on the ticket's client's timeline.
async fn note(
    scope: &mut Scope,
    t: &TicketRow,
    kind: EventType,
    target: SlaTarget,
    s: &TargetStatus,
    why: &str,
) -> Result<()> {
    let payload = json!({
        "ticket_id": t.id,
        "target": target.as_str(),
        "due_at": s.due_at,
        "used_percent": (s.used * 100.0).round(),
        "assignee_id": t.assignee_id,
    });
    scope
        .record(Change::of(kind, "ticket", t.id).on_timeline_of(
            t.client_id,
            format!("Ticket {}: {why}", t.title),
            payload,
        ))
        .await
}
