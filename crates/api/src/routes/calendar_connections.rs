//! The signed-in user's connected calendars: `GET /api/v1/me/calendar-connections` lists them
//! with their sync health, `POST` starts connecting one (the answer names the provider's page
//! to send the user to; the provider sends them back to the console's
//! `/calendar/connections/{provider}/callback`, which finishes it), and `DELETE …/{id}`
//! disconnects one (tokens deleted, then revoked at the provider). Needs `calendar.view`; a
//! connection is its user's alone, and an API key has none.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use services::calendar::connections::{
    self, AuthorizationOut, ConnectionOut, ConnectionStart, DisconnectedOut,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_id;
use crate::auth::Ctx;
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, public_base};
use crate::routes::clients::cipher;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connections, start_connection))
        .routes(routes!(disconnect))
}

/// Where a provider sends the user back after they allowed (or refused) the connection.
pub fn callback_url(base: &str, provider: &str) -> String {
    format!("{base}/calendar/connections/{provider}/callback")
}

/// Your connected calendars, with each one's sync health: token age, push channel expiry,
/// last success, last error and the events set aside.
#[utoipa::path(get, path = "/me/calendar-connections", tag = "calendar", security(("bearer" = [])),
    extensions(("x-permission" = json!("calendar.view"))),
    responses((status = 200, description = "Your connections", body = [ConnectionOut])))]
async fn list_connections(mut ctx: Ctx) -> ApiResult<Json<Vec<ConnectionOut>>> {
    ctx.require("calendar.view").await?;
    let out = connections::list(&mut ctx).await?;
    ctx.done();
    Ok(Json(out))
}

/// Starts connecting your Google or Outlook calendar: send the user to `authorize_url` within
/// ten minutes; the provider brings them back to the console, which finishes the connection.
#[utoipa::path(post, path = "/me/calendar-connections", tag = "calendar", security(("bearer" = [])),
    extensions(("x-permission" = json!("calendar.view"))),
    request_body = ConnectionStart,
    responses(
        (status = 201, description = "The provider's page to send the user to", body = AuthorizationOut),
        (status = 409, description = "`calendar-provider-not-configured`: this platform is not registered with the provider")))]
async fn start_connection(
    State(state): State<AppState>,
    mut ctx: Ctx,
    headers: HeaderMap,
    ApiJson(start): ApiJson<ConnectionStart>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("calendar.view").await?;
    let cipher = cipher(&state, &mut ctx).await?;
    let redirect = callback_url(&public_base(&state, &headers), &start.provider);
    let out = connections::start(
        &mut ctx,
        &cipher,
        &state.config.calendar_providers,
        &start,
        &redirect,
    )
    .await?;
    ctx.commit().await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Disconnects one of your calendars: its tokens, links and set-aside events are deleted and
/// the grant revoked at the provider where it has a revocation endpoint (Google).
#[utoipa::path(delete, path = "/me/calendar-connections/{id}", tag = "calendar", security(("bearer" = [])),
    extensions(("x-permission" = json!("calendar.view"))),
    params(("id" = Uuid, Path, description = "The connection")),
    responses(
        (status = 200, description = "Disconnected", body = DisconnectedOut),
        (status = 404, description = "You have no such connection")))]
async fn disconnect(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<Json<DisconnectedOut>> {
    ctx.require("calendar.view").await?;
    let id = parse_id(&id)?;
    let cipher = cipher(&state, &mut ctx).await?;
    let out = connections::disconnect(
        &mut ctx,
        &cipher,
        &state.config.calendar_providers,
        &state.oauth,
        id,
    )
    .await?;
    ctx.commit().await?;
    Ok(Json(out))
}
