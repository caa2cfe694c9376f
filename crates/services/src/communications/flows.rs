//! The flows of one message: send it (committed `queued` with its delivery job, never sent in
//! the request) or log a call, read it, and mark an inbound one seen.

use chrono::{DateTime, Utc};
use db::clients::ClientRow;
use db::communications::{CommunicationRow, NewCommunication};
use db::crypto::TenantCipher;
use domain::communications::{Channel, Direction, MessageStatus, WindowCheck, whatsapp_window};
use domain::{Email, EventType, Phone};
use serde_json::json;
use uuid::Uuid;

use super::input::{Content, Draft, NewMessage};
use super::output::{CommunicationOut, communication_out, excerpt, snapshot};
use super::templates::{self, Rendered};
use crate::jobs::{Job, enqueue};
use crate::{Change, Error, InvalidField, Result, Scope};

pub(super) use crate::clock::now;

/// A message by id; [`Error::NotFound`] when there is none.
pub async fn get(scope: &mut Scope, id: Uuid) -> Result<CommunicationOut> {
    let row = db::communications::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(communication_out(row))
}

/// Sends a message to a client, or logs a call with them. A message is stored `queued`
/// together with its delivery job, in the caller's transaction: it is sent once that commits,
/// by the worker. A call is stored `logged`.
pub async fn send(
    scope: &mut Scope,
    cipher: &TenantCipher,
    client_id: Uuid,
    input: NewMessage,
) -> Result<CommunicationOut> {
    send_at(scope, cipher, client_id, input, now()).await
}

/// [`send`] as written at `now` (the demo data's past moments).
pub async fn send_at(
    scope: &mut Scope,
    cipher: &TenantCipher,
    client_id: Uuid,
    input: NewMessage,
    now: DateTime<Utc>,
) -> Result<CommunicationOut> {
    send_message(scope, cipher, client_id, input, Vec::new(), now).await
}

/// A file sent with an e-mail (a proposal's PDF).
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The name the client sees, 1-200 characters, no path.
    pub filename: String,
    /// Its MIME type, e.g. `application/pdf`.
    pub content_type: String,
    /// At most [`ATTACHMENT_BYTES`].
    pub content: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("bytes", &self.content.len())
            .finish()
    }
}

/// Most bytes of one attachment (10 MiB).
pub const ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
/// Most attachments of one e-mail.
pub const MAX_ATTACHMENTS: usize = 10;

/// [`send`] for an e-mail with files: they are stored with the message, in the same
/// transaction, and every delivery attempt sends them as stored. Only an e-mail carries
/// files.
pub async fn send_with_attachments(
    scope: &mut Scope,
    cipher: &TenantCipher,
    client_id: Uuid,
    input: NewMessage,
    attachments: Vec<Attachment>,
) -> Result<CommunicationOut> {
    send_message(scope, cipher, client_id, input, attachments, now()).await
}

/// The one path of every message sent or logged, with its files (none but for an e-mail).
async fn send_message(
    scope: &mut Scope,
    cipher: &TenantCipher,
    client_id: Uuid,
    input: NewMessage,
    attachments: Vec<Attachment>,
    now: DateTime<Utc>,
) -> Result<CommunicationOut> {
    let mut problems = Vec::new();
    let draft = input.check(now, &mut problems);
    let client = db::clients::get(&mut scope.tx, client_id, false)
        .await?
        .ok_or(Error::NotFound)?;
    let Some(draft) = draft else {
        return Err(Error::Invalid(problems));
    };
    check_attachments(draft.channel, &attachments)?;
    let counterpart = counterpart(scope, cipher, &client, input.contact_id, &draft).await?;
    let message = content(scope, &client, input.contact_id, &draft).await?;
    if draft.channel.is_sent_by_provider() {
        check_channel_ready(scope, draft.channel).await?;
    }
    if draft.channel == Channel::Whatsapp && message.whatsapp_template.is_none() {
        check_window(scope, client.id, now).await?;
    }
    let row = store(
        scope,
        &client,
        input.contact_id,
        &draft,
        counterpart,
        message,
        now,
    )
    .await?;
    for (position, file) in (0_i16..).zip(&attachments) {
        db::communications::insert_attachment(
            &mut scope.tx,
            row.id,
            position,
            &file.filename,
            &file.content_type,
            &file.content,
        )
        .await?;
    }
    Ok(communication_out(row))
}

/// Files go with an e-mail only, within the stored limits.
fn check_attachments(channel: Channel, files: &[Attachment]) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    if channel != Channel::Email {
        return Err(Error::field(
            "/channel",
            format!("only an e-mail can carry attachments, not a {channel} message"),
        ));
    }
    if files.len() > MAX_ATTACHMENTS {
        return Err(Error::field(
            "/attachments",
            format!("at most {MAX_ATTACHMENTS} files go with one e-mail"),
        ));
    }
    let mut problems = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let name_chars = file.filename.chars().count();
        if name_chars == 0
            || name_chars > 200
            || file
                .filename
                .chars()
                .any(|c| c.is_control() || c == '/' || c == '\\')
        {
            problems.push(InvalidField::at(
                &format!("/attachments/{i}/filename"),
                "must be a file name of 1 to 200 characters, without a path",
            ));
        }
        let type_chars = file.content_type.chars().count();
        if !(3..=100).contains(&type_chars) || !file.content_type.contains('/') {
            problems.push(InvalidField::at(
                &format!("/attachments/{i}/content_type"),
                "must be a MIME type such as application/pdf",
            ));
        }
        if file.content.len() > ATTACHMENT_BYTES {
            problems.push(InvalidField::at(
                &format!("/attachments/{i}/content"),
                format!("is larger than {} MiB", ATTACHMENT_BYTES / (1024 * 1024)),
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems))
    }
}

/// Stores the message (and its job), and records it.
async fn store(
    scope: &mut Scope,
    client: &ClientRow,
    contact_id: Option<Uuid>,
    draft: &Draft,
    counterpart: String,
    message: Rendered,
    now: DateTime<Utc>,
) -> Result<CommunicationRow> {
    let id = Uuid::now_v7();
    let call = draft.call;
    let status = if call.is_some() {
        MessageStatus::Logged
    } else {
        MessageStatus::Queued
    };
    let occurred_at = call.and_then(|c| c.occurred_at).unwrap_or(now);
    // An e-mail answers the client's latest e-mail, so mail clients thread them together.
    let reply_to_id = match draft.channel {
        Channel::Email => db::communications::latest_inbound_email(&mut scope.tx, client.id)
            .await?
            .map(|(id, _)| id),
        _ => None,
    };
    let sentiment =
        (!message.body.trim().is_empty()).then(|| domain::sentiment::score(&message.body));
    let new = NewCommunication {
        id,
        client_id: client.id,
        contact_id,
        channel: draft.channel.as_str(),
        direction: call.map_or(Direction::Outbound, |c| c.direction).as_str(),
        counterpart,
        subject: message.subject,
        body: message.body,
        body_html: message.html,
        template_id: message.template_id,
        status: status.as_str(),
        message_key: id.to_string(),
        provider_message_id: None,
        reply_to_id,
        duration_seconds: call.map(|c| c.duration_seconds),
        outcome: call.map(|c| c.outcome.as_str()),
        sentiment_score: sentiment,
        created_by: scope.user_id(),
        occurred_at,
    };
    let mut row = db::communications::insert(&mut scope.tx, &new).await?;
    if call.is_some() && row.direction == Direction::Inbound.as_str() {
        // A call is logged by whoever took it: nobody has to read it in the inbox.
        db::communications::mark_seen(&mut scope.tx, &[id], now).await?;
        row.seen_at = Some(now);
    }
    let (kind, description) = match call {
        Some(c) => (
            EventType::CommunicationCallLogged,
            format!(
                "Call logged ({}, {} min)",
                c.outcome,
                (c.duration_seconds + 59) / 60
            ),
        ),
        None => (
            EventType::CommunicationQueued,
            format!("{} queued: {}", channel_name(draft.channel), headline(&row)),
        ),
    };
    scope
        .record(
            Change::of(kind, "communication", id)
                .after(snapshot(&row))
                .on_timeline_of(
                    client.id,
                    description,
                    json!({
                        "communication_id": id,
                        "channel": row.channel,
                        "direction": row.direction,
                        "excerpt": excerpt(&row.body),
                        "sentiment_score": row.sentiment_score,
                    }),
                )
                .dated(occurred_at),
        )
        .await?;
    if call.is_none() {
        let job = Job::DeliverCommunication {
            tenant_id: scope.tenant(),
            communication_id: id,
        };
        enqueue(scope, &job, Some(format!("deliver-{id}"))).await?;
    }
    Ok(row)
}

/// The channel's name in a sentence.
pub(super) fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "E-mail",
        Channel::Whatsapp => "WhatsApp message",
        Channel::Sms => "SMS",
        Channel::Phone => "Call",
    }
}

/// What a timeline line shows of a message: its subject, else its first words.
pub(super) fn headline(row: &CommunicationRow) -> String {
    if row.subject.is_empty() {
        excerpt(&row.body)
    } else {
        row.subject.clone()
    }
}

/// The address or number the message goes to: the one given, else the contact's, else the
/// client's first.
async fn counterpart(
    scope: &mut Scope,
    cipher: &TenantCipher,
    client: &ClientRow,
    contact_id: Option<Uuid>,
    draft: &Draft,
) -> Result<String> {
    let (emails, phones) = match contact_id {
        Some(id) => {
            let contact = db::contacts::get(&mut scope.tx, client.id, id)
                .await?
                .filter(|c| c.erased_at.is_none())
                .ok_or_else(|| Error::field("/contact_id", "is not a contact of this client"))?;
            let phones: Vec<String> = match contact.phones_cipher.as_deref() {
                Some(sealed) => serde_json::from_str(&cipher.decrypt(sealed)?)
                    .map_err(|e| Error::Corrupt(e.to_string()))?,
                None => Vec::new(),
            };
            (contact.emails, phones)
        }
        None => (client.emails.clone(), client.phones.clone()),
    };
    let by_email = draft.channel == Channel::Email;
    let raw = match &draft.to {
        Some(to) => to.clone(),
        None => {
            let known = if by_email {
                emails.first()
            } else {
                phones.first()
            };
            known.cloned().ok_or_else(|| {
                let what = if by_email {
                    "e-mail address"
                } else {
                    "phone number"
                };
                Error::field("/to", format!("the client has no {what}; give one in `to`"))
            })?
        }
    };
    let checked = if by_email {
        Email::parse(&raw).map(|e| e.as_str().to_owned())
    } else {
        Phone::parse(&raw, None).map(|p| p.as_str().to_owned())
    };
    checked.map_err(|e| Error::field("/to", e.0))
}

/// The message's words: as written, or its template rendered for the client.
async fn content(
    scope: &mut Scope,
    client: &ClientRow,
    contact_id: Option<Uuid>,
    draft: &Draft,
) -> Result<Rendered> {
    match &draft.content {
        Content::Written { subject, body } => Ok(Rendered::written(
            draft.channel,
            subject.clone(),
            body.clone(),
        )),
        Content::Template(id) => {
            let template = templates::load(scope, *id)
                .await?
                .ok_or_else(|| Error::field("/template_id", "is not a template of the tenant"))?;
            if template.channel != draft.channel.as_str() {
                return Err(Error::field(
                    "/template_id",
                    format!(
                        "is a template for {}, not {}",
                        template.channel, draft.channel
                    ),
                ));
            }
            templates::render_for(scope, &template, client, contact_id, "/template_id").await
        }
    }
}

/// Fails unless the tenant set the channel up and enabled it.
async fn check_channel_ready(scope: &mut Scope, channel: Channel) -> Result<()> {
    let ready = db::channel_settings::get(&mut scope.tx, channel.as_str())
        .await?
        .is_some_and(|s| s.enabled);
    if ready {
        return Ok(());
    }
    Err(Error::Invalid(vec![InvalidField::at(
        "/channel",
        format!(
            "the {channel} channel is not set up for this tenant; an administrator sets it in \
             /admin/channels"
        ),
    )]))
}

/// Free WhatsApp text is allowed only within 24 hours of the client's last message.
async fn check_window(scope: &mut Scope, client_id: Uuid, now: DateTime<Utc>) -> Result<()> {
    let last = db::communications::last_inbound_at(&mut scope.tx, client_id, "whatsapp").await?;
    match whatsapp_window(last, now) {
        WindowCheck::OpenUntil(_) => Ok(()),
        WindowCheck::Closed(closed_at) => {
            let since = closed_at.map_or_else(
                || " has never written on WhatsApp".to_owned(),
                |t| format!("'s window closed at {}", t.to_rfc3339()),
            );
            Err(Error::Invalid(vec![InvalidField::at(
                "/body",
                format!(
                    "outside WhatsApp's 24-hour customer-service window only an approved \
                     template can be sent (the client{since}); send a template with a \
                     provider name instead"
                ),
            )]))
        }
    }
}

/// Marks an inbound message as read by the tenant (the inbox's unread count goes down).
pub async fn mark_seen(scope: &mut Scope, id: Uuid) -> Result<CommunicationOut> {
    let row = db::communications::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    if row.direction == Direction::Inbound.as_str() && row.seen_at.is_none() {
        db::communications::mark_seen(&mut scope.tx, &[id], now()).await?;
    }
    get(scope, id).await
}
