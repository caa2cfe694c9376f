//! Background jobs: one serde-tagged enum, and putting jobs on the queue, on a pool or inside
//! the caller's transaction so a job exists exactly when the change that caused it commits.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use apalis::prelude::TaskBuilder;
use apalis_postgres::PgTask;
use sqlx::{PgConnection, PgPool};

/// The one queue of the product's jobs.
pub const QUEUE: &str = "crm";

fn task(job: &Job, idempotency_key: Option<String>) -> anyhow::Result<PgTask> {
    let mut builder = TaskBuilder::new(serde_json::to_vec(job)?);
    if let Some(key) = idempotency_key {
        builder = builder.idempotency_key(key);
    }
    Ok(builder.build())
}

/// Enqueues inside an open transaction (commits with it, vanishes with a rollback).
pub async fn enqueue(
    conn: &mut PgConnection,
    job: &Job,
    idempotency_key: Option<String>,
) -> anyhow::Result<()> {
    apalis_postgres::queries::push_tasks(conn, QUEUE, vec![task(job, idempotency_key)?]).await?;
    Ok(())
}

/// Whether enqueueing failed because a job with the same idempotency key is on the queue
/// already (what a key is for: the job exists, once).
pub fn is_already_queued(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<apalis_postgres::Error>(),
        Some(apalis_postgres::Error::Database(e))
            if e.as_database_error().is_some_and(|d| d.is_unique_violation())
    )
}

pub async fn enqueue_on_pool(
    pool: &PgPool,
    job: &Job,
    idempotency_key: Option<String>,
) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    enqueue(&mut conn, job, idempotency_key).await
}

/// Puts the jobs `worker` still holds back on the queue, for another worker to take at once.
/// Called when a worker has stopped: a job its shutdown grace cut short (rolled back with its
/// transaction) would otherwise wait until the queue declares the worker dead. The cut run is
/// recorded as an attempt but does not use one up: a shutdown is not the job's failure.
pub async fn release_held(pool: &PgPool, worker: &str) -> Result<u64, sqlx::Error> {
    let released = sqlx::query!(
        r#"UPDATE apalis.jobs
              SET status = 'Pending', lock_by = NULL, lock_at = NULL, done_at = NULL,
                  attempts = attempts + 1, max_attempts = max_attempts + 1,
                  last_result = '{"Err": "cut short by the shutdown of its worker"}'::jsonb
            WHERE job_type = $1 AND lock_by = $2 AND status IN ('Queued', 'Running')"#,
        QUEUE,
        worker
    )
    .execute(pool)
    .await?;
    Ok(released.rows_affected())
}

/// Gives back the attempt of a run the worker's shutdown stopped: the queue records the run
/// as a failed attempt, but it was not the job's failure, so it does not bring the job nearer
/// to giving up. Called before the stop is acknowledged.
pub async fn spare_attempt(pool: &PgPool, job_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE apalis.jobs SET max_attempts = max_attempts + 1 WHERE id = $1 AND job_type = $2",
        job_id,
        QUEUE
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Puts off the next run of a job that failed: 2, 4, 8 … seconds after this failure, at most
/// 10 minutes, so its attempts (25 by default) span hours instead of a burst that a passing
/// outage or a bug outlasts. Called before the failure is acknowledged, whose attempt count
/// is the one this run had.
pub async fn delay_retry(pool: &PgPool, job_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE apalis.jobs
            SET run_at = now() + least(interval '10 minutes',
                                       interval '1 second' * power(2, least(attempts + 1, 10)))
          WHERE id = $1 AND job_type = $2",
        job_id,
        QUEUE
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Uses up the attempts of a job whose failure is permanent (every run would fail the same
/// way): once this run's failure is acknowledged, its attempts equal its maximum, so nothing
/// runs it again and it counts among the dead jobs. Called before the failure is acknowledged,
/// whose attempt count is the one this run had.
pub async fn give_up(pool: &PgPool, job_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE apalis.jobs SET max_attempts = attempts + 1 WHERE id = $1 AND job_type = $2",
        job_id,
        QUEUE
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Jobs that failed as many times as they may: nothing runs them again.
pub async fn count_dead(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM apalis.jobs
            WHERE job_type = $1 AND status = 'Failed' AND attempts >= max_attempts"#,
        QUEUE
    )
    .fetch_one(pool)
    .await
}

/// The queue's own migrations, tracked in their own table beside ours.
pub fn migrations() -> sqlx::migrate::Migrator {
    let mut m = apalis_postgres::PostgresStorage::<()>::migrations();
    m.dangerous_set_table_name("_apalis_migrations");
    m
}

/// Every kind of background job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Proves the queue works end to end: records that `worker_id` is alive.
    Heartbeat { worker_id: String },
    /// Deletes idempotency keys older than 24 hours, tenant by tenant.
    PurgeIdempotencyKeys,
    /// Removes from the search vocabulary the words no live client has any more.
    PruneSearchWords,
    /// Validates (and unless a dry run, imports) an uploaded CSV file of clients.
    ImportClients { tenant_id: Uuid, import_id: Uuid },
}

impl Job {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Heartbeat { .. } => "heartbeat",
            Self::PurgeIdempotencyKeys => "purge_idempotency_keys",
            Self::PruneSearchWords => "prune_search_words",
            Self::ImportClients { .. } => "import_clients",
        }
    }

    /// The tenant the job works for; `None` for platform jobs.
    pub fn tenant_id(&self) -> Option<Uuid> {
        match self {
            Self::Heartbeat { .. } | Self::PurgeIdempotencyKeys | Self::PruneSearchWords => None,
            Self::ImportClients { tenant_id, .. } => Some(*tenant_id),
        }
    }
}
