//! Upkeep of the search vocabulary (the distinct words of each tenant's clients that typo search
//! compares a query with). Client writes add words in their own transaction; words that no
//! client has any more are removed by the platform job through these two calls, across tenants.
//! Each is its own statement and transaction, so a job waiting between them never holds back
//! anyone's snapshot.

use sqlx::PgPool;

/// Dropped words looked at per call.
pub const BATCH: i32 = 5_000;

/// Removes up to [`BATCH`] dropped words that no live client has; returns how many it looked
/// at (fewer than [`BATCH`]: nothing is left to look at). The SQL function
/// `search_vocabulary_prune` (`20261125000007_search_vocabulary.sql`) does it, across tenants,
/// from the words the trigger `search_vocabulary_apply` noted as dropped.
#[tracing::instrument(skip(pool))]
pub async fn prune_batch(pool: &PgPool) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT search_vocabulary_prune($1) AS "n!""#, BATCH)
        .fetch_one(pool)
        .await
}

/// Checks again the removed words whose overlapping transactions have all ended, putting back
/// any that a client has; returns how many removed words are still waiting. The SQL function
/// `search_vocabulary_repair` (`20261125000007_search_vocabulary.sql`) does it.
#[tracing::instrument(skip(pool))]
pub async fn repair(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let waiting: i32 = sqlx::query_scalar!(r#"SELECT search_vocabulary_repair() AS "n!""#)
        .fetch_one(pool)
        .await?;
    Ok(u64::try_from(waiting).unwrap_or(0))
}
