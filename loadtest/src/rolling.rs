//! `rolling-restart`: closed-loop load through the load balancer that `rolling-restart.sh` puts in
//! front of two API processes, while the script restarts each API and worker process in turn; then
//! the proof, read in Postgres as the superuser: every import job ran to the end exactly once and
//! every client created through the API is stored exactly once.

mod live;
mod load;
mod memory;
mod report;
mod timeline;
mod verify;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use reqwest::header::HeaderValue;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use load::{Log, Shared, Upload};
use report::{Measured, Report};

#[derive(Args)]
pub struct RollingRestart {
    /// The load balancer in front of the API processes.
    #[arg(long, default_value = "127.0.0.1:18480")]
    lb: SocketAddr,
    /// The database the processes use, checked afterwards as the superuser.
    #[arg(long, default_value = "crm_rolling")]
    database: String,
    /// Postgres on this machine (superuser `postgres`, trust auth).
    #[arg(long, default_value = "127.0.0.1:5432")]
    pg_addr: String,
    /// Slug of the tenant the load signs in to.
    #[arg(long, default_value = "rolling")]
    tenant: String,
    #[arg(long, default_value = "owner@rolling.example")]
    email: String,
    #[arg(long, default_value = "orchid-lantern-ferry")]
    password: String,
    /// The timeline the script writes (unix ms, process, event, detail, tab-separated); the load
    /// adds its own start and stop, and stops `--tail` seconds after `script restarts-done`.
    #[arg(long)]
    events: PathBuf,
    /// Directory of files `api1`, `api2`, `worker1`, `worker2`, each the current pid of that
    /// process, for the memory figures.
    #[arg(long)]
    pid_dir: Option<PathBuf>,
    /// Closed-loop users (each keeps one request in flight).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=1024))]
    concurrency: u64,
    /// Seconds of load after the script reports its restarts done.
    #[arg(long, default_value_t = 10)]
    tail: u64,
    /// Longest load, whatever the script does.
    #[arg(long, default_value_t = 600)]
    max_duration: u64,
    /// One CSV import uploaded every this many milliseconds while the load runs.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..))]
    import_every_ms: u64,
    /// Rows per import.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    import_rows: u32,
    /// Seconds to wait after the load for every import to finish. Longer than the queue's
    /// rescue of jobs left running by a dead worker (apalis: 10 missed 30 s heartbeats), so that
    /// a job cut short counts as late and redelivered, and only a job never run counts as lost.
    #[arg(long, default_value_t = 420)]
    jobs_timeout: u64,
    /// The processes' CRM_SHUTDOWN_GRACE: a restarted process must exit within it.
    #[arg(long, default_value_t = 20)]
    shutdown_grace: u64,
    /// Directory that receives rolling-restart.json and rolling-restart.md.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results"))]
    out: PathBuf,
}

/// How long the live subscriber keeps listening after the last import is done.
const LIVE_SETTLE: Duration = Duration::from_secs(5);

/// Signs in through the load balancer, a few times if it is not answering yet.
async fn sign_in(http: &reqwest::Client, args: &RollingRestart) -> anyhow::Result<String> {
    let mut last = None;
    for _ in 0..10 {
        match crate::setup::login_as(http, args.lb, &args.tenant, &args.email, &args.password).await
        {
            Ok(token) => return Ok(token),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(last
        .unwrap_or_else(|| anyhow::anyhow!("no attempt"))
        .context("cannot sign in"))
}

async fn join_all<T>(tasks: Vec<JoinHandle<T>>) -> anyhow::Result<Vec<T>> {
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.context("a load task failed")?);
    }
    Ok(out)
}

/// What the load did, between its start and stop (unix ms, as in the timeline).
struct Driven {
    log: Log,
    uploads: Vec<Upload>,
    start_ms: i64,
    stop_ms: i64,
}

/// Runs the users and the uploader from the load's start until `tail` after the script's
/// restarts are done.
async fn drive(shared: &Arc<Shared>, args: &RollingRestart) -> anyhow::Result<Driven> {
    let (stop_tx, stop) = watch::channel(false);
    let start_ms = timeline::unix_ms();
    timeline::append_event(&args.events, "load", "start")?;
    eprintln!(
        "load: {} users and one {}-row import every {} ms through {}",
        args.concurrency, args.import_rows, args.import_every_ms, args.lb
    );
    let users: Vec<_> = (0..args.concurrency as usize)
        .map(|n| tokio::spawn(load::user(shared.clone(), n, stop.clone())))
        .collect();
    let uploader = tokio::spawn(load::uploader(
        shared.clone(),
        args.import_rows,
        Duration::from_millis(args.import_every_ms),
        stop,
    ));
    timeline::stop_when_done(
        args.events.clone(),
        Duration::from_secs(args.tail),
        Duration::from_secs(args.max_duration),
        stop_tx,
    )
    .await;
    let mut log = Log::default();
    for user_log in join_all(users).await? {
        log.merge(user_log);
    }
    let (upload_log, uploads) = uploader.await.context("the uploader failed")?;
    log.merge(upload_log);
    let stop_ms = timeline::unix_ms();
    timeline::append_event(&args.events, "load", "stop")?;
    Ok(Driven {
        log,
        uploads,
        start_ms,
        stop_ms,
    })
}

async fn superuser_pool(args: &RollingRestart) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&format!(
            "postgres://postgres@{}/{}",
            args.pg_addr, args.database
        ))
        .await
        .with_context(|| format!("cannot connect to database {}", args.database))
}

pub async fn run(args: RollingRestart) -> anyhow::Result<()> {
    crate::ensure_local(&args.pg_addr, "--pg-addr")?;
    anyhow::ensure!(args.lb.ip().is_loopback(), "--lb must be on 127.0.0.1");
    let pool = superuser_pool(&args).await?;
    let tenant: Uuid = sqlx::query_scalar("SELECT id FROM tenants WHERE slug = $1")
        .bind(&args.tenant)
        .fetch_optional(&pool)
        .await?
        .with_context(|| format!("no tenant `{}` in {}", args.tenant, args.database))?;
    let http = crate::client::http_client(args.concurrency as usize + 2)?;
    let token = sign_in(&http, &args).await?;
    let shared = Arc::new(Shared {
        http,
        base: format!("http://{}", args.lb),
        authorization: HeaderValue::from_str(&format!("Bearer {token}"))?,
        start: Instant::now(),
    });

    let (memory_stop, memory_rx) = watch::channel(false);
    let memory = args
        .pid_dir
        .clone()
        .map(|dir| tokio::spawn(memory::sample_memory(dir, memory_rx)));
    let (live_stop, live_rx) = watch::channel(false);
    let subscriber = tokio::spawn(live::subscribe(shared.clone(), live_rx));
    let driven = drive(&shared, &args).await?;
    eprintln!(
        "load stopped after {:.1} s; waiting for {} imports",
        (driven.stop_ms - driven.start_ms) as f64 / 1000.0,
        driven.uploads.len()
    );
    let jobs_timeout = Duration::from_secs(args.jobs_timeout);
    let drained = load::wait_for_imports(&shared, &driven.uploads, jobs_timeout).await;
    // The last imports' events are rendered and relayed after their jobs are done.
    tokio::time::sleep(LIVE_SETTLE).await;
    let _ = live_stop.send(true);
    let mut watched = subscriber.await.context("the live subscriber failed")?;
    let _ = memory_stop.send(true);
    let memory = match memory {
        Some(task) => task.await.context("the memory sampler failed")?,
        None => Vec::new(),
    };
    let mut jobs = verify::imports(&pool, tenant, &driven.uploads, args.import_rows).await?;
    jobs.backlog_drained_s = drained;
    let posted = verify::posted(&pool, tenant, &driven.log.created).await?;
    live::verify(&pool, tenant, &mut watched).await?;
    pool.close().await;

    let report = Report::new(Measured {
        load_balancer: format!("nginx on {}", args.lb),
        concurrency: args.concurrency,
        import_rows: args.import_rows,
        import_every_ms: args.import_every_ms,
        shutdown_grace_s: args.shutdown_grace as f64,
        start_ms: driven.start_ms,
        stop_ms: driven.stop_ms,
        log: driven.log,
        events: timeline::read_events(&args.events),
        jobs,
        posted,
        live: watched,
        memory,
    });
    print!("{}", report::markdown(&report));
    let (json, md) = report::write(&report, &args.out)?;
    eprintln!("wrote {} and {}", json.display(), md.display());
    if !report.goals.met {
        // A verdict, not a crash: no error chain or backtrace to print.
        eprintln!("rolling-restart: goals not met (see {})", md.display());
        std::process::exit(1);
    }
    Ok(())
}
