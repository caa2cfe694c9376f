//! Background jobs on apalis with Postgres storage: at-least-once, so every job is idempotent.
//! Jobs are one serde-tagged enum (`services::jobs::Job`, with the periodic ones in
//! `services::jobs::SCHEDULE`); `run_job` runs one, for the runtime and for tests.

pub mod calendar_sync;
mod calendar_sync_metrics;
mod delivery;
mod escalation;
mod failure;
mod import;
mod metrics;
mod notice;
mod platform_mail;
mod proposal_sweep;
mod reminder_metrics;
mod reminders;
mod send_window;
mod tenant_pass;

pub use services::jobs::Job;
use services::jobs::{Cadence, Periodic, SCHEDULE};

/// The job queue as the worker, tools and tests use it: its SQL is `db::queue`; `enqueue` puts
/// a job on a connection the caller holds (a plain transaction), `enqueue_on_pool` on one of its
/// own. Application code enqueues in its scope with `services::jobs::enqueue`.
pub mod queue {
    pub use db::queue::{
        QUEUE, count_dead, delay_retry, give_up, is_already_queued, migrations, release_held,
        spare_attempt,
    };
    pub use services::jobs::{enqueue_on_connection as enqueue, enqueue_on_pool};
}

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use apalis::prelude::*;
use apalis_postgres::{Config as QueueConfig, PostgresStorage};
use sqlx::PgPool;
use tokio::net::TcpListener;
use uuid::Uuid;

pub use delivery::{NotDeliveredYet, Throttled, real_providers};
pub use metrics::WorkerMetrics;
pub use notice::notice_pool;

/// What jobs need: the database (as the app role) and metrics.
#[derive(Clone)]
pub struct WorkerCtx {
    pub db: PgPool,
    /// Master keys of the column encryption (imports encrypt tax ids).
    pub master_keys: db::crypto::MasterKeys,
    /// Where to tell the API processes about timeline events jobs write (live updates).
    pub redis: Option<deadpool_redis::Pool>,
    /// The tenants' opened data keys, kept for a minute (`db::crypto::CipherCache`).
    pub ciphers: std::sync::Arc<db::crypto::CipherCache>,
    pub metrics: std::sync::Arc<WorkerMetrics>,
    /// The providers messages are sent through (`Job::DeliverCommunication`).
    pub providers: std::sync::Arc<services::communications::delivery::Providers>,
    /// The calendar providers users connect and their clients (`Job::SyncCalendars`).
    pub calendars: std::sync::Arc<calendar_sync::CalendarSync>,
    /// True once the worker is shutting down: long jobs stop at their next safe point.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

impl WorkerCtx {
    /// Fails with [`Interrupted`] once the worker is shutting down. Long jobs call it where
    /// stopping loses nothing (between committed batches).
    pub fn check_stopping(&self) -> Result<(), Interrupted> {
        if *self.stopping.borrow() {
            Err(Interrupted)
        } else {
            Ok(())
        }
    }
}

/// A job stopped at a safe point because the worker is shutting down; it runs again, on
/// another worker, from where it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stopped for the worker's shutdown; it runs again")
    }
}

impl std::error::Error for Interrupted {}

/// A receiver that never says stop, for running jobs outside a worker (tests, tools).
pub fn never_stopping() -> tokio::sync::watch::Receiver<bool> {
    tokio::sync::watch::channel(false).1
}

/// How long a prune waits for the transactions that overlapped it before checking the words it
/// removed again (what is still waiting then is checked by the next run).
const PRUNE_WAIT: Duration = Duration::from_secs(10);

/// Removes the words no live client has from the search vocabulary, then waits up to `wait`
/// for the transactions that overlapped the removal and puts back any word one of them gave a
/// client. Returns how many removed words are still waiting (the next run checks them).
async fn prune_search_words(pool: &sqlx::PgPool, wait: Duration) -> Result<u64, sqlx::Error> {
    db::search_words::repair(pool).await?;
    while db::search_words::prune_batch(pool).await? >= db::search_words::BATCH {}
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let waiting = db::search_words::repair(pool).await?;
        if waiting == 0 || tokio::time::Instant::now() >= deadline {
            return Ok(waiting);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs one job. Idempotent: running it twice has the effect of running it once.
pub async fn run_job(ctx: &WorkerCtx, job: &Job) -> anyhow::Result<()> {
    match job {
        Job::Heartbeat { worker_id } => {
            db::heartbeats::beat(&ctx.db, worker_id).await?;
        }
        Job::PurgeIdempotencyKeys => {
            for tenant in db::tenants::list_ids(&ctx.db).await? {
                let mut tx = db::TenantTx::begin(&ctx.db, tenant).await?;
                db::idempotency::purge_expired(&mut tx).await?;
                tx.commit().await?;
            }
        }
        Job::PruneSearchWords => {
            let waiting = prune_search_words(&ctx.db, PRUNE_WAIT).await?;
            tracing::info!(waiting, "search words pruned");
        }
        Job::ImportClients {
            tenant_id,
            import_id,
        } => import::run(ctx, *tenant_id, *import_id).await?,
        Job::EscalateTickets => escalation::run(ctx).await?,
        Job::SweepProposals => proposal_sweep::run(ctx).await?,
        Job::RemindActivities => reminders::run(ctx).await?,
        Job::SyncCalendars => calendar_sync::run(ctx).await?,
        Job::DeliverCommunication {
            tenant_id,
            communication_id,
        } => delivery::run(ctx, *tenant_id, *communication_id).await?,
        Job::SendPlatformMail { tenant_id, mail_id } => {
            platform_mail::run(ctx, *tenant_id, *mail_id).await?
        }
    }
    Ok(())
}

/// A worker's cache of opened tenant data keys (entries live a minute, as the API's).
pub fn cipher_cache() -> std::sync::Arc<db::crypto::CipherCache> {
    std::sync::Arc::new(db::crypto::CipherCache::new(Duration::from_secs(60)))
}

/// Settings of `crm worker`.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub worker_id: String,
    /// `id:base64[,…]`, as `CRM_MASTER_KEYS`.
    pub master_keys: domain::Secret,
    pub redis_url: domain::Secret,
    pub concurrency: usize,
    /// The period of the jobs of `services::jobs::Cadence::Heartbeat`.
    pub heartbeat_every: Duration,
    /// The period of the jobs of `services::jobs::Cadence::Upkeep`.
    pub purge_every: Duration,
    /// The period of the jobs of `services::jobs::Cadence::Minute` (the SLA escalation, proposal
    /// and reminder passes).
    pub escalate_every: Duration,
    pub shutdown_grace: Duration,
    /// How long a worker may go unseen before the others declare it dead and run its jobs.
    pub dead_after: Duration,
    /// Where the providers' APIs are (`CRM_WHATSAPP_BASE_URL`, `CRM_SMS_BASE_URL`).
    pub platform: services::communications::channels::Platform,
    /// The calendar providers users connect (`CRM_GOOGLE_*`, `CRM_MICROSOFT_*`).
    pub calendar_providers: services::calendar::providers::CalendarProviders,
}

impl WorkerConfig {
    /// How often the periodic jobs of `cadence` run.
    pub fn every(&self, cadence: Cadence) -> Duration {
        match cadence {
            Cadence::Heartbeat => self.heartbeat_every,
            Cadence::Upkeep => self.purge_every,
            Cadence::Minute => self.escalate_every,
        }
    }
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            worker_id: format!("worker-{}", Uuid::now_v7().simple()),
            master_keys: domain::Secret::new(db::crypto::MasterKeys::generate_spec("dev")),
            redis_url: domain::Secret::new("redis://127.0.0.1:6379"),
            concurrency: 16,
            heartbeat_every: Duration::from_secs(30),
            purge_every: Duration::from_secs(3600),
            escalate_every: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(20),
            dead_after: Duration::from_secs(60),
            platform: services::communications::channels::Platform::default(),
            calendar_providers: Default::default(),
        }
    }
}

async fn handle(job: Job, ctx: Data<WorkerCtx>, task_id: TaskId) -> Result<(), BoxDynError> {
    let started = std::time::Instant::now();
    let result = run_job(&ctx, &job).await;
    // An error is settled before apalis records it: an interrupted run at once, a transient
    // failure later, a permanent one never again.
    let outcome = match &result {
        Ok(()) => "ok",
        Err(e) => failure::settle(&ctx, &job, &task_id.to_string(), e).await,
    };
    ctx.metrics.observe(job.kind(), outcome, started.elapsed());
    result.map_err(Into::into)
}

/// Enqueues the periodic jobs of `services::jobs::SCHEDULE` until shutdown (dropping this
/// future stops them all).
async fn schedule(pool: PgPool, config: WorkerConfig) {
    let mut runs = tokio::task::JoinSet::new();
    for periodic in SCHEDULE {
        runs.spawn(keep_enqueueing(pool.clone(), config.clone(), periodic));
    }
    while runs.join_next().await.is_some() {}
}

/// Enqueues one periodic job at the start of each of its periods.
async fn keep_enqueueing(pool: PgPool, config: WorkerConfig, periodic: &'static Periodic) {
    let every = config.every(periodic.cadence);
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        let job = (periodic.job)(&config.worker_id);
        let key = periodic.key(chrono::Utc::now(), every);
        match queue::enqueue_on_pool(&pool, &job, key).await {
            Ok(()) => {}
            // Another worker (or this one before a restart) scheduled this period's run.
            Err(e) if queue::is_already_queued(&e) => {}
            Err(e) => {
                tracing::warn!(error = %e, kind = job.kind(), "could not enqueue a scheduled job");
            }
        }
    }
}

/// Heartbeats per `dead_after`: a worker is declared dead after missing this many.
const BEATS_PER_WINDOW: u32 = 6;

/// Jobs one fetcher runs at most. The queue library fetches and acknowledges a fetcher's jobs
/// one round trip after another, so one fetcher for many slots keeps most of them idle: a
/// worker runs a fetcher per this many of its slots, each on its own connection.
const SLOTS_PER_FETCHER: usize = 4;

/// How often an idle fetcher looks at the queue besides being woken by LISTEN/NOTIFY.
const POLL_EVERY: Duration = Duration::from_millis(250);

/// The slots of each fetcher of a worker running `concurrency` jobs at once.
fn fetchers(concurrency: usize) -> Vec<usize> {
    let concurrency = concurrency.max(1);
    let count = concurrency.div_ceil(SLOTS_PER_FETCHER);
    (0..count)
        .map(|i| concurrency / count + usize::from(i < concurrency % count))
        .collect()
}

/// Postgres connections a worker running `concurrency` jobs at once needs: one per job, one
/// per fetcher (fetching and acknowledging), and a few for the schedule and the metrics.
pub fn connections_for(concurrency: usize) -> u32 {
    let needed = concurrency.max(1) + fetchers(concurrency).len() + 4;
    u32::try_from(needed).unwrap_or(u32::MAX)
}

/// The queue's name of fetcher `i` of worker `worker_id` (the first one is the worker's own).
fn fetcher_name(worker_id: &str, i: usize) -> String {
    if i == 0 {
        worker_id.to_owned()
    } else {
        format!("{worker_id}-{i}")
    }
}

/// Runs the job runtime until `shutdown` resolves, finishing running jobs within the grace.
pub async fn run(
    pool: PgPool,
    config: WorkerConfig,
    metrics_listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let needed = connections_for(config.concurrency);
    let held = pool.options().get_max_connections();
    anyhow::ensure!(
        held >= needed,
        "the worker's Postgres pool holds {held} connections and {} job slots need {needed} \
         (worker::connections_for): the queue's fetchers would wait for each other",
        config.concurrency
    );
    let metrics = std::sync::Arc::new(WorkerMetrics::new()?);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let redis = notice_pool(config.redis_url.expose());
    let ctx = WorkerCtx {
        db: pool.clone(),
        master_keys: db::crypto::MasterKeys::parse(config.master_keys.expose())?,
        redis: redis.clone(),
        ciphers: cipher_cache(),
        metrics: metrics.clone(),
        providers: real_providers(config.platform.clone(), redis)?,
        calendars: calendar_sync::calendar_sync(config.calendar_providers.clone())?,
        stopping,
    };
    let scheduler = tokio::spawn(schedule(pool.clone(), config.clone()));
    let metrics_server = tokio::spawn(metrics::serve(metrics_listener, metrics, pool.clone()));
    let beat_every = (config.dead_after / BEATS_PER_WINDOW).max(Duration::from_secs(1));
    // One job per fetch: a worker whose slots are all busy holds no job it has not started.
    // A fetched batch would wait there for a slot while idle workers could run it, and the
    // queue library pauses its heartbeat while it holds one, so a busy worker would be
    // declared dead and its running jobs run a second time elsewhere.
    let queue_config = QueueConfig::default()
        .queue(queue::QUEUE)
        .batch_size(1)
        .heartbeat_interval(beat_every)
        .missed_heartbeats(BEATS_PER_WINDOW as usize);
    let worker_id = config.worker_id.clone();
    let concurrency = config.concurrency;
    // LISTEN/NOTIFY wakes a fetcher when a job is pushed; polling catches anything a lost
    // or raced notification would miss (scheduled retries, restarts).
    let storage = PostgresStorage::<Job>::new(&pool)
        .with_config(queue_config)
        .with_pubsub()
        .poll_with_strategy(Strategy::new().interval(POLL_EVERY));
    let fetchers = fetchers(concurrency);
    let names: Vec<String> = (0..fetchers.len())
        .map(|i| fetcher_name(&config.worker_id, i))
        .collect();
    let monitor = Monitor::new()
        .shutdown_timeout(config.shutdown_grace)
        .register_n(fetchers.len(), move |i, _| {
            WorkerBuilder::new(fetcher_name(&worker_id, i))
                .backend(storage.clone())
                .data(ctx.clone())
                .concurrency(fetchers[i])
                .build(handle)
        });
    tracing::info!(
        worker_id = %config.worker_id,
        version = domain::build_info::VERSION,
        revision = domain::build_info::REVISION,
        "worker started"
    );
    let result = monitor
        .run_with_signal(async move {
            shutdown.await;
            tracing::info!("worker shutting down: running jobs stop at their next safe point");
            let _ = stop.send(true);
            Ok(())
        })
        .await
        .context("job runtime failed");
    // Jobs still running when the grace ran out were dropped with the runtime (their
    // transactions roll back): hand them to the other workers now.
    match queue::release_held(&pool, &names).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(jobs = n, "jobs cut short by the shutdown are queued again"),
        Err(e) => tracing::error!(error = %e, "jobs cut short by the shutdown not released"),
    }
    scheduler.abort();
    metrics_server.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_runs_a_fetcher_per_four_slots_and_every_slot_once() {
        assert_eq!(fetchers(16), vec![4, 4, 4, 4]);
        assert_eq!(fetchers(6), vec![3, 3]);
        assert_eq!(fetchers(9), vec![3, 3, 3]);
        assert_eq!(fetchers(1), vec![1]);
        assert_eq!(fetchers(0), vec![1]);
        assert_eq!(connections_for(16), 24);
    }

    #[test]
    fn fetchers_are_named_after_their_worker() {
        assert_eq!(fetcher_name("worker-a", 0), "worker-a");
        assert_eq!(fetcher_name("worker-a", 2), "worker-a-2");
    }
}
