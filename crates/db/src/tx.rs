use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

/// A transaction bound to one tenant: `app.tenant_id` is set before anything else runs,
/// so row-level security confines every statement to that tenant (the `tenant_isolation`
/// policies compare each row's `tenant_id` with the SQL function `current_tenant_id()`,
/// `20261125000001_foundation.sql`; see `docs/data-model.md`).
///
/// Repository functions take this type, so tenant data cannot be reached without a tenant.
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    tenant_id: Uuid,
}

impl TenantTx {
    /// Begins a transaction in `tenant_id`, for a caller that is not a signed-in user (an API
    /// key after its own check, a job, the CLI, a test).
    #[tracing::instrument(name = "db.begin", skip(pool))]
    pub async fn begin(pool: &PgPool, tenant_id: Uuid) -> Result<Self, sqlx::Error> {
        let mut tx = pool.begin().await?;
        sqlx::query!(
            "SELECT set_config('app.tenant_id', $1, true)",
            tenant_id.to_string()
        )
        .fetch_one(&mut *tx)
        .await?;
        Ok(Self { tx, tenant_id })
    }

    /// Begins a transaction as a signed-in user: None unless tenant, user and session are live.
    /// One round trip sets the tenant and checks all three (the SQL function
    /// `enter_tenant_as_user`, `20261125000001_foundation.sql`).
    #[tracing::instrument(name = "db.begin_as_user", skip(pool))]
    pub async fn begin_as_user(
        pool: &PgPool,
        tenant_id: Uuid,
        user_id: Uuid,
        session_id: Uuid,
    ) -> Result<Option<Self>, sqlx::Error> {
        let mut tx = pool.begin().await?;
        let live = sqlx::query_scalar!(
            r#"SELECT enter_tenant_as_user($1, $2, $3) AS "live!""#,
            tenant_id,
            user_id,
            session_id
        )
        .fetch_one(&mut *tx)
        .await?;
        Ok(live.then_some(Self { tx, tenant_id }))
    }

    /// The tenant every statement of this transaction is confined to.
    pub fn tenant_id(&self) -> Uuid {
        self.tenant_id
    }

    /// The connection, for this crate's repositories only: every statement on tenant data goes
    /// through a repository function (the job queue's included, `queue::push`).
    pub(crate) fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Commits; the deferred triggers run now (the client counters' flush,
    /// `20261130000009_client_counts_at_commit.sql`).
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Ends a transaction that only read: its ROLLBACK is queued and sent when the connection
    /// goes back to the pool, off the request's path (reads need no COMMIT).
    pub fn end_read_only(self) {
        drop(self.tx);
    }

    /// Undoes everything, the jobs pushed in it included.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}
