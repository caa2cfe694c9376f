//! Redis as an optional helper: cache, rate limits, pub/sub. When it is down the caller gets
//! `None` quickly (a short circuit breaker), and falls back to in-process behaviour.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use deadpool_redis::{Connection, Pool, Runtime, redis};

const OP_TIMEOUT: Duration = Duration::from_millis(300);
const COOLDOWN_MS: u64 = 2_000;

/// A Redis pool with a circuit breaker.
pub struct Redis {
    pool: Option<Pool>,
    url: String,
    down_until_ms: AtomicU64,
    up: AtomicBool,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Redis {
    pub fn new(url: &str) -> Self {
        let mut cfg = deadpool_redis::Config::from_url(url);
        cfg.pool = Some(deadpool_redis::PoolConfig {
            max_size: 16,
            timeouts: deadpool_redis::Timeouts {
                wait: Some(OP_TIMEOUT),
                create: Some(OP_TIMEOUT),
                recycle: Some(OP_TIMEOUT),
            },
            ..Default::default()
        });
        let pool = cfg
            .create_pool(Some(Runtime::Tokio1))
            .map_err(
                |e| tracing::warn!(error = %e, "redis pool not created; running without redis"),
            )
            .ok();
        Self {
            pool,
            url: url.to_owned(),
            down_until_ms: AtomicU64::new(0),
            up: AtomicBool::new(true),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the last operation reached Redis.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    pub fn pool_size(&self) -> usize {
        self.pool.as_ref().map(|p| p.status().size).unwrap_or(0)
    }

    fn mark_down(&self, err: &dyn std::fmt::Display) {
        if self.up.swap(false, Ordering::Relaxed) {
            tracing::warn!(error = %err, "redis unreachable; continuing without it");
        }
        self.down_until_ms
            .store(now_ms() + COOLDOWN_MS, Ordering::Relaxed);
    }

    fn mark_up(&self) {
        if !self.up.swap(true, Ordering::Relaxed) {
            tracing::info!("redis reachable again");
        }
    }

    async fn conn(&self) -> Option<Connection> {
        let pool = self.pool.as_ref()?;
        if now_ms() < self.down_until_ms.load(Ordering::Relaxed) {
            return None;
        }
        match pool.get().await {
            Ok(c) => Some(c),
            Err(e) => {
                self.mark_down(&e);
                None
            }
        }
    }

    /// Runs one command or pipeline; `None` when Redis is down, slow or failing.
    pub async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Pipeline) -> Option<T> {
        let mut conn = self.conn().await?;
        match tokio::time::timeout(OP_TIMEOUT, cmd.query_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => {
                self.mark_up();
                Some(v)
            }
            Ok(Err(e)) => {
                self.mark_down(&e);
                None
            }
            Err(e) => {
                self.mark_down(&e);
                None
            }
        }
    }

    /// Publishes a message; false when Redis did not take it.
    pub async fn publish(&self, channel: &str, message: &str) -> bool {
        let mut p = redis::pipe();
        p.cmd("PUBLISH").arg(channel).arg(message).ignore();
        self.run::<()>(&p).await.is_some()
    }
}
