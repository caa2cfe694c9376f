//! Clients (companies that are leads or clients). Sensitive columns arrive already encrypted.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use crate::TenantTx;

/// A client as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRow {
    pub id: Uuid,
    pub company_name: String,
    pub tax_id_cipher: Option<Vec<u8>>,
    pub tax_id_country: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub sector: Option<String>,
    pub address: Option<Value>,
    pub website: Option<String>,
    pub status: String,
    pub owner_id: Option<Uuid>,
    pub source: Option<String>,
    pub tags: Vec<String>,
    pub custom_fields: Value,
    pub converted_at: Option<DateTime<Utc>>,
    pub converted_by: Option<Uuid>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// Set when this client was merged into another (and is deleted because of it).
    pub merged_into: Option<Uuid>,
}

/// Every writable column of a client, validated and encrypted by the caller.
#[derive(Debug, Clone)]
pub struct ClientData {
    pub company_name: String,
    pub tax_id_cipher: Option<Vec<u8>>,
    pub tax_id_hash: Option<Vec<u8>>,
    pub tax_id_country: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub sector: Option<String>,
    pub address: Option<Value>,
    pub website: Option<String>,
    pub status: String,
    pub owner_id: Option<Uuid>,
    pub source: Option<String>,
    pub tags: Vec<String>,
    pub custom_fields: Value,
    pub search_text: String,
}

const COLUMNS: &str = "id, company_name, tax_id_cipher, tax_id_country::text AS tax_id_country, emails, phones, sector, \
     address, website, status, owner_id, source, tags, custom_fields, converted_at, converted_by, \
     last_contact_at, version, created_at, updated_at, deleted_at, merged_into";

#[tracing::instrument(skip_all)]
pub async fn insert(tx: &mut TenantTx, id: Uuid, d: &ClientData) -> Result<ClientRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    let mut q = QueryBuilder::<Postgres>::new(
        "INSERT INTO clients (tenant_id, id, company_name, tax_id_cipher, tax_id_hash, tax_id_country, \
         emails, phones, sector, address, website, status, owner_id, source, tags, custom_fields, search_text) VALUES (",
    );
    let mut v = q.separated(", ");
    v.push_bind(tenant)
        .push_bind(id)
        .push_bind(&d.company_name)
        .push_bind(&d.tax_id_cipher)
        .push_bind(&d.tax_id_hash)
        .push_bind(&d.tax_id_country)
        .push_bind(&d.emails)
        .push_bind(&d.phones)
        .push_bind(&d.sector)
        .push_bind(&d.address)
        .push_bind(&d.website)
        .push_bind(&d.status)
        .push_bind(d.owner_id)
        .push_bind(&d.source)
        .push_bind(&d.tags)
        .push_bind(&d.custom_fields)
        .push_bind(&d.search_text);
    q.push(") RETURNING ").push(COLUMNS);
    q.build_query_as::<ClientRow>().fetch_one(tx.conn()).await
}

/// A client by id; deleted ones only when asked.
#[tracing::instrument(skip(tx))]
pub async fn get(
    tx: &mut TenantTx,
    id: Uuid,
    include_deleted: bool,
) -> Result<Option<ClientRow>, sqlx::Error> {
    let mut q = QueryBuilder::<Postgres>::new("SELECT ");
    q.push(COLUMNS)
        .push(" FROM clients WHERE id = ")
        .push_bind(id);
    if !include_deleted {
        q.push(" AND deleted_at IS NULL");
    }
    q.build_query_as::<ClientRow>()
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn update(tx: &mut TenantTx, id: Uuid, d: &ClientData) -> Result<ClientRow, sqlx::Error> {
    let mut q = QueryBuilder::<Postgres>::new("UPDATE clients SET ");
    let mut s = q.separated(", ");
    s.push("company_name = ")
        .push_bind_unseparated(&d.company_name);
    s.push("tax_id_cipher = ")
        .push_bind_unseparated(&d.tax_id_cipher);
    s.push("tax_id_hash = ")
        .push_bind_unseparated(&d.tax_id_hash);
    s.push("tax_id_country = ")
        .push_bind_unseparated(&d.tax_id_country);
    s.push("emails = ").push_bind_unseparated(&d.emails);
    s.push("phones = ").push_bind_unseparated(&d.phones);
    s.push("sector = ").push_bind_unseparated(&d.sector);
    s.push("address = ").push_bind_unseparated(&d.address);
    s.push("website = ").push_bind_unseparated(&d.website);
    s.push("status = ").push_bind_unseparated(&d.status);
    s.push("owner_id = ").push_bind_unseparated(d.owner_id);
    s.push("source = ").push_bind_unseparated(&d.source);
    s.push("tags = ").push_bind_unseparated(&d.tags);
    s.push("custom_fields = ")
        .push_bind_unseparated(&d.custom_fields);
    s.push("search_text = ")
        .push_bind_unseparated(&d.search_text);
    s.push("version = version + 1");
    s.push("updated_at = now()");
    q.push(" WHERE deleted_at IS NULL AND id = ").push_bind(id);
    q.push(" RETURNING ").push(COLUMNS);
    q.build_query_as::<ClientRow>().fetch_one(tx.conn()).await
}

/// Soft-deletes (or restores) a client; false when it was not in the other state.
#[tracing::instrument(skip(tx))]
pub async fn set_deleted(tx: &mut TenantTx, id: Uuid, deleted: bool) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE clients SET deleted_at = CASE WHEN $2 THEN now() END, version = version + 1, updated_at = now()
          WHERE id = $1 AND (deleted_at IS NULL) = $2",
        id,
        deleted
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a lead as converted to client, by whom.
#[tracing::instrument(skip(tx))]
pub async fn convert(tx: &mut TenantTx, id: Uuid, by: Option<Uuid>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE clients SET status = 'client', converted_at = now(), converted_by = $2,
                version = version + 1, updated_at = now()
          WHERE id = $1 AND deleted_at IS NULL",
        id,
        by
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Orders of the client list, each with its keyset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    Oldest,
    Name,
}

/// Filters of the client list (all optional; `matches_nothing` answers an empty list).
#[derive(Debug, Default)]
pub struct Filter {
    /// Normalised search text: typo-tolerant over name, e-mails and phones.
    pub q: Option<String>,
    /// Keyed hash of the search text read as a tax id: exact match.
    pub q_tax_hash: Option<Vec<u8>>,
    pub status: Option<String>,
    pub sector: Option<String>,
    pub owner_id: Option<Uuid>,
    pub tag: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub last_contact_before: Option<DateTime<Utc>>,
    pub matches_nothing: bool,
    pub sort: Option<Sort>,
    /// Keyset position: the last row's id (and its name when sorting by name).
    pub after: Option<(Uuid, Option<String>)>,
    pub limit: i64,
}

#[tracing::instrument(skip(tx))]
pub async fn list(tx: &mut TenantTx, f: &Filter) -> Result<Vec<ClientRow>, sqlx::Error> {
    if f.matches_nothing {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<Postgres>::new("SELECT ");
    q.push(COLUMNS)
        .push(" FROM clients WHERE deleted_at IS NULL");
    if let Some(text) = &f.q {
        // Through the trigram index, which the row policy would otherwise keep out of reach
        // (see `client_search_ids` in the migrations).
        q.push(" AND id = ANY(ARRAY(SELECT client_search_ids(")
            .push_bind(text)
            .push(", ")
            .push_bind(&f.q_tax_hash)
            .push(")))");
    }
    if let Some(v) = &f.status {
        q.push(" AND status = ").push_bind(v);
    }
    if let Some(v) = &f.sector {
        q.push(" AND sector = ").push_bind(v);
    }
    if let Some(v) = f.owner_id {
        q.push(" AND owner_id = ").push_bind(v);
    }
    if let Some(v) = &f.tag {
        // `= ANY` is LEAKPROOF, so it filters while an index walks the tenant in list order.
        q.push(" AND ").push_bind(v).push(" = ANY(tags)");
    }
    if let Some(v) = f.created_after {
        q.push(" AND created_at >= ").push_bind(v);
    }
    if let Some(v) = f.created_before {
        q.push(" AND created_at < ").push_bind(v);
    }
    if let Some(v) = f.last_contact_before {
        q.push(" AND (last_contact_at IS NULL OR last_contact_at < ")
            .push_bind(v)
            .push(")");
    }
    let sort = f.sort.unwrap_or(Sort::Newest);
    match (sort, &f.after) {
        (Sort::Newest, Some((id, _))) => {
            q.push(" AND id < ").push_bind(*id);
        }
        (Sort::Oldest, Some((id, _))) => {
            q.push(" AND id > ").push_bind(*id);
        }
        (Sort::Name, Some((id, name))) => {
            q.push(" AND (lower(company_name), id) > (")
                .push_bind(name.clone().unwrap_or_default())
                .push(", ")
                .push_bind(*id)
                .push(")");
        }
        _ => {}
    }
    q.push(match sort {
        Sort::Newest => " ORDER BY id DESC",
        Sort::Oldest => " ORDER BY id ASC",
        Sort::Name => " ORDER BY lower(company_name), id",
    });
    q.push(" LIMIT ").push_bind(f.limit);
    q.build_query_as::<ClientRow>().fetch_all(tx.conn()).await
}

/// Records that there was contact with a client now (any interaction).
#[tracing::instrument(skip(tx))]
pub async fn touch_last_contact(
    tx: &mut TenantTx,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE clients SET last_contact_at = greatest(coalesce(last_contact_at, $2), $2) WHERE id = $1",
        id,
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// An existing client with this tax id (keyed hash) or any of these e-mails.
#[tracing::instrument(skip(tx, tax_hash))]
pub async fn find_existing(
    tx: &mut TenantTx,
    tax_hash: Option<&[u8]>,
    emails: &[String],
) -> Result<Option<Uuid>, sqlx::Error> {
    // Two lookups, each in the one index that fits it (tenant and tax hash; tenant and e-mail),
    // so the cost does not grow with the tenant whatever the planner's statistics say.
    sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM (
               SELECT id FROM clients
                WHERE $1::bytea IS NOT NULL AND tax_id_hash = $1 AND deleted_at IS NULL
               UNION ALL
               SELECT client_id FROM client_emails WHERE email = ANY($2)
           ) existing
           LIMIT 1"#,
        tax_hash,
        emails
    )
    .fetch_optional(tx.conn())
    .await
}
