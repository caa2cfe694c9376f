//! The flows of a draft: make it, read it, change it, delete it, and revise a sent proposal
//! into a new draft (the next revision, made from the newest template version). Every change
//! is a timeline event on the client's timeline.

use db::proposals::{Lineage, ProposalData, ProposalRow};
use domain::EventType;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use super::draft::{
    check_opportunity, check_validity, check_variables, currency, default_validity, must_be_draft,
    price_into, template_content, tenant_day,
};
use super::proposal::{
    NewProposal, ProposalOut, ProposalPatch, TITLE_CHARS, data_of, proposal_out, snapshot,
};
use crate::{Change, Error, Expected, Result, Scope, Versioned, text};

/// A proposal with its version.
pub async fn get(scope: &mut Scope, id: Uuid) -> Result<Versioned<ProposalOut>> {
    let row = db::proposals::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    proposal_out(row)
}

/// How a proposal is named on its client's timeline.
pub(super) fn described(row: &ProposalRow) -> String {
    format!("{} ({} {})", row.title, row.total, row.currency)
}

/// Drafts a proposal for a client.
pub async fn create(scope: &mut Scope, input: NewProposal) -> Result<Versioned<ProposalOut>> {
    let mut problems = Vec::new();
    let day = tenant_day(scope).await?;
    let title = text::required("/title", &input.title, TITLE_CHARS, &mut problems);
    let currency = input
        .currency
        .as_deref()
        .map_or(day.currency.clone(), |c| currency(c, &mut problems));
    let client = db::clients::get(&mut scope.tx, input.client_id, false).await?;
    if client.is_none() {
        problems.push(crate::InvalidField::at(
            "/client_id",
            "is not a client of this tenant",
        ));
    }
    let template = template_content(
        scope,
        input.template_id,
        input.template_version,
        &mut problems,
    )
    .await?;
    if let Some((_, content)) = &template {
        check_variables(&input.variables, content, &currency, &mut problems);
    }
    check_opportunity(scope, input.client_id, input.opportunity_id, &mut problems).await?;
    let owner_id = input.owner_id.or(scope.user_id());
    crate::users::check_is_user(&mut scope.tx, owner_id, "/owner_id", &mut problems).await?;
    let valid_until = input
        .valid_until
        .unwrap_or_else(|| default_validity(day.today));
    check_validity(valid_until, day.today, &mut problems);
    let mut data = ProposalData {
        opportunity_id: input.opportunity_id,
        template_id: input.template_id,
        template_version: template.as_ref().map_or(1, |(v, _)| *v),
        title,
        currency,
        items: Value::Array(Vec::new()),
        subtotal: Decimal::ZERO,
        tax_total: Decimal::ZERO,
        total: Decimal::ZERO,
        variables: Value::Object(input.variables),
        valid_until,
        owner_id,
    };
    price_into(&mut data, &input.items, &mut problems);
    Error::check(problems)?;
    let id = Uuid::now_v7();
    let lineage = Lineage {
        first_id: id,
        revision: 1,
    };
    insert(
        scope,
        input.client_id,
        id,
        lineage,
        data,
        "Proposal drafted",
    )
    .await
}

/// Stores a new draft and records it.
async fn insert(
    scope: &mut Scope,
    client_id: Uuid,
    id: Uuid,
    lineage: Lineage,
    data: ProposalData,
    headline: &str,
) -> Result<Versioned<ProposalOut>> {
    let row = db::proposals::insert(&mut scope.tx, id, client_id, lineage, &data).await?;
    scope
        .record(
            Change::of(EventType::ProposalCreated, "proposal", id)
                .after(snapshot(&data))
                .on_timeline_of(
                    client_id,
                    format!("{headline}: {}", described(&row)),
                    json!({
                        "proposal_id": id,
                        "revision": lineage.revision,
                        "title": row.title,
                        "total": row.total.to_string(),
                        "currency": row.currency,
                    }),
                ),
        )
        .await?;
    proposal_out(row)
}

/// Changes a draft at a version `expected` allows; a sent proposal is the
/// `proposal-not-draft` conflict.
pub async fn update(
    scope: &mut Scope,
    id: Uuid,
    patch: ProposalPatch,
    expected: &Expected,
) -> Result<Versioned<ProposalOut>> {
    let row = db::proposals::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(row.version)?;
    must_be_draft(&row.status)?;
    let day = tenant_day(scope).await?;
    let before = data_of(&row);
    let mut after = before.clone();
    let mut problems = Vec::new();
    if let Some(t) = &patch.title {
        after.title = text::required("/title", t, TITLE_CHARS, &mut problems);
    }
    if let Some(c) = &patch.currency {
        after.currency = currency(c, &mut problems);
    }
    if let Some(v) = patch.template_version {
        after.template_version = v;
    }
    if let Some(v) = patch.valid_until {
        check_validity(v, day.today, &mut problems);
        after.valid_until = v;
    }
    if let Some(v) = patch.opportunity_id {
        check_opportunity(scope, row.client_id, v, &mut problems).await?;
        after.opportunity_id = v;
    }
    if let Some(v) = patch.owner_id {
        crate::users::check_is_user(&mut scope.tx, v, "/owner_id", &mut problems).await?;
        after.owner_id = v;
    }
    if let Some(items) = &patch.items {
        super::draft::price_into(&mut after, items, &mut problems);
    }
    if let Some(v) = patch.variables {
        after.variables = Value::Object(v);
    }
    let template = template_content(
        scope,
        after.template_id,
        Some(after.template_version),
        &mut problems,
    )
    .await?;
    if let (Some((_, content)), Value::Object(given)) = (&template, &after.variables) {
        check_variables(given, content, &after.currency, &mut problems);
    }
    Error::check(problems)?;
    if after == before {
        return proposal_out(row);
    }
    let row = db::proposals::update_draft(&mut scope.tx, id, &after).await?;
    scope
        .record(
            Change::of(EventType::ProposalUpdated, "proposal", id)
                .before(snapshot(&before))
                .after(snapshot(&after))
                .on_timeline_of(
                    row.client_id,
                    format!("Proposal changed: {}", described(&row)),
                    json!({ "proposal_id": id, "title": row.title, "total": row.total.to_string() }),
                ),
        )
        .await?;
    proposal_out(row)
}

/// Deletes a draft; a sent proposal stays (it is part of the client's history).
pub async fn delete(scope: &mut Scope, id: Uuid) -> Result<()> {
    let row = db::proposals::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    must_be_draft(&row.status)?;
    db::proposals::delete_draft(&mut scope.tx, id).await?;
    scope
        .record(
            Change::of(EventType::ProposalDeleted, "proposal", id)
                .before(snapshot(&data_of(&row)))
                .on_timeline_of(
                    row.client_id,
                    format!("Proposal draft deleted: {}", row.title),
                    json!({ "proposal_id": id, "title": row.title }),
                ),
        )
        .await
}

/// Makes the next revision of a sent (or answered, or expired) proposal: a new draft with the
/// same content on the newest version of its template, valid for the default period from
/// today. The revised proposal keeps its status; a draft cannot be revised (change it).
pub async fn revise(scope: &mut Scope, id: Uuid) -> Result<Versioned<ProposalOut>> {
    let row = db::proposals::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    if row.status == "draft" {
        return Err(Error::conflict(
            "proposal-is-draft",
            "the proposal is still a draft: change it instead of revising it",
        ));
    }
    let newest = db::proposals::newest_revision(&mut scope.tx, row.first_id).await?;
    let template = db::proposal_templates::get(&mut scope.tx, row.template_id)
        .await?
        .ok_or_else(|| Error::Corrupt("a proposal's template is gone".into()))?;
    let day = tenant_day(scope).await?;
    let mut data = data_of(&row);
    data.template_version = template.version;
    keep_declared(scope, &mut data).await?;
    data.valid_until = default_validity(day.today);
    data.owner_id = scope.user_id().or(row.owner_id);
    let lineage = Lineage {
        first_id: row.first_id,
        revision: newest + 1,
    };
    let headline = format!("Proposal revised (revision {})", lineage.revision);
    insert(
        scope,
        row.client_id,
        Uuid::now_v7(),
        lineage,
        data,
        &headline,
    )
    .await
}

/// Drops the values the draft's template version no longer declares, or whose type changed.
async fn keep_declared(scope: &mut Scope, data: &mut ProposalData) -> Result<()> {
    let mut ignored = Vec::new();
    let found = template_content(
        scope,
        data.template_id,
        Some(data.template_version),
        &mut ignored,
    )
    .await?;
    let currency = data.currency.clone();
    if let (Some((_, content)), Value::Object(given)) = (found, &mut data.variables) {
        given.retain(|name, value| {
            content
                .variables
                .iter()
                .any(|d| &d.name == name && d.kind.value_of(value, &currency).is_ok())
        });
    }
    Ok(())
}
