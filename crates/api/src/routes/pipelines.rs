//! Pipelines with their ordered stages, the kanban board of one, and its figures. Reading needs
//! `pipeline.view`; defining pipelines `pipeline.config`.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use services::pipeline::{
    BoardOut, BoardParams, MetricsOut, PeriodParams, PipelineInput, PipelineOut, StageInput,
};
use utoipa::openapi::Ref;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, Schema};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_id;
use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, ApiQuery, etag, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_pipelines, create_pipeline))
        .routes(routes!(get_pipeline, update_pipeline, delete_pipeline))
        .routes(routes!(pipeline_board))
        .routes(routes!(pipeline_metrics))
}

/// The body of `POST /pipelines`: a `PipelineInput` with its name and stages.
pub struct NewPipeline;

impl PartialSchema for NewPipeline {
    fn schema() -> RefOr<Schema> {
        let name = schemas::not_blank(100).description(Some("1-100 characters."));
        let stages = ArrayBuilder::new()
            .items(Ref::from_schema_name(StageInput::name()))
            .min_items(Some(1))
            .max_items(Some(30))
            .description(Some(
                "The stages in board order: at least one open, one won and one lost.",
            ));
        schemas::requiring_members(
            PipelineInput::schema(),
            [
                ("name", RefOr::T(Schema::Object(name.build()))),
                ("stages", RefOr::T(Schema::Array(stages.build()))),
            ],
        )
    }
}

impl ToSchema for NewPipeline {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((PipelineInput::name().into_owned(), PipelineInput::schema()));
        schemas.push((StageInput::name().into_owned(), StageInput::schema()));
        PipelineInput::schemas(schemas);
    }
}

/// Every pipeline with its stages, the default first.
#[utoipa::path(get, path = "/pipelines", tag = "pipeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("pipeline.view"))),
    responses((status = 200, description = "Every pipeline", body = Vec<PipelineOut>)))]
async fn list_pipelines(mut ctx: Ctx) -> ApiResult<ApiJson<Vec<PipelineOut>>> {
    ctx.require("pipeline.view").await?;
    let pipelines = services::pipeline::pipelines::list(&mut ctx).await?;
    ctx.done();
    Ok(ApiJson(pipelines))
}

/// Defines a pipeline with its stages in board order (at least one open, one won and one lost).
#[utoipa::path(post, path = "/pipelines", tag = "pipeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("pipeline.config"))),
    request_body = NewPipeline,
    responses(
        (status = 201, description = "The pipeline, with its `ETag`", body = PipelineOut),
        (status = 409, description = "A pipeline with this name exists (`pipeline-exists`).")))]
async fn create_pipeline(
    mut ctx: Ctx,
    ApiJson(input): ApiJson<PipelineInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("pipeline.config").await?;
    let pipeline = services::pipeline::pipelines::create(&mut ctx, input).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::CREATED, pipeline))
}

/// One pipeline with its ordered stages.
#[utoipa::path(get, path = "/pipelines/{id}", tag = "pipeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("pipeline.view"))),
    params(("id" = Uuid, Path, description = "The pipeline")),
    responses(
        (status = 200, description = "The pipeline, with its `ETag`", body = PipelineOut),
        (status = 404, description = "No such pipeline")))]
async fn get_pipeline(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    ctx.require("pipeline.view").await?;
    let id = parse_id(&id)?;
    let pipeline = services::pipeline::pipelines::get(&mut ctx, id).await?;
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, pipeline))
}

/// Changes a pipeline (`If-Match` honoured): its name, its stages (the whole list, in board
/// order; a stage keeps its opportunities by its `id`), or makes it the default.
#[utoipa::path(patch, path = "/pipelines/{id}", tag = "pipeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("pipeline.config"))),
    params(("id" = Uuid, Path, description = "The pipeline"), IfMatch),
    request_body = PipelineInput,
    responses(
        (status = 200, description = "The pipeline as changed, with its new `ETag`", body = PipelineOut),
        (status = 404, description = "No such pipeline"),
        (status = 409, description = "Another pipeline has this name (`pipeline-exists`), or opportunities stand in a stage left out (`stage-in-use`)."),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_pipeline(
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<PipelineInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("pipeline.config").await?;
    let id = parse_id(&id)?;
    let expected = etag::expected(&headers);
    let pipeline = services::pipeline::pipelines::update(&mut ctx, id, input, &expected).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, pipeline))
}

/// Deletes a pipeline without opportunities that is not the default.
#[utoipa::path(delete, path = "/pipelines/{id}", tag = "pipeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("pipeline.config"))),
    params(("id" = Uuid, Path, description = "The pipeline")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such pipeline"),
        (status = 409, description = "It is the default (`default-pipeline`) or opportunities stand in it (`pipeline-in-use`).")))]
async fn delete_pipeline(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<StatusCode> {
    ctx.require("pipeline.config").await?;
    let id = parse_id(&id)?;
    services::pipeline::pipelines::delete(&mut ctx, id).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The kanban in one call: the stages in order, each with its totals (count, value and weighted
/// value per currency) and its first cards. Won and lost columns hold what closed in the last
/// 30 days.
#[utoipa::path(get, path = "/pipelines/{id}/board", tag = "pipeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("pipeline.view"))),
    params(("id" = Uuid, Path, description = "The pipeline"), BoardParams),
    responses(
        (status = 200, description = "The board", body = BoardOut),
        (status = 404, description = "No such pipeline")))]
async fn pipeline_board(
    mut ctx: Ctx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<BoardParams>,
) -> ApiResult<ApiJson<BoardOut>> {
    ctx.require("pipeline.view").await?;
    let id = parse_id(&id)?;
    let query = q.parse()?;
    let board = services::pipeline::board(&mut ctx, id, &query).await?;
    ctx.done();
    Ok(ApiJson(board))
}

/// The pipeline's figures over a period (default the last 90 days): count and value per stage,
/// weighted forecast by expected close month, stage-to-stage conversion, average days in each
/// stage, win rate, and rotting deals.
#[utoipa::path(get, path = "/pipelines/{id}/metrics", tag = "pipeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("pipeline.view"))),
    params(("id" = Uuid, Path, description = "The pipeline"), PeriodParams),
    responses(
        (status = 200, description = "The figures", body = MetricsOut),
        (status = 404, description = "No such pipeline")))]
async fn pipeline_metrics(
    mut ctx: Ctx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PeriodParams>,
) -> ApiResult<ApiJson<MetricsOut>> {
    ctx.require("pipeline.view").await?;
    let id = parse_id(&id)?;
    let (from, to) = q.parse(chrono::Utc::now())?;
    let metrics = services::pipeline::metrics(&mut ctx, id, from, to).await?;
    ctx.done();
    Ok(ApiJson(metrics))
}
