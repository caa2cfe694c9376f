//! Putting jobs on the queue: on a pool, or inside the caller's transaction so the job exists
//! exactly when the change that caused it commits.

use apalis::prelude::TaskBuilder;
use apalis_postgres::PgTask;
use sqlx::{PgConnection, PgPool};

use crate::Job;

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

pub async fn enqueue_on_pool(
    pool: &PgPool,
    job: &Job,
    idempotency_key: Option<String>,
) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    enqueue(&mut conn, job, idempotency_key).await
}

/// The queue's own migrations, tracked in their own table beside ours.
pub fn migrations() -> sqlx::migrate::Migrator {
    let mut m = apalis_postgres::PostgresStorage::<()>::migrations();
    m.dangerous_set_table_name("_apalis_migrations");
    m
}
