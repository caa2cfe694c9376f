//! `working-day`: sales and support staff of many tenants of the `seed-large` data at work in
//! the CRM (goose), with the baselines measured in the same run on the same machine: a bare
//! axum + sqlx one-row endpoint and `pgbench -S`. Phases: the baselines, closed-loop saturation,
//! open-loop runs at fixed shares of the saturation rate, and a thousand people at once, each on
//! their own keep-alive connection, with think time (see README.md).

mod calendar_work;
mod communication_work;
mod crowd;
mod data;
mod mix;
mod open_loop;
mod pgbench;
mod pipeline_work;
pub(crate) mod proposal_work;
mod report;
pub(crate) mod server;
mod ticket_work;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Args;

use crate::client::{self, Load, Target};
use crate::report::Stats;
use crate::{seed, setup};
use data::Shared;
use report::{DayReport, Held, Memory, Phase, Row};
use server::{Sample, Sampler, Server};

/// Staff arriving per second before saturation: few enough that their sign-ins (argon2, by
/// design tens of milliseconds of CPU each) are over when goose resets its metrics.
const SATURATION_ARRIVALS_PER_S: usize = 10;

const PHASES: &[&str] = &["bare", "pgbench", "saturation", "open-loop", "connections"];

#[derive(Args)]
pub struct WorkingDay {
    #[command(flatten)]
    seeded: seed::Seeded,
    /// Load an API already running at this URL instead of starting `crm serve`.
    #[arg(long)]
    api_url: Option<String>,
    /// With --api-url: its process id, to read its memory.
    #[arg(long)]
    api_pid: Option<u32>,
    /// The `crm` binary to start (default: beside this one, target/release/crm).
    #[arg(long)]
    crm_bin: Option<PathBuf>,
    /// `CRM_LOG` of the started API (its log goes to a file in the temp directory).
    #[arg(long, default_value = "warn")]
    crm_log: String,
    /// Postgres connections of the API and of the bare endpoint.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=80))]
    pool_size: u32,
    /// Tenants whose staff are at work: `big` and others spread over the size ranking.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1000))]
    tenants: u64,
    /// Closed-loop users of the saturation run, and clients of the bare and pgbench baselines.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=1024))]
    concurrency: u64,
    /// Measured seconds of the bare, pgbench and saturation phases.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    duration: u64,
    /// Unmeasured seconds before the bare, pgbench and open-loop measurements.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(0..=60))]
    warmup: u64,
    /// Open-loop rates as percentages of the saturation run's actions per second.
    #[arg(long, value_delimiter = ',', default_value = "25,50,75")]
    open_loop_percent: Vec<f64>,
    /// Open-loop rates in actions per second (instead of percentages; needed without saturation).
    #[arg(long, value_delimiter = ',')]
    open_loop_rates: Vec<f64>,
    /// Measured seconds of each open-loop rate.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
    open_loop_duration: u64,
    /// Signed-in staff serving the open-loop arrivals.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=5000))]
    open_loop_staff: u64,
    /// People at work at once in the connections phase, each on their own connection.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=20000))]
    connections: u64,
    /// People arriving (signing in) per second in the connections phase.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10000))]
    arrival_rate: u64,
    /// Seconds the connections phase holds everyone after the last arrival.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    hold: u64,
    /// Think time between a person's actions in the connections phase, min and max seconds.
    #[arg(long, value_delimiter = ',', default_value = "2,8")]
    think: Vec<u64>,
    /// Scratch database of `pgbench -i` (never the seed-large database).
    #[arg(long, default_value = "crm_pgbench")]
    pgbench_database: String,
    /// `pgbench -i -s` scale (100,000 accounts each).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pgbench_scale: u32,
    /// Phases to run, from bare, pgbench, saturation, open-loop, connections.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "bare,pgbench,saturation,open-loop,connections"
    )]
    only: Vec<String>,
    /// Directory that receives working-day.json and working-day.md.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results"))]
    out: PathBuf,
    /// Seed of the staff roster and of everyone's choices.
    #[arg(long, default_value_t = 11)]
    seed: u64,
}

impl WorkingDay {
    fn wants(&self, phase: &str) -> bool {
        self.only.iter().any(|o| o == phase)
    }

    fn think(&self) -> anyhow::Result<(Duration, Duration)> {
        match self.think[..] {
            [min, max] if min <= max => Ok((Duration::from_secs(min), Duration::from_secs(max))),
            _ => anyhow::bail!("--think takes min,max seconds, min <= max"),
        }
    }
}

pub async fn run(args: WorkingDay) -> anyhow::Result<()> {
    args.seeded.ensure_local()?;
    seed::check_database_name(&args.seeded.database)?;
    anyhow::ensure!(
        args.pgbench_database != args.seeded.database,
        "--pgbench-database must not be the seed-large database"
    );
    for o in &args.only {
        anyhow::ensure!(PHASES.contains(&o.as_str()), "--only: unknown phase {o}");
    }
    args.think()?;
    let files = server::open_file_limit();
    if args.wants("connections") {
        // Our side of every person's connection, the pools, and some slack.
        let need = args.connections + 300;
        anyhow::ensure!(
            files.is_none_or(|n| n >= need),
            "the open-file limit is {files:?}, below the {need} the connections phase needs: \
             raise it first (`ulimit -n {}`; loadtest/bench-all.sh does)",
            need.max(4096)
        );
    }

    eprintln!("reading the data set of {}", args.seeded.database);
    let shared = Arc::new(
        data::load(
            &args.seeded.pg_addr,
            &args.seeded.database,
            &args.seeded.master_keys,
            args.tenants as usize,
            args.seed,
        )
        .await?,
    );
    eprintln!(
        "{} tenants, {} sampled clients",
        shared.tenants.len(),
        shared
            .tenants
            .iter()
            .map(|t| t.clients.len())
            .sum::<usize>()
    );

    let http = client::http_client(4)?;
    let bin = match &args.crm_bin {
        Some(b) => b.clone(),
        None => server::default_bin()?,
    };
    let mut api = match &args.api_url {
        Some(url) => Server::external(url, args.api_pid)?,
        None => {
            let log_file = std::env::temp_dir().join("crm-working-day.log");
            eprintln!(
                "starting {} serve (log: {})",
                bin.display(),
                log_file.display()
            );
            Server::start(
                &server::Launch {
                    bin: &bin,
                    database_url: seed::url(&args.seeded.pg_addr, "crm_app", &args.seeded.database),
                    redis_url: format!("redis://{}", args.seeded.redis_addr),
                    master_keys: &args.seeded.master_keys,
                    pool_size: args.pool_size,
                    log_filter: &args.crm_log,
                    log_file,
                },
                &http,
            )
            .await?
        }
    };
    let outcome = tokio::select! {
        r = phases(&args, &shared, &api, files) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    api.stop().await;
    let report = outcome?;
    print!("{}", report::markdown(&report));
    let (json, md) = report::write(&report, &args.out)?;
    eprintln!("wrote {} and {}", json.display(), md.display());
    if let Some(h) = &report.held {
        anyhow::ensure!(
            h.held,
            "{} concurrent connections were not held without errors ({}–{} established, {} errors)",
            h.target,
            h.min_established,
            h.max_established,
            h.errors
        );
    }
    Ok(())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn memory(samples: &[Sample]) -> Option<Memory> {
    let rss: Vec<u64> = samples.iter().filter_map(|s| s.rss_kib).collect();
    Some(Memory {
        start_mib: mib(*rss.first()?),
        max_mib: mib(*rss.iter().max()?),
        end_mib: mib(*rss.last()?),
    })
}

async fn phases(
    args: &WorkingDay,
    shared: &Arc<Shared>,
    api: &Server,
    files: Option<u64>,
) -> anyhow::Result<DayReport> {
    let idle_rss = api.pid.and_then(server::rss_kib).map(mib);
    let mut phases = Vec::new();

    let mut bare = None;
    if args.wants("bare") {
        let stats = bare_endpoint(args, shared).await?;
        eprintln!(
            "  {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
            stats.throughput_rps, stats.p50_ms, stats.p99_ms, stats.errors
        );
        bare = Some(Row::from_stats(&stats, "baseline"));
    }

    let mut pgbench_info = None;
    if args.wants("pgbench") {
        let (phase, info) = pgbench_phase(args).await?;
        phases.push(phase);
        pgbench_info = Some(info);
    }

    let mut saturation_rate = None;
    if args.wants("saturation") {
        let phase = saturation(args, shared, api).await?;
        saturation_rate = phase.rows.first().map(|r| r.throughput_rps);
        phases.push(phase);
    }

    if args.wants("open-loop") {
        let rates: Vec<f64> = if !args.open_loop_rates.is_empty() {
            args.open_loop_rates.clone()
        } else {
            let base = saturation_rate.context(
                "open-loop rates are shares of the saturation rate: run saturation too, or give \
                 --open-loop-rates",
            )?;
            args.open_loop_percent
                .iter()
                .map(|p| base * p / 100.0)
                .collect()
        };
        phases.extend(open_loop_phases(args, shared, api, &rates).await?);
    }

    let mut held = None;
    let mut staff_by_tenant = Vec::new();
    if args.wants("connections") {
        let (phase, verdict) = connections(args, shared, api, files).await?;
        phases.push(phase);
        held = Some(verdict);
        staff_by_tenant = shared.spread(args.connections as usize);
        staff_by_tenant.truncate(10);
    }

    if let Some(b) = &bare {
        for p in &mut phases {
            for r in p.rows.iter_mut().chain(p.requests.iter_mut()) {
                r.compare(b);
            }
        }
    }
    if let Some(b) = bare.as_mut() {
        let copy = b.clone();
        b.compare(&copy);
    }

    Ok(DayReport {
        benchmark: "working-day",
        unix_time: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        database: args.seeded.database.clone(),
        dataset: shared.seeded.clone(),
        tenants_used: shared.tenants.len(),
        staff_by_tenant,
        api: report::ApiInfo {
            url: api.base.clone(),
            started_here: args.api_url.is_none(),
            pool_size: args.pool_size,
            log_filter: if args.api_url.is_none() {
                args.crm_log.clone()
            } else {
                "unknown".into()
            },
            idle_rss_mib: idle_rss,
        },
        mix: report::mix_rows(),
        bare,
        phases,
        held,
        pgbench: pgbench_info,
    })
}

async fn pgbench_phase(args: &WorkingDay) -> anyhow::Result<(Phase, pgbench::Info)> {
    let concurrency = args.concurrency as usize;
    eprintln!(
        "pgbench -S: {} clients, {} s (+{} s warm-up)",
        concurrency, args.duration, args.warmup
    );
    let (stats, info) = pgbench::run(&pgbench::Bench {
        pg_addr: &args.seeded.pg_addr,
        database: &args.pgbench_database,
        scale: args.pgbench_scale,
        clients: concurrency,
        warmup: args.warmup,
        seconds: args.duration,
    })
    .await?;
    eprintln!(
        "  {:.0} tps, p50 {:.3} ms, p99 {:.3} ms",
        stats.throughput_rps, stats.p50_ms, stats.p99_ms
    );
    let phase = Phase {
        name: "pgbench -S".into(),
        description: format!(
            "{concurrency} clients, 2 threads, prepared statements, {} s; percentiles from the \
             per-transaction log. Postgres alone: no HTTP, no pool, no JSON.",
            args.duration
        ),
        rows: vec![Row::from_stats(&stats, "baseline")],
        requests: Vec::new(),
        errors: Vec::new(),
        memory: None,
    };
    Ok((phase, info))
}

async fn saturation(
    args: &WorkingDay,
    shared: &Arc<Shared>,
    api: &Server,
) -> anyhow::Result<Phase> {
    let concurrency = args.concurrency as usize;
    eprintln!(
        "saturation: {concurrency} staff without think time, {} s after the last arrives",
        args.duration
    );
    let sampler = Sampler::start(api.pid, api.port);
    let result = crowd::run(
        shared,
        &api.base,
        &crowd::Crowd {
            users: concurrency,
            increase_rate: SATURATION_ARRIVALS_PER_S,
            run_time: args.duration,
            think: None,
            seed: args.seed,
        },
    )
    .await?;
    let samples = sampler.finish().await;
    eprintln!("  {}", crowd::describe(&result));
    Ok(Phase {
        name: "saturation".into(),
        description: format!(
            "closed loop: {concurrency} staff (3 sales : 2 support), each on their own \
             connection, the next action as soon as the last one is answered; {:.1} s measured \
             from the last sign-in answered; arrivals {SATURATION_ARRIVALS_PER_S}/s.",
            result.seconds
        ),
        rows: result.actions,
        requests: result.requests,
        errors: result.errors,
        memory: memory(&samples),
    })
}

/// The bare axum + sqlx endpoint of `me-vs-bare` on the same database, as `crm_app`, with the
/// API's pool size: `GET /tenants/{id}` over the tenants at work.
async fn bare_endpoint(args: &WorkingDay, shared: &Shared) -> anyhow::Result<Stats> {
    let concurrency = args.concurrency as usize;
    let bare = setup::Bare::start(
        &seed::url(&args.seeded.pg_addr, "crm_app", &args.seeded.database),
        args.pool_size,
    )
    .await?;
    let urls = shared
        .tenants
        .iter()
        .map(|t| format!("http://{}/tenants/{}", bare.addr, t.id))
        .collect();
    let target = Target::many(
        "bare GET /tenants/{id} (one row by primary key)",
        urls,
        None,
    )?;
    let http = client::http_client(concurrency)?;
    let result = async {
        client::check(&http, &target)
            .await
            .context("the bare endpoint does not answer 200")?;
        eprintln!(
            "bare endpoint: {concurrency} workers, {} s (+{} s warm-up)",
            args.duration, args.warmup
        );
        let load = Load {
            concurrency,
            warmup: Duration::from_secs(args.warmup),
            duration: Duration::from_secs(args.duration),
            max_requests: 100_000_000,
        };
        let outcome = client::measure(&http, &target, &load).await;
        if let Some(e) = &outcome.first_error {
            eprintln!("  first error: {e}");
        }
        Ok(Stats::new(&target.name, outcome))
    }
    .await;
    bare.stop().await;
    result
}

async fn open_loop_phases(
    args: &WorkingDay,
    shared: &Arc<Shared>,
    api: &Server,
    rates: &[f64],
) -> anyhow::Result<Vec<Phase>> {
    let staff = args.open_loop_staff as usize;
    // A client of its own, dropped afterwards, so its idle connections do not count as the
    // connections phase's.
    let http = client::http_client(staff)?;
    eprintln!("open loop: signing {staff} staff in");
    let pool = Arc::new(open_loop::sign_in(shared, &http, &api.base, staff, args.seed).await?);
    let driver = open_loop::Driver {
        pool,
        shared: shared.clone(),
        http,
        base: api.base.clone(),
    };
    let mut out = Vec::new();
    for (i, rate) in rates.iter().enumerate() {
        let label = match args.open_loop_rates.is_empty() {
            true => format!(
                "open loop {:.0}%",
                args.open_loop_percent.get(i).copied().unwrap_or(0.0)
            ),
            false => format!("open loop {rate:.0}/s"),
        };
        eprintln!(
            "{label}: {rate:.1} actions/s, {} s (+{} s warm-up)",
            args.open_loop_duration, args.warmup
        );
        let sampler = Sampler::start(api.pid, api.port);
        let r = driver
            .run(
                *rate,
                Duration::from_secs(args.warmup),
                Duration::from_secs(args.open_loop_duration),
                args.seed + i as u64,
            )
            .await?;
        let samples = sampler.finish().await;
        eprintln!(
            "  {:.0} actions/s done, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, {} errors",
            r.all.throughput_rps, r.all.p50_ms, r.all.p95_ms, r.all.p99_ms, r.all.errors
        );
        let mut rows = vec![Row::from_stats(&r.all, "total")];
        rows.extend(
            r.by_action
                .iter()
                .filter(|s| s.ok + s.errors > 0)
                .map(|s| Row::from_stats(s, "action")),
        );
        out.push(Phase {
            name: label,
            description: format!(
                "open loop: Poisson arrivals at {:.1} actions/s ({} due in the measured {} s) \
                 of the working-day mix, served by {staff} signed-in staff, one action each at a \
                 time; latency from when each action was due (waiting for a free person \
                 included); at most {} in flight; the generator dispatched up to {:.1} ms late.",
                r.rate, r.arrivals, args.open_loop_duration, r.max_in_flight, r.max_dispatch_lag_ms
            ),
            rows,
            requests: Vec::new(),
            errors: r.errors,
            memory: memory(&samples),
        });
    }
    Ok(out)
}

async fn connections(
    args: &WorkingDay,
    shared: &Arc<Shared>,
    api: &Server,
    files: Option<u64>,
) -> anyhow::Result<(Phase, Held)> {
    let users = args.connections as usize;
    let (min, max) = args.think()?;
    eprintln!(
        "connections: {users} staff arriving {}/s, each on their own connection, thinking {}-{} s \
         between actions, held {} s",
        args.arrival_rate,
        min.as_secs(),
        max.as_secs(),
        args.hold
    );
    let sampler = Sampler::start(api.pid, api.port);
    let result = crowd::run(
        shared,
        &api.base,
        &crowd::Crowd {
            users,
            increase_rate: args.arrival_rate as usize,
            run_time: args.hold,
            think: Some((min, max)),
            seed: args.seed,
        },
    )
    .await?;
    let samples = sampler.finish().await;
    eprintln!("  {}", crowd::describe(&result));
    let steady: Vec<usize> = samples
        .iter()
        .filter(|s| {
            result
                .steady
                .is_some_and(|(from, to)| s.at >= from && s.at <= to)
        })
        .map(|s| s.connections)
        .collect();
    let errors = result.failures;
    let (lo, hi) = (
        steady.iter().copied().min().unwrap_or(0),
        steady.iter().copied().max().unwrap_or(0),
    );
    let held = Held {
        target: users,
        min_established: lo,
        max_established: hi,
        errors,
        open_file_limit: files,
        held: !steady.is_empty() && lo >= users && errors == 0,
    };
    eprintln!(
        "  established on :{}: {lo}–{hi} during the hold; {}",
        api.port,
        if held.held { "held" } else { "NOT held" }
    );
    let phase = Phase {
        name: format!("{users} connections"),
        description: format!(
            "closed loop with think time: {users} staff (3 sales : 2 support) arriving {}/s, each \
             signing in and then working on their own keep-alive connection with {}-{} s of \
             thought between actions; actions measured over the {:.1} s from the last sign-in \
             answered to the end (everyone at work), the arrivals' sign-ins over the time they \
             took; {lo}–{hi} connections established on the API's port meanwhile.",
            args.arrival_rate,
            min.as_secs(),
            max.as_secs(),
            result.seconds
        ),
        rows: result.actions,
        requests: result.requests,
        errors: result.errors,
        memory: memory(&samples),
    };
    Ok((phase, held))
}
