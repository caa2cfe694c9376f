//! `deliver-bench`: how many messages ONE worker hands to a provider per second, and how long a
//! message waits between its commit and its provider's acceptance, against the goal "at least
//! 500 messages a second per worker, p95 under 1 s". On a scratch database with one tenant whose
//! SMS channel is an account on a local fake of Twilio's API (`fake_sms`): first a worker gets
//! SMS at a fixed offered rate (the queue latency at that load), then a backlog of queued SMS is
//! drained by a worker started after it was queued (the worker's capacity). See README.md.

mod fake_sms;
mod messages;
mod one_worker;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use clap::Args;
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;

use crate::bench::cpu::{self, CpuUsed};
use crate::bench::waits::{self, WaitSampler};
use crate::client::Outcome;
use crate::report::Stats;
use crate::setup::{Scratch, ScratchPlace};
use messages::{Queued, Sender, Sent};
use one_worker::{Launch, OneWorker};

/// The goals of the issue: messages a second per worker, and seconds of queue latency at p95.
const GOAL_PER_SECOND: f64 = 500.0;
const GOAL_P95_SECONDS: f64 = 1.0;

#[derive(Args)]
pub struct DeliverBench {
    /// SMS queued before the worker starts: the backlog it drains at full speed.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    backlog: u64,
    /// SMS a second offered while the worker runs (the latency phase).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=5_000))]
    rate: u32,
    /// Seconds of the latency phase.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    duration: u64,
    /// Jobs the worker runs at once (`CRM_WORKER_CONCURRENCY`, 16 by default).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=256))]
    concurrency: u64,
    /// Clients of the tenant the messages go to, in turn.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    clients: u64,
    /// Concurrent senders queueing the backlog, and connections of the senders' pool.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=64))]
    producers: u64,
    /// Milliseconds the fake provider takes to answer each message (0: at once).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    provider_ms: u64,
    /// Diagnosis only, not how the product runs: the scratch database's sessions commit without
    /// waiting for the WAL to reach the disk (`synchronous_commit = off`), to tell how much of
    /// the time is the disk's.
    #[arg(long)]
    no_sync_commit: bool,
    /// Longest wait for a phase's messages to be sent, in seconds.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Postgres, Redis (the worker's live-update notices) and the master keys.
    #[command(flatten)]
    place: ScratchPlace,
    /// Directory that receives deliver-bench.json and deliver-bench.md.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results/deliver-bench"))]
    out: PathBuf,
}

/// The backlog phase: the worker's capacity.
#[derive(Debug, Serialize)]
struct Capacity {
    messages: u64,
    /// Seconds the senders took to queue them.
    queue_seconds: f64,
    sent: u64,
    /// From the worker's start to the last message sent.
    seconds: f64,
    per_second: f64,
    /// From the first message sent to the last (the worker's start left out).
    steady_per_second: f64,
    /// CPU used while the worker drained the backlog.
    cpu: CpuUsed,
    /// What the database's sessions were doing meanwhile (most seen first).
    waits: Vec<(String, u64)>,
    wait_samples: u64,
}

/// The offered-load phase: the queue latency.
#[derive(Debug, Serialize)]
struct Offered {
    rate: u32,
    duration_s: u64,
    queued: u64,
    sent: u64,
    /// Messages sent a second, from the first one's commit to the last one's sending.
    per_second: f64,
    /// From each message's commit to its provider's acceptance (`sent_at`).
    latency: Stats,
    /// From when each message was due to its commit (the senders keeping up).
    commit: Stats,
}

#[derive(Debug, Serialize)]
struct Goals {
    per_second: f64,
    p95_seconds: f64,
    capacity_met: bool,
    latency_met: bool,
}

#[derive(Debug, Serialize)]
struct DeliverReport {
    benchmark: &'static str,
    unix_time: u64,
    cpus: usize,
    concurrency: u64,
    clients: u64,
    producers: u64,
    provider_ms: u64,
    /// Run with `--no-sync-commit` (a diagnosis, not the product's setting).
    synchronous_commit_off: bool,
    capacity: Capacity,
    offered: Offered,
    /// Messages the fake provider accepted: each message once.
    provider_accepted: u64,
    /// The worker's own `communications_messages_total{channel="sms"}`, by outcome.
    worker_outcomes: BTreeMap<String, f64>,
    goals: Goals,
}

pub async fn run(args: DeliverBench) -> anyhow::Result<()> {
    let bench = args.place.bench("deliver-bench", &args.out)?;
    let on_scratch = async |s: &Scratch| measure(s, &args).await;
    bench.run(on_scratch, markdown).await
}

async fn measure(scratch: &Scratch, args: &DeliverBench) -> anyhow::Result<DeliverReport> {
    let owner = scratch.provision_tenant().await?;
    let admin = PgPoolOptions::new()
        .max_connections(2)
        .connect(&scratch.owner_url())
        .await?;
    if args.no_sync_commit {
        // The database's name is a fixed prefix and hex digits; new sessions take the setting.
        let set = format!(
            "ALTER DATABASE {} SET synchronous_commit = off",
            scratch.name
        );
        sqlx::query(sqlx::AssertSqlSafe(set))
            .execute(&admin)
            .await?;
    }
    let user: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE tenant_id = $1")
        .bind(owner.tenant)
        .fetch_one(&admin)
        .await?;
    let senders = PgPoolOptions::new()
        .max_connections(args.producers as u32)
        .connect(&scratch.app_url())
        .await?;
    let master = db::crypto::MasterKeys::parse(&args.place.master_keys)?;
    let sender =
        Arc::new(Sender::prepare(senders, &master, owner.tenant, user, args.clients).await?);
    let fake = fake_sms::FakeSms::start(Duration::from_millis(args.provider_ms)).await?;
    let app_url = scratch.app_url();
    let redis_url = args.place.redis_url();
    let launch = Launch {
        app_url: &app_url,
        redis_url: &redis_url,
        master_keys: &args.place.master_keys,
        concurrency: args.concurrency as usize,
        sms_base_url: &fake.base_url,
    };
    let http = crate::client::http_client(1)?;
    let mut worker_outcomes = BTreeMap::new();
    let offered =
        offered_phase(args, &admin, &sender, &launch, &http, &mut worker_outcomes).await?;
    let capacity = capacity_phase(
        args,
        &admin,
        &scratch.name,
        &sender,
        &launch,
        &http,
        &mut worker_outcomes,
    )
    .await?;
    let provider_accepted = fake.accepted();
    fake.stop().await;
    admin.close().await;
    Ok(DeliverReport {
        benchmark: "deliver-bench",
        unix_time: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        concurrency: args.concurrency,
        clients: args.clients,
        producers: args.producers,
        provider_ms: args.provider_ms,
        synchronous_commit_off: args.no_sync_commit,
        goals: Goals {
            per_second: GOAL_PER_SECOND,
            p95_seconds: GOAL_P95_SECONDS,
            capacity_met: capacity.per_second >= GOAL_PER_SECOND,
            latency_met: offered.sent == offered.queued
                && offered.latency.p95_ms < GOAL_P95_SECONDS * 1000.0,
        },
        capacity,
        offered,
        provider_accepted,
        worker_outcomes,
    })
}

/// The latency phase, first (on a fresh database): a worker running, `--rate` SMS a second
/// for `--duration`, each one's wait from its commit to its sending.
async fn offered_phase(
    args: &DeliverBench,
    admin: &sqlx::PgPool,
    sender: &Arc<Sender>,
    launch: &Launch<'_>,
    http: &reqwest::Client,
    outcomes: &mut BTreeMap<String, f64>,
) -> anyhow::Result<Offered> {
    let worker = OneWorker::start(launch).await?;
    eprintln!("{} SMS/s offered for {} s", args.rate, args.duration);
    let queued = messages::offered(
        sender.clone(),
        args.rate,
        Duration::from_secs(args.duration),
    );
    let queued = queued.await?;
    let sent = messages::wait_sent(admin, &queued, Duration::from_secs(args.timeout)).await?;
    add_outcomes(
        outcomes,
        worker.sms_outcomes(http).await.unwrap_or_default(),
    );
    worker.stop().await;
    let offered = offered(args, &queued, &sent);
    eprintln!(
        "  {} of {} sent, p95 {:.0} ms",
        offered.sent, offered.queued, offered.latency.p95_ms
    );
    Ok(offered)
}

/// The capacity phase: `--backlog` SMS queued with no worker running, then drained by a worker
/// started after them.
async fn capacity_phase(
    args: &DeliverBench,
    admin: &sqlx::PgPool,
    database: &str,
    sender: &Arc<Sender>,
    launch: &Launch<'_>,
    http: &reqwest::Client,
    outcomes: &mut BTreeMap<String, f64>,
) -> anyhow::Result<Capacity> {
    eprintln!(
        "queueing a backlog of {} SMS ({} senders)",
        args.backlog, args.producers
    );
    let queueing = std::time::Instant::now();
    let backlog = messages::backlog(sender.clone(), args.backlog, args.producers).await?;
    let queue_seconds = queueing.elapsed().as_secs_f64();
    let sampler = WaitSampler::start(admin.clone(), database.to_owned());
    let cpu_before = cpu::now();
    let worker = OneWorker::start(launch).await?;
    eprintln!("one worker (concurrency {}) draining it", args.concurrency);
    let drained = messages::wait_sent(admin, &backlog, Duration::from_secs(args.timeout)).await?;
    let cpu = cpu::now().since(&cpu_before);
    let (waits, wait_samples) = sampler.finish().await;
    add_outcomes(
        outcomes,
        worker.sms_outcomes(http).await.unwrap_or_default(),
    );
    let mut capacity = capacity(&backlog, &drained, worker.started_at, queue_seconds);
    capacity.cpu = cpu;
    capacity.waits = waits;
    capacity.wait_samples = wait_samples;
    worker.stop().await;
    eprintln!(
        "  {} sent in {:.1} s: {:.0}/s",
        capacity.sent, capacity.seconds, capacity.per_second
    );
    Ok(capacity)
}

/// Adds one worker's counts to the run's.
fn add_outcomes(total: &mut BTreeMap<String, f64>, one: BTreeMap<String, f64>) {
    for (outcome, n) in one {
        *total.entry(outcome).or_default() += n;
    }
}

fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().unwrap_or(0) as f64 / 1e6
}

fn per_second(n: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        n as f64 / seconds
    } else {
        0.0
    }
}

/// The backlog's figures: sent over the time from the worker's start to the last one.
fn capacity(
    backlog: &[Queued],
    sent: &[Sent],
    started_at: DateTime<Utc>,
    queue_seconds: f64,
) -> Capacity {
    let times: Vec<DateTime<Utc>> = sent.iter().filter_map(|s| s.sent_at).collect();
    let first = times.iter().min().copied().unwrap_or(started_at);
    let last = times.iter().max().copied().unwrap_or(started_at);
    let n = times.len() as u64;
    let seconds_all = seconds(started_at, last);
    Capacity {
        messages: backlog.len() as u64,
        queue_seconds,
        sent: n,
        seconds: seconds_all,
        per_second: per_second(n, seconds_all),
        steady_per_second: per_second(n.saturating_sub(1), seconds(first, last)),
        cpu: CpuUsed::default(),
        waits: Vec::new(),
        wait_samples: 0,
    }
}

/// The offered load's figures: each message's wait from its commit to its sending.
fn offered(args: &DeliverBench, queued: &[Queued], sent: &[Sent]) -> Offered {
    let sent_at: BTreeMap<uuid::Uuid, Option<DateTime<Utc>>> =
        sent.iter().map(|s| (s.id, s.sent_at)).collect();
    let mut latency = Outcome {
        ok: 0,
        errors: 0,
        latencies_us: Vec::new(),
        elapsed: Duration::from_secs(args.duration),
        first_error: None,
    };
    let mut commit = Outcome {
        latencies_us: Vec::new(),
        first_error: None,
        ..latency
    };
    let micros = |d: Duration| u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
    for q in queued {
        commit.ok += 1;
        commit.latencies_us.push(micros(q.committed - q.due));
        match sent_at.get(&q.id).copied().flatten() {
            Some(at) => {
                latency.ok += 1;
                let waited = (at - q.committed_at).to_std().unwrap_or_default();
                latency.latencies_us.push(micros(waited));
            }
            None => {
                latency.errors += 1;
                latency
                    .first_error
                    .get_or_insert_with(|| format!("{} not sent", q.id));
            }
        }
    }
    let first = queued.iter().map(|q| q.committed_at).min();
    let last = sent.iter().filter_map(|s| s.sent_at).max();
    let span = first.zip(last).map_or(0.0, |(f, l)| seconds(f, l));
    Offered {
        rate: args.rate,
        duration_s: args.duration,
        queued: queued.len() as u64,
        sent: latency.ok,
        per_second: per_second(latency.ok, span),
        latency: Stats::new("committed → sent", latency),
        commit: Stats::new("due → committed", commit),
    }
}

/// Where the CPU went while the backlog drained, per message and as a share of the run.
fn cpu_markdown(s: &mut String, c: &Capacity) {
    let sent = c.sent.max(1) as f64;
    let per_message = |seconds: f64| seconds * 1000.0 / sent;
    let cores = |seconds: f64| {
        if c.seconds > 0.0 {
            seconds / c.seconds
        } else {
            0.0
        }
    };
    let _ = writeln!(
        s,
        "CPU while the backlog drained (`/proc/<pid>/stat`):\n\n| process | CPU ms per message | \
         cores busy on average |\n|---|---:|---:|"
    );
    for (name, used) in [
        (
            "benchmark process (worker, fake provider, idle senders)",
            c.cpu.own_seconds,
        ),
        ("Postgres (all its processes)", c.cpu.postgres_seconds),
        ("Redis", c.cpu.redis_seconds),
    ] {
        let _ = writeln!(
            s,
            "| {name} | {:.2} | {:.2} |",
            per_message(used),
            cores(used)
        );
    }
    let _ = writeln!(s);
}

fn markdown(r: &DeliverReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## deliver-bench\n");
    let _ = writeln!(
        s,
        "One worker (`worker::run` in the benchmark's process, as `crm worker` runs it: \
         concurrency {}, a pool of {} `crm_app` connections) delivering SMS of one tenant to {} \
         clients in turn through a local fake of Twilio's Messages API answering after {} ms; the \
         messages queued through `services::communications::send` (the API's flow, {} \
         senders). A scratch database; {} CPUs shared by the worker, the senders, the fake, \
         Postgres and Redis.\n",
        r.concurrency,
        worker::connections_for(r.concurrency as usize),
        r.clients,
        r.provider_ms,
        r.producers,
        r.cpus
    );
    if r.synchronous_commit_off {
        let _ = writeln!(
            s,
            "**Diagnosis run: `synchronous_commit = off` in the scratch database** (commits do \
             not wait for the WAL to reach the disk; not how the product runs).\n"
        );
    }
    let c = &r.capacity;
    let _ = writeln!(
        s,
        "| phase | messages | sent | seconds | messages/s | notes |\n|---|---:|---:|---:|---:|---|"
    );
    let _ = writeln!(
        s,
        "| backlog drained (capacity) | {} | {} | {:.2} | **{:.0}** | {:.0}/s from the first \
         sent to the last; queued in {:.1} s before the worker started |",
        c.messages, c.sent, c.seconds, c.per_second, c.steady_per_second, c.queue_seconds
    );
    let o = &r.offered;
    let _ = writeln!(
        s,
        "| {}/s offered for {} s | {} | {} | {} | {:.0} | |\n",
        o.rate, o.duration_s, o.queued, o.sent, o.duration_s, o.per_second
    );
    let _ = writeln!(
        s,
        "Queue latency at {}/s offered:\n\n| span | p50 ms | p95 ms | p99 ms | max ms |\n\
         |---|---:|---:|---:|---:|",
        o.rate
    );
    for st in [&o.latency, &o.commit] {
        let _ = writeln!(
            s,
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            st.endpoint, st.p50_ms, st.p95_ms, st.p99_ms, st.max_ms
        );
    }
    let outcomes: Vec<String> = r
        .worker_outcomes
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(
        s,
        "\nThe fake provider accepted {} messages (queued: {}); the worker counted {}.\n",
        r.provider_accepted,
        c.messages + o.queued,
        outcomes.join(", ")
    );
    cpu_markdown(&mut s, c);
    waits::markdown(&mut s, "backlog drained", &c.waits, c.wait_samples);
    let verdict = |met: bool| if met { "met" } else { "not met" };
    let _ = writeln!(
        s,
        "Goals: at least {:.0} messages/s per worker **{}**; p95 under {:.0} s at {}/s **{}**.",
        r.goals.per_second,
        verdict(r.goals.capacity_met),
        r.goals.p95_seconds,
        o.rate,
        verdict(r.goals.latency_met)
    );
    s
}
