//! Opportunities: open one for a client, read, list, change its details, delete, and move it
//! on the board (the drag and drop). Reading needs `pipeline.view`, the rest `pipeline.edit`.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use services::Page;
use services::pipeline::{
    MoveInput, NewOpportunity, OpportunityOut, OpportunityPatch, OpportunityQuery,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_id;
use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, ApiQuery, etag};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_opportunities, create_opportunity))
        .routes(routes!(
            get_opportunity,
            update_opportunity,
            delete_opportunity
        ))
        .routes(routes!(move_opportunity))
}

/// Opens an opportunity for a client at the end of its stage (default: the first stage of the
/// default pipeline), owned by whoever opens it unless `owner_id` says otherwise.
#[utoipa::path(post, path = "/opportunities", tag = "pipeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("pipeline.edit"))),
    request_body = NewOpportunity,
    responses((status = 201, description = "The opportunity, with its `ETag` and `Location`", body = OpportunityOut)))]
async fn create_opportunity(
    mut ctx: Ctx,
    ApiJson(input): ApiJson<NewOpportunity>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("pipeline.edit").await?;
    let created = services::pipeline::create(&mut ctx, input).await?;
    ctx.commit().await?;
    let location = format!("/api/v1/opportunities/{}", created.value.id);
    let mut res = etag::with_etag(StatusCode::CREATED, created).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// One opportunity with its place on the board.
#[utoipa::path(get, path = "/opportunities/{id}", tag = "pipeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("pipeline.view"))),
    params(("id" = Uuid, Path, description = "The opportunity")),
    responses(
        (status = 200, description = "The opportunity, with its `ETag`", body = OpportunityOut),
        (status = 404, description = "No such opportunity")))]
async fn get_opportunity(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    ctx.require("pipeline.view").await?;
    let id = parse_id(&id)?;
    let opportunity = services::pipeline::get(&mut ctx, id).await?;
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, opportunity))
}

/// Opportunities, newest first, filtered by pipeline, stage, client, owner or state.
#[utoipa::path(get, path = "/opportunities", tag = "pipeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("pipeline.view"))),
    params(OpportunityQuery),
    responses((status = 200, description = "One page of opportunities", body = Page<OpportunityOut>)))]
async fn list_opportunities(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<OpportunityQuery>,
) -> ApiResult<ApiJson<Page<OpportunityOut>>> {
    ctx.require("pipeline.view").await?;
    let (filter, page) = q.parse()?;
    let opportunities = services::pipeline::list(&mut ctx, &filter, &page).await?;
    ctx.done();
    Ok(ApiJson(opportunities))
}

/// Changes an opportunity's details (`If-Match` honoured); `null` clears an optional member.
/// Its stage and place change by a move.
#[utoipa::path(patch, path = "/opportunities/{id}", tag = "pipeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("pipeline.edit"))),
    params(("id" = Uuid, Path, description = "The opportunity"), IfMatch),
    request_body = OpportunityPatch,
    responses(
        (status = 200, description = "The opportunity as changed, with its new `ETag`", body = OpportunityOut),
        (status = 404, description = "No such opportunity"),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_opportunity(
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<OpportunityPatch>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("pipeline.edit").await?;
    let id = parse_id(&id)?;
    let expected = etag::expected(&headers);
    let opportunity = services::pipeline::update(&mut ctx, id, patch, &expected).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, opportunity))
}

/// Deletes an opportunity with its history of stages.
#[utoipa::path(delete, path = "/opportunities/{id}", tag = "pipeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("pipeline.edit"))),
    params(("id" = Uuid, Path, description = "The opportunity")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such opportunity")))]
async fn delete_opportunity(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<StatusCode> {
    ctx.require("pipeline.edit").await?;
    let id = parse_id(&id)?;
    services::pipeline::delete(&mut ctx, id).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves an opportunity to a place in a stage of its pipeline (the board's drag and drop).
/// Reaching a won stage closes it won and converts a lead into a client; a lost stage closes it
/// lost with the reason given. A `version` someone else moved past is refused with the
/// opportunity as it stands now (`current`), so the board can show it.
#[utoipa::path(post, path = "/opportunities/{id}/move", tag = "pipeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("pipeline.edit"))),
    params(("id" = Uuid, Path, description = "The opportunity")),
    request_body = MoveInput,
    responses(
        (status = 200, description = "The opportunity in its new place, with its new `ETag`", body = OpportunityOut),
        (status = 404, description = "No such opportunity"),
        (status = 409, description = "Someone else changed it first (`opportunity-moved`); `current` holds it as it stands.")))]
async fn move_opportunity(
    mut ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MoveInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("pipeline.edit").await?;
    let id = parse_id(&id)?;
    let moved = services::pipeline::move_opportunity(&mut ctx, id, input).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, moved))
}
