//! Messages to and from clients, with their delivery and engagement facts. Statuses and the
//! rules that move them are `domain::communications`; the caller passes spellings checked there.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use crate::TenantTx;

/// A message as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommunicationRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub channel: String,
    pub direction: String,
    pub counterpart: String,
    pub subject: String,
    pub body: String,
    pub body_html: Option<String>,
    pub template_id: Option<Uuid>,
    pub status: String,
    pub failure_reason: Option<String>,
    pub message_key: String,
    pub provider_message_id: Option<String>,
    pub reply_to_id: Option<Uuid>,
    pub duration_seconds: Option<i32>,
    pub outcome: Option<String>,
    pub sentiment_score: Option<f32>,
    pub attempts: i32,
    pub attempt_started_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub read_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub open_count: i32,
    pub clicked_at: Option<DateTime<Utc>>,
    pub click_count: i32,
    pub replied_at: Option<DateTime<Utc>>,
    pub seen_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a new message holds, validated by the caller.
#[derive(Debug, Clone)]
pub struct NewCommunication {
    pub id: Uuid,
    pub client_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub channel: &'static str,
    pub direction: &'static str,
    pub counterpart: String,
    pub subject: String,
    pub body: String,
    pub body_html: Option<String>,
    pub template_id: Option<Uuid>,
    pub status: &'static str,
    pub message_key: String,
    pub provider_message_id: Option<String>,
    pub reply_to_id: Option<Uuid>,
    pub duration_seconds: Option<i32>,
    pub outcome: Option<&'static str>,
    pub sentiment_score: Option<f32>,
    pub created_by: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, client_id, contact_id, channel, direction, counterpart, subject, body, \
     body_html, template_id, status, failure_reason, message_key, provider_message_id, \
     reply_to_id, duration_seconds, outcome, sentiment_score, attempts, attempt_started_at, \
     sent_at, delivered_at, read_at, failed_at, opened_at, open_count, clicked_at, click_count, \
     replied_at, seen_at, created_by, occurred_at, created_at, updated_at";

/// Stores a new message.
#[tracing::instrument(skip(tx, m), fields(id = %m.id))]
pub async fn insert(
    tx: &mut TenantTx,
    m: &NewCommunication,
) -> Result<CommunicationRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "INSERT INTO communications (tenant_id, id, client_id, contact_id, channel, direction,
                                     counterpart, subject, body, body_html, template_id, status,
                                     message_key, provider_message_id, reply_to_id,
                                     duration_seconds, outcome, sentiment_score, created_by,
                                     occurred_at, sent_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, CASE WHEN $12::text = 'logged' THEN $20::timestamptz END)",
        tenant,
        m.id,
        m.client_id,
        m.contact_id,
        m.channel,
        m.direction,
        m.counterpart,
        m.subject,
        m.body,
        m.body_html,
        m.template_id,
        m.status,
        m.message_key,
        m.provider_message_id,
        m.reply_to_id,
        m.duration_seconds,
        m.outcome,
        m.sentiment_score,
        m.created_by,
        m.occurred_at
    )
    .execute(tx.conn())
    .await?;
    get(tx, m.id).await?.ok_or(sqlx::Error::RowNotFound)
}

/// A message by id.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<CommunicationRow>, sqlx::Error> {
    let mut q = select();
    q.push(" WHERE id = ").push_bind(id);
    q.build_query_as().fetch_optional(tx.conn()).await
}

/// A message by id, locked until the transaction ends (the worker's attempt, a report).
#[tracing::instrument(skip(tx))]
pub async fn get_for_update(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<CommunicationRow>, sqlx::Error> {
    let mut q = select();
    q.push(" WHERE id = ").push_bind(id).push(" FOR UPDATE");
    q.build_query_as().fetch_optional(tx.conn()).await
}

/// The outbound message a provider knows by `provider_id`, locked (a status report).
#[tracing::instrument(skip(tx))]
pub async fn by_provider_id_for_update(
    tx: &mut TenantTx,
    channel: &str,
    provider_id: &str,
) -> Result<Option<CommunicationRow>, sqlx::Error> {
    let mut q = select();
    q.push(" WHERE provider_message_id = ")
        .push_bind(provider_id.to_owned())
        .push(" AND channel = ")
        .push_bind(channel.to_owned())
        .push(" AND direction = 'outbound' FOR UPDATE");
    q.build_query_as().fetch_optional(tx.conn()).await
}

/// `SELECT` of every column, for a caller to add its conditions to.
fn select() -> QueryBuilder<Postgres> {
    let mut q = QueryBuilder::<Postgres>::new("SELECT ");
    q.push(COLUMNS).push(" FROM communications");
    q
}

/// The filters of a list; `None` leaves a filter out.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub client_id: Option<Uuid>,
    pub channel: Option<String>,
    pub direction: Option<String>,
    pub status: Option<String>,
    pub sentiment_min: Option<f32>,
    pub sentiment_max: Option<f32>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Inbound messages nobody has looked at yet.
    pub unseen_only: bool,
    /// Keyset position: the last row's id (newest first).
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// A page of messages, newest first. `QueryBuilder` because only the filters given become SQL.
#[tracing::instrument(skip(tx))]
pub async fn list(tx: &mut TenantTx, f: &Filter) -> Result<Vec<CommunicationRow>, sqlx::Error> {
    let mut q = select();
    q.push(" WHERE true");
    if let Some(v) = f.client_id {
        q.push(" AND client_id = ").push_bind(v);
    }
    if let Some(v) = &f.channel {
        q.push(" AND channel = ").push_bind(v.clone());
    }
    if let Some(v) = &f.direction {
        q.push(" AND direction = ").push_bind(v.clone());
    }
    if let Some(v) = &f.status {
        q.push(" AND status = ").push_bind(v.clone());
    }
    if let Some(v) = f.sentiment_min {
        q.push(" AND sentiment_score >= ").push_bind(v);
    }
    if let Some(v) = f.sentiment_max {
        q.push(" AND sentiment_score <= ").push_bind(v);
    }
    if let Some(v) = f.from {
        q.push(" AND occurred_at >= ").push_bind(v);
    }
    if let Some(v) = f.to {
        q.push(" AND occurred_at < ").push_bind(v);
    }
    if f.unseen_only {
        q.push(" AND direction = 'inbound' AND seen_at IS NULL");
    }
    if let Some(id) = f.after {
        q.push(" AND id < ").push_bind(id);
    }
    q.push(" ORDER BY id DESC LIMIT ").push_bind(f.limit);
    q.build_query_as::<CommunicationRow>()
        .fetch_all(tx.conn())
        .await
}

/// Records the start of a delivery attempt, before the provider is called.
#[tracing::instrument(skip(tx))]
pub async fn begin_attempt(
    tx: &mut TenantTx,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE communications
            SET attempts = attempts + 1, attempt_started_at = $2, updated_at = $2
          WHERE id = $1",
        id,
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records that the last attempt surely sent nothing (the provider refused it for now).
#[tracing::instrument(skip(tx))]
pub async fn end_attempt_unsent(
    tx: &mut TenantTx,
    id: Uuid,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE communications
            SET attempt_started_at = NULL, failure_reason = $2, updated_at = now()
          WHERE id = $1",
        id,
        reason
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records that the provider accepted the message.
#[tracing::instrument(skip(tx))]
pub async fn mark_sent(
    tx: &mut TenantTx,
    id: Uuid,
    provider_id: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE communications
            SET status = 'sent', provider_message_id = coalesce($2, provider_message_id),
                sent_at = $3, attempt_started_at = NULL, failure_reason = NULL, updated_at = $3
          WHERE id = $1",
        id,
        provider_id,
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Moves a message to a status a provider reported (`delivered`, `read`, `failed`), setting
/// that status's time; checked by the caller with `MessageStatus::accepts_report`.
#[tracing::instrument(skip(tx))]
pub async fn set_status(
    tx: &mut TenantTx,
    id: Uuid,
    status: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE communications
            SET status = $2,
                failure_reason = coalesce($3, failure_reason),
                sent_at = CASE WHEN $2 IN ('sent', 'delivered', 'read') THEN coalesce(sent_at, $4) ELSE sent_at END,
                delivered_at = CASE WHEN $2 IN ('delivered', 'read') THEN coalesce(delivered_at, $4) ELSE delivered_at END,
                read_at = CASE WHEN $2 = 'read' THEN coalesce(read_at, $4) ELSE read_at END,
                failed_at = CASE WHEN $2 = 'failed' THEN $4 ELSE failed_at END,
                attempt_started_at = NULL,
                updated_at = now()
          WHERE id = $1",
        id,
        status,
        reason,
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// How many messages the tenant handed to providers on `channel` since `since`.
#[tracing::instrument(skip(tx))]
pub async fn sent_since(
    tx: &mut TenantTx,
    channel: &str,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "n!" FROM communications
            WHERE channel = $1 AND direction = 'outbound' AND sent_at >= $2"#,
        channel,
        since
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(row.n)
}

/// When the client last wrote on `channel` (the WhatsApp window).
#[tracing::instrument(skip(tx))]
pub async fn last_inbound_at(
    tx: &mut TenantTx,
    client_id: Uuid,
    channel: &str,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT max(occurred_at) AS at FROM communications
          WHERE client_id = $1 AND channel = $2 AND direction = 'inbound'",
        client_id,
        channel
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(row.at)
}

/// The latest outbound message to the client on `channel` not answered yet, before `before`:
/// what an inbound message replies to.
#[tracing::instrument(skip(tx))]
pub async fn last_unanswered_outbound(
    tx: &mut TenantTx,
    client_id: Uuid,
    channel: &str,
    before: DateTime<Utc>,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT id, message_key FROM communications
          WHERE client_id = $1 AND channel = $2 AND direction = 'outbound'
            AND replied_at IS NULL AND occurred_at <= $3
          ORDER BY occurred_at DESC LIMIT 1",
        client_id,
        channel,
        before
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| (r.id, r.message_key)))
}

/// Records the client's reply to message `id` at `at` (the first reply counts).
#[tracing::instrument(skip(tx))]
pub async fn mark_replied(
    tx: &mut TenantTx,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE communications SET replied_at = coalesce(replied_at, $2), updated_at = now()
          WHERE id = $1",
        id,
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Counts an open of an e-mail; true when it is the first.
#[tracing::instrument(skip(tx))]
pub async fn record_open(
    tx: &mut TenantTx,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query!(
        r#"UPDATE communications c
              SET open_count = c.open_count + 1, opened_at = coalesce(c.opened_at, $2)
             FROM (SELECT opened_at FROM communications WHERE id = $1) AS before
            WHERE c.id = $1
        RETURNING before.opened_at IS NULL AS "first!""#,
        id,
        at
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.is_some_and(|r| r.first))
}

/// Counts a click in an e-mail; true when it is the first.
#[tracing::instrument(skip(tx))]
pub async fn record_click(
    tx: &mut TenantTx,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query!(
        r#"UPDATE communications c
              SET click_count = c.click_count + 1, clicked_at = coalesce(c.clicked_at, $2)
             FROM (SELECT clicked_at FROM communications WHERE id = $1) AS before
            WHERE c.id = $1
        RETURNING before.clicked_at IS NULL AS "first!""#,
        id,
        at
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.is_some_and(|r| r.first))
}

/// Marks inbound messages as looked at.
#[tracing::instrument(skip(tx, ids))]
pub async fn mark_seen(
    tx: &mut TenantTx,
    ids: &[Uuid],
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE communications SET seen_at = $2
          WHERE id = ANY($1) AND direction = 'inbound' AND seen_at IS NULL",
        ids,
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

/// Inbound messages nobody has looked at yet.
#[tracing::instrument(skip(tx))]
pub async fn unseen_count(tx: &mut TenantTx) -> Result<i64, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "n!" FROM communications WHERE direction = 'inbound' AND seen_at IS NULL"#
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(row.n)
}

/// The client an inbound message from `address` (an e-mail address or an E.164 number)
/// belongs to: the client last written to at that address, else the live client (or a
/// contact's client) with that e-mail address or phone number.
#[tracing::instrument(skip(tx))]
pub async fn client_of_sender(
    tx: &mut TenantTx,
    address: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT client_id AS "client_id!" FROM (
               (SELECT m.client_id FROM communications m
                  JOIN clients c ON c.tenant_id = m.tenant_id AND c.id = m.client_id
                 WHERE m.counterpart = $1 AND c.deleted_at IS NULL
                 ORDER BY m.id DESC LIMIT 1)
               UNION ALL
               (SELECT client_id FROM client_emails WHERE email = $1 LIMIT 1)
               UNION ALL
               (SELECT id FROM clients WHERE phones @> ARRAY[$1] AND deleted_at IS NULL LIMIT 1)
               UNION ALL
               (SELECT ct.client_id FROM contacts ct
                  JOIN clients c ON c.tenant_id = ct.tenant_id AND c.id = ct.client_id
                 WHERE $1 = ANY(ct.emails) AND ct.erased_at IS NULL AND c.deleted_at IS NULL
                 LIMIT 1)
           ) found
           LIMIT 1"#,
        address
    )
    .fetch_optional(tx.conn())
    .await
}

/// The inbound message a provider knows by `provider_id` on `channel` (a webhook retried).
#[tracing::instrument(skip(tx))]
pub async fn inbound_by_provider_id(
    tx: &mut TenantTx,
    channel: &str,
    provider_id: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM communications
          WHERE channel = $1 AND provider_message_id = $2 AND direction = 'inbound'",
        channel,
        provider_id
    )
    .fetch_optional(tx.conn())
    .await
}

/// How many messages written from template `template_id` still wait to be sent.
#[tracing::instrument(skip(tx))]
pub async fn queued_with_template(
    tx: &mut TenantTx,
    template_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM communications
            WHERE template_id = $1 AND status = 'queued'"#,
        template_id
    )
    .fetch_one(tx.conn())
    .await
}

/// The client's latest e-mail to the tenant (its id and Message-ID): what a new e-mail to the
/// client answers, for the threading headers.
#[tracing::instrument(skip(tx))]
pub async fn latest_inbound_email(
    tx: &mut TenantTx,
    client_id: Uuid,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT id, provider_message_id AS "provider_message_id!" FROM communications
            WHERE client_id = $1 AND channel = 'email' AND direction = 'inbound'
              AND provider_message_id IS NOT NULL
            ORDER BY occurred_at DESC LIMIT 1"#,
        client_id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| (r.id, r.provider_message_id)))
}

/// A file sent with an e-mail, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRow {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Stores a file sent with message `communication_id`, at `position` among its files.
#[tracing::instrument(skip(tx, content), fields(bytes = content.len()))]
pub async fn insert_attachment(
    tx: &mut TenantTx,
    communication_id: Uuid,
    position: i16,
    filename: &str,
    content_type: &str,
    content: &[u8],
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "INSERT INTO communication_attachments
                (tenant_id, communication_id, position, filename, content_type, content)
         VALUES ($1, $2, $3, $4, $5, $6)",
        tenant,
        communication_id,
        position,
        filename,
        content_type,
        content
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The files sent with message `communication_id`, in their order.
#[tracing::instrument(skip(tx))]
pub async fn attachments(
    tx: &mut TenantTx,
    communication_id: Uuid,
) -> Result<Vec<AttachmentRow>, sqlx::Error> {
    sqlx::query_as!(
        AttachmentRow,
        "SELECT filename, content_type, content FROM communication_attachments
          WHERE communication_id = $1 ORDER BY position",
        communication_id
    )
    .fetch_all(tx.conn())
    .await
}
