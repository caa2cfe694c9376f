//! Schema migrations: ours, then the job queue's, then the grants the app role needs on it.

use sqlx::PgPool;
use sqlx::migrate::{MigrateError, Migrator};

/// The product's migrations, embedded at build time.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// Why the schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error(
        "the database has migration {0} which this build does not know: it was migrated by a newer release; refusing to touch it"
    )]
    Newer(i64),
    #[error("migration failed: {0}")]
    Failed(#[from] MigrateError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// Applies every pending migration. Idempotent; refuses a schema newer than this build.
pub async fn run(pool: &PgPool, queue_migrations: &Migrator) -> Result<(), SchemaError> {
    MIGRATOR.run(pool).await.map_err(|e| match e {
        MigrateError::VersionMissing(v) => SchemaError::Newer(v),
        other => SchemaError::Failed(other),
    })?;
    queue_migrations.run(pool).await?;
    // Grants on the queue's schema (`queue`), which its own migrations do not give: utility
    // statements, run as they are (there is nothing for `query!` to check).
    for stmt in [
        "GRANT SELECT ON _sqlx_migrations TO crm_app",
        "GRANT USAGE ON SCHEMA apalis TO crm_app",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA apalis TO crm_app",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA apalis TO crm_app",
        "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA apalis TO crm_app",
    ] {
        sqlx::query(stmt).execute(pool).await?;
    }
    Ok(())
}

/// Where the database stands against this build's migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaState {
    Current,
    Behind,
    Ahead,
}

/// Compares the applied migrations with the embedded ones, without changing anything.
pub async fn state(pool: &PgPool) -> Result<SchemaState, sqlx::Error> {
    // sqlx owns this table, so it is read with a plain query rather than a checked one.
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?;
    let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    // Missing migrations matter more than extra ones: this build needs every one of its own.
    if !known.iter().all(|v| applied.contains(v)) {
        Ok(SchemaState::Behind)
    } else if applied.iter().any(|v| !known.contains(v)) {
        Ok(SchemaState::Ahead)
    } else {
        Ok(SchemaState::Current)
    }
}
