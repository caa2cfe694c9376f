//! Live updates: each process has one hub (a tokio broadcast) feeding its SSE connections.
//! After a commit the writing process renders the new timeline events (and, when clients
//! changed, the KPIs) once, delivers them to its own hub at once and publishes them on one
//! Redis channel; every other process relays that channel into its hub, skipping its own
//! messages. Each SSE connection keeps only its tenant's messages.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use db::TenantTx;
use db::audit::Actor;
use deadpool_redis::redis;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use services::Scope;
use services::kpis::{self, KpiParams};
use services::live::Recorded;
use services::timeline::{self, TimelineEvent};
use tokio::sync::{broadcast, watch};
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use crate::state::AppState;

/// The Redis channel every `crm serve` process publishes to and listens on.
pub const CHANNEL: &str = "crm:events";
/// Messages a slow connection may fall behind by before it misses some.
const CAPACITY: usize = 1024;
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);
/// A silent network can leave a subscription hanging; a ping notices.
const PING_EVERY: Duration = Duration::from_secs(10);
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// One SSE event, rendered once by the process that committed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    /// `timeline` or `kpis`.
    pub event: String,
    pub id: Option<String>,
    /// The JSON document, already serialized.
    pub data: String,
}

/// What one commit produced, for one tenant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// The process that committed it.
    pub origin: Uuid,
    pub tenant_id: Uuid,
    pub events: Vec<LiveEvent>,
}

/// Whether messages of other processes reach this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relay {
    /// Not yet connected to Redis.
    Starting,
    Up,
    Down,
}

/// The per-process fan-out of live updates.
pub struct Hub {
    origin: Uuid,
    messages: broadcast::Sender<Arc<Message>>,
    relay: watch::Sender<Relay>,
    closing: watch::Sender<bool>,
    /// Commits' updates being rendered and published in the background.
    publishing: TaskTracker,
}

/// One SSE connection's view of the hub.
pub struct Subscription {
    pub messages: broadcast::Receiver<Arc<Message>>,
    pub relay: watch::Receiver<Relay>,
    pub closing: watch::Receiver<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            origin: Uuid::new_v4(),
            messages: broadcast::channel(CAPACITY).0,
            relay: watch::channel(Relay::Starting).0,
            closing: watch::channel(false).0,
            publishing: TaskTracker::new(),
        }
    }
}

impl Hub {
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            messages: self.messages.subscribe(),
            relay: self.relay.subscribe(),
            closing: self.closing.subscribe(),
        }
    }

    pub fn relay_status(&self) -> Relay {
        *self.relay.borrow()
    }

    /// At shutdown: every stream ends, so open connections do not hold up the exit.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// At exit: waits, at most `within`, for the updates of commits still being published, so
    /// the last requests' events reach the other processes. False when some were cut off.
    pub async fn flush(&self, within: Duration) -> bool {
        self.publishing.close();
        tokio::time::timeout(within, self.publishing.wait())
            .await
            .is_ok()
    }

    fn set_relay(&self, status: Relay) {
        self.relay.send_if_modified(|current| {
            let changed = *current != status;
            *current = status;
            changed
        });
    }

    /// Delivers here at once, then to every other process.
    async fn publish(&self, redis: &crate::redis::Redis, message: Message) {
        let payload = serde_json::to_string(&message);
        // No receiver is not an error: nobody here is listening.
        let _ = self.messages.send(Arc::new(message));
        match payload {
            Ok(p) if !redis.publish(CHANNEL, &p).await => {
                tracing::debug!("live update not relayed: redis unavailable");
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "live update not serializable"),
        }
    }

    /// A message from Redis: another process's commit (our own were delivered already).
    fn receive(&self, payload: &[u8]) {
        match serde_json::from_slice::<Message>(payload) {
            Ok(m) if m.origin == self.origin => {}
            Ok(m) => {
                let _ = self.messages.send(Arc::new(m));
            }
            Err(e) => tracing::warn!(error = %e, "unreadable live update ignored"),
        }
    }
}

/// After a commit: renders and publishes what it recorded, off the request's path.
pub fn committed(state: &AppState, tenant: Uuid, recorded: Recorded) {
    if recorded.events.is_empty() {
        return;
    }
    let state = state.clone();
    let publishing = state.live.publishing.clone();
    publishing.spawn(async move {
        match render(&state, tenant, &recorded).await {
            Ok(message) => state.live.publish(&state.redis, message).await,
            Err(e) => tracing::warn!(error = %e, "live update not published"),
        }
    });
}

/// A job's notice: every API process renders it for its own subscribers (jobs have no hub).
fn notice(state: &AppState, payload: &[u8]) {
    let notice = match serde_json::from_slice::<services::live::Notice>(payload) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "unreadable job notice ignored");
            return;
        }
    };
    let state = state.clone();
    tokio::spawn(async move {
        let recorded = Recorded {
            events: notice.event_ids,
            clients_changed: notice.clients_changed,
        };
        match render(&state, notice.tenant_id, &recorded).await {
            Ok(message) => {
                let _ = state.live.messages.send(Arc::new(message));
            }
            Err(e) => tracing::warn!(error = %e, "job notice not rendered"),
        }
    });
}

/// Reads the committed events back (their dates are the database's) and, when clients
/// changed, the KPIs with their default parameters.
async fn render(state: &AppState, tenant: Uuid, recorded: &Recorded) -> anyhow::Result<Message> {
    let mut scope = reading(state, tenant).await?;
    let rows = timeline::recorded(&mut scope, &recorded.events).await?;
    let kpis = if recorded.clients_changed {
        Some(kpis_event(&mut scope).await?)
    } else {
        None
    };
    scope.done();
    let mut events = rows
        .into_iter()
        .map(timeline_event)
        .collect::<Result<Vec<_>, _>>()?;
    events.extend(kpis);
    Ok(Message {
        origin: state.live.origin,
        tenant_id: tenant,
        events,
    })
}

/// A read of the tenant's committed data on behalf of the live stream (the system's, not a
/// request's).
pub async fn reading(state: &AppState, tenant: Uuid) -> Result<Scope, sqlx::Error> {
    Ok(Scope::new(
        TenantTx::begin(&state.db, tenant).await?,
        Actor::system(),
    ))
}

/// A timeline event as the stream sends it: the document the timeline API serves.
pub fn timeline_event(e: TimelineEvent) -> serde_json::Result<LiveEvent> {
    Ok(LiveEvent {
        event: "timeline".to_owned(),
        id: Some(e.id.to_string()),
        data: serde_json::to_string(&e)?,
    })
}

/// The KPIs with their default parameters, as the stream sends them.
pub async fn kpis_event(scope: &mut Scope) -> anyhow::Result<LiveEvent> {
    let k = kpis::client_kpis(scope, &KpiParams::defaults(Utc::now())).await?;
    Ok(LiveEvent {
        event: "kpis".to_owned(),
        id: None,
        data: serde_json::to_string(&k)?,
    })
}

/// Relays the Redis channel into this process's hub until `stop`, reconnecting every second.
pub fn spawn_relay(state: &AppState, mut stop: watch::Receiver<bool>) {
    let s = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                result = relay(&s) => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "live update relay lost; retrying");
                    }
                }
                _ = stop.changed() => break,
            }
            s.live.set_relay(Relay::Down);
            tokio::select! {
                _ = tokio::time::sleep(RETRY_EVERY) => {}
                _ = stop.changed() => break,
            }
        }
    });
}

async fn relay(state: &AppState) -> anyhow::Result<()> {
    let client = redis::Client::open(state.redis.url())?;
    let pubsub = tokio::time::timeout(REDIS_TIMEOUT, client.get_async_pubsub()).await??;
    let (mut sink, mut stream) = pubsub.split();
    tokio::time::timeout(REDIS_TIMEOUT, sink.subscribe(CHANNEL)).await??;
    tokio::time::timeout(
        REDIS_TIMEOUT,
        sink.subscribe(services::live::NOTICE_CHANNEL),
    )
    .await??;
    state.live.set_relay(Relay::Up);
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(m) if m.get_channel_name() == services::live::NOTICE_CHANNEL => {
                    notice(state, m.get_payload_bytes());
                }
                Some(m) => state.live.receive(m.get_payload_bytes()),
                None => anyhow::bail!("subscription closed"),
            },
            _ = ping.tick() => {
                tokio::time::timeout(REDIS_TIMEOUT, sink.ping::<redis::Value>()).await??;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(origin: Uuid) -> Message {
        Message {
            origin,
            tenant_id: Uuid::now_v7(),
            events: vec![LiveEvent {
                event: "timeline".to_owned(),
                id: Some("1".to_owned()),
                data: "{}".to_owned(),
            }],
        }
    }

    #[test]
    fn messages_of_this_process_coming_back_from_redis_are_skipped() {
        let hub = Hub::default();
        let mut sub = hub.subscribe();
        let own = serde_json::to_vec(&message(hub.origin)).unwrap_or_default();
        hub.receive(&own);
        assert!(sub.messages.try_recv().is_err());
        let other = message(Uuid::new_v4());
        hub.receive(&serde_json::to_vec(&other).unwrap_or_default());
        let got = sub.messages.try_recv().map(|m| m.events.clone()).ok();
        assert_eq!(got, Some(other.events));
        hub.receive(b"not json");
        assert!(sub.messages.try_recv().is_err());
    }

    #[test]
    fn the_relay_status_notifies_only_on_change() {
        let hub = Hub::default();
        let mut sub = hub.subscribe();
        assert_eq!(hub.relay_status(), Relay::Starting);
        hub.set_relay(Relay::Down);
        assert!(sub.relay.has_changed().unwrap_or(false));
        sub.relay.mark_unchanged();
        hub.set_relay(Relay::Down);
        assert!(!sub.relay.has_changed().unwrap_or(true));
    }
}
