//! Job notices: the API processes learn from Redis which timeline events a job committed and
//! render them for their live streams.

use std::time::Duration;

use crate::WorkerCtx;

/// A pool for the job notices (connections are kept: opening one per notice took seconds on
/// a loaded machine). None when the URL is unusable: notices are then not sent.
pub fn notice_pool(url: &str) -> Option<deadpool_redis::Pool> {
    deadpool_redis::Config::from_url(url)
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .map_err(|e| tracing::warn!(error = %e, "no redis pool for job notices"))
        .ok()
}

/// Attempts at publishing one notice, a short pause apart.
const NOTICE_ATTEMPTS: u32 = 3;
const NOTICE_TIMEOUT: Duration = Duration::from_secs(2);

/// Tells the API processes about events a job committed. Live updates only: the events are
/// committed whatever happens here; a notice that cannot be published reaches no open stream
/// (a reconnecting one resends them from Postgres), so that is a warning.
pub(crate) async fn notify(ctx: &WorkerCtx, notice: &services::live::Notice) {
    let Some(pool) = &ctx.redis else {
        return;
    };
    let payload = match serde_json::to_string(notice) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "job notice not serializable");
            return;
        }
    };
    let mut last_error = String::new();
    for attempt in 1..=NOTICE_ATTEMPTS {
        let sent = async {
            let mut conn = pool.get().await?;
            deadpool_redis::redis::cmd("PUBLISH")
                .arg(services::live::NOTICE_CHANNEL)
                .arg(&payload)
                .query_async::<()>(&mut conn)
                .await?;
            anyhow::Ok(())
        };
        match tokio::time::timeout(NOTICE_TIMEOUT, sent).await {
            Ok(Ok(())) => return,
            Ok(Err(e)) => last_error = e.to_string(),
            Err(_) => last_error = "redis too slow".to_owned(),
        }
        if attempt < NOTICE_ATTEMPTS {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    tracing::warn!(
        error = %last_error,
        tenant_id = %notice.tenant_id,
        events = notice.event_ids.len(),
        "job notice not published: open live streams miss these events"
    );
}
