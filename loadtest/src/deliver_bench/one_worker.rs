//! One worker, as `crm worker` runs it, in this process: `worker::run` with its own pool of
//! `worker::connections_for(concurrency)` `crm_app` connections, the queue's LISTEN/NOTIFY and
//! polling, its scheduled jobs, and its metrics on a port-0 listener; the SMS provider's base
//! URL is the fake's.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use services::communications::channels::Platform;
use sqlx::postgres::PgPoolOptions;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The running worker.
pub struct OneWorker {
    pub started_at: DateTime<Utc>,
    metrics: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

/// How the worker is started.
pub struct Launch<'a> {
    pub app_url: &'a str,
    pub redis_url: &'a str,
    pub master_keys: &'a str,
    pub concurrency: usize,
    pub sms_base_url: &'a str,
}

impl OneWorker {
    pub async fn start(l: &Launch<'_>) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(worker::connections_for(l.concurrency))
            .connect(l.app_url)
            .await?;
        let config = worker::WorkerConfig {
            master_keys: domain::Secret::new(l.master_keys),
            redis_url: domain::Secret::new(l.redis_url),
            concurrency: l.concurrency,
            platform: Platform {
                sms_base_url: l.sms_base_url.to_owned(),
                ..Platform::default()
            },
            ..worker::WorkerConfig::default()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let metrics = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let shutdown = async move {
            let _ = stopped.wait_for(|v| *v).await;
        };
        let started_at = Utc::now();
        let task = tokio::spawn(worker::run(pool, config, listener, shutdown));
        Ok(Self {
            started_at,
            metrics,
            stop,
            task,
        })
    }

    /// `communications_messages_total` of the SMS channel, by outcome, from its metrics.
    pub async fn sms_outcomes(
        &self,
        http: &reqwest::Client,
    ) -> anyhow::Result<BTreeMap<String, f64>> {
        let text = http
            .get(format!("http://{}/metrics", self.metrics))
            .send()
            .await?
            .text()
            .await?;
        Ok(sms_outcomes(&text))
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("the worker ended with an error: {e:#}"),
            Err(e) => eprintln!("the worker task failed: {e}"),
        }
    }
}

/// The SMS lines of `communications_messages_total` in a metrics page: outcome → count.
fn sms_outcomes(text: &str) -> BTreeMap<String, f64> {
    let prefix = "communications_messages_total{channel=\"sms\",outcome=\"";
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(prefix)?;
            let (outcome, value) = rest.split_once("\"} ")?;
            Some((outcome.to_owned(), value.trim().parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sms_outcomes_of_a_metrics_page() {
        let page = "# HELP communications_messages_total Messages\n\
                    communications_messages_total{channel=\"email\",outcome=\"sent\"} 3\n\
                    communications_messages_total{channel=\"sms\",outcome=\"sent\"} 10500\n\
                    communications_messages_total{channel=\"sms\",outcome=\"retried\"} 2\n";
        let outcomes = sms_outcomes(page);
        assert_eq!(outcomes.len(), 2);
        assert_eq!(outcomes.get("sent"), Some(&10_500.0));
        assert_eq!(outcomes.get("retried"), Some(&2.0));
    }
}
