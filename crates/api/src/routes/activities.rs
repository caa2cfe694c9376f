//! The calendar's activities: plan one for a client (or log one done), read, change (move,
//! complete, cancel) and delete it, and read a window of the calendar with recurring activities
//! expanded. Reading needs `calendar.view`, the rest `calendar.edit`.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use services::calendar::{ActivityOut, ActivityPatch, CalendarWindowOut, NewActivity, WindowQuery};

use super::parse_id;
use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, ApiQuery, etag};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(calendar_window, create_activity))
        .routes(routes!(get_activity, update_activity, delete_activity))
}

/// Plans an activity for a client, assigned to whoever plans it unless `assignee_ids` says
/// otherwise; with `status` `done` it logs one already done (contact with the client).
#[utoipa::path(post, path = "/activities", tag = "calendar", security(("bearer" = [])),
    extensions(("x-permission" = json!("calendar.edit"))),
    request_body = NewActivity,
    responses((status = 201, description = "The activity, with its `ETag` and `Location`", body = ActivityOut)))]
async fn create_activity(
    mut ctx: Ctx,
    ApiJson(input): ApiJson<NewActivity>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("calendar.edit").await?;
    let created = services::calendar::create(&mut ctx, input).await?;
    ctx.commit().await?;
    let location = format!("/api/v1/activities/{}", created.value.id);
    let mut res = etag::with_etag(StatusCode::CREATED, created).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// A window of the calendar: every occurrence meeting `[from, to)`, earliest first, recurring
/// activities expanded in their own time zone (across daylight-saving changes).
#[utoipa::path(get, path = "/activities", tag = "calendar", security(("bearer" = [])),
    extensions(("x-permission" = json!("calendar.view"))),
    params(WindowQuery),
    responses((status = 200, description = "The occurrences in the window", body = CalendarWindowOut)))]
async fn calendar_window(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<WindowQuery>,
) -> ApiResult<ApiJson<CalendarWindowOut>> {
    ctx.require("calendar.view").await?;
    let filter = q.parse(services::clock::now())?;
    let window = services::calendar::window(&mut ctx, &filter).await?;
    ctx.done();
    Ok(ApiJson(window))
}

/// One activity.
#[utoipa::path(get, path = "/activities/{id}", tag = "calendar", security(("bearer" = [])),
    extensions(("x-permission" = json!("calendar.view"))),
    params(("id" = Uuid, Path, description = "The activity")),
    responses(
        (status = 200, description = "The activity, with its `ETag`", body = ActivityOut),
        (status = 404, description = "No such activity")))]
async fn get_activity(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    ctx.require("calendar.view").await?;
    let id = parse_id(&id)?;
    let activity = services::calendar::get(&mut ctx, id).await?;
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, activity))
}

/// Changes an activity (`If-Match` honoured): moves it, completes it (`status` `done`: contact
/// with the client), cancels it, edits its details or its recurrence; `null` clears an
/// optional member.
#[utoipa::path(patch, path = "/activities/{id}", tag = "calendar", security(("bearer" = [])),
    extensions(("x-permission" = json!("calendar.edit"))),
    params(("id" = Uuid, Path, description = "The activity"), IfMatch),
    request_body = ActivityPatch,
    responses(
        (status = 200, description = "The activity as changed, with its new `ETag`", body = ActivityOut),
        (status = 404, description = "No such activity"),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_activity(
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<ActivityPatch>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("calendar.edit").await?;
    let id = parse_id(&id)?;
    let expected = etag::expected(&headers);
    let activity = services::calendar::update(&mut ctx, id, patch, &expected).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, activity))
}

/// Deletes an activity (a series with all its occurrences).
#[utoipa::path(delete, path = "/activities/{id}", tag = "calendar", security(("bearer" = [])),
    extensions(("x-permission" = json!("calendar.edit"))),
    params(("id" = Uuid, Path, description = "The activity")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such activity")))]
async fn delete_activity(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<StatusCode> {
    ctx.require("calendar.edit").await?;
    let id = parse_id(&id)?;
    services::calendar::delete(&mut ctx, id).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
