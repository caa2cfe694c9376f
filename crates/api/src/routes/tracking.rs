//! E-mail engagement: the tracking image (`/t/o/…`) and the click redirect (`/t/c/…`) the
//! worker puts in e-mails. Both are signed per message (and per link) with the tenant's keyed
//! hash (`services::communications::tracking`): a forged or altered address answers 404, so
//! the redirect cannot send anyone elsewhere. Not in the OpenAPI document: mail clients, not
//! API clients, call them.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use services::communications::tracking;

use super::webhooks::{commit, system_scope};
use crate::http::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/t/o/{tenant}/{id}", get(opened))
        .route("/t/c/{tenant}/{id}", get(clicked))
}

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

#[derive(Deserialize)]
struct Signed {
    s: Option<String>,
    u: Option<String>,
}

fn message_id(raw: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::try_parse(raw).map_err(|_| ApiError::not_found())
}

async fn opened(
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    Query(q): Query<Signed>,
) -> Result<Response, ApiError> {
    let id = message_id(&id)?;
    let (mut scope, cipher) = system_scope(&state, &tenant).await?;
    let signature = q.s.unwrap_or_default();
    tracking::record_open(&mut scope, &cipher, id, &signature, chrono::Utc::now()).await?;
    commit(&state, scope).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/gif"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PIXEL,
    )
        .into_response())
}

async fn clicked(
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    Query(q): Query<Signed>,
) -> Result<Response, ApiError> {
    let id = message_id(&id)?;
    let (mut scope, cipher) = system_scope(&state, &tenant).await?;
    let (url, signature) = (q.u.unwrap_or_default(), q.s.unwrap_or_default());
    let to = tracking::record_click(
        &mut scope,
        &cipher,
        id,
        &url,
        &signature,
        chrono::Utc::now(),
    )
    .await?;
    commit(&state, scope).await?;
    Ok((StatusCode::FOUND, [(header::LOCATION, to)]).into_response())
}
