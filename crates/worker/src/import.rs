//! The client import job: validates every row as the API would, reports each problem with its
//! line and column, skips duplicates of existing clients (and of earlier rows), and unless it is
//! a dry run creates the rest. Progress is committed with each batch, so after a crash the job
//! resumes after the last committed batch. A batch ends after 500 rows or after
//! `BATCH_TIME_LIMIT` (1 s), whichever comes first: its events must commit soon after they
//! are recorded for a resuming live stream to find them (see `services::live`), and a busy
//! database must not stretch a batch to many seconds.

use std::collections::HashSet;
use std::time::Instant;

use db::TenantTx;
use db::audit::{Actor, Change};
use db::timeline::NewEvent;
use serde_json::{Value, json};
use services::import::{self, Row};
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
            let mut tx = TenantTx::begin(&ctx.db, tenant).await?;
            db::imports::finish(&mut tx, import_id, "failed", &errors).await?;
            tx.commit().await?;
            return Ok(());
        }
    };
    let actor = Actor {
        kind: if imp.created_by.is_some() {
            "user"
        } else {
            "system"
        },
        id: imp.created_by,
        ..Actor::default()
    };
    let mut seen_tax: HashSet<Vec<u8>> = HashSet::new();
    let mut seen_emails: HashSet<String> = HashSet::new();
    let mut rows = import::rows(&content, &layout)
        .skip(imp.processed_rows.max(0) as usize)
        .peekable();
    let mut position = imp.processed_rows;
    while rows.peek().is_some() {
        // Every batch before this one is committed: a shutdown loses nothing here.
        ctx.check_stopping()?;
        let mut tx = TenantTx::begin(&ctx.db, tenant).await?;
        let cipher = db::crypto::tenant_cipher(&mut tx, &ctx.master_keys).await?;
        let (mut processed, mut imported, mut errors) = (0, 0, Vec::new());
        let mut event_ids = Vec::new();
        let started = Instant::now();
        while processed < BATCH && started.elapsed() < BATCH_TIME_LIMIT {
            let Some(row) = rows.next() else { break };
            processed += 1;
            let Row { line, input } = match row {
                Ok(r) => r,
                Err(bad) => {
                    errors.push(problem(bad.line, "", &bad.detail));
                    continue;
                }
            };
            let data = match services::clients::prepare(&mut tx, &cipher, input, None).await {
                Ok(d) => d,
                Err(services::Error::Invalid(problems)) => {
                    errors.extend(
                        problems
                            .iter()
                            .map(|p| problem(line, &import::column_of(&p.pointer), &p.detail)),
                    );
                    continue;
                }
                Err(other) => return Err(other.into()),
            };
            let dup_in_file = data
                .tax_id_hash
                .as_ref()
                .is_some_and(|h| seen_tax.contains(h))
                || data.emails.iter().any(|e| seen_emails.contains(e));
            if dup_in_file {
                errors.push(problem(
                    line,
                    "",
                    "duplicates an earlier row of this file (same tax id or e-mail)",
                ));
                continue;
            }
            if let Some(existing) =
                db::clients::find_existing(&mut tx, data.tax_id_hash.as_deref(), &data.emails)
                    .await?
            {
                errors.push(problem(
                    line,
                    if data.tax_id_hash.is_some() {
                        "tax_id"
                    } else {
                        "emails"
                    },
                    &format!("duplicates existing client {existing}"),
                ));
                continue;
            }
            seen_tax.extend(data.tax_id_hash.clone());
            seen_emails.extend(data.emails.iter().cloned());
            if imp.dry_run {
                continue;
            }
            let id = Uuid::now_v7();
            db::clients::insert(&mut tx, id, &data).await?;
            db::audit::record(
                &mut tx,
                &actor,
                Change {
                    action: "client.created",
                    target_type: "client",
                    target_id: Some(id.to_string()),
                    before: None,
                    after: Some(json!({ "company_name": data.company_name, "import_id": import_id, "line": line })),
                },
            )
            .await?;
            let event = db::timeline::record(
                &mut tx,
                &actor,
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
            event_ids.push(event);
            imported += 1;
        }
        if !db::imports::progress(&mut tx, import_id, position, processed, imported, &errors)
            .await?
        {
            // A redelivery of this job ran the same rows meanwhile: this run's batch is void.
            tx.rollback().await?;
            tracing::warn!(%import_id, "another run of this import got further; this one stops");
            return Ok(());
        }
        tx.commit().await?;
        position += processed;
        if !event_ids.is_empty() {
            let notice = services::live::Notice {
                tenant_id: tenant,
                event_ids,
                clients_changed: true,
            };
            crate::notice::notify(ctx, &notice).await;
        }
    }
    let mut tx = TenantTx::begin(&ctx.db, tenant).await?;
    db::imports::finish(&mut tx, import_id, "done", &[]).await?;
    tx.commit().await?;
    Ok(())
}
