//! Inbound e-mail forwarded by a Mailgun route, signed with the domain's webhook signing key
//! (`timestamp`, `token`, `signature`), form-encoded or multipart with attachments.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::communications::Channel;
use integrations::mail::inbound::{message_key_of, parse_mailgun};
use integrations::webhook_signatures::verify_mailgun;
use services::communications::inbound::{self, InboundMessage};
use uuid::Uuid;

use super::{commit, open, refused, unreadable};
use crate::http::ApiError;
use crate::state::AppState;

/// The fields of a Mailgun post: form-encoded, or multipart when the e-mail has attachments
/// (their files are left out; the text says how many there were).
async fn mailgun_fields(
    request: axum::extract::Request,
    limit: usize,
) -> Result<Vec<(String, String)>, ApiError> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        let body = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|e| unreadable(e.to_string()))?;
        return serde_urlencoded::from_bytes(&body).map_err(|e| unreadable(e.to_string()));
    }
    let mut multipart =
        <axum::extract::Multipart as axum::extract::FromRequest<()>>::from_request(request, &())
            .await
            .map_err(|e| unreadable(e.body_text()))?;
    let mut fields = Vec::new();
    let mut files = 0;
    while let Some(part) = multipart
        .next_field()
        .await
        .map_err(|e| unreadable(e.body_text()))?
    {
        let name = part.name().unwrap_or_default().to_owned();
        if part.file_name().is_some() {
            files += 1;
            continue;
        }
        let value = part.text().await.map_err(|e| unreadable(e.body_text()))?;
        fields.push((name, value));
    }
    if files > 0 {
        fields.push(("attachments-left-out".into(), files.to_string()));
    }
    Ok(fields)
}

fn form_field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// An e-mail a client sent to the tenant, forwarded by a Mailgun route.
pub(super) async fn inbound(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let form = mailgun_fields(request, state.config.max_body_bytes).await?;
    let (mut scope, cipher, opened) = open(&state, &tenant, Channel::Email).await?;
    let key = opened.text("inbound_signing_key").unwrap_or_default();
    let signed = verify_mailgun(
        &key,
        form_field(&form, "timestamp"),
        form_field(&form, "token"),
        form_field(&form, "signature"),
        chrono::Utc::now().timestamp(),
    );
    if !signed {
        return Ok(refused());
    }
    let mail = parse_mailgun(&form).map_err(|e| {
        ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "unreadable-body",
            "Unreadable e-mail",
            e.to_string(),
        )
    })?;
    let mut body = mail.text;
    if let Some(n) = form.iter().find(|(k, _)| k == "attachments-left-out") {
        body.push_str(&format!("\n\n[{} attachment(s) not kept]", n.1));
    }
    let m = InboundMessage {
        channel: Channel::Email,
        from: mail.from,
        subject: mail.subject,
        body,
        provider_id: mail.message_id,
        received_at: chrono::Utc::now(),
        sender_name: mail.from_name,
        in_reply_to: mail
            .in_reply_to
            .as_deref()
            .and_then(message_key_of)
            .and_then(|k| Uuid::try_parse(k).ok()),
    };
    inbound::receive(&mut scope, &cipher, m).await?;
    commit(&state, scope).await?;
    Ok(StatusCode::OK.into_response())
}
