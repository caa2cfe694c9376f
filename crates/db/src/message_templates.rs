//! Message templates: a name, a channel, a subject and a body with `{{variable}}` placeholders
//! (checked by `domain::templates` before they are stored), and for WhatsApp the template Meta
//! approved under the provider's name and language.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;

/// A template as stored.
#[derive(Debug, Clone)]
pub struct TemplateRow {
    pub id: Uuid,
    pub name: String,
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub provider_name: Option<String>,
    pub provider_language: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Every writable column of a template, validated by the caller.
#[derive(Debug, Clone)]
pub struct TemplateData {
    pub name: String,
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub provider_name: Option<String>,
    pub provider_language: Option<String>,
}

/// Stores a new template; a name taken (ignoring case) fails on `message_templates_name`.
#[tracing::instrument(skip(tx, d))]
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    d: &TemplateData,
) -> Result<TemplateRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        TemplateRow,
        "INSERT INTO message_templates (tenant_id, id, name, channel, subject, body, provider_name,
                                        provider_language)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id, name, channel, subject, body, provider_name, provider_language, version,
                   created_at, updated_at",
        tenant,
        id,
        d.name,
        d.channel,
        d.subject,
        d.body,
        d.provider_name,
        d.provider_language
    )
    .fetch_one(tx.conn())
    .await
}

/// A template by id.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<TemplateRow>, sqlx::Error> {
    sqlx::query_as!(
        TemplateRow,
        "SELECT id, name, channel, subject, body, provider_name, provider_language, version,
                created_at, updated_at
           FROM message_templates WHERE id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// A template by id, locked until the transaction ends.
#[tracing::instrument(skip(tx))]
pub async fn get_for_update(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<TemplateRow>, sqlx::Error> {
    sqlx::query_as!(
        TemplateRow,
        "SELECT id, name, channel, subject, body, provider_name, provider_language, version,
                created_at, updated_at
           FROM message_templates WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// Every template of the tenant (a tenant keeps tens, not thousands), by name.
#[tracing::instrument(skip(tx))]
pub async fn list(
    tx: &mut TenantTx,
    channel: Option<&str>,
) -> Result<Vec<TemplateRow>, sqlx::Error> {
    sqlx::query_as!(
        TemplateRow,
        "SELECT id, name, channel, subject, body, provider_name, provider_language, version,
                created_at, updated_at
           FROM message_templates
          WHERE $1::text IS NULL OR channel = $1
          ORDER BY lower(name), id
          LIMIT 1000",
        channel
    )
    .fetch_all(tx.conn())
    .await
}

/// Writes a template's columns and moves its version on.
#[tracing::instrument(skip(tx, d))]
pub async fn update(
    tx: &mut TenantTx,
    id: Uuid,
    d: &TemplateData,
) -> Result<TemplateRow, sqlx::Error> {
    sqlx::query_as!(
        TemplateRow,
        "UPDATE message_templates
            SET name = $2, channel = $3, subject = $4, body = $5, provider_name = $6,
                provider_language = $7, version = version + 1, updated_at = now()
          WHERE id = $1
         RETURNING id, name, channel, subject, body, provider_name, provider_language, version,
                   created_at, updated_at",
        id,
        d.name,
        d.channel,
        d.subject,
        d.body,
        d.provider_name,
        d.provider_language
    )
    .fetch_one(tx.conn())
    .await
}

/// Deletes a template; the messages written from it keep their text.
#[tracing::instrument(skip(tx))]
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM message_templates WHERE id = $1", id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
