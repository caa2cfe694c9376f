//! The timeline: every interaction from every module, newest first, filterable.

use axum::extract::Path;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::parse_id;
use crate::auth::Ctx;
use crate::http::pagination::{decode_time_cursor, encode_time_cursor};
use crate::http::params::{parse_limit, parse_time};
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, ApiQuery, FieldError, Page, schemas};
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

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEvent {
    pub id: Uuid,
    pub client_id: Option<Uuid>,
    pub event_type: String,
    pub description: String,
    pub event_date: DateTime<Utc>,
    /// `user`, `api_key`, `system`, `automation` or `integration`.
    pub triggered_by: String,
    pub actor_id: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub payload: serde_json::Value,
}

impl From<db::timeline::Event> for TimelineEvent {
    fn from(e: db::timeline::Event) -> Self {
        Self {
            id: e.id,
            client_id: e.client_id,
            event_type: e.event_type,
            description: e.description,
            event_date: e.event_date,
            triggered_by: e.actor_type,
            actor_id: e.actor_id,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            payload: e.payload,
        }
    }
}

fn filter(
    q: &TimelineQuery,
    client_id: Option<Uuid>,
) -> Result<(db::timeline::Filter, u32), ApiError> {
    let mut errors = Vec::new();
    let mut f = db::timeline::Filter {
        client_id,
        ..Default::default()
    };
    for t in q
        .event_type
        .iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let valid = t.trim_end_matches(".*").split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        });
        if !valid {
            errors.push(FieldError::query(
                "type",
                format!("'{t}' is not an event type like client.created or ticket.*"),
            ));
        } else if let Some(prefix) = t.strip_suffix('*') {
            f.prefixes.push(prefix.to_owned());
        } else {
            f.types.push(t.to_owned());
        }
    }
    f.from = parse_time("from", q.from.as_deref(), &mut errors);
    f.to = parse_time("to", q.to.as_deref(), &mut errors);
    f.actor_id = q.actor_id.clone();
    let limit = parse_limit(q.limit.as_deref(), &mut errors);
    if let Some(c) = q.cursor.as_deref().filter(|c| !c.is_empty()) {
        match decode_time_cursor(c) {
            Some(pos) => f.before = Some(pos),
            None => errors.push(FieldError::query(
                "cursor",
                "is not a cursor this API issued",
            )),
        }
    }
    f.limit = i64::from(limit) + 1;
    if errors.is_empty() {
        Ok((f, limit))
    } else {
        Err(ApiError::validation(errors))
    }
}

async fn page(
    ctx: &mut Ctx,
    f: db::timeline::Filter,
    limit: u32,
) -> ApiResult<Page<TimelineEvent>> {
    let mut rows = db::timeline::list(&mut ctx.tx, &f).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|e| encode_time_cursor(e.event_date, e.id))
    } else {
        None
    };
    Ok(Page {
        data: rows.into_iter().map(TimelineEvent::from).collect(),
        next_cursor,
    })
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
    if db::clients::get(&mut ctx.tx, id, true).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let (f, limit) = filter(&q, Some(id))?;
    let out = page(&mut ctx, f, limit).await?;
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
    let (f, limit) = filter(&q, None)?;
    let out = page(&mut ctx, f, limit).await?;
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
    schemas::one_of(["day", "week", "month"])
        .default(Some("week".into()))
        .build()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsBucket {
    pub period: DateTime<Utc>,
    pub event_type: String,
    pub count: i64,
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
    let mut errors = Vec::new();
    let bucket = match q.bucket.as_deref().unwrap_or("week") {
        b @ ("day" | "week" | "month") => b,
        _ => {
            errors.push(FieldError::query("bucket", "must be day, week or month"));
            "week"
        }
    };
    let client_id = q.client_id.as_deref().and_then(|c| {
        Uuid::try_parse(c)
            .map_err(|_| errors.push(FieldError::query("client_id", "must be a UUID")))
            .ok()
    });
    let from = parse_time("from", q.from.as_deref(), &mut errors);
    let to = parse_time("to", q.to.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let tenant_id = ctx.tenant();
    let tenant = db::tenants::get(&mut ctx.tx, tenant_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let rows =
        db::timeline::stats(&mut ctx.tx, client_id, bucket, &tenant.time_zone, from, to).await?;
    ctx.done();
    Ok(ApiJson(
        rows.into_iter()
            .map(|b| StatsBucket {
                period: b.period,
                event_type: b.event_type,
                count: b.count,
            })
            .collect(),
    ))
}
