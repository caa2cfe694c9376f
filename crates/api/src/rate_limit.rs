//! Fixed-window rate limits in Redis, with an in-process fallback while Redis is down.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use deadpool_redis::redis;

use crate::redis::Redis;

const WINDOW_SECS: u64 = 60;

/// Counts hits per key per minute.
#[derive(Default)]
pub struct RateLimiter {
    local: Mutex<HashMap<String, (u64, u32)>>,
}

/// The outcome of one hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Denied; retry after this many seconds.
    Limited(u64),
}

impl RateLimiter {
    /// Records a hit on `key` and says whether it is within `limit` per minute.
    pub async fn hit(&self, redis: &Redis, key: &str, limit: u32) -> Verdict {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let window = now / WINDOW_SECS;
        let retry_after = WINDOW_SECS - now % WINDOW_SECS;
        let redis_key = format!("rl:{key}:{window}");
        let mut p = redis::pipe();
        p.cmd("INCR")
            .arg(&redis_key)
            .cmd("EXPIRE")
            .arg(&redis_key)
            .arg(WINDOW_SECS * 2)
            .ignore();
        let count = match redis.run::<(u32,)>(&p).await {
            Some((n,)) => n,
            None => self.hit_locally(key, window),
        };
        if count > limit {
            Verdict::Limited(retry_after)
        } else {
            Verdict::Allowed
        }
    }

    fn hit_locally(&self, key: &str, window: u64) -> u32 {
        let mut map = self.local.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 50_000 {
            map.retain(|_, (w, _)| *w == window);
        }
        let entry = map.entry(key.to_owned()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
        entry.1
    }
}
