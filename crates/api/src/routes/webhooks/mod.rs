//! The providers' webhooks: WhatsApp Cloud (the subscription handshake, then signed events),
//! Twilio (inbound SMS and status callbacks), Mailgun (inbound e-mail forwarded by a
//! route) and Google Calendar's change notices (checked by their secret channel id). They carry no bearer credential: each is
//! verified with the tenant's own secret for the channel (`X-Hub-Signature-256` with the app
//! secret, `X-Twilio-Signature` with the auth token) before anything is read or stored, and
//! answers 401 when the signature does not match. The tenant is in the path; a tenant without
//! the channel set up answers 404. They are for the providers, not API clients, so they are
//! not in the OpenAPI document (docs/communications.md describes them).

mod google_calendar;
mod mailgun;
mod twilio;
mod whatsapp;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use db::TenantTx;
use db::audit::Actor;
use domain::communications::Channel;
use services::Scope;
use services::communications::channels::{self, Opened};
use uuid::Uuid;

use crate::http::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/webhooks/whatsapp/{tenant}",
            get(whatsapp::handshake).post(whatsapp::events),
        )
        .route(
            "/api/v1/webhooks/twilio/{tenant}/messages",
            post(twilio::inbound),
        )
        .route(
            "/api/v1/webhooks/twilio/{tenant}/status",
            post(twilio::status),
        )
        .route("/api/v1/webhooks/mailgun/{tenant}", post(mailgun::inbound))
        .route(
            "/api/v1/webhooks/google-calendar/{tenant}",
            post(google_calendar::notice),
        )
}

/// A scope of the system in the tenant named by the path segment `tenant`, with its cipher;
/// 404 for anything that is not a tenant id.
pub async fn system_scope(
    state: &AppState,
    tenant: &str,
) -> Result<(Scope, std::sync::Arc<db::crypto::TenantCipher>), ApiError> {
    let tenant = Uuid::try_parse(tenant).map_err(|_| ApiError::not_found())?;
    let mut tx = TenantTx::begin(&state.db, tenant).await?;
    if db::tenants::get(&mut tx, tenant).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let cipher = state
        .ciphers
        .get(&mut tx, &state.master_keys)
        .await
        .map_err(ApiError::internal)?;
    Ok((Scope::new(tx, Actor::system()), cipher))
}

/// [`system_scope`] with the tenant's settings of `channel` opened; 404 for an unknown tenant
/// or a channel it has not set up.
pub(super) async fn open(
    state: &AppState,
    tenant: &str,
    channel: Channel,
) -> Result<(Scope, std::sync::Arc<db::crypto::TenantCipher>, Opened), ApiError> {
    let (mut scope, cipher) = system_scope(state, tenant).await?;
    let opened = channels::open(&mut scope, &cipher, channel)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((scope, cipher, opened))
}

/// Commits and hands the recorded events to the live streams.
pub async fn commit(state: &AppState, scope: Scope) -> Result<(), ApiError> {
    let tenant = scope.tenant();
    let (tx, after) = scope.into_parts();
    tx.commit().await?;
    crate::live::committed(state, tenant, after.recorded);
    Ok(())
}

pub(super) fn refused() -> Response {
    ApiError::unauthorized("the webhook's signature does not match").into_response()
}

/// A body the provider's format cannot be read from.
pub(super) fn unreadable(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "unreadable-body",
        "Unreadable webhook",
        e.to_string(),
    )
}
