//! Per-request standing of the caller: is the tenant active, the user or key still valid.

use uuid::Uuid;

use crate::TenantTx;

/// A live API key of an active tenant, as needed to authenticate it.
#[derive(Debug)]
pub struct LiveApiKey {
    pub role_name: String,
    pub secret_hash: Vec<u8>,
}

/// The key, if it is live and its tenant active; notes its use.
#[tracing::instrument(skip(tx))]
pub async fn live_api_key(tx: &mut TenantTx, id: Uuid) -> Result<Option<LiveApiKey>, sqlx::Error> {
    let key = sqlx::query_as!(
        LiveApiKey,
        "UPDATE api_keys k SET last_used_at = now()
           FROM tenants t
          WHERE k.id = $1 AND t.id = k.tenant_id AND k.revoked_at IS NULL AND t.status = 'active'
         RETURNING k.role_name, k.secret_hash",
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(key)
}
