//! Duplicates, merging them, and undoing a merge.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use services::merges::Duplicate;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::clients::cipher;
use super::parse_id;
use crate::auth::Ctx;
use crate::http::ApiJson;
use crate::http::problem::ApiResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(duplicates))
        .routes(routes!(merge))
        .routes(routes!(undo_merge))
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
    let found = services::merges::duplicates(&mut ctx, &cipher, id).await?;
    ctx.done();
    Ok(ApiJson(found))
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
    let cipher = cipher(&state, &mut ctx).await?;
    let merge_id = services::merges::merge(&mut ctx, &cipher, id, body.other_id).await?;
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
    services::merges::undo(&mut ctx, id).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
