//! `loadtest`: closed-loop HTTP load against the CRM API on this machine (see README.md).

mod bench;
mod board_bench;
mod calendar_bench;
mod calendar_sync_bench;
mod client;
mod copyfmt;
mod day;
mod deliver_bench;
mod escalation_bench;
mod explain;
mod names;
mod proposal_bench;
mod report;
mod rolling;
mod searchdb;
mod seed;
mod setup;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use client::Target;
use report::{Report, Stats};

#[derive(Parser)]
#[command(about = "Closed-loop HTTP load tests and large data sets on 127.0.0.1")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// GET /api/v1/me through the real API versus a bare axum + sqlx one-row endpoint.
    MeVsBare(MeVsBare),
    /// Fills a database with 1,000 tenants, 1,000,000 clients and 10,000,000 timeline events
    /// (defaults) through COPY.
    SeedLarge(seed::SeedLarge),
    /// Client list, search, detail, timeline and KPIs of the big seeded tenant under load, and
    /// EXPLAIN of their SQL.
    ClientsBench(bench::ClientsBench),
    /// A working day of sales and support staff of many tenants (goose), with the bare-endpoint
    /// and pgbench baselines, open-loop rates and 1,000 concurrent connections.
    WorkingDay(day::WorkingDay),
    /// Load through the load balancer of rolling-restart.sh while it restarts every process,
    /// then checks that no request failed and no job was lost or run twice.
    RollingRestart(rolling::RollingRestart),
    /// Typo search in the database alone: how many one-typo words find their client, and how
    /// long each call to client_search_ids takes.
    SearchInDb(searchdb::SearchInDb),
    /// The SLA escalation pass over 1,000,000 open tickets of 1,000 tenants (in the seed-large
    /// database): its time and memory, and ticket writes meanwhile.
    EscalationBench(escalation_bench::EscalationBench),
    /// Messages one worker delivers per second to a local fake provider, and their queue
    /// latency at an offered load.
    DeliverBench(deliver_bench::DeliverBench),
    /// The pipeline's board and card moves of 50 people on one pipeline of 5,000 open
    /// opportunities, against `crm serve` on a scratch database.
    BoardBench(board_bench::BoardBench),
    /// A busy user's month of the calendar read by 4 people at once, then by 16, over years
    /// of activities of a tenant's 51 users, against `crm serve` on a scratch database.
    CalendarBench(calendar_bench::CalendarBench),
    /// Proposals of 20 lines drafted, their PDF rendered and sent by 50 salespeople, against
    /// `crm serve` on a scratch database.
    ProposalBench(proposal_bench::ProposalBench),
    /// The worker's calendar sync pass over 1,000 connected users' calendars of 10,000 events
    /// on a fake Google Calendar API: changes applied per second and the worker's memory, on a
    /// scratch database.
    CalendarSyncBench(calendar_sync_bench::CalendarSyncBench),
    /// One SLA escalation pass as `crm worker` runs it, in this process (escalation-bench's
    /// child, so its memory is the pass's).
    #[command(hide = true)]
    EscalationPass(escalation_bench::EscalationPass),
    /// One calendar sync pass as `crm worker` runs it, against calendar-sync-bench's fake, in
    /// this process (calendar-sync-bench's child).
    #[command(hide = true)]
    CalendarSyncPass(calendar_sync_bench::CalendarSyncPass),
}

#[derive(Args)]
struct MeVsBare {
    /// Measured seconds per endpoint.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    duration: u64,
    /// Unmeasured seconds per endpoint before measuring.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=60))]
    warmup: u64,
    /// Concurrent closed-loop workers (each keeps one request in flight).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=1024))]
    concurrency: u64,
    /// Postgres connections of each server (the API's and the bare endpoint's).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=80))]
    pool_size: u32,
    /// Upper bound on requests per phase, whatever the duration.
    #[arg(long, default_value_t = 5_000_000)]
    max_requests: u64,
    /// Directory that receives me-vs-bare.json and me-vs-bare.md.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results"))]
    out: PathBuf,
    /// Postgres on this machine (superuser `postgres`, trust auth).
    #[arg(long, default_value = "127.0.0.1:5432")]
    pg_addr: String,
    /// Redis on this machine.
    #[arg(long, default_value = "127.0.0.1:6379")]
    redis_addr: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::MeVsBare(args) => me_vs_bare(args).await,
        Command::SeedLarge(args) => seed::run(args).await,
        Command::ClientsBench(args) => bench::run(args).await,
        Command::WorkingDay(args) => day::run(args).await,
        Command::RollingRestart(args) => rolling::run(args).await,
        Command::SearchInDb(args) => searchdb::run(args).await,
        Command::EscalationBench(args) => escalation_bench::run(args).await,
        Command::EscalationPass(args) => escalation_bench::run_child(args).await,
        Command::DeliverBench(args) => deliver_bench::run(args).await,
        Command::BoardBench(args) => board_bench::run(args).await,
        Command::CalendarBench(args) => calendar_bench::run(args).await,
        Command::ProposalBench(args) => proposal_bench::run(args).await,
        Command::CalendarSyncBench(args) => calendar_sync_bench::run(args).await,
        Command::CalendarSyncPass(args) => calendar_sync_bench::run_child(args).await,
    }
}

fn ensure_local(addr: &str, what: &str) -> anyhow::Result<()> {
    let host = addr.rsplit_once(':').map_or(addr, |(host, _)| host);
    anyhow::ensure!(
        matches!(host, "127.0.0.1" | "localhost"),
        "{what} must be on 127.0.0.1, got {addr}"
    );
    Ok(())
}

/// Sets up a scratch database, runs the comparison, and drops the database whatever happened.
async fn me_vs_bare(args: MeVsBare) -> anyhow::Result<()> {
    let bench = setup::Bench::new("me-vs-bare", &args.pg_addr, &args.redis_addr, &args.out)?;
    let on_scratch = async |s: &setup::Scratch| compare(s, &args).await;
    bench.run(on_scratch, report::markdown).await
}

async fn compare(scratch: &setup::Scratch, args: &MeVsBare) -> anyhow::Result<Report> {
    let owner = scratch.provision_tenant().await?;
    let redis_url = format!("redis://{}", args.redis_addr);
    let servers = setup::Servers::start(scratch, &redis_url, args.pool_size).await?;
    let http = client::http_client(args.concurrency as usize)?;
    let token = servers.login(&http).await?;

    let me = Target::new(
        "GET /api/v1/me",
        format!("http://{}/api/v1/me", servers.api),
        Some(&token),
    )?;
    let bare = Target::new(
        "bare GET /tenants/{id}",
        format!("http://{}/tenants/{}", servers.bare, owner.tenant),
        None,
    )?;
    let load = client::Load {
        concurrency: args.concurrency as usize,
        warmup: Duration::from_secs(args.warmup),
        duration: Duration::from_secs(args.duration),
        max_requests: args.max_requests,
    };
    let mut results = Vec::new();
    for target in [&me, &bare] {
        client::check(&http, target)
            .await
            .with_context(|| format!("{} does not answer 200", target.name))?;
        eprintln!(
            "{}: {} s warm-up, {} s measured, {} workers",
            target.name, args.warmup, args.duration, args.concurrency
        );
        let outcome = client::measure(&http, target, &load).await;
        if let Some(e) = &outcome.first_error {
            eprintln!("  first error: {e}");
        }
        results.push(Stats::new(&target.name, outcome));
    }
    drop(http);
    servers.stop().await;

    let bare = results.pop().context("bare result")?;
    let me = results.pop().context("me result")?;
    Ok(Report::new(
        args.concurrency,
        args.warmup,
        args.duration,
        args.pool_size,
        me,
        bare,
    ))
}
