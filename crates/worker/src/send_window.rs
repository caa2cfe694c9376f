//! The tenants' per-minute send limits counted in Redis (`services::communications::send_window`):
//! one counter per tenant, channel and minute, and the last minute estimated from this
//! minute's count and the part of the previous minute's that is still within 60 seconds (a
//! sliding window in two keys, checked and taken in one script). A lost Redis forgets the
//! counts: a tenant may then send up to one more minute's limit. Unreachable, the delivery
//! counts in the database instead.

use std::time::Duration;

use async_trait::async_trait;
use services::communications::send_window::SendWindow;
use uuid::Uuid;

/// Checks and takes in one step, so that concurrent workers never take more than the limit.
/// KEYS: this minute's counter, the previous minute's. ARGV: the limit, milliseconds into
/// this minute. The previous minute's share is rounded up: the estimate errs on holding back.
const TAKE: &str = r"
local limit = tonumber(ARGV[1])
local into = tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if current + math.ceil(previous * (60000 - into) / 60000) >= limit then
  return 0
end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 120)
return 1
";

/// Longest wait for Redis before the delivery counts in the database.
const TIMEOUT: Duration = Duration::from_secs(1);

/// The send window of the worker's Redis (`CRM_REDIS_URL`).
pub struct RedisSendWindow {
    pub pool: Option<deadpool_redis::Pool>,
}

fn key(tenant: Uuid, channel: &str, minute: i64) -> String {
    // One hash slot for a tenant's channel, so that a cluster runs the script.
    format!("crm:sends:{{{tenant}:{channel}}}:{minute}")
}

#[async_trait]
impl SendWindow for RedisSendWindow {
    async fn take(&self, tenant: Uuid, channel: &str, limit: u32) -> Option<bool> {
        let pool = self.pool.as_ref()?;
        let now = chrono::Utc::now().timestamp_millis();
        let (minute, into) = (now.div_euclid(60_000), now.rem_euclid(60_000));
        let taken = async {
            let mut conn = pool.get().await?;
            let taken: i64 = deadpool_redis::redis::cmd("EVAL")
                .arg(TAKE)
                .arg(2)
                .arg(key(tenant, channel, minute))
                .arg(key(tenant, channel, minute - 1))
                .arg(limit)
                .arg(into)
                .query_async(&mut conn)
                .await?;
            anyhow::Ok(taken == 1)
        };
        match tokio::time::timeout(TIMEOUT, taken).await {
            Ok(Ok(taken)) => Some(taken),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "send window unreachable: counting in the database");
                None
            }
            Err(_) => {
                tracing::warn!("send window too slow: counting in the database");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenants_channel_counts_in_one_hash_slot() {
        let tenant = Uuid::nil();
        assert_eq!(
            key(tenant, "sms", 7),
            "crm:sends:{00000000-0000-0000-0000-000000000000:sms}:7"
        );
    }
}
