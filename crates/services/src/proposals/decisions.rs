//! The client's answer to a sent proposal, given through its public link, and its end by
//! expiry. Accepting wins the opportunity (moved to its pipeline's first won stage) and turns
//! a lead into a client, with their timeline events, in the caller's one transaction: either
//! all of it is committed or none.

use chrono::{DateTime, Utc};
use db::proposals::ProposalRow;
use domain::EventType;
use domain::proposals::ProposalStatus;
use serde_json::json;
use uuid::Uuid;

use super::draft::tenant_day;
use super::flows::described;
use super::proposal::NOTE_CHARS;
use super::sending::move_to_end;
use crate::{Change, Error, Result, Scope, text};

/// What the client answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Reject,
}

/// A sent proposal as the client sees it, noting their first look on the timeline.
pub async fn open(scope: &mut Scope, id: Uuid, at: DateTime<Utc>) -> Result<ProposalRow> {
    let row = db::proposals::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    if row.status == ProposalStatus::Draft.as_str() {
        return Err(Error::NotFound);
    }
    if row.status == ProposalStatus::Sent.as_str()
        && db::proposals::mark_viewed(&mut scope.tx, id, at).await?
    {
        scope
            .record(
                Change::of(EventType::ProposalViewed, "proposal", id)
                    .after(json!({ "viewed_at": at }))
                    .on_timeline_of(
                        row.client_id,
                        format!("Proposal opened by the client: {}", described(&row)),
                        json!({ "proposal_id": id }),
                    )
                    .dated(at),
            )
            .await?;
    }
    Ok(row)
}

/// Records the client's answer to a sent proposal still valid today.
pub async fn answer(
    scope: &mut Scope,
    id: Uuid,
    answer: Answer,
    note: Option<String>,
    at: DateTime<Utc>,
) -> Result<ProposalRow> {
    let mut problems = Vec::new();
    let note = text::optional("/note", note, NOTE_CHARS, &mut problems);
    Error::check(problems)?;
    let row = db::proposals::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    let (to, kind, verb) = match answer {
        Answer::Accept => (
            ProposalStatus::Accepted,
            EventType::ProposalAccepted,
            "accepted",
        ),
        Answer::Reject => (
            ProposalStatus::Rejected,
            EventType::ProposalRejected,
            "rejected",
        ),
    };
    let from = ProposalStatus::parse(&row.status).map_err(|e| Error::Corrupt(e.0))?;
    if from != ProposalStatus::Sent {
        return Err(Error::conflict(
            "proposal-answered",
            format!("This proposal is {} and cannot be {verb}.", row.status),
        ));
    }
    if tenant_day(scope).await?.today > row.valid_until {
        return Err(Error::conflict(
            "proposal-expired",
            "This proposal is no longer valid; ask for a new one.",
        ));
    }
    let decided =
        db::proposals::decide(&mut scope.tx, id, to.as_str(), at, note.as_deref()).await?;
    scope
        .record(
            Change::of(kind, "proposal", id)
                .before(json!({ "status": row.status }))
                .after(json!({ "status": decided.status, "note": note }))
                .on_timeline_of(
                    row.client_id,
                    format!("Proposal {verb} by the client: {}", described(&row)),
                    json!({ "proposal_id": id, "note": note, "total": row.total.to_string() }),
                )
                .dated(at),
        )
        .await?;
    if answer == Answer::Accept {
        win(scope, &decided).await?;
    }
    Ok(decided)
}

/// Wins an accepted proposal's opportunity (which turns a lead into a client); without an
/// opportunity, turns the lead into a client directly.
async fn win(scope: &mut Scope, row: &ProposalRow) -> Result<()> {
    let opportunity = match row.opportunity_id {
        Some(id) => db::opportunities::get(&mut scope.tx, id).await?,
        None => None,
    };
    if let Some(o) = opportunity {
        let stage = db::pipelines::stage(&mut scope.tx, o.stage_id)
            .await?
            .ok_or_else(|| Error::Corrupt("an opportunity's stage is gone".into()))?;
        if stage.kind != "won" {
            let won = db::pipelines::first_won_stage(&mut scope.tx, o.pipeline_id)
                .await?
                .ok_or_else(|| Error::Corrupt("a pipeline without a won stage".into()))?;
            move_to_end(scope, o.id, won.id).await?;
            return Ok(());
        }
    }
    crate::clients::convert_if_lead(scope, row.client_id).await?;
    Ok(())
}

/// Expires a sent proposal past its validity (the worker's sweep); false when it was answered
/// meanwhile.
pub async fn expire(scope: &mut Scope, id: Uuid, at: DateTime<Utc>) -> Result<bool> {
    let Some(row) = db::proposals::get_for_update(&mut scope.tx, id).await? else {
        return Ok(false);
    };
    if row.status != ProposalStatus::Sent.as_str() {
        return Ok(false);
    }
    db::proposals::decide(
        &mut scope.tx,
        id,
        ProposalStatus::Expired.as_str(),
        at,
        None,
    )
    .await?;
    scope
        .record(
            Change::of(EventType::ProposalExpired, "proposal", id)
                .before(json!({ "status": "sent" }))
                .after(json!({ "status": "expired" }))
                .on_timeline_of(
                    row.client_id,
                    format!(
                        "Proposal expired unanswered: {} (valid until {})",
                        described(&row),
                        row.valid_until
                    ),
                    json!({ "proposal_id": id, "valid_until": row.valid_until }),
                ),
        )
        .await?;
    Ok(true)
}
