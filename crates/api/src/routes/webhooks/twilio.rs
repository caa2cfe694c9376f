//! Twilio's webhooks, signed with the account's auth token over the URL and the form
//! (`X-Twilio-Signature`): SMS clients send, and status callbacks of ours.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::communications::{Channel, MessageStatus};
use integrations::sms::{SmsStatus, parse_inbound, parse_status_callback};
use integrations::webhook_signatures::verify_twilio;
use services::communications::channels::Opened;
use services::communications::inbound::{self, InboundMessage, StatusReport};

use super::{commit, open, refused, unreadable};
use crate::http::ApiError;
use crate::state::AppState;

/// The URL Twilio signed: the public address and the path.
fn signed_url(state: &AppState, headers: &HeaderMap, path: &str) -> String {
    format!("{}{path}", crate::http::public_base(state, headers))
}

/// The form of a Twilio callback, verified with the tenant's auth token.
fn verified_form(
    state: &AppState,
    opened: &Opened,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
) -> Option<Vec<(String, String)>> {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    let token = opened.text("auth_token")?;
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok());
    verify_twilio(&token, &signed_url(state, headers, path), &form, signature).then_some(form)
}

/// An SMS a client sent to the tenant's number.
pub(super) async fn inbound(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (mut scope, cipher, opened) = open(&state, &tenant, Channel::Sms).await?;
    let path = format!("/api/v1/webhooks/twilio/{tenant}/messages");
    let Some(form) = verified_form(&state, &opened, &headers, &path, &body) else {
        return Ok(refused());
    };
    let sms = parse_inbound(&form).map_err(unreadable)?;
    let m = InboundMessage {
        channel: Channel::Sms,
        from: sms.from,
        subject: String::new(),
        body: sms.body,
        provider_id: sms.sid,
        received_at: chrono::Utc::now(),
        sender_name: None,
        in_reply_to: None,
    };
    inbound::receive(&mut scope, &cipher, m).await?;
    commit(&state, scope).await?;
    // An empty TwiML answer: no automatic reply.
    Ok((
        [(header::CONTENT_TYPE, "text/xml")],
        "<Response></Response>",
    )
        .into_response())
}

/// A status callback of an SMS we sent.
pub(super) async fn status(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (mut scope, _, opened) = open(&state, &tenant, Channel::Sms).await?;
    let path = format!("/api/v1/webhooks/twilio/{tenant}/status");
    let Some(form) = verified_form(&state, &opened, &headers, &path, &body) else {
        return Ok(refused());
    };
    let update = parse_status_callback(&form).map_err(unreadable)?;
    let status = match &update.status {
        SmsStatus::Sent => Some(MessageStatus::Sent),
        SmsStatus::Delivered => Some(MessageStatus::Delivered),
        SmsStatus::Read => Some(MessageStatus::Read),
        s if s.is_failure() => Some(MessageStatus::Failed),
        _ => None,
    };
    if let Some(status) = status {
        let reason = status.eq(&MessageStatus::Failed).then(|| {
            let code = update.error_code.clone().unwrap_or_default();
            let message = update
                .error_message
                .clone()
                .unwrap_or_else(|| "undelivered".into());
            if code.is_empty() {
                message
            } else {
                format!("{message} (Twilio error {code})")
            }
        });
        let r = StatusReport {
            channel: Channel::Sms,
            provider_id: update.sid,
            client_reference: None,
            status,
            reason,
            at: chrono::Utc::now(),
        };
        inbound::apply_report(&mut scope, r).await?;
    }
    commit(&state, scope).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
