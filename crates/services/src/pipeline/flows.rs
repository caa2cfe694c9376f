//! The flows of one opportunity: open it (at the end of its stage), read it, change its
//! details, delete it. Its stage and place change by a move (`moves`). Every change is a
//! timeline event on the client's timeline.

use db::opportunities::{OpportunityData, OpportunityRow, Place};
use domain::EventType;
use domain::pipeline::{RANK_STEP, StageKind, rank_between};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::opportunity::{
    NewOpportunity, OpportunityOut, OpportunityPatch, TITLE_CHARS, amount, apply, currency,
    data_of, opportunity_out, percentage, snapshot,
};
use crate::{Change, Error, Expected, InvalidField, Result, Scope, Versioned, text};

pub(super) use crate::clock::now;

/// The kind of a stored stage.
pub(super) async fn stage_kind(scope: &mut Scope, stage_id: Uuid) -> Result<StageKind> {
    let stage = db::pipelines::stage(&mut scope.tx, stage_id)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("stage {stage_id} is gone")))?;
    StageKind::parse(&stage.kind).map_err(|e| Error::Corrupt(e.0))
}

/// The output of a stored opportunity, with its place in its stage.
pub(super) async fn view(
    scope: &mut Scope,
    row: OpportunityRow,
) -> Result<Versioned<OpportunityOut>> {
    let position = db::opportunities::position_of(&mut scope.tx, row.stage_id, row.rank).await?;
    let kind = stage_kind(scope, row.stage_id).await?;
    Ok(opportunity_out(row, position, kind))
}

/// An opportunity with its version.
pub async fn get(scope: &mut Scope, id: Uuid) -> Result<Versioned<OpportunityOut>> {
    let row = db::opportunities::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    view(scope, row).await
}

/// The stage a new opportunity starts in: the one named, or the default pipeline's first.
async fn starting_stage(
    scope: &mut Scope,
    stage_id: Option<Uuid>,
    problems: &mut Vec<InvalidField>,
) -> Result<Option<db::pipelines::StageRow>> {
    let id = match stage_id {
        Some(id) => id,
        None => {
            let pipeline = super::pipelines::default_pipeline(scope).await?.value;
            match pipeline.stages.first() {
                Some(s) => s.id,
                None => return Err(Error::Corrupt("the default pipeline has no stage".into())),
            }
        }
    };
    let found = db::pipelines::stage(&mut scope.tx, id).await?;
    if found.is_none() {
        problems.push(InvalidField::at(
            "/stage_id",
            "is not a pipeline stage of this tenant",
        ));
    }
    Ok(found)
}

/// The description of an opportunity on its client's timeline.
pub(super) fn described(title: &str, value: Decimal, currency: &str) -> String {
    format!("{title} ({value} {currency})")
}

/// Opens an opportunity for a client at the end of its stage. Opened in a won or lost stage, it
/// is closed at once.
pub async fn create(scope: &mut Scope, input: NewOpportunity) -> Result<Versioned<OpportunityOut>> {
    let mut problems = Vec::new();
    let title = text::required("/title", &input.title, TITLE_CHARS, &mut problems);
    let estimated_value = input.estimated_value.as_deref().map_or(Decimal::ZERO, |v| {
        amount("/estimated_value", v, &mut problems)
    });
    let tenant = scope.tenant();
    let tenant_currency = db::tenants::get(&mut scope.tx, tenant)
        .await?
        .map(|t| t.currency)
        .unwrap_or_else(|| "EUR".into());
    let currency = input
        .currency
        .as_deref()
        .map_or(tenant_currency, |c| currency("/currency", c, &mut problems));
    let completion = percentage(
        "/completion_percentage",
        input.completion_percentage.unwrap_or(0),
        &mut problems,
    );
    let owner_id = input.owner_id.or(scope.user_id());
    crate::users::check_is_user(&mut scope.tx, owner_id, "/owner_id", &mut problems).await?;
    let client = db::clients::get(&mut scope.tx, input.client_id, false).await?;
    if client.is_none() {
        problems.push(InvalidField::at(
            "/client_id",
            "is not a client of this tenant",
        ));
    }
    let stage = starting_stage(scope, input.stage_id, &mut problems).await?;
    Error::check(problems)?;
    let (Some(client), Some(stage)) = (client, stage) else {
        return Err(Error::NotFound);
    };
    db::pipelines::get_for_share(&mut scope.tx, stage.pipeline_id).await?;
    if !db::opportunities::lock_stage(&mut scope.tx, stage.id).await? {
        return Err(Error::field(
            "/stage_id",
            "is not a pipeline stage of this tenant",
        ));
    }
    let last = db::opportunities::last_rank(&mut scope.tx, stage.id, None).await?;
    let kind = StageKind::parse(&stage.kind).map_err(|e| Error::Corrupt(e.0))?;
    let now = now();
    let place = Place {
        stage_id: stage.id,
        rank: rank_between(last, None).unwrap_or(RANK_STEP),
        stage_entered_at: now,
        closed_at: kind.is_closed().then_some(now),
        lost_reason: None,
    };
    let data = OpportunityData {
        title,
        estimated_value,
        currency,
        expected_close_date: input.expected_close_date,
        owner_id,
        completion_percentage: completion,
        lost_reason: None,
    };
    let id = Uuid::now_v7();
    let row = db::opportunities::insert(
        &mut scope.tx,
        id,
        stage.pipeline_id,
        client.id,
        &place,
        &data,
    )
    .await?;
    scope
        .record(
            Change::of(EventType::OpportunityCreated, "opportunity", id)
                .after(snapshot(&data))
                .on_timeline_of(
                    client.id,
                    format!(
                        "Opportunity opened: {} in {}",
                        described(&data.title, data.estimated_value, &data.currency),
                        stage.name
                    ),
                    json!({
                        "opportunity_id": id,
                        "title": data.title,
                        "stage_id": stage.id,
                        "stage": stage.name,
                        "estimated_value": data.estimated_value.to_string(),
                        "currency": data.currency,
                    }),
                ),
        )
        .await?;
    view(scope, row).await
}

/// Changes an opportunity's details at a version `expected` allows.
pub async fn update(
    scope: &mut Scope,
    id: Uuid,
    patch: OpportunityPatch,
    expected: &Expected,
) -> Result<Versioned<OpportunityOut>> {
    let row = db::opportunities::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(row.version)?;
    let before = data_of(&row);
    let mut after = before.clone();
    let mut problems = Vec::new();
    let owner_given = patch.owner_id.is_some();
    apply(&mut after, patch, &mut problems);
    if owner_given {
        crate::users::check_is_user(&mut scope.tx, after.owner_id, "/owner_id", &mut problems)
            .await?;
    }
    Error::check(problems)?;
    if after == before {
        return view(scope, row).await;
    }
    let row = db::opportunities::update(&mut scope.tx, id, &after).await?;
    scope
        .record(
            Change::of(EventType::OpportunityUpdated, "opportunity", id)
                .before(snapshot(&before))
                .after(snapshot(&after))
                .on_timeline_of(
                    row.client_id,
                    format!(
                        "Opportunity changed: {}",
                        described(&after.title, after.estimated_value, &after.currency)
                    ),
                    json!({ "opportunity_id": id, "title": after.title }),
                ),
        )
        .await?;
    view(scope, row).await
}

/// Deletes an opportunity with its history of stages.
pub async fn delete(scope: &mut Scope, id: Uuid) -> Result<()> {
    let row = db::opportunities::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    db::opportunities::delete(&mut scope.tx, id).await?;
    let data = data_of(&row);
    scope
        .record(
            Change::of(EventType::OpportunityDeleted, "opportunity", id)
                .before(snapshot(&data))
                .on_timeline_of(
                    row.client_id,
                    format!("Opportunity deleted: {}", data.title),
                    json!({ "opportunity_id": id, "title": data.title }),
                ),
        )
        .await
}
