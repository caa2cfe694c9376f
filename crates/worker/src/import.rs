//! The client import job: validates every row as the API would, reports each problem with its
//! line and column, skips duplicates of existing clients (and of earlier rows), and unless it is
//! a dry run creates the rest. Progress is committed with each batch, so after a crash the job
//! resumes after the last committed batch. A batch ends after 500 rows or after
//! `BATCH_TIME_LIMIT` (1 s), whichever comes first: its events must commit soon after they
//! are recorded for a resuming live stream to find them (see `services::live`), and a busy
//! database must not stretch a batch to many seconds.
//!
//! A row is a per-row error whenever its data is at fault (see `services::import::rows`), so
//! one bad row never aborts its batch. A database error is reported with the row's line; one the
//! database would give on every run ends the import `failed` (see `crate::failure`).

use std::collections::HashSet;
use std::time::Instant;

use anyhow::Context;
use db::TenantTx;
use db::audit::{Actor, Change};
use db::clients::ClientData;
use db::crypto::TenantCipher;
use db::timeline::NewEvent;
use serde_json::{Value, json};
use services::import::{self, Row, Unreadable};
use services::live::BATCH_TIME_LIMIT;
use uuid::Uuid;

use crate::WorkerCtx;

/// Rows a batch takes at most.
const BATCH: i32 = 500;

fn problem(line: u64, column: &str, detail: &str) -> Value {
    json!({ "line": line, "column": column, "detail": detail })
}

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
                .map(|p| problem(1, &p.pointer, &p.detail))
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
    dry_run: bool,
    actor: Actor,
    seen_tax: HashSet<Vec<u8>>,
    seen_emails: HashSet<String>,
}

/// What one batch did, committed with its progress.
#[derive(Default)]
struct Batch {
    processed: i32,
    imported: i32,
    errors: Vec<Value>,
    event_ids: Vec<Uuid>,
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
            dry_run: imp.dry_run,
            actor,
            seen_tax: HashSet::new(),
            seen_emails: HashSet::new(),
        }
    }

    /// Runs and commits one batch from `position`; returns how many rows it took, or `None`
    /// when a redelivery of this job ran the same rows meanwhile (this batch is then void).
    async fn batch(
        &mut self,
        rows: &mut impl Iterator<Item = Result<Row, Unreadable>>,
        position: i32,
    ) -> anyhow::Result<Option<i32>> {
        let mut tx = TenantTx::begin(&self.ctx.db, self.tenant).await?;
        let cipher = db::crypto::tenant_cipher(&mut tx, &self.ctx.master_keys).await?;
        let mut batch = Batch::default();
        let started = Instant::now();
        while batch.processed < BATCH && started.elapsed() < BATCH_TIME_LIMIT {
            let Some(row) = rows.next() else { break };
            batch.processed += 1;
            match row {
                Ok(row) => {
                    let line = row.line;
                    self.row(&mut tx, &cipher, row, &mut batch)
                        .await
                        .with_context(|| format!("line {line}"))?;
                }
                Err(bad) => batch
                    .errors
                    .push(problem(bad.line, &bad.column, &bad.detail)),
            }
        }
        let Batch {
            processed,
            imported,
            errors,
            event_ids,
        } = batch;
        let id = self.import_id;
        if !db::imports::progress(&mut tx, id, position, processed, imported, &errors).await? {
            tx.rollback().await?;
            return Ok(None);
        }
        tx.commit().await?;
        if !event_ids.is_empty() {
            let notice = services::live::Notice {
                tenant_id: self.tenant,
                event_ids,
                clients_changed: true,
            };
            crate::notice::notify(self.ctx, &notice).await;
        }
        Ok(Some(processed))
    }

    /// Validates one row and, unless it is a problem, a duplicate or a dry run, creates it.
    async fn row(
        &mut self,
        tx: &mut TenantTx,
        cipher: &TenantCipher,
        Row { line, input }: Row,
        batch: &mut Batch,
    ) -> anyhow::Result<()> {
        let data = match services::clients::prepare(tx, cipher, input, None).await {
            Ok(d) => d,
            Err(services::Error::Invalid(problems)) => {
                batch.errors.extend(
                    problems
                        .iter()
                        .map(|p| problem(line, &import::column_of(&p.pointer), &p.detail)),
                );
                return Ok(());
            }
            Err(other) => return Err(other.into()),
        };
        if let Some(duplicate) = self.duplicate(tx, line, &data).await? {
            batch.errors.push(duplicate);
            return Ok(());
        }
        self.seen_tax.extend(data.tax_id_hash.clone());
        self.seen_emails.extend(data.emails.iter().cloned());
        if !self.dry_run {
            batch.event_ids.push(self.create(tx, line, &data).await?);
            batch.imported += 1;
        }
        Ok(())
    }

    /// The problem of a row that repeats an earlier row of the file or an existing client.
    async fn duplicate(
        &self,
        tx: &mut TenantTx,
        line: u64,
        data: &ClientData,
    ) -> anyhow::Result<Option<Value>> {
        let dup_in_file = data
            .tax_id_hash
            .as_ref()
            .is_some_and(|h| self.seen_tax.contains(h))
            || data.emails.iter().any(|e| self.seen_emails.contains(e));
        if dup_in_file {
            return Ok(Some(problem(
                line,
                "",
                "duplicates an earlier row of this file (same tax id or e-mail)",
            )));
        }
        let existing =
            db::clients::find_existing(tx, data.tax_id_hash.as_deref(), &data.emails).await?;
        Ok(existing.map(|existing| {
            let column = if data.tax_id_hash.is_some() {
                "tax_id"
            } else {
                "emails"
            };
            problem(
                line,
                column,
                &format!("duplicates existing client {existing}"),
            )
        }))
    }

    /// Creates the client with its audit row and timeline event; returns the event's id.
    async fn create(
        &self,
        tx: &mut TenantTx,
        line: u64,
        data: &ClientData,
    ) -> anyhow::Result<Uuid> {
        let id = Uuid::now_v7();
        db::clients::insert(tx, id, data).await?;
        let import_id = self.import_id;
        db::audit::record(
            tx,
            &self.actor,
            Change {
                action: "client.created",
                target_type: "client",
                target_id: Some(id.to_string()),
                before: None,
                after: Some(
                    json!({ "company_name": data.company_name, "import_id": import_id, "line": line }),
                ),
            },
        )
        .await?;
        let event = db::timeline::record(
            tx,
            &self.actor,
            NewEvent {
                client_id: Some(id),
                event_type: "client.created",
                description: format!("{} was imported as {}", data.company_name, data.status),
                event_date: None,
                entity_type: Some("client"),
                entity_id: Some(id.to_string()),
                payload: json!({ "status": data.status, "import_id": import_id }),
            },
        )
        .await?;
        Ok(event)
    }
}
