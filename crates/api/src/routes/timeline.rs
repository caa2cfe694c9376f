//! The timeline: every interaction from every module, newest first, filterable.

use axum::extract::Path;
use serde::Deserialize;
use services::timeline::{self, EventQuery, Period, StatsBucket, TimelineEvent};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_id;
use crate::auth::Ctx;
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, ApiQuery, Page, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(client_timeline))
        .routes(routes!(tenant_timeline))
        .routes(routes!(timeline_stats))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// Comma-separated event types such as `client.created`; `ticket.*` matches a prefix.
    #[serde(rename = "type")]
    #[param(
        pattern = r"^\s*([a-z_]+(\.[a-z_]+)*(\.\*)*)?\s*(,\s*([a-z_]+(\.[a-z_]+)*(\.\*)*)?\s*)*$"
    )]
    pub event_type: Option<String>,
    /// Inclusive.
    #[param(schema_with = schemas::date_time)]
    pub from: Option<String>,
    /// Exclusive.
    #[param(schema_with = schemas::date_time)]
    pub to: Option<String>,
    /// The user, key or integration that caused the event.
    pub actor_id: Option<String>,
    /// Items per page (default 25).
    #[param(schema_with = schemas::limit)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl From<TimelineQuery> for EventQuery {
    fn from(q: TimelineQuery) -> Self {
        Self {
            types: q.event_type,
            from: q.from,
            to: q.to,
            actor_id: q.actor_id,
            limit: q.limit,
            cursor: q.cursor,
        }
    }
}

/// One client's history, newest first.
#[utoipa::path(get, path = "/clients/{id}/timeline", tag = "timeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("timeline.view"))),
    params(("id" = Uuid, Path, description = "The client (a deleted one too)"), TimelineQuery),
    responses(
        (status = 200, description = "One page of the client's events, newest first", body = Page<TimelineEvent>),
        (status = 404, description = "No such client")))]
async fn client_timeline(
    mut ctx: Ctx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<TimelineQuery>,
) -> ApiResult<ApiJson<Page<TimelineEvent>>> {
    ctx.require("timeline.view").await?;
    let id = parse_id(&id)?;
    let out = timeline::client_events(&mut ctx, id, &q.into()).await?;
    ctx.done();
    Ok(ApiJson(out))
}

/// The whole tenant's history, newest first.
#[utoipa::path(get, path = "/timeline", tag = "timeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("timeline.view"))),
    params(TimelineQuery),
    responses((status = 200, description = "One page of the tenant's events, newest first", body = Page<TimelineEvent>)))]
async fn tenant_timeline(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<TimelineQuery>,
) -> ApiResult<ApiJson<Page<TimelineEvent>>> {
    ctx.require("timeline.view").await?;
    let out = timeline::tenant_events(&mut ctx, &q.into()).await?;
    ctx.done();
    Ok(ApiJson(out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Only this client's events.
    #[param(schema_with = schemas::uuid)]
    pub client_id: Option<String>,
    /// Periods of a day, a week (default) or a month, in the tenant's time zone.
    #[param(schema_with = bucket_param)]
    pub bucket: Option<String>,
    /// Inclusive.
    #[param(schema_with = schemas::date_time)]
    pub from: Option<String>,
    /// Exclusive.
    #[param(schema_with = schemas::date_time)]
    pub to: Option<String>,
}

fn bucket_param() -> utoipa::openapi::schema::Object {
    schemas::one_of(Period::NAMES)
        .default(Some(Period::default().name().into()))
        .build()
}

impl From<StatsQuery> for timeline::StatsQuery {
    fn from(q: StatsQuery) -> Self {
        Self {
            client_id: q.client_id,
            bucket: q.bucket,
            from: q.from,
            to: q.to,
        }
    }
}

/// Event counts per type per period, for the temporal analysis chart.
#[utoipa::path(get, path = "/timeline/stats", tag = "timeline", security(("bearer" = [])),
    extensions(("x-permission" = json!("timeline.view"))),
    params(StatsQuery),
    responses((status = 200, description = "Counts by period and event type", body = Vec<StatsBucket>)))]
async fn timeline_stats(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<ApiJson<Vec<StatsBucket>>> {
    ctx.require("timeline.view").await?;
    let out = timeline::stats(&mut ctx, &q.into()).await?;
    ctx.done();
    Ok(ApiJson(out))
}
