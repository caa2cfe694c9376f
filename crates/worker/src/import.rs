//! The client import job: takes the file's rows batch by batch through
//! `services::import::Importer`, which validates each row as the API would, reports each
//! problem with its line and column, skips duplicates of existing clients (and of earlier rows),
//! and unless it is a dry run creates the rest through the API's own flow
//! (`services::clients::create_prepared`). Progress is committed with each batch, so after a
//! crash the job resumes after the last committed batch. A batch ends after 500 rows or after
//! `BATCH_TIME_LIMIT` (1 s), whichever comes first: its events must commit soon after they
//! are recorded for a resuming live stream to find them (see `services::live`), and a busy
//! database must not stretch a batch to many seconds.
//!
//! A row is a per-row error whenever its data is at fault (see `services::import::rows`), so
//! one bad row never aborts its batch. A database error is reported with the row's line; one the
//! database would give on every run ends the import `failed` (see `crate::failure`).

use std::time::Instant;

use anyhow::Context;
use db::TenantTx;
use db::audit::Actor;
use serde_json::Value;
use services::Scope;
use services::import::{self, Importer, Row, Taken, Unreadable};
use services::live::BATCH_TIME_LIMIT;
use uuid::Uuid;

use crate::WorkerCtx;

/// Rows a batch takes at most.
const BATCH: i32 = 500;

/// Runs (or resumes) the import `import_id` of `tenant`.
pub async fn run(ctx: &WorkerCtx, tenant: Uuid, import_id: Uuid) -> anyhow::Result<()> {
    let mut tx = TenantTx::begin(&ctx.db, tenant).await?;
    let Some((imp, content)) = db::imports::content_for_work(&mut tx, import_id).await? else {
        // Finished already (a redelivered job) or gone.
        return Ok(());
    };
    tx.commit().await?;
    let layout = match import::layout(&content) {
        Ok(l) => l,
        Err(problems) => {
            let errors: Vec<Value> = problems
                .iter()
                .map(|p| import::row_error(1, &p.pointer, &p.detail))
                .collect();
            let reason = "the header line is not one this import reads (see the errors)";
            return fail_with(ctx, tenant, import_id, reason, &errors).await;
        }
    };
    let mut job = ImportRun::new(ctx, tenant, &imp);
    let mut rows = import::rows(&content, &layout)
        .skip(imp.processed_rows.max(0) as usize)
        .peekable();
    let mut position = imp.processed_rows;
    while rows.peek().is_some() {
        // Every batch before this one is committed: a shutdown loses nothing here.
        ctx.check_stopping()?;
        let Some(processed) = job.batch(&mut rows, position).await? else {
            tracing::warn!(%import_id, "another run of this import got further; this one stops");
            return Ok(());
        };
        position += processed;
    }
    let mut tx = TenantTx::begin(&ctx.db, tenant).await?;
    db::imports::finish(&mut tx, import_id, "done", &[]).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends the import `failed` with `reason`: its job failed in a way no run gets past.
pub(crate) async fn fail(
    ctx: &WorkerCtx,
    tenant: Uuid,
    import_id: Uuid,
    reason: &str,
) -> anyhow::Result<()> {
    fail_with(ctx, tenant, import_id, reason, &[]).await
}

async fn fail_with(
    ctx: &WorkerCtx,
    tenant: Uuid,
    import_id: Uuid,
    reason: &str,
    errors: &[Value],
) -> anyhow::Result<()> {
    let mut tx = TenantTx::begin(&ctx.db, tenant).await?;
    db::imports::fail(&mut tx, import_id, reason, errors).await?;
    tx.commit().await?;
    Ok(())
}

/// One run of an import job: what stays the same from batch to batch.
struct ImportRun<'a> {
    ctx: &'a WorkerCtx,
    tenant: Uuid,
    import_id: Uuid,
    actor: Actor,
    importer: Importer,
}

/// What one batch did, committed with its progress.
#[derive(Default)]
struct Batch {
    processed: i32,
    imported: i32,
    errors: Vec<Value>,
}

impl<'a> ImportRun<'a> {
    fn new(ctx: &'a WorkerCtx, tenant: Uuid, imp: &db::imports::Import) -> Self {
        let actor = Actor {
            kind: if imp.created_by.is_some() {
                "user"
            } else {
                "system"
            },
            id: imp.created_by,
            ..Actor::default()
        };
        Self {
            ctx,
            tenant,
            import_id: imp.id,
            actor,
            importer: Importer::new(imp.id, imp.dry_run),
        }
    }

    /// Runs and commits one batch from `position`, in a scope of its own, and publishes the
    /// timeline events it recorded; returns how many rows it took, or `None` when a
    /// redelivery of this job ran the same rows meanwhile (this batch is then void).
    async fn batch(
        &mut self,
        rows: &mut impl Iterator<Item = Result<Row, Unreadable>>,
        position: i32,
    ) -> anyhow::Result<Option<i32>> {
        let tx = TenantTx::begin(&self.ctx.db, self.tenant).await?;
        let mut scope = Scope::new(tx, self.actor.clone());
        let cipher = db::crypto::tenant_cipher(&mut scope.tx, &self.ctx.master_keys).await?;
        let mut batch = Batch::default();
        let started = Instant::now();
        while batch.processed < BATCH && started.elapsed() < BATCH_TIME_LIMIT {
            let Some(row) = rows.next() else { break };
            batch.processed += 1;
            let row = match row {
                Ok(row) => row,
                Err(bad) => {
                    batch.errors.push(bad.report());
                    continue;
                }
            };
            let line = row.line;
            let taken = self
                .importer
                .take(&mut scope, &cipher, row)
                .await
                .with_context(|| format!("line {line}"))?;
            match taken {
                Taken::Imported => batch.imported += 1,
                Taken::Checked => {}
                Taken::Refused(report) => batch.errors.extend(report),
            }
        }
        let Batch {
            processed,
            imported,
            errors,
        } = batch;
        let id = self.import_id;
        let (mut tx, after) = scope.into_parts();
        if !db::imports::progress(&mut tx, id, position, processed, imported, &errors).await? {
            tx.rollback().await?;
            return Ok(None);
        }
        tx.commit().await?;
        if !after.recorded.is_empty() {
            let notice = after.recorded.notice(self.tenant);
            crate::notice::notify(self.ctx, &notice).await;
        }
        Ok(Some(processed))
    }
}
