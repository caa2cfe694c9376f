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

/// Inserts a client. Triggers on `clients` keep, in this transaction, the client counters
/// (`client_stats_apply`, flushed at commit by `client_stats_flush`:
/// `20261130000009_client_counts_at_commit.sql`), the e-mail index `client_emails`
/// (`20261130000010_client_emails.sql`) and the search vocabulary (`search_vocabulary_apply`,
/// `20261125000007_search_vocabulary.sql`); `search_key` is a generated column.
#[tracing::instrument(skip_all)]
pub async fn insert(tx: &mut TenantTx, id: Uuid, d: &ClientData) -> Result<ClientRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        ClientRow,
        r#"INSERT INTO clients (tenant_id, id, company_name, tax_id_cipher, tax_id_hash, tax_id_country,
                                emails, phones, sector, address, website, status, owner_id, source, tags,
                                custom_fields, search_text)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
           RETURNING id, company_name, tax_id_cipher, tax_id_country::text AS "tax_id_country?", emails, phones,
                   sector, address, website, status, owner_id, source, tags, custom_fields, converted_at,
                   converted_by, last_contact_at, version, created_at, updated_at, deleted_at, merged_into"#,
        tenant,
        id,
        d.company_name,
        d.tax_id_cipher,
        d.tax_id_hash,
        d.tax_id_country,
        &d.emails,
        &d.phones,
        d.sector,
        d.address,
        d.website,
        d.status,
        d.owner_id,
        d.source,
        &d.tags,
        d.custom_fields,
        d.search_text
    )
    .fetch_one(tx.conn())
    .await
}

/// A client by id; deleted ones only when asked.
#[tracing::instrument(skip(tx))]
pub async fn get(
    tx: &mut TenantTx,
    id: Uuid,
    include_deleted: bool,
) -> Result<Option<ClientRow>, sqlx::Error> {
    sqlx::query_as!(
        ClientRow,
        r#"SELECT id, company_name, tax_id_cipher, tax_id_country::text AS "tax_id_country?", emails, phones,
                   sector, address, website, status, owner_id, source, tags, custom_fields, converted_at,
                   converted_by, last_contact_at, version, created_at, updated_at, deleted_at, merged_into
             FROM clients WHERE id = $1 AND ($2 OR deleted_at IS NULL)"#,
        id,
        include_deleted
    )
    .fetch_optional(tx.conn())
    .await
}

/// Replaces every writable column of a live client. The triggers of [`insert`] follow the change:
/// counters when the status moves, the e-mail index when the e-mails do, the vocabulary when
/// the search text does.
#[tracing::instrument(skip_all)]
pub async fn update(tx: &mut TenantTx, id: Uuid, d: &ClientData) -> Result<ClientRow, sqlx::Error> {
    sqlx::query_as!(
        ClientRow,
        r#"UPDATE clients
              SET company_name = $2, tax_id_cipher = $3, tax_id_hash = $4, tax_id_country = $5,
                  emails = $6, phones = $7, sector = $8, address = $9, website = $10, status = $11,
                  owner_id = $12, source = $13, tags = $14, custom_fields = $15, search_text = $16,
                  version = version + 1, updated_at = now()
            WHERE deleted_at IS NULL AND id = $1
           RETURNING id, company_name, tax_id_cipher, tax_id_country::text AS "tax_id_country?", emails, phones,
                   sector, address, website, status, owner_id, source, tags, custom_fields, converted_at,
                   converted_by, last_contact_at, version, created_at, updated_at, deleted_at, merged_into"#,
        id,
        d.company_name,
        d.tax_id_cipher,
        d.tax_id_hash,
        d.tax_id_country,
        &d.emails,
        &d.phones,
        d.sector,
        d.address,
        d.website,
        d.status,
        d.owner_id,
        d.source,
        &d.tags,
        d.custom_fields,
        d.search_text
    )
    .fetch_one(tx.conn())
    .await
}

/// Soft-deletes (or restores) a client; false when it was not in the other state. The triggers
/// of [`insert`] follow: the counters lose (or regain) the client, its e-mails leave (or
/// rejoin) `client_emails`, its words are left for the vocabulary prune (or come back).
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

/// Marks a lead as converted to client, by whom; the counters' trigger moves it from leads to
/// clients (`20261130000009_client_counts_at_commit.sql`).
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
    /// A custom field's key and its value as text.
    pub custom_field: Option<(String, String)>,
    /// Only these clients.
    pub ids: Option<Vec<Uuid>>,
    /// Only clients with a ticket still open (new, open, pending customer or on hold).
    pub has_open_tickets: bool,
    pub matches_nothing: bool,
    pub sort: Option<Sort>,
    /// Keyset position: the last row's id (and its name when sorting by name).
    pub after: Option<(Uuid, Option<String>)>,
    pub limit: i64,
}

/// The columns of a [`ClientRow`], for the one query built at run time ([`list`]); the
/// compile-checked queries above spell the same list.
const COLUMNS: &str = "id, company_name, tax_id_cipher, tax_id_country::text AS tax_id_country, emails, phones, sector, \
     address, website, status, owner_id, source, tags, custom_fields, converted_at, converted_by, \
     last_contact_at, version, created_at, updated_at, deleted_at, merged_into";

/// A page of live clients, filtered and sorted. The search text goes through the SQL function
/// `client_search_ids` (current version: `20261126000008_search_edit_distance.sql`), which reads
/// the search vocabulary the client triggers keep.
///
/// Built with `QueryBuilder` rather than `query_as!`, because the SQL really varies: only the
/// filters given become SQL, so each combination gets a plan of its own that uses the index fitting
/// it (a catch-all `$1 IS NULL OR …` statement would get one generic plan walking the tenant).
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
    if let Some((key, value)) = &f.custom_field {
        q.push(" AND custom_fields ->> ")
            .push_bind(key)
            .push(" = ")
            .push_bind(value);
    }
    if let Some(ids) = &f.ids {
        q.push(" AND id = ANY(").push_bind(ids).push(")");
    }
    if f.has_open_tickets {
        // Through `tickets_client` (tenant, client), a few index entries per client walked.
        q.push(
            " AND EXISTS (SELECT 1 FROM tickets t WHERE t.tenant_id = clients.tenant_id \
             AND t.client_id = clients.id \
             AND t.status IN ('new', 'open', 'pending_customer', 'on_hold'))",
        );
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

/// An existing client with this tax id (keyed hash) or any of these e-mails. The e-mails are
/// looked up in `client_emails`, the index of live clients' e-mails that triggers on `clients`
/// keep (`client_emails_apply`, `20261130000010_client_emails.sql`).
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
