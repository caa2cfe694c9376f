//! Google Calendar's push notices (`events.watch` channels): a POST with no body, naming the
//! channel in `X-Goog-Channel-ID`. The channel's id is a random secret only Google and the
//! CRM know; a notice for a channel no connection of the tenant holds answers 404 and changes
//! nothing. A known one makes its connection due for the worker's next pass.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use services::calendar::sync::notices;

use super::{commit, system_scope};
use crate::http::ApiError;
use crate::state::AppState;

/// `POST /api/v1/webhooks/google-calendar/{tenant}`
pub async fn notice(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let channel = headers
        .get("x-goog-channel-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (mut scope, _) = system_scope(&state, &tenant).await?;
    if !notices::google_notice(&mut scope, &channel).await? {
        return Err(ApiError::not_found());
    }
    commit(&state, scope).await?;
    Ok(StatusCode::OK.into_response())
}
