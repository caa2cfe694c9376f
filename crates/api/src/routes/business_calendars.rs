//! Business calendars (time zone, weekly hours, holidays) that ticket categories measure their
//! SLA on, and the import of holidays from an iCalendar feed. Reading them needs
//! `tickets.view`; defining them `tickets.config`.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use services::tickets::{CalendarInput, CalendarOut};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_id;
use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, etag, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_calendars, create_calendar))
        .routes(routes!(get_calendar, update_calendar, delete_calendar))
        .routes(routes!(import_holidays))
}

/// The body of `POST /business-calendars`: a `CalendarInput` with its name, time zone and
/// weekly hours.
pub struct NewCalendar;

impl PartialSchema for NewCalendar {
    fn schema() -> RefOr<Schema> {
        let name = schemas::not_blank(100).description(Some("1-100 characters."));
        let zone = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^(UTC|[A-Za-z0-9_+\-]*/[A-Za-z0-9_+\-/]*)$"))
            .description(Some("An IANA time zone such as `Europe/Madrid`, or `UTC`."));
        let hours = match services::tickets::schema::weekly_hours_out() {
            Schema::Object(o) => o,
            _ => ObjectBuilder::new().schema_type(Type::Object).build(),
        };
        schemas::requiring(
            CalendarInput::schema(),
            [
                ("name", name.build()),
                ("time_zone", zone.build()),
                ("weekly_hours", hours),
            ],
        )
    }
}

impl ToSchema for NewCalendar {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((CalendarInput::name().into_owned(), CalendarInput::schema()));
        CalendarInput::schemas(schemas);
    }
}

/// Every business calendar, by name.
#[utoipa::path(get, path = "/business-calendars", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.view"))),
    responses((status = 200, description = "Every calendar", body = Vec<CalendarOut>)))]
async fn list_calendars(mut ctx: Ctx) -> ApiResult<ApiJson<Vec<CalendarOut>>> {
    ctx.require("tickets.view").await?;
    let calendars = services::tickets::calendars::list(&mut ctx).await?;
    ctx.done();
    Ok(ApiJson(calendars))
}

/// Defines a business calendar.
#[utoipa::path(post, path = "/business-calendars", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.config"))),
    request_body = NewCalendar,
    responses((status = 201, description = "The calendar, with its `ETag`", body = CalendarOut)))]
async fn create_calendar(
    mut ctx: Ctx,
    ApiJson(input): ApiJson<CalendarInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("tickets.config").await?;
    let calendar = services::tickets::calendars::create(&mut ctx, input).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::CREATED, calendar))
}

/// One business calendar.
#[utoipa::path(get, path = "/business-calendars/{id}", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.view"))),
    params(("id" = Uuid, Path, description = "The calendar")),
    responses(
        (status = 200, description = "The calendar, with its `ETag`", body = CalendarOut),
        (status = 404, description = "No such calendar")))]
async fn get_calendar(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    ctx.require("tickets.view").await?;
    let id = parse_id(&id)?;
    let calendar = services::tickets::calendars::get(&mut ctx, id).await?;
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, calendar))
}

/// Changes a calendar (`If-Match` honoured); absent members keep their value. The open
/// tickets of the categories measured on it get their due times again.
#[utoipa::path(patch, path = "/business-calendars/{id}", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.config"))),
    params(("id" = Uuid, Path, description = "The calendar"), IfMatch),
    request_body = CalendarInput,
    responses(
        (status = 200, description = "The calendar as changed, with its new `ETag`", body = CalendarOut),
        (status = 404, description = "No such calendar"),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_calendar(
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<CalendarInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("tickets.config").await?;
    let id = parse_id(&id)?;
    let expected = etag::expected(&headers);
    let calendar = services::tickets::calendars::update(&mut ctx, id, input, &expected).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, calendar))
}

/// Deletes a calendar no category is measured on.
#[utoipa::path(delete, path = "/business-calendars/{id}", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.config"))),
    params(("id" = Uuid, Path, description = "The calendar")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such calendar"),
        (status = 409, description = "A category is measured on the calendar (`calendar-in-use`).")))]
async fn delete_calendar(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<StatusCode> {
    ctx.require("tickets.config").await?;
    let id = parse_id(&id)?;
    services::tickets::calendars::delete(&mut ctx, id).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether the request says its body is an iCalendar feed.
fn is_ical(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/calendar"))
}

/// Adds the dates of every event of an iCalendar feed (such as a public-holiday calendar) to
/// the calendar's holidays (`If-Match` honoured). Recurrence rules are not expanded.
#[utoipa::path(post, path = "/business-calendars/{id}/holidays", tag = "tickets",
    security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.config"))),
    params(("id" = Uuid, Path, description = "The calendar"), IfMatch),
    request_body(description = "An iCalendar feed (RFC 5545), UTF-8", content = String,
        content_type = "text/calendar"),
    responses(
        (status = 200, description = "The calendar with the feed's holidays added, with its new `ETag`", body = CalendarOut),
        (status = 404, description = "No such calendar"),
        (status = 412, description = IF_MATCH_FAILED),
        (status = 422, description = "The body is not a readable iCalendar feed, or the holidays would be more than 1,000 (`validation-failed`).")))]
async fn import_holidays(
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    ctx.require("tickets.config").await?;
    let id = parse_id(&id)?;
    if !is_ical(&headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "Send the feed as `Content-Type: text/calendar`.",
        ));
    }
    let feed = std::str::from_utf8(&body).map_err(|_| ApiError::field("", "is not UTF-8 text"))?;
    let expected = etag::expected(&headers);
    let calendar =
        services::tickets::calendars::import_holidays(&mut ctx, id, feed, &expected).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, calendar))
}
