//! People at a client. Their phone numbers are encrypted; keyed hashes allow exact lookup.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;

#[derive(Debug, Clone)]
pub struct ContactRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub name: String,
    pub role: Option<String>,
    pub emails: Vec<String>,
    pub phones_cipher: Option<Vec<u8>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub erased_at: Option<DateTime<Utc>>,
}

/// The writable columns, validated and encrypted by the caller.
pub struct ContactData {
    pub name: String,
    pub role: Option<String>,
    pub emails: Vec<String>,
    pub phones_cipher: Option<Vec<u8>>,
    pub phone_hashes: Vec<Vec<u8>>,
}

/// Adds a contact to a client.
#[tracing::instrument(skip_all)]
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    client_id: Uuid,
    d: &ContactData,
) -> Result<ContactRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        ContactRow,
        "INSERT INTO contacts (tenant_id, id, client_id, name, role, emails, phones_cipher, phone_hashes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id, client_id, name, role, emails, phones_cipher, version, created_at, updated_at, erased_at",
        tenant,
        id,
        client_id,
        d.name,
        d.role,
        &d.emails,
        d.phones_cipher,
        &d.phone_hashes
    )
    .fetch_one(tx.conn())
    .await
}

/// Up to `limit` of a client's contacts by id (oldest first), after the contact `after`.
#[tracing::instrument(skip(tx))]
pub async fn list_for_client(
    tx: &mut TenantTx,
    client_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ContactRow>, sqlx::Error> {
    sqlx::query_as!(
        ContactRow,
        "SELECT id, client_id, name, role, emails, phones_cipher, version, created_at, updated_at, erased_at
           FROM contacts WHERE client_id = $1 AND ($2::uuid IS NULL OR id > $2)
          ORDER BY id LIMIT $3",
        client_id,
        after,
        limit
    )
    .fetch_all(tx.conn())
    .await
}

/// A contact of this client.
#[tracing::instrument(skip(tx))]
pub async fn get(
    tx: &mut TenantTx,
    client_id: Uuid,
    id: Uuid,
) -> Result<Option<ContactRow>, sqlx::Error> {
    sqlx::query_as!(
        ContactRow,
        "SELECT id, client_id, name, role, emails, phones_cipher, version, created_at, updated_at, erased_at
           FROM contacts WHERE client_id = $1 AND id = $2",
        client_id,
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// Replaces a contact's writable columns; bumps its version.
#[tracing::instrument(skip_all)]
pub async fn update(
    tx: &mut TenantTx,
    id: Uuid,
    d: &ContactData,
) -> Result<ContactRow, sqlx::Error> {
    sqlx::query_as!(
        ContactRow,
        "UPDATE contacts SET name = $2, role = $3, emails = $4, phones_cipher = $5, phone_hashes = $6,
                version = version + 1, updated_at = now()
          WHERE id = $1
         RETURNING id, client_id, name, role, emails, phones_cipher, version, created_at, updated_at, erased_at",
        id,
        d.name,
        d.role,
        &d.emails,
        d.phones_cipher,
        &d.phone_hashes
    )
    .fetch_one(tx.conn())
    .await
}

/// Deletes a contact.
#[tracing::instrument(skip(tx))]
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM contacts WHERE id = $1", id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// A contact by its own id.
#[tracing::instrument(skip(tx))]
pub async fn get_by_id(tx: &mut TenantTx, id: Uuid) -> Result<Option<ContactRow>, sqlx::Error> {
    sqlx::query_as!(
        ContactRow,
        "SELECT id, client_id, name, role, emails, phones_cipher, version, created_at, updated_at, erased_at
           FROM contacts WHERE id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// GDPR erasure: the person's data goes from the contact, from the timeline events about it,
/// and from stored idempotent responses that carried it. What remains says an erasure happened.
#[tracing::instrument(skip(tx))]
pub async fn erase(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE contacts SET name = '[erased]', role = NULL, emails = '{}', phones_cipher = NULL,
                phone_hashes = '{}', erased_at = now(), version = version + 1, updated_at = now()
          WHERE id = $1",
        id
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!(
        "UPDATE timeline_events
            SET description = 'A contact was erased at their request',
                payload = jsonb_build_object('contact_id', $1::uuid, 'erased', true)
          WHERE entity_type = 'contact' AND entity_id = $1::uuid::text",
        id
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!(
        "DELETE FROM idempotency_keys WHERE position(convert_to($1::uuid::text, 'UTF8') IN response_body) > 0",
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
