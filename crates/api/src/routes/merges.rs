//! Duplicates, merging them, and undoing a merge.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use db::audit::Change;
use db::timeline::NewEvent;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::clients::{ClientInput, ClientOut, cipher, load, redacted};
use super::parse_id;
use crate::auth::Ctx;
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(duplicates))
        .routes(routes!(merge))
        .routes(routes!(undo_merge))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Duplicate {
    pub client: ClientOut,
    /// Why it looks like the same company: `tax_id`, `email`, `phone`, `name`.
    #[schema(value_type = Vec<String>)]
    pub reasons: Vec<&'static str>,
    /// 0 to 1: how sure.
    pub score: f32,
}

/// Likely duplicates of a client: same tax id, a shared e-mail or phone, or a similar name.
#[utoipa::path(get, path = "/clients/{id}/duplicates", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.view"))),
    params(("id" = Uuid, Path, description = "The client")),
    responses(
        (status = 200, description = "Likely duplicates, surest first", body = Vec<Duplicate>),
        (status = 404, description = "No such client")))]
async fn duplicates(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Vec<Duplicate>>> {
    ctx.require("clients.view").await?;
    let id = parse_id(&id)?;
    let cipher = cipher(&state, &mut ctx).await?;
    let (me, _) = load(&mut ctx, &cipher, id, false).await?;
    let name = domain::normalize_for_search(&me.company_name);
    let found = db::merges::candidates(&mut ctx.tx, id, &name).await?;
    let mut out = Vec::new();
    for c in found {
        let mut reasons = Vec::new();
        let mut score: f32 = 0.0;
        for (hit, reason, weight) in [
            (c.same_tax_id, "tax_id", 1.0),
            (c.shared_email, "email", 0.8),
            (c.shared_phone, "phone", 0.7),
            (c.name_similarity >= 0.6, "name", c.name_similarity),
        ] {
            if hit {
                reasons.push(reason);
                score = score.max(weight);
            }
        }
        let (client, _) = load(&mut ctx, &cipher, c.id, false).await?;
        out.push(Duplicate {
            client,
            reasons,
            score,
        });
    }
    ctx.done();
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(ApiJson(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The duplicate to absorb into this client.
    pub other_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergeResponse {
    pub merge_id: Uuid,
}

fn union(a: &[String], b: &[String]) -> Vec<String> {
    a.iter()
        .chain(b)
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// What the survivor becomes: its own values first, the other's where it has none, lists joined.
fn merged_input(keep: &ClientOut, other: &ClientOut) -> ClientInput {
    let mut custom: Map<String, Value> =
        other.custom_fields.as_object().cloned().unwrap_or_default();
    custom.extend(keep.custom_fields.as_object().cloned().unwrap_or_default());
    let status = (keep.status == "lead" && other.status == "client").then(|| "client".to_owned());
    ClientInput {
        tax_id: keep.tax_id.is_none().then(|| other.tax_id.clone()),
        tax_id_country: keep
            .tax_id
            .is_none()
            .then(|| other.tax_id_country.clone())
            .flatten(),
        emails: Some(union(&keep.emails, &other.emails)),
        phones: Some(union(&keep.phones, &other.phones)),
        sector: keep.sector.is_none().then(|| other.sector.clone()),
        website: keep.website.is_none().then(|| other.website.clone()),
        owner_id: keep.owner_id.is_none().then_some(other.owner_id),
        source: keep.source.is_none().then(|| other.source.clone()),
        tags: Some(union(&keep.tags, &other.tags)),
        custom_fields: Some(custom),
        status,
        ..ClientInput::default()
    }
}

/// Merges `other_id` into this client: contacts, timeline and every linked record move here;
/// the other client is retired. `POST /merges/{merge_id}/undo` restores both.
#[utoipa::path(post, path = "/clients/{id}/merge", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.merge"))),
    params(("id" = Uuid, Path, description = "The client that stays")),
    request_body = MergeRequest,
    responses(
        (status = 200, description = "Merged; the id undoes it", body = MergeResponse),
        (status = 404, description = "No such client"),
        (status = 422, description = "`other_id` is this client or no client of the tenant (`validation-failed`).")))]
async fn merge(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MergeRequest>,
) -> ApiResult<ApiJson<MergeResponse>> {
    ctx.require("clients.merge").await?;
    let id = parse_id(&id)?;
    if id == body.other_id {
        return Err(ApiError::field(
            "/other_id",
            "a client cannot be merged into itself",
        ));
    }
    let cipher = cipher(&state, &mut ctx).await?;
    let (keep, _) = load(&mut ctx, &cipher, id, false).await?;
    let (other, _) = load(&mut ctx, &cipher, body.other_id, false)
        .await
        .map_err(|_| ApiError::field("/other_id", "no such client"))?;
    let survivor_before = db::merges::snapshot(&mut ctx.tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let merged_before = db::merges::snapshot(&mut ctx.tx, other.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let data = services::clients::prepare(
        &mut ctx.tx,
        &cipher,
        merged_input(&keep, &other),
        Some(&keep),
    )
    .await?;
    db::clients::update(&mut ctx.tx, id, &data).await?;
    let (moved_contacts, moved_events) =
        db::merges::move_children(&mut ctx.tx, other.id, id).await?;
    db::merges::retire(&mut ctx.tx, other.id, id).await?;
    let merge_id = Uuid::now_v7();
    let merged_by = ctx.user_id();
    db::merges::insert(
        &mut ctx.tx,
        &db::merges::NewMerge {
            id: merge_id,
            survivor_id: id,
            merged_id: other.id,
            survivor_before: &survivor_before,
            merged_before: &merged_before,
            moved_contacts: &moved_contacts,
            moved_events: &moved_events,
            merged_by,
        },
    )
    .await?;
    ctx.record(
        Change {
            action: "client.merged",
            target_type: "client",
            target_id: Some(id.to_string()),
            before: Some(json!({ "survivor": redacted(&keep), "merged": redacted(&other) })),
            after: Some(json!({ "merge_id": merge_id, "merged_id": other.id })),
        },
        NewEvent {
            client_id: Some(id),
            event_type: "client.merged",
            description: format!(
                "{} was merged into {}",
                other.company_name, keep.company_name
            ),
            event_date: None,
            entity_type: Some("merge"),
            entity_id: Some(merge_id.to_string()),
            payload: json!({
                "merge_id": merge_id,
                "merged_id": other.id,
                "moved_contacts": moved_contacts.len(),
                "moved_events": moved_events.len(),
            }),
        },
    )
    .await?;
    ctx.commit().await?;
    Ok(ApiJson(MergeResponse { merge_id }))
}

/// Undoes a merge: both clients as they were, every moved contact and event back.
#[utoipa::path(post, path = "/merges/{id}/undo", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.merge"))),
    params(("id" = Uuid, Path, description = "The merge")),
    responses(
        (status = 204, description = "Both clients are back as they were"),
        (status = 404, description = "No such merge"),
        (status = 409, description = "The merge was undone already (`already-undone`).")))]
async fn undo_merge(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<StatusCode> {
    ctx.require("clients.merge").await?;
    let id = parse_id(&id)?;
    let m = db::merges::get_for_update(&mut ctx.tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if m.undone_at.is_some() {
        return Err(ApiError::conflict(
            "already-undone",
            "This merge was already undone.",
        ));
    }
    db::merges::restore_snapshot(&mut ctx.tx, m.survivor_id, &m.survivor_before).await?;
    db::merges::restore_snapshot(&mut ctx.tx, m.merged_id, &m.merged_before).await?;
    db::merges::move_back(&mut ctx.tx, m.merged_id, &m.moved_contacts, &m.moved_events).await?;
    let by = ctx.user_id();
    db::merges::mark_undone(&mut ctx.tx, id, by).await?;
    for client in [m.survivor_id, m.merged_id] {
        ctx.record(
            Change {
                action: "client.merge_undone",
                target_type: "client",
                target_id: Some(client.to_string()),
                before: None,
                after: Some(json!({ "merge_id": id })),
            },
            NewEvent {
                client_id: Some(client),
                event_type: "client.merge_undone",
                description: "A merge was undone; both clients are back as they were".to_owned(),
                event_date: None,
                entity_type: Some("merge"),
                entity_id: Some(id.to_string()),
                payload: json!({ "merge_id": id, "survivor_id": m.survivor_id, "merged_id": m.merged_id }),
            },
        )
        .await?;
    }
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
