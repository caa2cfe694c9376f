//! The job queue's tables (`apalis.jobs`, created by the queue library's own migrations): the
//! one module with SQL on them. Jobs are pushed in the transaction of the change that causes
//! them, so a job exists exactly when that change commits; the rest settles runs the way the
//! worker wants (retries spaced out, permanent failures given up, a stopped worker's jobs
//! released).
//!
//! The queue is not tenant-owned: its rows carry no `tenant_id` and no row policy (a job names
//! its tenant in its payload), so the app role reaches them under the grants `migrate::run`
//! gives it.

use apalis::prelude::TaskBuilder;
use apalis_postgres::PgTask;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

use crate::TenantTx;

/// The one queue of the product's jobs (`apalis.jobs.job_type`).
pub const QUEUE: &str = "crm";

/// Pushes a job inside a tenant transaction: it commits with the transaction's change and
/// vanishes with a rollback. `idempotency_key`: at most one job with this key is queued.
#[tracing::instrument(skip_all)]
pub async fn push<J: Serialize + Sync + ?Sized>(
    tx: &mut TenantTx,
    job: &J,
    idempotency_key: Option<String>,
) -> Result<(), sqlx::Error> {
    push_on(tx.conn(), job, idempotency_key).await
}

/// Pushes a job on a connection outside any tenant: platform jobs, or a plain transaction of a
/// tool or a test (it commits with that transaction).
pub async fn push_on<J: Serialize + Sync + ?Sized>(
    conn: &mut PgConnection,
    job: &J,
    idempotency_key: Option<String>,
) -> Result<(), sqlx::Error> {
    let payload = serde_json::to_vec(job).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let mut task = TaskBuilder::new(payload);
    if let Some(key) = idempotency_key {
        task = task.idempotency_key(key);
    }
    let tasks: Vec<PgTask> = vec![task.build()];
    apalis_postgres::queries::push_tasks(conn, QUEUE, tasks)
        .await
        .map_err(|e| match e {
            apalis_postgres::Error::Database(e) => e,
            other => sqlx::Error::Protocol(other.to_string()),
        })
}

/// Pushes a job on a connection of its own (the worker's periodic jobs).
pub async fn push_on_pool<J: Serialize + Sync + ?Sized>(
    pool: &PgPool,
    job: &J,
    idempotency_key: Option<String>,
) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    push_on(&mut conn, job, idempotency_key).await
}

/// Whether a push failed because a job with the same idempotency key is on the queue already
/// (what a key is for: the job exists, once). The queue's unique index on the key refused it.
pub fn is_already_queued(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Puts the jobs `worker` still holds back on the queue, for another worker to take at once.
/// Called when a worker has stopped: a job its shutdown grace cut short (rolled back with its
/// transaction) would otherwise wait until the queue declares the worker dead. The cut run is
/// recorded as an attempt but does not use one up: a shutdown is not the job's failure.
/// `fetchers`: the names the worker's fetchers hold jobs under.
pub async fn release_held(pool: &PgPool, fetchers: &[String]) -> Result<u64, sqlx::Error> {
    let released = sqlx::query!(
        r#"UPDATE apalis.jobs
              SET status = 'Pending', lock_by = NULL, lock_at = NULL, done_at = NULL,
                  attempts = attempts + 1, max_attempts = max_attempts + 1,
                  last_result = '{"Err": "cut short by the shutdown of its worker"}'::jsonb
            WHERE job_type = $1 AND lock_by = ANY($2) AND status IN ('Queued', 'Running')"#,
        QUEUE,
        fetchers
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

/// How far behind the queue is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Depth {
    /// Jobs waiting to run.
    pub pending: i64,
    /// Seconds since the oldest waiting job was due; `None` when none waits.
    pub oldest_seconds: Option<f64>,
}

/// The jobs waiting to run and how long the oldest has waited (the worker's metrics).
pub async fn depth(pool: &PgPool) -> Result<Depth, sqlx::Error> {
    sqlx::query_as!(
        Depth,
        r#"SELECT count(*) AS "pending!",
                  extract(epoch FROM now() - min(run_at))::float8 AS "oldest_seconds?"
             FROM apalis.jobs WHERE status = 'Pending' AND job_type = $1"#,
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
