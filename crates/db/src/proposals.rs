//! Proposals: a client's priced offer made from a template version, with its line items (JSON,
//! their figures computed by the service) and exact totals. A draft changes in place; once sent
//! it changes only its status, and revising it makes a new row, the next revision of the same
//! `first_id`.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use crate::TenantTx;

/// A proposal as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProposalRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub opportunity_id: Option<Uuid>,
    pub template_id: Uuid,
    pub template_version: i32,
    pub first_id: Uuid,
    pub revision: i32,
    pub title: String,
    pub currency: String,
    pub items: Value,
    pub subtotal: Decimal,
    pub tax_total: Decimal,
    pub total: Decimal,
    pub variables: Value,
    pub variables_used: Option<Value>,
    pub sent_html: Option<String>,
    pub valid_until: NaiveDate,
    pub status: String,
    pub owner_id: Option<Uuid>,
    pub sent_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub viewed_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a draft holds, written as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalData {
    pub opportunity_id: Option<Uuid>,
    pub template_id: Uuid,
    pub template_version: i32,
    pub title: String,
    pub currency: String,
    pub items: Value,
    pub subtotal: Decimal,
    pub tax_total: Decimal,
    pub total: Decimal,
    pub variables: Value,
    pub valid_until: NaiveDate,
    pub owner_id: Option<Uuid>,
}

/// Where a new row stands among its revisions.
#[derive(Debug, Clone, Copy)]
pub struct Lineage {
    pub first_id: Uuid,
    pub revision: i32,
}

/// Stores a new draft.
#[tracing::instrument(skip(tx, d))]
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    client_id: Uuid,
    lineage: Lineage,
    d: &ProposalData,
) -> Result<ProposalRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        ProposalRow,
        "INSERT INTO proposals (tenant_id, id, client_id, opportunity_id, template_id,
             template_version, first_id, revision, title, currency, items, subtotal, tax_total,
             total, variables, valid_until, status, owner_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'draft', $17)
         RETURNING id, client_id, opportunity_id, template_id, template_version, first_id, revision, title,
                currency, items, subtotal, tax_total, total, variables, variables_used, sent_html,
                valid_until, status, owner_id, sent_at, decided_at, decision_note, reminded_at,
                viewed_at, version, created_at, updated_at",
        tenant,
        id,
        client_id,
        d.opportunity_id,
        d.template_id,
        d.template_version,
        lineage.first_id,
        lineage.revision,
        d.title,
        d.currency,
        d.items,
        d.subtotal,
        d.tax_total,
        d.total,
        d.variables,
        d.valid_until,
        d.owner_id
    )
    .fetch_one(tx.conn())
    .await
}

/// A proposal.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<ProposalRow>, sqlx::Error> {
    sqlx::query_as!(
        ProposalRow,
        "SELECT id, client_id, opportunity_id, template_id, template_version, first_id, revision, title,
                currency, items, subtotal, tax_total, total, variables, variables_used, sent_html,
                valid_until, status, owner_id, sent_at, decided_at, decision_note, reminded_at,
                viewed_at, version, created_at, updated_at FROM proposals WHERE id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// A proposal, locked until the transaction ends.
#[tracing::instrument(skip(tx))]
pub async fn get_for_update(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<ProposalRow>, sqlx::Error> {
    sqlx::query_as!(
        ProposalRow,
        "SELECT id, client_id, opportunity_id, template_id, template_version, first_id, revision, title,
                currency, items, subtotal, tax_total, total, variables, variables_used, sent_html,
                valid_until, status, owner_id, sent_at, decided_at, decision_note, reminded_at,
                viewed_at, version, created_at, updated_at FROM proposals WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// Rewrites a draft's content.
#[tracing::instrument(skip(tx, d))]
pub async fn update_draft(
    tx: &mut TenantTx,
    id: Uuid,
    d: &ProposalData,
) -> Result<ProposalRow, sqlx::Error> {
    sqlx::query_as!(
        ProposalRow,
        "UPDATE proposals SET opportunity_id = $2, template_id = $3, template_version = $4,
                title = $5, currency = $6, items = $7, subtotal = $8, tax_total = $9, total = $10,
                variables = $11, valid_until = $12, owner_id = $13,
                version = version + 1, updated_at = now()
          WHERE id = $1 AND status = 'draft'
          RETURNING id, client_id, opportunity_id, template_id, template_version, first_id, revision, title,
                currency, items, subtotal, tax_total, total, variables, variables_used, sent_html,
                valid_until, status, owner_id, sent_at, decided_at, decision_note, reminded_at,
                viewed_at, version, created_at, updated_at",
        id,
        d.opportunity_id,
        d.template_id,
        d.template_version,
        d.title,
        d.currency,
        d.items,
        d.subtotal,
        d.tax_total,
        d.total,
        d.variables,
        d.valid_until,
        d.owner_id
    )
    .fetch_one(tx.conn())
    .await
}

/// Marks a draft sent, keeping what the client received.
#[tracing::instrument(skip(tx, variables_used, html))]
pub async fn mark_sent(
    tx: &mut TenantTx,
    id: Uuid,
    at: DateTime<Utc>,
    variables_used: &Value,
    html: &str,
) -> Result<ProposalRow, sqlx::Error> {
    sqlx::query_as!(
        ProposalRow,
        "UPDATE proposals SET status = 'sent', sent_at = $2, variables_used = $3, sent_html = $4,
                version = version + 1, updated_at = now()
          WHERE id = $1 AND status = 'draft'
          RETURNING id, client_id, opportunity_id, template_id, template_version, first_id, revision, title,
                currency, items, subtotal, tax_total, total, variables, variables_used, sent_html,
                valid_until, status, owner_id, sent_at, decided_at, decision_note, reminded_at,
                viewed_at, version, created_at, updated_at",
        id,
        at,
        variables_used,
        html
    )
    .fetch_one(tx.conn())
    .await
}

/// Records the client's answer or the expiry of a sent proposal.
#[tracing::instrument(skip(tx))]
pub async fn decide(
    tx: &mut TenantTx,
    id: Uuid,
    status: &str,
    at: DateTime<Utc>,
    note: Option<&str>,
) -> Result<ProposalRow, sqlx::Error> {
    sqlx::query_as!(
        ProposalRow,
        "UPDATE proposals SET status = $2, decided_at = $3, decision_note = $4,
                version = version + 1, updated_at = now()
          WHERE id = $1 AND status = 'sent'
          RETURNING id, client_id, opportunity_id, template_id, template_version, first_id, revision, title,
                currency, items, subtotal, tax_total, total, variables, variables_used, sent_html,
                valid_until, status, owner_id, sent_at, decided_at, decision_note, reminded_at,
                viewed_at, version, created_at, updated_at",
        id,
        status,
        at,
        note
    )
    .fetch_one(tx.conn())
    .await
}

/// Notes that the owner was reminded of a proposal about to expire.
#[tracing::instrument(skip(tx))]
pub async fn mark_reminded(
    tx: &mut TenantTx,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE proposals SET reminded_at = $2
          WHERE id = $1 AND status = 'sent' AND reminded_at IS NULL",
        id,
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a draft; false when there is no draft of that id.
#[tracing::instrument(skip(tx))]
pub async fn delete_draft(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM proposals WHERE id = $1 AND status = 'draft'",
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The newest revision of a proposal's line, locked so that two revisions cannot take the same
/// number.
#[tracing::instrument(skip(tx))]
pub async fn newest_revision(tx: &mut TenantTx, first_id: Uuid) -> Result<i32, sqlx::Error> {
    let revisions: Vec<i32> = sqlx::query_scalar!(
        "SELECT revision FROM proposals WHERE first_id = $1 ORDER BY revision DESC FOR UPDATE",
        first_id
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(revisions.first().copied().unwrap_or(1))
}

/// The list's filters and page.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub client_id: Option<Uuid>,
    pub opportunity_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub status: Option<String>,
    /// Only ids below this one (the page after it).
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// A page of proposals, newest first.
#[tracing::instrument(skip(tx))]
pub async fn list(tx: &mut TenantTx, f: &ListFilter) -> Result<Vec<ProposalRow>, sqlx::Error> {
    let mut q = QueryBuilder::<Postgres>::new(
        "SELECT id, client_id, opportunity_id, template_id, template_version, first_id, revision, title,
                currency, items, subtotal, tax_total, total, variables, variables_used, sent_html,
                valid_until, status, owner_id, sent_at, decided_at, decision_note, reminded_at,
                viewed_at, version, created_at, updated_at FROM proposals WHERE true",
    );
    if let Some(v) = f.client_id {
        q.push(" AND client_id = ").push_bind(v);
    }
    if let Some(v) = f.opportunity_id {
        q.push(" AND opportunity_id = ").push_bind(v);
    }
    if let Some(v) = f.owner_id {
        q.push(" AND owner_id = ").push_bind(v);
    }
    if let Some(v) = &f.status {
        q.push(" AND status = ").push_bind(v.clone());
    }
    if let Some(v) = f.after {
        q.push(" AND id < ").push_bind(v);
    }
    q.push(" ORDER BY id DESC LIMIT ").push_bind(f.limit);
    q.build_query_as().fetch_all(tx.conn()).await
}

/// Sent proposals whose validity ended before `today` (the tenant's date), oldest first.
#[tracing::instrument(skip(tx))]
pub async fn past_validity(
    tx: &mut TenantTx,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM proposals WHERE status = 'sent' AND valid_until < $1
          ORDER BY valid_until, id LIMIT $2",
        today,
        limit
    )
    .fetch_all(tx.conn())
    .await
}

/// Sent proposals valid until `until` at the latest whose owner was not reminded yet.
#[tracing::instrument(skip(tx))]
pub async fn to_remind(
    tx: &mut TenantTx,
    until: NaiveDate,
    limit: i64,
) -> Result<Vec<ProposalRow>, sqlx::Error> {
    sqlx::query_as!(
        ProposalRow,
        "SELECT id, client_id, opportunity_id, template_id, template_version, first_id, revision, title,
                currency, items, subtotal, tax_total, total, variables, variables_used, sent_html,
                valid_until, status, owner_id, sent_at, decided_at, decision_note, reminded_at,
                viewed_at, version, created_at, updated_at FROM proposals
          WHERE status = 'sent' AND valid_until <= $1 AND reminded_at IS NULL
          ORDER BY valid_until, id LIMIT $2",
        until,
        limit
    )
    .fetch_all(tx.conn())
    .await
}

/// Sent proposals awaiting an answer: how many and their value, per currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub currency: String,
    pub count: i64,
    pub value: Decimal,
}

/// The pending proposals of the tenant, per currency (most first).
#[tracing::instrument(skip(tx))]
pub async fn pending(tx: &mut TenantTx) -> Result<Vec<Pending>, sqlx::Error> {
    sqlx::query_as!(
        Pending,
        r#"SELECT currency, count(*) AS "count!", coalesce(sum(total), 0) AS "value!"
             FROM proposals WHERE status = 'sent'
            GROUP BY currency ORDER BY count(*) DESC, currency"#
    )
    .fetch_all(tx.conn())
    .await
}

/// Notes the client's first look at a sent proposal; false when it was seen before.
#[tracing::instrument(skip(tx))]
pub async fn mark_viewed(
    tx: &mut TenantTx,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE proposals SET viewed_at = $2 WHERE id = $1 AND viewed_at IS NULL",
        id,
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}
