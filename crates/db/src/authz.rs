//! Authorization policy rows of every tenant, for the in-process enforcer.

use sqlx::PgPool;

/// One casbin rule: `p, role, tenant, permission` or `g, user, role, tenant`.
#[derive(Debug, Clone)]
pub struct PolicyRow {
    pub kind: String,
    pub subject: String,
    pub domain: String,
    pub object: String,
}

/// Reads custom-role permissions and user-role assignments across tenants, through the one
/// SECURITY DEFINER function the app role may call for that (`authz_policy_rows`,
/// `20261125000001_foundation.sql`).
#[tracing::instrument(skip(pool))]
pub async fn load_policy_rows(pool: &PgPool) -> Result<Vec<PolicyRow>, sqlx::Error> {
    sqlx::query_as!(
        PolicyRow,
        r#"SELECT kind AS "kind!", subject AS "subject!", domain AS "domain!", object AS "object!"
             FROM authz_policy_rows()"#
    )
    .fetch_all(pool)
    .await
}
