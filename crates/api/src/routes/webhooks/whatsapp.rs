//! WhatsApp Cloud's webhook: the subscription handshake with the verify token, then events
//! signed with the app secret (`X-Hub-Signature-256`): inbound messages and statuses of ours.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::communications::{Channel, MessageStatus};
use integrations::webhook_signatures::verify_meta;
use integrations::whatsapp::{self, WhatsAppEvent, parse_webhook, verify_subscription};
use services::communications::inbound::{self, InboundMessage, StatusReport};

use super::{commit, open, refused, unreadable};
use crate::http::ApiError;
use crate::state::AppState;

/// Meta's subscription check: echo `hub.challenge` when the verify token is the tenant's.
pub(super) async fn handshake(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (scope, _, opened) = open(&state, &tenant, Channel::Whatsapp).await?;
    scope.tx.end_read_only();
    let expected = opened.text("verify_token").unwrap_or_default();
    let get = |k: &str| q.get(k).map(String::as_str);
    match verify_subscription(
        get("hub.mode"),
        get("hub.verify_token"),
        get("hub.challenge"),
        &expected,
    ) {
        Some(challenge) => Ok((StatusCode::OK, challenge).into_response()),
        None => Ok(ApiError::forbidden("the WhatsApp verify token").into_response()),
    }
}

fn whatsapp_status(s: whatsapp::MessageStatus) -> MessageStatus {
    match s {
        whatsapp::MessageStatus::Sent => MessageStatus::Sent,
        whatsapp::MessageStatus::Delivered => MessageStatus::Delivered,
        whatsapp::MessageStatus::Read => MessageStatus::Read,
        whatsapp::MessageStatus::Failed => MessageStatus::Failed,
    }
}

fn at(unix: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(unix, 0).unwrap_or_else(chrono::Utc::now)
}

/// Signed WhatsApp events: inbound messages and statuses of ours.
pub(super) async fn events(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (mut scope, cipher, opened) = open(&state, &tenant, Channel::Whatsapp).await?;
    let secret = opened.text("app_secret").unwrap_or_default();
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if secret.is_empty() || !verify_meta(secret.as_bytes(), &body, signature) {
        return Ok(refused());
    }
    let events = parse_webhook(&body).map_err(unreadable)?;
    let ours = opened.text("phone_number_id").unwrap_or_default();
    for event in events {
        match event {
            WhatsAppEvent::Inbound {
                phone_number_id,
                from,
                wamid,
                text,
                timestamp,
                profile_name,
                kind,
                ..
            } if phone_number_id == ours => {
                let body = text.unwrap_or_else(|| format!("[{kind}]"));
                let m = InboundMessage {
                    channel: Channel::Whatsapp,
                    from,
                    subject: String::new(),
                    body,
                    provider_id: wamid,
                    received_at: at(timestamp),
                    sender_name: profile_name,
                    in_reply_to: None,
                };
                inbound::receive(&mut scope, &cipher, m).await?;
            }
            WhatsAppEvent::Status {
                phone_number_id,
                wamid,
                status,
                reason,
                timestamp,
                client_reference,
            } if phone_number_id == ours => {
                let r = StatusReport {
                    channel: Channel::Whatsapp,
                    provider_id: wamid,
                    client_reference,
                    status: whatsapp_status(status),
                    reason,
                    at: at(timestamp),
                };
                inbound::apply_report(&mut scope, r).await?;
            }
            _ => {}
        }
    }
    commit(&state, scope).await?;
    Ok(StatusCode::OK.into_response())
}
