//! CSV imports of clients: the uploaded file, progress, and the per-row error report.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::TenantTx;

#[derive(Debug, Clone)]
pub struct Import {
    pub id: Uuid,
    pub status: String,
    pub dry_run: bool,
    pub total_rows: i32,
    pub processed_rows: i32,
    pub imported_rows: i32,
    pub error_rows: i32,
    pub errors: Value,
    /// Why the import ended `failed`.
    pub failure_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Stores an uploaded file as a `queued` import.
#[tracing::instrument(skip(tx, content))]
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    dry_run: bool,
    content: &[u8],
    total_rows: i32,
    created_by: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "INSERT INTO client_imports (tenant_id, id, status, dry_run, content, total_rows, created_by)
         VALUES ($1, $2, 'queued', $3, $4, $5, $6)",
        tenant,
        id,
        dry_run,
        content,
        total_rows,
        created_by
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// An import's progress and report (without its file).
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<Import>, sqlx::Error> {
    sqlx::query_as!(
        Import,
        "SELECT id, status, dry_run, total_rows, processed_rows, imported_rows, error_rows, errors,
                failure_reason, created_by, created_at, started_at, finished_at
           FROM client_imports WHERE id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// The file of an import that has not finished, locked for the job that works on it.
#[tracing::instrument(skip(tx))]
pub async fn content_for_work(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<(Import, Vec<u8>)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"UPDATE client_imports SET status = 'running', started_at = coalesce(started_at, now())
            WHERE id = $1 AND status IN ('queued', 'running')
           RETURNING content AS "content!""#,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(get(tx, id).await?.map(|i| (i, row.content)))
}

/// Records one batch's progress (in the batch's transaction, so a crash resumes after it).
/// `from` is where the batch started; false when the import is no longer there, because
/// another delivery of the same job got further first: the caller must roll its batch back.
#[tracing::instrument(skip(tx, errors))]
pub async fn progress(
    tx: &mut TenantTx,
    id: Uuid,
    from: i32,
    processed: i32,
    imported: i32,
    errors: &[Value],
) -> Result<bool, sqlx::Error> {
    let errors = Value::Array(errors.to_vec());
    let done = sqlx::query!(
        "UPDATE client_imports
            SET processed_rows = processed_rows + $2, imported_rows = imported_rows + $3,
                error_rows = error_rows + jsonb_array_length($4::jsonb),
                errors = CASE WHEN jsonb_array_length(errors) < 1000
                              THEN errors || $4::jsonb ELSE errors END
          WHERE id = $1 AND processed_rows = $5",
        id,
        processed,
        imported,
        errors,
        from
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends an import; its file is dropped.
#[tracing::instrument(skip(tx, errors))]
pub async fn finish(
    tx: &mut TenantTx,
    id: Uuid,
    status: &str,
    errors: &[Value],
) -> Result<(), sqlx::Error> {
    let errors = Value::Array(errors.to_vec());
    sqlx::query!(
        "UPDATE client_imports
            SET status = $2, finished_at = now(), content = NULL,
                error_rows = error_rows + jsonb_array_length($3::jsonb), errors = errors || $3::jsonb
          WHERE id = $1",
        id,
        status,
        errors
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Ends an import that has not finished as `failed`, with why (and, from a header the job
/// cannot read, its problems); its file is dropped. A finished import is left as it is.
#[tracing::instrument(skip(tx, errors))]
pub async fn fail(
    tx: &mut TenantTx,
    id: Uuid,
    reason: &str,
    errors: &[Value],
) -> Result<(), sqlx::Error> {
    let errors = Value::Array(errors.to_vec());
    sqlx::query!(
        "UPDATE client_imports
            SET status = 'failed', failure_reason = $2, finished_at = now(), content = NULL,
                error_rows = error_rows + jsonb_array_length($3::jsonb), errors = errors || $3::jsonb
          WHERE id = $1 AND status IN ('queued', 'running')",
        id,
        reason,
        errors
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
