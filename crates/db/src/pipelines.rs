//! Pipelines and their ordered stages. A pipeline's stages are written as a whole: the service
//! keeps the ids of stages it keeps, adds new ones and removes those no opportunity stands in.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;

/// A pipeline as stored.
#[derive(Debug, Clone)]
pub struct PipelineRow {
    pub id: Uuid,
    pub name: String,
    pub is_default: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stage as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRow {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub name: String,
    pub position: i32,
    pub probability: i16,
    pub kind: String,
    pub rot_days: Option<i32>,
    /// An opportunity moves here when a proposal for it is sent.
    pub on_proposal_sent: bool,
}

/// Stores a new pipeline; a name taken (ignoring case) fails on `pipelines_name`, a second
/// default on `pipelines_one_default`.
#[tracing::instrument(skip(tx))]
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    name: &str,
    is_default: bool,
) -> Result<PipelineRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        PipelineRow,
        "INSERT INTO pipelines (tenant_id, id, name, is_default) VALUES ($1, $2, $3, $4)
         RETURNING id, name, is_default, version, created_at, updated_at",
        tenant,
        id,
        name,
        is_default
    )
    .fetch_one(tx.conn())
    .await
}

/// Every pipeline of the tenant, the default first, then by name.
#[tracing::instrument(skip(tx))]
pub async fn list(tx: &mut TenantTx) -> Result<Vec<PipelineRow>, sqlx::Error> {
    sqlx::query_as!(
        PipelineRow,
        "SELECT id, name, is_default, version, created_at, updated_at
           FROM pipelines ORDER BY is_default DESC, lower(name), id"
    )
    .fetch_all(tx.conn())
    .await
}

/// A pipeline by id.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<PipelineRow>, sqlx::Error> {
    sqlx::query_as!(
        PipelineRow,
        "SELECT id, name, is_default, version, created_at, updated_at FROM pipelines WHERE id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// A pipeline by id, locked until the transaction ends: a change of its stages, and every
/// move or new card on it, holds this lock, so stages never change under a move.
#[tracing::instrument(skip(tx))]
pub async fn get_for_update(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<PipelineRow>, sqlx::Error> {
    sqlx::query_as!(
        PipelineRow,
        "SELECT id, name, is_default, version, created_at, updated_at
           FROM pipelines WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// A pipeline by id, shared-locked until the transaction ends: moves and new cards take this
/// lock (many at once), a change of the stages the exclusive one.
#[tracing::instrument(skip(tx))]
pub async fn get_for_share(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<PipelineRow>, sqlx::Error> {
    sqlx::query_as!(
        PipelineRow,
        "SELECT id, name, is_default, version, created_at, updated_at
           FROM pipelines WHERE id = $1 FOR SHARE",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// The tenant's default pipeline.
#[tracing::instrument(skip(tx))]
pub async fn default_id(tx: &mut TenantTx) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!("SELECT id FROM pipelines WHERE is_default")
        .fetch_optional(tx.conn())
        .await
}

/// Renames a pipeline and bumps its version; `pipelines_name` refuses a taken name.
#[tracing::instrument(skip(tx))]
pub async fn rename(tx: &mut TenantTx, id: Uuid, name: &str) -> Result<PipelineRow, sqlx::Error> {
    sqlx::query_as!(
        PipelineRow,
        "UPDATE pipelines SET name = $2, version = version + 1, updated_at = now()
          WHERE id = $1
         RETURNING id, name, is_default, version, created_at, updated_at",
        id,
        name
    )
    .fetch_one(tx.conn())
    .await
}

/// Makes `id` the tenant's default pipeline (and no other).
#[tracing::instrument(skip(tx))]
pub async fn make_default(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE pipelines SET is_default = false WHERE is_default AND id <> $1",
        id
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!("UPDATE pipelines SET is_default = true WHERE id = $1", id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Deletes a pipeline with its stages; `opportunities_tenant_id_pipeline_id_stage_id_fkey`
/// refuses it while an opportunity stands in one of them.
#[tracing::instrument(skip(tx))]
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM pipelines WHERE id = $1", id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The stages of the pipelines `ids`, each pipeline's in board order.
#[tracing::instrument(skip(tx))]
pub async fn stages_of(tx: &mut TenantTx, ids: &[Uuid]) -> Result<Vec<StageRow>, sqlx::Error> {
    sqlx::query_as!(
        StageRow,
        "SELECT id, pipeline_id, name, position, probability, kind, rot_days, on_proposal_sent
           FROM pipeline_stages WHERE pipeline_id = ANY($1)
          ORDER BY pipeline_id, position",
        ids
    )
    .fetch_all(tx.conn())
    .await
}

/// A stage by id.
#[tracing::instrument(skip(tx))]
pub async fn stage(tx: &mut TenantTx, id: Uuid) -> Result<Option<StageRow>, sqlx::Error> {
    sqlx::query_as!(
        StageRow,
        "SELECT id, pipeline_id, name, position, probability, kind, rot_days, on_proposal_sent
           FROM pipeline_stages WHERE id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// Writes one stage (inserted, or changed in place when its id exists).
#[tracing::instrument(skip(tx))]
pub async fn upsert_stage(tx: &mut TenantTx, s: &StageRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "INSERT INTO pipeline_stages (tenant_id, id, pipeline_id, name, position, probability, kind,
                                      rot_days, on_proposal_sent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id, id) DO UPDATE
            SET name = EXCLUDED.name, position = EXCLUDED.position,
                probability = EXCLUDED.probability, kind = EXCLUDED.kind,
                rot_days = EXCLUDED.rot_days, on_proposal_sent = EXCLUDED.on_proposal_sent",
        tenant,
        s.id,
        s.pipeline_id,
        s.name,
        s.position,
        s.probability,
        s.kind,
        s.rot_days,
        s.on_proposal_sent
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Removes the stages of `pipeline` not in `keep`; the opportunities' foreign key refuses the
/// removal of a stage someone stands in.
#[tracing::instrument(skip(tx))]
pub async fn delete_stages_except(
    tx: &mut TenantTx,
    pipeline: Uuid,
    keep: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM pipeline_stages WHERE pipeline_id = $1 AND NOT (id = ANY($2))",
        pipeline,
        keep
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Bumps a pipeline's version (its stages changed).
#[tracing::instrument(skip(tx))]
pub async fn touch(tx: &mut TenantTx, id: Uuid) -> Result<PipelineRow, sqlx::Error> {
    sqlx::query_as!(
        PipelineRow,
        "UPDATE pipelines SET version = version + 1, updated_at = now() WHERE id = $1
         RETURNING id, name, is_default, version, created_at, updated_at",
        id
    )
    .fetch_one(tx.conn())
    .await
}

/// Clears the stage a sent proposal moves to, before the stages are written again (the
/// partial unique index allows one per pipeline at every moment).
#[tracing::instrument(skip(tx))]
pub async fn clear_proposal_stage(tx: &mut TenantTx, pipeline_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE pipeline_stages SET on_proposal_sent = false
          WHERE pipeline_id = $1 AND on_proposal_sent",
        pipeline_id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The first won stage of a pipeline (where an accepted proposal moves its opportunity).
#[tracing::instrument(skip(tx))]
pub async fn first_won_stage(
    tx: &mut TenantTx,
    pipeline_id: Uuid,
) -> Result<Option<StageRow>, sqlx::Error> {
    sqlx::query_as!(
        StageRow,
        "SELECT id, pipeline_id, name, position, probability, kind, rot_days, on_proposal_sent
           FROM pipeline_stages WHERE pipeline_id = $1 AND kind = 'won'
          ORDER BY position LIMIT 1",
        pipeline_id
    )
    .fetch_optional(tx.conn())
    .await
}

/// The stage a sent proposal moves an opportunity of the pipeline to, if one is mapped.
#[tracing::instrument(skip(tx))]
pub async fn proposal_stage(
    tx: &mut TenantTx,
    pipeline_id: Uuid,
) -> Result<Option<StageRow>, sqlx::Error> {
    sqlx::query_as!(
        StageRow,
        "SELECT id, pipeline_id, name, position, probability, kind, rot_days, on_proposal_sent
           FROM pipeline_stages WHERE pipeline_id = $1 AND on_proposal_sent",
        pipeline_id
    )
    .fetch_optional(tx.conn())
    .await
}
