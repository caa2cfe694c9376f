//! The benchmark's messages: the tenant's SMS channel (an account on the fake API), clients with
//! a mobile number, and SMS to them in turn queued through `services::communications::send`, the
//! API's own flow (each in a tenant transaction of its own as `crm_app`: the message stored
//! `queued`, audited and put on the timeline, with its delivery job), each timed at its commit.
//! When the worker has sent them, `sent_at` is read back for each.
//!
//! The messages go to many clients, as a tenant's do: a message sent is contact with its client
//! (`last_contact_at` moves in the same transaction), so messages all to one client would wait
//! for each other's commits on that client's row.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use db::TenantTx;
use db::audit::Actor;
use db::crypto::{MasterKeys, TenantCipher};
use services::Scope;
use services::clients::ClientInput;
use services::communications::NewMessage;
use services::communications::channels::ChannelInput;
use sqlx::PgPool;
use tokio::task::JoinSet;
use uuid::Uuid;

/// The tenant's send limit: Twilio's highest, so the benchmark measures the worker.
const PER_MINUTE_LIMIT: i64 = 100_000;

/// Who queues the messages, and to whom.
pub struct Sender {
    pool: PgPool,
    tenant: Uuid,
    user: Uuid,
    clients: Vec<Uuid>,
    cipher: TenantCipher,
}

/// A message committed `queued`; `due` is when the open-loop schedule wanted it.
#[derive(Debug, Clone, Copy)]
pub struct Queued {
    pub id: Uuid,
    pub due: Instant,
    pub committed: Instant,
    pub committed_at: DateTime<Utc>,
}

/// When the worker sent a message (None: not sent).
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    pub id: Uuid,
    pub sent_at: Option<DateTime<Utc>>,
}

impl Sender {
    /// Sets the tenant's SMS channel up and creates `clients` clients, as its owner `user`
    /// would.
    pub async fn prepare(
        pool: PgPool,
        master: &MasterKeys,
        tenant: Uuid,
        user: Uuid,
        clients: u64,
    ) -> anyhow::Result<Self> {
        let mut scope = Scope::new(TenantTx::begin(&pool, tenant).await?, as_user(user));
        let cipher = db::crypto::tenant_cipher(&mut scope.tx, master).await?;
        let channel = ChannelInput {
            enabled: true,
            per_minute_limit: Some(PER_MINUTE_LIMIT),
            account_sid: Some(format!("AC{}", "0".repeat(32))),
            auth_token: Some("deliver-bench-token".into()),
            from: Some("+34600000000".into()),
            ..ChannelInput::default()
        };
        services::communications::channels::put(&mut scope, &cipher, "sms", channel).await?;
        let mut ids = Vec::new();
        for n in 0..clients {
            let client = ClientInput {
                company_name: Some(format!("Entregas Rápidas {n} S.L.")),
                phones: Some(vec![format!("+34 61{:07}", n)]),
                ..ClientInput::default()
            };
            ids.push(
                services::clients::create(&mut scope, &cipher, client)
                    .await?
                    .value
                    .id,
            );
        }
        scope.commit().await?;
        Ok(Self {
            pool,
            tenant,
            user,
            clients: ids,
            cipher,
        })
    }

    /// Queues message `n` (to the next client in turn) as `POST
    /// /api/v1/clients/{id}/communications` does.
    async fn queue(&self, n: u64, due: Instant) -> anyhow::Result<Queued> {
        let tx = TenantTx::begin(&self.pool, self.tenant).await?;
        let mut scope = Scope::new(tx, as_user(self.user));
        let message = NewMessage {
            channel: "sms".into(),
            body: Some(format!(
                "Su pedido {n} sale hoy. Le llegará en 24-48 horas."
            )),
            ..NewMessage::default()
        };
        let client = self.clients[n as usize % self.clients.len()];
        let out = services::communications::send(&mut scope, &self.cipher, client, message).await?;
        scope.commit().await?;
        Ok(Queued {
            id: out.id,
            due,
            committed: Instant::now(),
            committed_at: Utc::now(),
        })
    }
}

fn as_user(id: Uuid) -> Actor {
    Actor {
        kind: "user",
        id: Some(id),
        ..Actor::default()
    }
}

/// Queues `count` messages as fast as `producers` concurrent senders go (the backlog the worker
/// finds when it starts).
pub async fn backlog(
    sender: Arc<Sender>,
    count: u64,
    producers: u64,
) -> anyhow::Result<Vec<Queued>> {
    let mut tasks = JoinSet::new();
    for p in 0..producers {
        let sender = sender.clone();
        tasks.spawn(async move {
            let mut queued = Vec::new();
            for n in (p..count).step_by(producers as usize) {
                queued.push(sender.queue(n, Instant::now()).await?);
            }
            anyhow::Ok(queued)
        });
    }
    let mut all = Vec::with_capacity(count as usize);
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    Ok(all)
}

/// Queues `rate` messages a second for `duration`, whatever their speed (open loop).
pub async fn offered(
    sender: Arc<Sender>,
    rate: u32,
    duration: Duration,
) -> anyhow::Result<Vec<Queued>> {
    let every = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let mut ticks = tokio::time::interval(every);
    let mut running = JoinSet::new();
    let total = (duration.as_secs_f64() * f64::from(rate)).round() as u64;
    for n in 0..total {
        let due = ticks.tick().await.into_std();
        let sender = sender.clone();
        running.spawn(async move { sender.queue(n, due).await });
    }
    let mut all = Vec::with_capacity(total as usize);
    while let Some(done) = running.join_next().await {
        all.push(done??);
    }
    Ok(all)
}

/// Waits (at most `timeout`) until no message is waiting any more (the scratch database holds
/// only the benchmark's), then reads when each of `queued` was sent (as the schema owner,
/// `admin`).
pub async fn wait_sent(
    admin: &PgPool,
    queued: &[Queued],
    timeout: Duration,
) -> anyhow::Result<Vec<Sent>> {
    let ids: Vec<Uuid> = queued.iter().map(|q| q.id).collect();
    let deadline = Instant::now() + timeout;
    loop {
        let waiting: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM communications WHERE status = 'queued')",
        )
        .fetch_one(admin)
        .await?;
        if !waiting || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rows: Vec<(Uuid, Option<DateTime<Utc>>)> =
        sqlx::query_as("SELECT id, sent_at FROM communications WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(admin)
            .await
            .context("cannot read the messages back")?;
    Ok(rows
        .into_iter()
        .map(|(id, sent_at)| Sent { id, sent_at })
        .collect())
}
