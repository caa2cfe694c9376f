//! Liveness records of `crm worker` processes.

use sqlx::PgPool;

/// Records that `worker_id` is alive now; returns how many beats it has recorded.
#[tracing::instrument(skip(pool))]
pub async fn beat(pool: &PgPool, worker_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO worker_heartbeats (worker_id, last_beat, beats) VALUES ($1, now(), 1)
         ON CONFLICT (worker_id) DO UPDATE
            SET last_beat = now(), beats = worker_heartbeats.beats + 1
         RETURNING beats",
        worker_id
    )
    .fetch_one(pool)
    .await
}
