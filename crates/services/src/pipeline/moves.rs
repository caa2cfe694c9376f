//! The drag and drop: an opportunity moves to a place in a stage of its pipeline. Moves lock in
//! one order (the pipeline shared, the destination stage, then the card), so moves into one
//! stage queue and keep its order, moves into different stages run side by side, and a move
//! of a card someone else moved first is refused with the card as it stands (the board shows
//! it and the user tries again). Reaching a won stage converts a lead into a client.

use db::opportunities::Place;
use domain::EventType;
use domain::pipeline::{RANK_STEP, StageKind, rank_between};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::flows::{described, now, stage_kind, view};
use super::opportunity::{LOST_REASON_CHARS, OpportunityOut};
use crate::{Change, Error, InvalidField, Result, Scope, Versioned, text};

/// Where a card goes.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// A stage of the opportunity's pipeline.
    pub stage_id: Uuid,
    /// The 0-based place among the stage's other cards (past the end: last).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000))]
    #[serde(deserialize_with = "crate::number::whole")]
    pub position: i64,
    /// The opportunity's `version` as the board last read it.
    #[serde(deserialize_with = "crate::number::whole")]
    pub version: i32,
    /// Why it was lost, when moved to a lost stage (1-500 characters).
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub lost_reason: Option<String>,
}

/// Most places a position may name.
const MAX_POSITION: i64 = 1_000_000;

/// Moves an opportunity; a stale `version` is the `opportunity-moved` conflict carrying the
/// opportunity as it stands now.
pub async fn move_opportunity(
    scope: &mut Scope,
    id: Uuid,
    input: MoveInput,
) -> Result<Versioned<OpportunityOut>> {
    let mut problems = Vec::new();
    if !(0..=MAX_POSITION).contains(&input.position) {
        problems.push(InvalidField::at(
            "/position",
            format!("must be from 0 to {MAX_POSITION}"),
        ));
    }
    let lost_reason = text::optional(
        "/lost_reason",
        input.lost_reason,
        LOST_REASON_CHARS,
        &mut problems,
    );
    let current = db::opportunities::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    let stage = db::pipelines::stage(&mut scope.tx, input.stage_id).await?;
    let stage = match stage {
        Some(s) if s.pipeline_id == current.pipeline_id => Some(s),
        _ => {
            problems.push(InvalidField::at(
                "/stage_id",
                "is not a stage of the opportunity's pipeline",
            ));
            None
        }
    };
    Error::check(problems)?;
    let stage = stage.ok_or(Error::NotFound)?;
    db::pipelines::get_for_share(&mut scope.tx, stage.pipeline_id).await?;
    if !db::opportunities::lock_stage(&mut scope.tx, stage.id).await? {
        return Err(Error::field(
            "/stage_id",
            "is not a stage of the opportunity's pipeline",
        ));
    }
    let row = db::opportunities::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    if row.version != input.version {
        let now_standing = view(scope, row).await?.value;
        return Err(Error::conflict_with(
            "opportunity-moved",
            "Someone else changed this opportunity first; it is shown as it stands now.",
            serde_json::to_value(now_standing).map_err(|e| Error::Corrupt(e.to_string()))?,
        ));
    }
    let (before, after) =
        db::opportunities::neighbours(&mut scope.tx, stage.id, id, input.position).await?;
    let rank = match rank_between(before, after) {
        Some(rank) => rank,
        None => {
            db::opportunities::renumber(&mut scope.tx, stage.id, RANK_STEP).await?;
            let (before, after) =
                db::opportunities::neighbours(&mut scope.tx, stage.id, id, input.position).await?;
            rank_between(before, after)
                .ok_or_else(|| Error::Corrupt("no room after renumbering".into()))?
        }
    };
    let from_kind = stage_kind(scope, row.stage_id).await?;
    let to_kind = StageKind::parse(&stage.kind).map_err(|e| Error::Corrupt(e.0))?;
    let changes_stage = row.stage_id != stage.id;
    let now = now();
    let place = Place {
        stage_id: stage.id,
        rank,
        stage_entered_at: if changes_stage {
            now
        } else {
            row.stage_entered_at
        },
        closed_at: match (to_kind.is_closed(), changes_stage) {
            (false, _) => None,
            (true, true) => Some(now),
            (true, false) => row.closed_at,
        },
        lost_reason: (to_kind == StageKind::Lost)
            .then(|| lost_reason.or(row.lost_reason.clone()))
            .flatten(),
    };
    let from_stage = row.stage_id;
    let moved = db::opportunities::set_place(&mut scope.tx, id, from_stage, &place).await?;
    let kind = match (changes_stage, to_kind) {
        (true, StageKind::Won) => EventType::OpportunityWon,
        (true, StageKind::Lost) => EventType::OpportunityLost,
        _ => EventType::OpportunityMoved,
    };
    let what = described(&moved.title, moved.estimated_value, &moved.currency);
    let description = match kind {
        EventType::OpportunityWon => format!("Opportunity won: {what}"),
        EventType::OpportunityLost => match &place.lost_reason {
            Some(why) => format!("Opportunity lost: {what}: {why}"),
            None => format!("Opportunity lost: {what}"),
        },
        _ if changes_stage => format!("Opportunity moved to {}: {what}", stage.name),
        _ => format!("Opportunity reordered in {}: {what}", stage.name),
    };
    scope
        .record(
            Change::of(kind, "opportunity", id)
                .before(json!({ "stage_id": from_stage, "state": from_kind.as_str() }))
                .after(json!({ "stage_id": stage.id, "state": to_kind.as_str(), "rank": rank }))
                .on_timeline_of(
                    moved.client_id,
                    description,
                    json!({
                        "opportunity_id": id,
                        "from_stage_id": from_stage,
                        "stage_id": stage.id,
                        "stage": stage.name,
                        "lost_reason": place.lost_reason,
                    }),
                ),
        )
        .await?;
    if kind == EventType::OpportunityWon {
        crate::clients::convert_if_lead(scope, moved.client_id).await?;
    }
    view(scope, moved).await
}
