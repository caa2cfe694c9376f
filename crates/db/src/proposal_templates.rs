//! Proposal templates and their versions. A template row holds its name and newest version's
//! number; each version's content (sections and declared variables, as JSON) is a row of its
//! own, kept for the proposals made from it.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::TenantTx;

/// A template as stored.
#[derive(Debug, Clone)]
pub struct TemplateRow {
    pub id: Uuid,
    pub name: String,
    /// The newest version's number.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One version's content as stored.
#[derive(Debug, Clone)]
pub struct TemplateVersionRow {
    pub template_id: Uuid,
    pub version: i32,
    /// `[{"title", "body"}]`.
    pub sections: Value,
    /// `[{"name", "type", "label"}]`.
    pub variables: Value,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Version `version` of template `template_id`.
#[tracing::instrument(skip(tx))]
pub async fn get_version(
    tx: &mut TenantTx,
    template_id: Uuid,
    version: i32,
) -> Result<Option<TemplateVersionRow>, sqlx::Error> {
    sqlx::query_as!(
        TemplateVersionRow,
        "SELECT template_id, version, sections, variables, created_by, created_at
           FROM proposal_template_versions WHERE template_id = $1 AND version = $2",
        template_id,
        version
    )
    .fetch_optional(tx.conn())
    .await
}

/// A template.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<TemplateRow>, sqlx::Error> {
    sqlx::query_as!(
        TemplateRow,
        "SELECT id, name, version, created_at, updated_at FROM proposal_templates WHERE id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// A template by id, locked until the transaction ends: a change takes this lock, so two
/// changes of one template never make the same version.
#[tracing::instrument(skip(tx))]
pub async fn get_for_update(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<TemplateRow>, sqlx::Error> {
    sqlx::query_as!(
        TemplateRow,
        "SELECT id, name, version, created_at, updated_at FROM proposal_templates
          WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// One page of templates by name (ignoring case), after the key `(lower(name), id)` of the
/// previous page's last one.
#[tracing::instrument(skip(tx))]
pub async fn list(
    tx: &mut TenantTx,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<Vec<TemplateRow>, sqlx::Error> {
    let (after_name, after_id) = after.unzip();
    sqlx::query_as!(
        TemplateRow,
        "SELECT id, name, version, created_at, updated_at FROM proposal_templates
          WHERE $1::text IS NULL OR (lower(name), id) > ($1, $2)
          ORDER BY lower(name), id LIMIT $3",
        after_name,
        after_id,
        limit
    )
    .fetch_all(tx.conn())
    .await
}

/// The newest version of each of these templates.
#[tracing::instrument(skip(tx))]
pub async fn newest_versions(
    tx: &mut TenantTx,
    ids: &[Uuid],
) -> Result<Vec<TemplateVersionRow>, sqlx::Error> {
    sqlx::query_as!(
        TemplateVersionRow,
        "SELECT v.template_id, v.version, v.sections, v.variables, v.created_by, v.created_at
           FROM proposal_templates t
           JOIN proposal_template_versions v ON v.template_id = t.id AND v.version = t.version
          WHERE t.id = ANY($1)",
        ids
    )
    .fetch_all(tx.conn())
    .await
}

/// Stores a new template at version 1 (its content is [`insert_version`]'s); a name taken
/// (ignoring case) fails on `proposal_templates_name`.
#[tracing::instrument(skip(tx))]
pub async fn insert(tx: &mut TenantTx, id: Uuid, name: &str) -> Result<TemplateRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        TemplateRow,
        "INSERT INTO proposal_templates (tenant_id, id, name) VALUES ($1, $2, $3)
         RETURNING id, name, version, created_at, updated_at",
        tenant,
        id,
        name
    )
    .fetch_one(tx.conn())
    .await
}

/// Stores a version's content.
#[tracing::instrument(skip(tx, sections, variables))]
pub async fn insert_version(
    tx: &mut TenantTx,
    template_id: Uuid,
    version: i32,
    sections: &Value,
    variables: &Value,
    created_by: Option<Uuid>,
) -> Result<TemplateVersionRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        TemplateVersionRow,
        "INSERT INTO proposal_template_versions
                (tenant_id, template_id, version, sections, variables, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING template_id, version, sections, variables, created_by, created_at",
        tenant,
        template_id,
        version,
        sections,
        variables,
        created_by
    )
    .fetch_one(tx.conn())
    .await
}

/// Renames a template and sets its newest version's number; a name taken fails on
/// `proposal_templates_name`.
#[tracing::instrument(skip(tx))]
pub async fn update(
    tx: &mut TenantTx,
    id: Uuid,
    name: &str,
    version: i32,
) -> Result<TemplateRow, sqlx::Error> {
    sqlx::query_as!(
        TemplateRow,
        "UPDATE proposal_templates SET name = $2, version = $3, updated_at = now() WHERE id = $1
         RETURNING id, name, version, created_at, updated_at",
        id,
        name,
        version
    )
    .fetch_one(tx.conn())
    .await
}

/// Deletes a template with its versions; one a proposal was made from fails on the proposals'
/// foreign key (`proposals_…`).
#[tracing::instrument(skip(tx))]
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<u64, sqlx::Error> {
    sqlx::query!("DELETE FROM proposal_templates WHERE id = $1", id)
        .execute(tx.conn())
        .await
        .map(|r| r.rows_affected())
}
