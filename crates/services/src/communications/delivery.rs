//! Hands a queued message to its provider: the worker's side of sending (`Job::DeliverCommunication`).
//!
//! One delivery is three steps, so that a worker killed at any point loses nothing and sends
//! twice only inside a documented window:
//! 1. [`prepare`], in a transaction that commits before the provider is called: lock the
//!    message; stop if it is no longer `queued`; hold back if the tenant's per-minute limit is
//!    reached; else record the attempt (`attempts + 1`, `attempt_started_at`).
//! 2. [`Attempt::call`], outside any transaction: the provider call, with the message's stable
//!    key (the SMTP `Message-ID`, WhatsApp's `biz_opaque_callback_data`). When the previous
//!    attempt's outcome is unknown (`attempt_started_at` was still set: its worker died during
//!    the call, or the connection broke after the request went out) an SMS is first looked up
//!    at Twilio and not resent if found; an e-mail is resent with the same `Message-ID`; a
//!    WhatsApp message is resent (the Cloud API cannot be asked).
//! 3. [`settle`], in a second transaction: `sent` with the provider's id, `failed` with its
//!    reason when refused for good or after [`MAX_DELIVERY_ATTEMPTS`], or the attempt closed
//!    and the job retried with the queue's backoff.

use chrono::{DateTime, Duration, Utc};
use db::communications::CommunicationRow;
use db::crypto::TenantCipher;
use domain::EventType;
use domain::communications::{Channel, MAX_DELIVERY_ATTEMPTS, MessageStatus};
use integrations::DeliveryError;
use integrations::mail::public_host::check_public_host;
use integrations::mail::{MailAttachment, MailTransport, OutgoingMail, message_id_for};
use integrations::sms::SmsApi;
use integrations::whatsapp::{WhatsAppApi, WhatsAppMessage};
use serde_json::json;
use uuid::Uuid;

use super::channels::{self, Platform, Sender};
use super::flows::{channel_name, headline, now};
use super::output::excerpt;
use super::send_window::SendWindow;
use crate::{Change, Error, Result, Scope};

/// The provider clients the worker sends with.
pub struct Providers {
    pub mail: Box<dyn MailTransport>,
    pub whatsapp: Box<dyn WhatsAppApi>,
    pub sms: Box<dyn SmsApi>,
    pub platform: Platform,
    /// Where the tenants' per-minute send limits are counted.
    pub sends: Box<dyn SendWindow>,
}

/// What the first step decided.
pub enum Step {
    /// Nothing to do: the message is no longer queued (sent, failed, or gone).
    Done,
    /// The tenant's per-minute limit on the channel is reached: try again later, without
    /// using an attempt. With the channel.
    Throttled(String),
    /// The message failed for good before any call (its channel was switched off or its
    /// settings are incomplete); recorded. With the channel.
    Failed(String),
    /// Call the provider.
    Send(Box<Attempt>),
}

/// One attempt, recorded, ready for its provider call.
pub struct Attempt {
    pub message: CommunicationRow,
    sender: Sender,
    /// The previous attempt may have reached the provider.
    previous_unknown: bool,
    whatsapp_template: Option<(String, String, Vec<String>)>,
    /// Where the provider reports the message's status, when it takes such a URL.
    status_callback: Option<String>,
    /// An e-mail's HTML with its tracking image and redirect links, when the API's public
    /// address is known.
    tracked_html: Option<String>,
    /// The Message-ID of the client's e-mail this one answers (`In-Reply-To`, `References`).
    answers: Option<String>,
    /// An e-mail's files, as stored with it: every attempt sends the same bytes.
    attachments: Vec<MailAttachment>,
}

/// How the delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Failed(String),
    /// Not decided: the job runs again after the queue's backoff.
    RetryLater(String),
}

/// Step 1: lock the message and record the attempt, or say why not.
pub async fn prepare(
    scope: &mut Scope,
    cipher: &TenantCipher,
    id: Uuid,
    providers: &Providers,
) -> Result<Step> {
    let platform = &providers.platform;
    let Some(row) = db::communications::get_for_update(&mut scope.tx, id).await? else {
        return Ok(Step::Done);
    };
    if row.status != MessageStatus::Queued.as_str() {
        return Ok(Step::Done);
    }
    let channel = Channel::parse(&row.channel).map_err(|e| Error::Corrupt(e.0))?;
    let opened = channels::open(scope, cipher, channel).await?;
    let Some(opened) = opened.filter(|o| o.enabled) else {
        fail(
            scope,
            &row,
            "the channel is switched off for this tenant",
            now(),
        )
        .await?;
        return Ok(Step::Failed(row.channel.clone()));
    };
    let sender = match channels::sender(channel, &opened, platform) {
        Ok(s) => s,
        Err(Error::Corrupt(why)) => {
            fail(scope, &row, &why, now()).await?;
            return Ok(Step::Failed(row.channel.clone()));
        }
        Err(e) => return Err(e),
    };
    let started_at = now();
    if !within_limit(
        scope,
        providers,
        &row.channel,
        opened.per_minute_limit,
        started_at,
    )
    .await?
    {
        return Ok(Step::Throttled(row.channel.clone()));
    }
    let whatsapp_template = match (channel, row.template_id) {
        (Channel::Whatsapp, Some(t)) => approved_template(scope, &row, t).await?,
        _ => None,
    };
    db::communications::begin_attempt(&mut scope.tx, id, started_at).await?;
    let tracked_html = tracked_html(&row, cipher, scope.tenant(), platform);
    let answers = match row.reply_to_id.filter(|_| channel == Channel::Email) {
        Some(id) => db::communications::get(&mut scope.tx, id)
            .await?
            .and_then(|m| m.provider_message_id),
        None => None,
    };
    let attachments = match channel {
        Channel::Email => stored_attachments(scope, id).await?,
        _ => Vec::new(),
    };
    Ok(Step::Send(Box::new(Attempt {
        tracked_html,
        answers,
        attachments,
        previous_unknown: row.attempt_started_at.is_some(),
        message: row,
        sender,
        whatsapp_template,
        status_callback: platform.public_url.as_ref().map(|base| {
            let base = base.trim_end_matches('/');
            format!("{base}/api/v1/webhooks/twilio/{}/status", scope.tenant())
        }),
    })))
}

/// Takes one send of the tenant's per-minute limit on `channel`: from the send window, or
/// counted in the database when the window cannot be reached.
async fn within_limit(
    scope: &mut Scope,
    providers: &Providers,
    channel: &str,
    limit: i32,
    at: DateTime<Utc>,
) -> Result<bool> {
    let limit = u32::try_from(limit).unwrap_or(0);
    if let Some(taken) = providers.sends.take(scope.tenant(), channel, limit).await {
        return Ok(taken);
    }
    let since = at - Duration::minutes(1);
    let recent = db::communications::sent_since(&mut scope.tx, channel, since).await?;
    Ok(recent < i64::from(limit))
}

/// The files stored with message `id`, in their order.
async fn stored_attachments(scope: &mut Scope, id: Uuid) -> Result<Vec<MailAttachment>> {
    let rows = db::communications::attachments(&mut scope.tx, id).await?;
    Ok(rows
        .into_iter()
        .map(|a| MailAttachment {
            filename: a.filename,
            content_type: a.content_type,
            content: a.content,
        })
        .collect())
}

/// An e-mail's HTML part with its engagement tracking (see `super::tracking`).
fn tracked_html(
    row: &CommunicationRow,
    cipher: &TenantCipher,
    tenant: Uuid,
    platform: &Platform,
) -> Option<String> {
    let html = row.body_html.as_deref()?;
    let base = platform
        .public_url
        .as_deref()?
        .trim_end_matches('/')
        .to_owned();
    let tracker = super::tracking::Tracker {
        cipher,
        base,
        tenant,
        message: row.id,
    };
    Some(tracker.apply(html))
}

/// The approved WhatsApp template a message was written from, with its parameters.
async fn approved_template(
    scope: &mut Scope,
    row: &CommunicationRow,
    template_id: Uuid,
) -> Result<Option<(String, String, Vec<String>)>> {
    let Some(template) = super::templates::load(scope, template_id).await? else {
        return Ok(None);
    };
    let Some(client) = db::clients::get(&mut scope.tx, row.client_id, true).await? else {
        return Ok(None);
    };
    let rendered =
        super::templates::render_for(scope, &template, &client, row.contact_id, "/template_id")
            .await;
    Ok(rendered.ok().and_then(|r| r.whatsapp_template))
}

impl Attempt {
    /// Step 2: the provider call. Returns the provider's id of the message.
    pub async fn call(
        &self,
        providers: &Providers,
    ) -> std::result::Result<Option<String>, DeliveryError> {
        let m = &self.message;
        match &self.sender {
            Sender::Email(settings) => {
                if !providers.platform.allow_internal_smtp {
                    check_public_host(&settings.host, settings.port).await?;
                }
                let domain = settings
                    .from_address
                    .rsplit('@')
                    .next()
                    .unwrap_or("crm.invalid");
                let mail = OutgoingMail {
                    message_id: message_id_for(&m.message_key, domain),
                    to: m.counterpart.clone(),
                    to_name: None,
                    subject: m.subject.clone(),
                    text: m.body.clone(),
                    html: self.tracked_html.clone().or_else(|| m.body_html.clone()),
                    in_reply_to: self.answers.clone(),
                    references: self.answers.iter().cloned().collect(),
                    attachments: self.attachments.clone(),
                };
                providers.mail.send(settings, &mail).await?;
                Ok(Some(mail.message_id))
            }
            Sender::Whatsapp(settings) => {
                let message = match &self.whatsapp_template {
                    Some((name, language, parameters)) => WhatsAppMessage::Template {
                        name: name.clone(),
                        language: language.clone(),
                        parameters: parameters.clone(),
                    },
                    None => WhatsAppMessage::Text {
                        body: m.body.clone(),
                    },
                };
                let to = &m.counterpart;
                let id = providers
                    .whatsapp
                    .send(settings, to, &message, &m.message_key)
                    .await?;
                Ok(Some(id))
            }
            Sender::Sms(settings) => {
                if self.previous_unknown {
                    // Looked up from a minute before the first attempt could have started.
                    let since = (m.created_at - Duration::minutes(1)).timestamp();
                    let found = providers
                        .sms
                        .find_sent(settings, &m.counterpart, &m.body, since)
                        .await?;
                    if let Some(sid) = found {
                        return Ok(Some(sid));
                    }
                }
                let sid = providers
                    .sms
                    .send(
                        settings,
                        &m.counterpart,
                        &m.body,
                        self.status_callback.as_deref(),
                    )
                    .await?;
                Ok(Some(sid))
            }
        }
    }
}

/// Step 3: records what the provider said.
pub async fn settle(
    scope: &mut Scope,
    attempt: &Attempt,
    result: std::result::Result<Option<String>, DeliveryError>,
) -> Result<Outcome> {
    let id = attempt.message.id;
    let Some(row) = db::communications::get_for_update(&mut scope.tx, id).await? else {
        return Ok(Outcome::Failed("the message is gone".into()));
    };
    if row.status != MessageStatus::Queued.as_str() {
        return Ok(Outcome::Sent);
    }
    let at = now();
    match result {
        Ok(provider_id) => {
            db::communications::mark_sent(&mut scope.tx, id, provider_id.as_deref(), at).await?;
            record(scope, &row, EventType::CommunicationSent, "sent", None, at).await?;
            Ok(Outcome::Sent)
        }
        Err(DeliveryError::Rejected(reason)) => {
            fail(scope, &row, &reason, at).await?;
            Ok(Outcome::Failed(reason))
        }
        Err(e) if row.attempts >= MAX_DELIVERY_ATTEMPTS => {
            let reason = format!("gave up after {} attempts: {}", row.attempts, e.reason());
            fail(scope, &row, &reason, at).await?;
            Ok(Outcome::Failed(reason))
        }
        Err(e) => {
            // An earlier attempt whose outcome is unknown stays unknown when this one sent
            // nothing (a failed lookup included): the next attempt must still check first.
            if !e.maybe_sent() && !attempt.previous_unknown {
                db::communications::end_attempt_unsent(&mut scope.tx, id, e.reason()).await?;
            }
            Ok(Outcome::RetryLater(e.reason().to_owned()))
        }
    }
}

/// Ends a message `failed` with `reason`, and records it.
async fn fail(
    scope: &mut Scope,
    row: &CommunicationRow,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    db::communications::set_status(
        &mut scope.tx,
        row.id,
        MessageStatus::Failed.as_str(),
        Some(reason),
        at,
    )
    .await?;
    record(
        scope,
        row,
        EventType::CommunicationFailed,
        "failed",
        Some(reason),
        at,
    )
    .await
}

/// Records a delivery change on the client's timeline.
pub(super) async fn record(
    scope: &mut Scope,
    row: &CommunicationRow,
    kind: EventType,
    status: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    let channel = Channel::parse(&row.channel).map_err(|e| Error::Corrupt(e.0))?;
    let description = match reason {
        Some(r) => format!(
            "{} not delivered: {} ({r})",
            channel_name(channel),
            headline(row)
        ),
        None => format!("{} {status}: {}", channel_name(channel), headline(row)),
    };
    scope
        .record(
            Change::of(kind, "communication", row.id)
                .before(json!({ "status": row.status }))
                .after(json!({ "status": status, "failure_reason": reason }))
                .on_timeline_of(
                    row.client_id,
                    description,
                    json!({
                        "communication_id": row.id,
                        "channel": row.channel,
                        "status": status,
                        "failure_reason": reason,
                        "excerpt": excerpt(&row.body),
                    }),
                )
                .dated(at),
        )
        .await
}
