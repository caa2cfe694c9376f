//! A stand-in for Twilio's Messages API on 127.0.0.1: every `POST
//! /2010-04-01/Accounts/{sid}/Messages.json` is answered `201` with a new message SID in
//! Twilio's shape, after `delay` (the provider's own time), and counted, so the benchmark can
//! tell that each message was handed over exactly once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the fake has seen.
struct Seen {
    messages: AtomicU64,
    delay: Duration,
}

/// The fake SMS API, running until [`FakeSms::stop`].
pub struct FakeSms {
    /// Its base URL, as the worker's `CRM_SMS_BASE_URL`.
    pub base_url: String,
    seen: Arc<Seen>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl FakeSms {
    /// Starts the fake on a port-0 listener; each answer waits `delay` first.
    pub async fn start(delay: Duration) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let seen = Arc::new(Seen {
            messages: AtomicU64::new(0),
            delay,
        });
        let app = Router::new()
            .route("/2010-04-01/Accounts/{sid}/Messages.json", post(created))
            .with_state(seen.clone());
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|v| *v).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                eprintln!("fake SMS API failed: {e}");
            }
        });
        Ok(Self {
            base_url,
            seen,
            stop,
            task,
        })
    }

    /// Messages it accepted so far.
    pub fn accepted(&self) -> u64 {
        self.seen.messages.load(Ordering::Relaxed)
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// A created message, as Twilio answers (the worker reads only `sid`).
async fn created(State(seen): State<Arc<Seen>>) -> (StatusCode, axum::Json<Value>) {
    if !seen.delay.is_zero() {
        tokio::time::sleep(seen.delay).await;
    }
    let n = seen.messages.fetch_add(1, Ordering::Relaxed) + 1;
    let sid = format!("SM{:032x}", u128::from(n));
    (
        StatusCode::CREATED,
        axum::Json(json!({ "sid": sid, "status": "queued" })),
    )
}
