//! Each tenant's settings of its sending channels: the parts that are not secret as JSON, the
//! secret parts sealed with the tenant's data key (`crate::crypto`), and the per-minute limit.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::TenantTx;

/// A channel's settings as stored.
#[derive(Debug, Clone)]
pub struct ChannelSettingsRow {
    pub channel: String,
    pub enabled: bool,
    pub settings: Value,
    pub secrets_cipher: Option<Vec<u8>>,
    pub per_minute_limit: i32,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// A channel's settings, if the tenant has set them.
#[tracing::instrument(skip(tx))]
pub async fn get(
    tx: &mut TenantTx,
    channel: &str,
) -> Result<Option<ChannelSettingsRow>, sqlx::Error> {
    sqlx::query_as!(
        ChannelSettingsRow,
        "SELECT channel, enabled, settings, secrets_cipher, per_minute_limit, version, updated_at
           FROM channel_settings WHERE channel = $1",
        channel
    )
    .fetch_optional(tx.conn())
    .await
}

/// Every channel the tenant has set.
#[tracing::instrument(skip(tx))]
pub async fn list(tx: &mut TenantTx) -> Result<Vec<ChannelSettingsRow>, sqlx::Error> {
    sqlx::query_as!(
        ChannelSettingsRow,
        "SELECT channel, enabled, settings, secrets_cipher, per_minute_limit, version, updated_at
           FROM channel_settings ORDER BY channel"
    )
    .fetch_all(tx.conn())
    .await
}

/// Writes a channel's settings (creating them on first use) and moves the version on.
#[tracing::instrument(skip(tx, settings, secrets_cipher))]
pub async fn put(
    tx: &mut TenantTx,
    channel: &str,
    enabled: bool,
    settings: &Value,
    secrets_cipher: Option<&[u8]>,
    per_minute_limit: i32,
) -> Result<ChannelSettingsRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        ChannelSettingsRow,
        "INSERT INTO channel_settings (tenant_id, channel, enabled, settings, secrets_cipher,
                                       per_minute_limit)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id, channel) DO UPDATE
            SET enabled = EXCLUDED.enabled, settings = EXCLUDED.settings,
                secrets_cipher = EXCLUDED.secrets_cipher,
                per_minute_limit = EXCLUDED.per_minute_limit,
                version = channel_settings.version + 1, updated_at = now()
         RETURNING channel, enabled, settings, secrets_cipher, per_minute_limit, version, updated_at",
        tenant,
        channel,
        enabled,
        settings,
        secrets_cipher,
        per_minute_limit
    )
    .fetch_one(tx.conn())
    .await
}
