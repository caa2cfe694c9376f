//! `escalation-bench`: the SLA escalation pass over 1,000,000 open tickets of 1,000 tenants
//! (defaults) in the `seed-large` database, against the goal "under 10 s and under 200 MB of
//! worker memory, without locking out API writes to tickets". Writes the data (`data`, `plan`),
//! runs API-like ticket writes at a fixed rate (`writes`), and meanwhile two passes, each in a
//! process of its own (`pass`): the first catches up on an hour of warnings, the second is the
//! pass of the minute after, with nothing new to do. See README.md.

mod data;
pub mod pass;
mod plan;
mod writes;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;

use crate::report::{self, Stats};
use crate::seed;
pub use pass::{EscalationPass, run_child};

/// The goals of the issue: seconds per pass, and megabytes (10^6 bytes) of worker memory.
const GOAL_SECONDS: f64 = 10.0;
const GOAL_MB: f64 = 200.0;
const MB_PER_MIB: f64 = 1.048_576;
/// Writes before their baseline is measured.
const WARM_UP: Duration = Duration::from_secs(2);

#[derive(Args)]
pub struct EscalationBench {
    #[command(flatten)]
    seeded: seed::Seeded,
    /// Tenants with tickets: the first by slug that have clients.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    tenants: u32,
    /// Open tickets per tenant.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    tickets_per_tenant: u32,
    /// Share of the tickets whose warning time is within the next 4 hours or past (from an hour
    /// ago): what a pass reads.
    #[arg(long, default_value_t = 0.05)]
    due_share: f64,
    /// Write the tickets again even when those of an earlier run are fresh and untouched.
    #[arg(long)]
    reset: bool,
    /// API-like ticket writes per second during the passes.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=2_000))]
    write_rate: u32,
    /// Postgres connections of those writes.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=80))]
    write_connections: u32,
    /// Seconds of writes alone before the first pass, their baseline.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600))]
    baseline: u64,
    /// Connections of the pass's pool (`crm worker`: concurrency 4 + 4).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=80))]
    pool_size: u32,
    /// Seed of the tickets' plan and of the writes' choices.
    #[arg(long, default_value_t = 17)]
    seed: u64,
    /// Directory that receives escalation-bench.json and escalation-bench.md.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results/escalation-bench"))]
    out: PathBuf,
}

#[derive(Debug, Serialize)]
struct Goals {
    pass_seconds: f64,
    worker_mb: f64,
    /// Per pass, in order: under both.
    passes_within: Vec<bool>,
    writes_failed: u64,
}

/// Whether a pass is under the time and the memory of the goal.
fn within(p: &pass::PassFigures) -> bool {
    p.pass_seconds < GOAL_SECONDS && p.peak_rss_mib * MB_PER_MIB < GOAL_MB
}

#[derive(Debug, Serialize)]
struct EscalationReport {
    benchmark: &'static str,
    unix_time: u64,
    cpus: usize,
    database: String,
    tenants_in_database: u64,
    data: data::Prepared,
    due_share: f64,
    write_rate: u32,
    passes: Vec<pass::PassFigures>,
    /// Tenants whose first pass stored no estimate (a failed tenant).
    tenants_without_estimates: u64,
    writes: Vec<Stats>,
    first_write_error: Option<String>,
    goals: Goals,
}

pub async fn run(args: EscalationBench) -> anyhow::Result<()> {
    args.seeded.ensure_local()?;
    seed::check_database_name(&args.seeded.database)?;
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.due_share),
        "--due-share is a share, 0-1"
    );
    let bin = std::env::current_exe().context("cannot find this executable")?;
    let (check, _) = seed::open_seeded(&args.seeded.pg_addr, &args.seeded.database).await?;
    check.close().await;
    let admin_url = seed::url(&args.seeded.pg_addr, "postgres", &args.seeded.database);
    let admin = PgPoolOptions::new()
        .max_connections(2)
        .connect(&admin_url)
        .await?;
    db::migrate::run(&admin, &worker::queue::migrations())
        .await
        .context("migrations failed")?;
    eprintln!("data in {}", args.seeded.database);
    let wanted = data::Wanted {
        tenants: args.tenants,
        per_tenant: args.tickets_per_tenant,
        due_share: args.due_share,
        seed: args.seed,
    };
    let prepared = data::prepare(&admin, &admin_url, wanted, args.reset).await?;
    let app_url = seed::url(&args.seeded.pg_addr, "crm_app", &args.seeded.database);
    let app = PgPoolOptions::new()
        .max_connections(args.write_connections)
        .connect(&app_url)
        .await?;
    let targets = writes::targets(&admin).await?;
    let launch = pass::Launch {
        bin: &bin,
        database_url: app_url,
        redis_url: format!("redis://{}", args.seeded.redis_addr),
        master_keys: &args.seeded.master_keys,
        pool_size: args.pool_size,
    };
    data::mark_touched(&admin).await?;

    eprintln!(
        "writes: {}/s over {} tickets; {} s alone first",
        args.write_rate,
        targets.len(),
        args.baseline
    );
    let running = writes::Writes::start(app.clone(), targets, args.write_rate, args.seed);
    // The pool's connections are opened by the first writes: not part of the baseline.
    tokio::time::sleep(WARM_UP).await;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.baseline)).await;
    let mut windows = vec![("writes alone".to_owned(), started, Instant::now())];
    let mut passes = Vec::new();
    let mut without_estimates = 0;
    for (i, name) in [
        "first pass (an hour of catching up)",
        "second pass (steady)",
    ]
    .into_iter()
    .enumerate()
    {
        eprintln!("{name}");
        let from = Instant::now();
        let figures = pass::measure(&admin, &launch, name).await;
        windows.push((format!("during the {name}"), from, Instant::now()));
        let figures = match figures {
            Ok(f) => f,
            Err(e) => {
                running.finish().await;
                return Err(e);
            }
        };
        eprintln!(
            "  {:.2} s (wall {:.2} s), read {}, warned {}, breached {}, predicted {}, \
             VmHWM {:.1} MiB",
            figures.pass_seconds,
            figures.wall_seconds,
            figures.work.to_read,
            figures.warned,
            figures.breached,
            figures.predicted,
            figures.peak_rss_mib
        );
        if i == 0 {
            without_estimates = pass::tenants_without_estimates(&admin).await?;
        }
        passes.push(figures);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let done = running.finish().await;
    app.close().await;
    let tenants_in_database: i64 = sqlx::query_scalar("SELECT count(*) FROM tenants")
        .fetch_one(&admin)
        .await?;
    admin.close().await;

    let mut stats = Vec::new();
    for (name, from, to) in &windows {
        stats.push(writes::stats(name, &done, *from, *to, false));
        if name != "writes alone" {
            let read = format!("{name}, on tickets it reads");
            stats.push(writes::stats(&read, &done, *from, *to, true));
        }
    }
    let writes_failed = stats.iter().map(|s| s.errors).sum::<u64>();
    let report = EscalationReport {
        benchmark: "escalation-bench",
        unix_time: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        database: args.seeded.database.clone(),
        tenants_in_database: tenants_in_database as u64,
        data: prepared,
        due_share: args.due_share,
        write_rate: args.write_rate,
        goals: Goals {
            pass_seconds: GOAL_SECONDS,
            worker_mb: GOAL_MB,
            passes_within: passes.iter().map(within).collect(),
            writes_failed,
        },
        passes,
        tenants_without_estimates: without_estimates,
        first_write_error: writes::first_error(&done),
        writes: stats,
    };
    let md = markdown(&report);
    print!("{md}");
    let (json, md_path) = report::write_pair(&args.out, "escalation-bench", &report, &md)?;
    eprintln!("wrote {} and {}", json.display(), md_path.display());
    Ok(())
}

fn markdown(r: &EscalationReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## escalation-bench\n");
    let _ = writeln!(
        s,
        "{} open benchmark tickets in {} tenants ({} tenants in `{}`; data {}: written in \
         {:.1} s, VACUUM {:.1} s), a 24/7 category each, {:.1} % of the tickets with their \
         warning time between an hour ago and 4 hours from now (what a pass reads; the others \
         warn later, up to 5.6 days). Each pass runs in a process of its own \
         (`loadtest escalation-pass`: the worker's context as `crm worker` builds it, then \
         `worker::run_job(EscalateTickets)`); what it did is read from `ticket_escalations`. \
         {} CPUs shared by the pass, the writes, Postgres and Redis.\n",
        r.data.tickets,
        r.data.tenants,
        r.tenants_in_database,
        r.database,
        r.data.action,
        r.data.write_seconds,
        r.data.vacuum_seconds,
        r.due_share * 100.0,
        r.cpus
    );
    let _ = writeln!(
        s,
        "| pass | seconds | wall s | open tickets | read (warning ≤ now + 4 h) | past warning | \
         past due | warned | breached | predicted | VmHWM MiB | RSS before MiB |"
    );
    let _ = writeln!(
        s,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for p in &r.passes {
        let _ = writeln!(
            s,
            "| {} | {:.2} | {:.2} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {:.1} |",
            p.name,
            p.pass_seconds,
            p.wall_seconds,
            p.work.open_tickets,
            p.work.to_read,
            p.work.past_warning,
            p.work.past_due,
            p.warned,
            p.breached,
            p.predicted,
            p.peak_rss_mib,
            p.rss_before_mib
        );
    }
    let _ = writeln!(
        s,
        "\nTenants whose first pass stored no breach estimate (failed): {}.\n",
        r.tenants_without_estimates
    );
    let _ = writeln!(
        s,
        "Ticket writes ({}/s, open loop, `services::tickets::update` as `crm_app`, latency from \
         when each was due):\n",
        r.write_rate
    );
    let _ = writeln!(
        s,
        "| window | writes | errors | p50 ms | p95 ms | p99 ms | max ms |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
    for w in &r.writes {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            w.endpoint, w.ok, w.errors, w.p50_ms, w.p95_ms, w.p99_ms, w.max_ms
        );
    }
    if let Some(e) = &r.first_write_error {
        let _ = writeln!(s, "\nFirst write error: {e}");
    }
    let _ = writeln!(
        s,
        "\nGoal, under {:.0} s and {:.0} MB of worker memory: {}; writes failed: {}.",
        r.goals.pass_seconds,
        r.goals.worker_mb,
        r.passes
            .iter()
            .zip(&r.goals.passes_within)
            .map(|(p, ok)| format!("{} **{}**", p.name, if *ok { "met" } else { "not met" }))
            .collect::<Vec<_>>()
            .join(", "),
        r.goals.writes_failed
    );
    s
}
