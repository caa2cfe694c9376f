//! The proof, read in Postgres as the superuser (row-level security does not apply): every
//! import ran to the end exactly once, every client created through the API is stored once.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::load::{Upload, import_name};

/// Import jobs: what was uploaded and what Postgres holds afterwards.
#[derive(Debug, Default, Serialize)]
pub(super) struct Jobs {
    /// Uploads answered 202 with an import id.
    pub(super) uploaded: u64,
    /// Uploads whose answer was a failure.
    pub(super) upload_failed: u64,
    /// Of those, imports that exist anyway (the upload committed, the answer was lost).
    pub(super) upload_failed_but_imported: u64,
    /// Imports done with exactly their rows, each client once, one `client.created` event each.
    pub(super) finished: u64,
    /// Imports not done by the deadline, or with rows missing.
    pub(super) lost: u64,
    /// Imports with a client or an event written twice.
    pub(super) duplicated: u64,
    /// Jobs whose queue row says they were delivered more than once (`apalis.jobs.attempts > 1`).
    pub(super) redelivered: u64,
    pub(super) max_attempts: i32,
    /// Seconds from the end of the load until the last import was done.
    pub(super) backlog_drained_s: Option<f64>,
    /// What was wrong with each import that was not fine (the first 20).
    pub(super) problems: Vec<String>,
}

/// Clients created through `POST /clients`.
#[derive(Debug, Default, Serialize)]
pub(super) struct Posted {
    /// Answered with a success.
    pub(super) answered: u64,
    /// Of those, not in the database.
    pub(super) missing: u64,
    /// Stored more than once (whatever the answer).
    pub(super) duplicated: u64,
    /// Answered with a failure.
    pub(super) failed: u64,
    /// Of those, stored anyway.
    pub(super) failed_but_stored: u64,
}

async fn count_by(pool: &PgPool, sql: &str, tenant: Uuid) -> anyhow::Result<HashMap<String, i64>> {
    let rows: Vec<(Option<String>, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .fetch_all(pool)
        .await
        .with_context(|| format!("query failed: {sql}"))?;
    Ok(rows
        .into_iter()
        .filter_map(|(k, n)| Some((k?, n)))
        .collect())
}

/// Checks every uploaded import against `client_imports`, the clients and timeline events it
/// wrote, and its row in the job queue.
pub(super) async fn imports(
    pool: &PgPool,
    tenant: Uuid,
    uploads: &[Upload],
    rows: u32,
) -> anyhow::Result<Jobs> {
    let imports: Vec<(Uuid, String, i32, i32, i32)> = sqlx::query_as(
        "SELECT id, status, processed_rows, imported_rows, error_rows
           FROM client_imports WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_all(pool)
    .await?;
    let imports: HashMap<Uuid, (String, i32, i32, i32)> = imports
        .into_iter()
        .map(|(id, status, p, i, e)| (id, (status, p, i, e)))
        .collect();
    let clients = count_by(
        pool,
        "SELECT split_part(company_name, ' Row ', 1), count(*) FROM clients
          WHERE tenant_id = $1 AND company_name LIKE 'Rolling Import %' GROUP BY 1",
        tenant,
    )
    .await?;
    let distinct = count_by(
        pool,
        "SELECT split_part(company_name, ' Row ', 1), count(DISTINCT company_name) FROM clients
          WHERE tenant_id = $1 AND company_name LIKE 'Rolling Import %' GROUP BY 1",
        tenant,
    )
    .await?;
    let events = count_by(
        pool,
        "SELECT payload->>'import_id', count(*) FROM timeline_events
          WHERE tenant_id = $1 AND event_type = 'client.created' AND payload ? 'import_id'
          GROUP BY 1",
        tenant,
    )
    .await?;
    let queued: Vec<(Option<String>, String, i32, Option<String>)> = sqlx::query_as(
        "SELECT idempotency_key, status, attempts, lock_by FROM apalis.jobs
          WHERE idempotency_key LIKE 'import-%'",
    )
    .fetch_all(pool)
    .await?;
    let queued: HashMap<String, (String, i32, Option<String>)> = queued
        .into_iter()
        .filter_map(|(key, status, attempts, lock)| Some((key?, (status, attempts, lock))))
        .collect();

    let rows = i64::from(rows);
    let mut jobs = Jobs::default();
    for upload in uploads {
        let name = import_name(upload.number);
        let stored = clients.get(&name).copied().unwrap_or(0);
        let unique = distinct.get(&name).copied().unwrap_or(0);
        let Some(id) = upload.id else {
            jobs.upload_failed += 1;
            jobs.upload_failed_but_imported += u64::from(stored > 0);
            if stored > unique {
                jobs.duplicated += 1;
            }
            continue;
        };
        jobs.uploaded += 1;
        let (status, processed, imported, errors) = imports
            .get(&id)
            .cloned()
            .unwrap_or_else(|| ("absent".to_owned(), 0, 0, 0));
        let written = events.get(&id.to_string()).copied().unwrap_or(0);
        let (job_status, attempts, lock) = queued
            .get(&format!("import-{id}"))
            .cloned()
            .unwrap_or_else(|| ("absent".to_owned(), 0, None));
        jobs.max_attempts = jobs.max_attempts.max(attempts);
        jobs.redelivered += u64::from(attempts > 1);
        let lost = status != "done" || unique < rows || i64::from(imported) != rows;
        let duplicated = stored > unique || written > rows;
        jobs.lost += u64::from(lost);
        jobs.duplicated += u64::from(duplicated);
        jobs.finished += u64::from(!lost && !duplicated && errors == 0 && written == rows);
        if (lost || duplicated || errors != 0 || written != rows) && jobs.problems.len() < 20 {
            jobs.problems.push(format!(
                "{name} ({id}): import {status}, processed {processed}, imported {imported}, \
                 errors {errors}; clients {stored} ({unique} distinct), events {written}; \
                 job {job_status}, attempts {attempts}, locked by {lock:?}"
            ));
        }
    }
    Ok(jobs)
}

/// Checks that every client sent with `POST /clients` is stored exactly once.
pub(super) async fn posted(
    pool: &PgPool,
    tenant: Uuid,
    created: &[(String, bool)],
) -> anyhow::Result<Posted> {
    let stored = count_by(
        pool,
        "SELECT company_name, count(*) FROM clients
          WHERE tenant_id = $1 AND company_name LIKE 'Rolling POST %' GROUP BY 1",
        tenant,
    )
    .await?;
    let mut posted = Posted::default();
    let mut names = HashSet::new();
    for (name, answered) in created {
        names.insert(name.as_str());
        let n = stored.get(name).copied().unwrap_or(0);
        if *answered {
            posted.answered += 1;
            posted.missing += u64::from(n == 0);
        } else {
            posted.failed += 1;
            posted.failed_but_stored += u64::from(n > 0);
        }
        posted.duplicated += u64::from(n > 1);
    }
    // Rows nobody sent would be as wrong as rows missing.
    posted.duplicated += stored
        .keys()
        .filter(|k| !names.contains(k.as_str()))
        .count() as u64;
    Ok(posted)
}
