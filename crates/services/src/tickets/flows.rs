//! The flows of one ticket: open it (with its priority given or suggested), read it with its
//! SLA, and change it (status with its pauses, priority with its reason, assignee, category,
//! satisfaction). Each keeps the ticket's due times (`next_due_at`, `next_warn_at`) and records
//! the change (audit row, timeline event on the client's timeline, live notice).

use chrono::{DateTime, Utc};
use db::clients::ClientRow;
use db::tickets::{PauseRow, TicketData, TicketRow};
use domain::EventType;
use domain::tickets::{PREMIUM_TIERS, Priority, PriorityInputs, TicketStatus, suggest_priority};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};
use uuid::Uuid;

use super::input::{
    self, BODY_CHARS, NewTicket, REASON_CHARS, TEAM_CHARS, TITLE_CHARS, TicketPatch,
};
use super::output::{TicketOut, snapshot, ticket_out};
use super::sla::{Policy, due_times, policy_of};
use crate::{Change, Error, Expected, InvalidField, Result, Scope, Versioned, text};

/// The current time at the database's precision (microseconds), so that what is stored and
/// what is computed from it agree.
pub(super) fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// A stored ticket as readers see it at `now`: its pauses and its category's policy loaded.
pub(super) async fn view(
    scope: &mut Scope,
    row: TicketRow,
    now: DateTime<Utc>,
) -> Result<Versioned<TicketOut>> {
    let pauses = db::tickets::pauses_of(&mut scope.tx, &[row.id]).await?;
    let policy = policy_of(scope, row.category_id).await?;
    ticket_out(row, &pauses, policy.as_ref(), now)
}

/// A ticket with its version and its SLA now; [`Error::NotFound`] when there is none.
pub async fn get(scope: &mut Scope, id: Uuid) -> Result<Versioned<TicketOut>> {
    get_at(scope, id, now()).await
}

/// A ticket with its version and its SLA as it stands at `now` (the escalation pass reads
/// every ticket at the instant its pass started).
pub async fn get_at(
    scope: &mut Scope,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Versioned<TicketOut>> {
    let row = db::tickets::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    view(scope, row, now).await
}

/// The priority the rules suggest for a new ticket of `client`, and why.
fn suggested(
    client: &ClientRow,
    category_default: Option<Priority>,
    pipeline_value: Option<Decimal>,
    title: &str,
    description: &str,
) -> (Priority, String) {
    let tier = client
        .tags
        .iter()
        .find(|t| PREMIUM_TIERS.contains(&t.as_str()))
        .map(String::as_str);
    let text = format!("{title}\n{description}");
    suggest_priority(&PriorityInputs {
        category_default,
        client_tier: tier,
        // Proposals join once their module exists.
        has_open_proposals: false,
        pipeline_value_cents: pipeline_value
            .and_then(|v| (v * Decimal::ONE_HUNDRED).trunc().to_i64()),
        text: &text,
        sentiment: Some(f64::from(domain::sentiment::score(&text))),
    })
}

/// Opens a ticket for a client of the tenant (status `new`): its priority is the one given
/// (with its reason) or the one the rules suggest, and its category's SLA starts now.
pub async fn create(scope: &mut Scope, input: NewTicket) -> Result<Versioned<TicketOut>> {
    let mut problems = Vec::new();
    let title = text::required("/title", &input.title, TITLE_CHARS, &mut problems);
    let description = text::optional("/description", input.description, BODY_CHARS, &mut problems)
        .unwrap_or_default();
    let team = text::optional("/team", input.team, TEAM_CHARS, &mut problems);
    let reason = text::optional(
        "/priority_reason",
        input.priority_reason,
        REASON_CHARS,
        &mut problems,
    );
    let given = input
        .priority
        .as_deref()
        .and_then(|p| input::priority(p, &mut problems));
    let client = input::client(scope, input.client_id, &mut problems).await?;
    if client.is_some() {
        input::check_contact(scope, input.client_id, input.contact_id, &mut problems).await?;
    }
    let category = input::category(scope, input.category_id, &mut problems).await?;
    input::check_assignee(scope, input.assignee_id, &mut problems).await?;
    Error::check(problems)?;
    let client = client.ok_or(Error::NotFound)?;
    let category_default = category
        .as_ref()
        .and_then(|c| c.default_priority.as_deref())
        .and_then(|p| Priority::parse(p).ok());
    let (priority, priority_reason) = match given {
        Some(p) => (
            p,
            reason.unwrap_or_else(|| "set when the ticket was opened".into()),
        ),
        None => {
            let pipeline_value =
                db::opportunities::open_value_of_client(&mut scope.tx, client.id).await?;
            suggested(
                &client,
                category_default,
                pipeline_value,
                &title,
                &description,
            )
        }
    };
    let now = now();
    let mut data = TicketData {
        contact_id: input.contact_id,
        category_id: input.category_id,
        title,
        description,
        status: TicketStatus::New.as_str().to_owned(),
        priority: priority.as_str().to_owned(),
        priority_reason,
        assignee_id: input.assignee_id,
        team,
        first_response_at: None,
        last_customer_at: None,
        last_agent_reply_at: None,
        resolved_at: None,
        closed_at: None,
        satisfaction: None,
        next_due_at: None,
        next_warn_at: None,
    };
    let policy = policy_of(scope, data.category_id).await?;
    let times = due_times(now, &data, &[], policy.as_ref(), now)?;
    (data.next_due_at, data.next_warn_at) = (times.due, times.warn);
    let id = Uuid::now_v7();
    let row = db::tickets::insert(&mut scope.tx, id, client.id, now, &data).await?;
    scope
        .record(
            Change::of(EventType::TicketCreated, "ticket", id)
                .after(snapshot(&data))
                .on_timeline_of(
                    client.id,
                    format!("Ticket opened: {} ({})", data.title, data.priority),
                    json!({
                        "ticket_id": id,
                        "title": data.title,
                        "priority": data.priority,
                        "priority_reason": data.priority_reason,
                        "category_id": data.category_id,
                    }),
                ),
        )
        .await?;
    ticket_out(row, &[], policy.as_ref(), now)
}

/// A change of a ticket, checked against its current state.
struct Checked {
    after: TicketData,
    from: TicketStatus,
    to: TicketStatus,
    status_reason: Option<String>,
}

/// Applies a change onto the current ticket, checking every member; each invalid one is one
/// problem of the [`Error::Invalid`] this fails with.
async fn check(scope: &mut Scope, row: &TicketRow, patch: TicketPatch) -> Result<Checked> {
    let mut problems = Vec::new();
    let mut after = TicketData::from(row);
    if let Some(title) = patch.title {
        after.title = text::required("/title", &title, TITLE_CHARS, &mut problems);
    }
    if let Some(d) = patch.description {
        after.description =
            text::optional("/description", Some(d), BODY_CHARS, &mut problems).unwrap_or_default();
    }
    if let Some(team) = patch.team {
        after.team = text::optional("/team", team, TEAM_CHARS, &mut problems);
    }
    let status_reason = text::optional(
        "/status_reason",
        patch.status_reason,
        REASON_CHARS,
        &mut problems,
    );
    let from = TicketStatus::parse(&row.status).map_err(|e| Error::Corrupt(e.0))?;
    let to = match patch.status.as_deref() {
        Some(raw) => input::status(raw, &mut problems).unwrap_or(from),
        None => from,
    };
    if let Err(e) = TicketStatus::can_change(from, to) {
        problems.push(InvalidField::at("/status", e.0));
    }
    after.status = to.as_str().to_owned();
    check_priority(
        &mut after,
        patch.priority,
        patch.priority_reason,
        &mut problems,
    );
    if let Some(score) = patch.satisfaction {
        match i16::try_from(score).ok().filter(|s| (1..=5).contains(s)) {
            _ if to.is_open() => problems.push(InvalidField::at(
                "/satisfaction",
                "can be given once the ticket is resolved",
            )),
            Some(s) => after.satisfaction = Some(s),
            None => problems.push(InvalidField::at(
                "/satisfaction",
                "must be a whole number from 1 to 5",
            )),
        }
    }
    if let Some(assignee) = patch.assignee_id {
        after.assignee_id = assignee;
        input::check_assignee(scope, assignee, &mut problems).await?;
    }
    if let Some(category) = patch.category_id {
        after.category_id = category;
        input::category(scope, category, &mut problems).await?;
    }
    if let Some(contact) = patch.contact_id {
        after.contact_id = contact;
        input::check_contact(scope, row.client_id, contact, &mut problems).await?;
    }
    Error::check(problems)?;
    Ok(Checked {
        after,
        from,
        to,
        status_reason,
    })
}

/// The priority given, which needs a reason when it changes the current one.
fn check_priority(
    after: &mut TicketData,
    priority: Option<String>,
    reason: Option<String>,
    problems: &mut Vec<InvalidField>,
) {
    let reason = text::optional("/priority_reason", reason, REASON_CHARS, problems);
    let Some(p) = priority
        .as_deref()
        .and_then(|p| input::priority(p, problems))
    else {
        if let Some(r) = reason {
            after.priority_reason = r;
        }
        return;
    };
    if p.as_str() != after.priority && reason.is_none() {
        problems.push(InvalidField::at(
            "/priority_reason",
            "is required when the priority changes",
        ));
    }
    after.priority = p.as_str().to_owned();
    if let Some(r) = reason {
        after.priority_reason = r;
    }
}

/// What a status move does to the clock and the dates, at `now`: leaving a paused status ends
/// its pause, entering one starts a pause (with the reason given), resolving dates the
/// resolution, closing dates the close, and reopening records the time the ticket stood
/// resolved as a pause and forgets the resolution.
pub(super) async fn move_status(
    scope: &mut Scope,
    ticket_id: Uuid,
    after: &mut TicketData,
    (from, to): (TicketStatus, TicketStatus),
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    if from == to {
        return Ok(());
    }
    if from.is_paused() {
        db::tickets::end_pause(&mut scope.tx, ticket_id, now).await?;
    }
    if !from.is_open() && to.is_open() {
        if let Some(resolved_at) = after.resolved_at.take() {
            let stood_resolved = PauseRow {
                ticket_id,
                started_at: resolved_at,
                ended_at: Some(now),
                reason: TicketStatus::Resolved.as_str().to_owned(),
                note: note.clone(),
            };
            db::tickets::insert_pause(&mut scope.tx, &stood_resolved).await?;
        }
        after.closed_at = None;
    }
    if to.is_paused() {
        let pause = PauseRow {
            ticket_id,
            started_at: now,
            ended_at: None,
            reason: to.as_str().to_owned(),
            note,
        };
        db::tickets::insert_pause(&mut scope.tx, &pause).await?;
    }
    if to == TicketStatus::Resolved {
        after.resolved_at = Some(now);
    }
    if to == TicketStatus::Closed {
        after.closed_at = Some(now);
    }
    Ok(())
}

/// Writes a ticket's new state with its due times recomputed (its pauses as they now stand),
/// and returns it as readers see it.
pub(super) async fn save(
    scope: &mut Scope,
    row: &TicketRow,
    mut after: TicketData,
    now: DateTime<Utc>,
) -> Result<(TicketData, Versioned<TicketOut>)> {
    let pauses = db::tickets::pauses_of(&mut scope.tx, &[row.id]).await?;
    let policy: Option<Policy> = policy_of(scope, after.category_id).await?;
    let times = due_times(row.created_at, &after, &pauses, policy.as_ref(), now)?;
    (after.next_due_at, after.next_warn_at) = (times.due, times.warn);
    let saved = db::tickets::update(&mut scope.tx, row.id, &after).await?;
    let out = ticket_out(saved, &pauses, policy.as_ref(), now)?;
    Ok((after, out))
}

/// The members of the audit snapshot a change changed (and `description`).
fn changed_members(before: &TicketData, after: &TicketData) -> Vec<String> {
    let (b, a) = (snapshot(before), snapshot(after));
    let mut changed: Vec<String> = a
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| b.get(k.as_str()) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    if before.description != after.description {
        changed.push("description".into());
    }
    changed
}

/// How the timeline tells a change: "Ticket Printer jammed: status open → on_hold (waiting for
/// parts); priority normal → high (VIP)".
fn describe(before: &TicketData, after: &TicketData, status_reason: Option<&str>) -> String {
    let mut parts = Vec::new();
    if before.status != after.status {
        let why = status_reason.map(|r| format!(" ({r})")).unwrap_or_default();
        parts.push(format!("status {} → {}{why}", before.status, after.status));
    }
    if before.priority != after.priority {
        parts.push(format!(
            "priority {} → {} ({})",
            before.priority, after.priority, after.priority_reason
        ));
    }
    if before.assignee_id != after.assignee_id {
        parts.push(match after.assignee_id {
            Some(_) => "reassigned".to_owned(),
            None => "unassigned".to_owned(),
        });
    }
    if before.category_id != after.category_id {
        parts.push("category changed".to_owned());
    }
    if parts.is_empty() {
        parts.push(format!(
            "{} changed",
            changed_members(before, after).join(", ")
        ));
    }
    format!("Ticket {}: {}", after.title, parts.join("; "))
}

/// Changes a ticket at a version `expected` allows ([`Error::Stale`] otherwise): an absent
/// member keeps its value, `null` clears an optional one. The status moves only as
/// [`TicketStatus::can_change`] allows (pausing and resuming the SLA clock), a new priority needs
/// its reason, and the satisfaction score comes once the ticket is resolved. A change that
/// changes nothing records nothing.
pub async fn update(
    scope: &mut Scope,
    id: Uuid,
    patch: TicketPatch,
    expected: &Expected,
) -> Result<Versioned<TicketOut>> {
    let row = db::tickets::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(row.version)?;
    let now = now();
    if patch.is_empty() {
        return view(scope, row, now).await;
    }
    let before = TicketData::from(&row);
    let Checked {
        mut after,
        from,
        to,
        status_reason,
    } = check(scope, &row, patch).await?;
    if after == before {
        return view(scope, row, now).await;
    }
    move_status(
        scope,
        id,
        &mut after,
        (from, to),
        status_reason.clone(),
        now,
    )
    .await?;
    let (after, out) = save(scope, &row, after, now).await?;
    let changed = changed_members(&before, &after);
    let description = describe(&before, &after, status_reason.as_deref());
    let mut payload: Value = json!({ "ticket_id": id, "changed": changed });
    if let Some(r) = &status_reason {
        payload["status_reason"] = json!(r);
    }
    if before.priority != after.priority {
        payload["priority_reason"] = json!(after.priority_reason);
    }
    scope
        .record(
            Change::of(EventType::TicketUpdated, "ticket", id)
                .before(snapshot(&before))
                .after(snapshot(&after))
                .on_timeline_of(row.client_id, description, payload),
        )
        .await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> TicketData {
        TicketData {
            contact_id: None,
            category_id: None,
            title: "Printer jammed".into(),
            description: String::new(),
            status: "open".into(),
            priority: "normal".into(),
            priority_reason: "no rule applied".into(),
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

    #[test]
    fn a_new_priority_needs_a_reason() {
        let mut problems = Vec::new();
        let mut after = data();
        check_priority(&mut after, Some("high".into()), None, &mut problems);
        assert_eq!(problems[0].pointer, "/priority_reason");
        let mut problems = Vec::new();
        let mut after = data();
        check_priority(&mut after, Some("normal".into()), None, &mut problems);
        assert!(problems.is_empty(), "the same priority needs none");
        check_priority(
            &mut after,
            Some("urgent".into()),
            Some(" VIP outage ".into()),
            &mut problems,
        );
        assert!(problems.is_empty());
        assert_eq!(
            (after.priority.as_str(), after.priority_reason.as_str()),
            ("urgent", "VIP outage")
        );
    }

    #[test]
    fn the_timeline_tells_status_and_priority_with_their_reasons() {
        let before = data();
        let mut after = data();
        after.status = "on_hold".into();
        after.priority = "high".into();
        after.priority_reason = "VIP".into();
        assert_eq!(
            describe(&before, &after, Some("waiting for parts")),
            "Ticket Printer jammed: status open → on_hold (waiting for parts); priority normal → high (VIP)"
        );
        let mut titled = data();
        titled.title = "Printer on fire".into();
        assert_eq!(
            describe(&before, &titled, None),
            "Ticket Printer on fire: title changed"
        );
        assert_eq!(changed_members(&before, &titled), ["title"]);
    }
}
