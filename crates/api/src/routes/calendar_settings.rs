//! The signed-in user's calendar settings: `GET /api/v1/me/calendar-settings` reads their
//! default reminders (the product's defaults until they set their own), `PUT` sets them (with
//! `If-Match`, optional) and plans again the reminders of their activities that follow them.
//! Needs `calendar.view`; an API key has no calendar settings.

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use services::calendar::{self, CalendarSettingsChange, CalendarSettingsOut};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, etag};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read_settings, change_settings))
}

/// Your calendar settings: the reminders of the activities assigned to you that set none.
#[utoipa::path(get, path = "/me/calendar-settings", tag = "calendar", security(("bearer" = [])),
    extensions(("x-permission" = json!("calendar.view"))),
    responses((status = 200, description = "Your settings, with their `ETag`", body = CalendarSettingsOut)))]
async fn read_settings(mut ctx: Ctx) -> ApiResult<impl IntoResponse> {
    ctx.require("calendar.view").await?;
    let out = calendar::settings(&mut ctx).await?;
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, out))
}

/// Sets your default reminders; your activities that set none follow them from now on.
#[utoipa::path(put, path = "/me/calendar-settings", tag = "calendar", security(("bearer" = [])),
    extensions(("x-permission" = json!("calendar.view"))),
    params(IfMatch),
    request_body = CalendarSettingsChange,
    responses(
        (status = 200, description = "Your settings as changed, with their new `ETag`", body = CalendarSettingsOut),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn change_settings(
    mut ctx: Ctx,
    headers: HeaderMap,
    ApiJson(change): ApiJson<CalendarSettingsChange>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("calendar.view").await?;
    let expected = etag::expected(&headers);
    let out = calendar::change_settings(&mut ctx, change, &expected).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, out))
}
