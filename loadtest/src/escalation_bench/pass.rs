//! One SLA escalation pass in a process of its own, so that its memory is the pass's: the
//! hidden `escalation-pass` subcommand builds the worker's context as `crm worker` does (a
//! `crm_app` pool of concurrency + 4 connections, the master keys, the Redis pool of job
//! notices) and runs `worker::run_job(&ctx, &Job::EscalateTickets)` once; it prints its timing
//! and memory (`VmRSS` before, `VmHWM` at the end, from `/proc/self/status`) as one JSON line.
//! The benchmark samples the child's `VmRSS` meanwhile and reads what the pass did from the
//! database: the actions it took (`ticket_escalations`) and the tickets it had to read.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::process::Command;

/// Most tickets a pass reads in one tenant (`services::sla_escalation::MOST_PER_PASS`).
const MOST_PER_TENANT: i64 = 10_000;

/// How a pass's child connects, as `crm worker` does.
#[derive(Args)]
pub struct WorkerArgs {
    /// The `crm_app` connection, as `crm worker`'s `DATABASE_URL`.
    #[arg(long)]
    database_url: String,
    #[arg(long)]
    redis_url: String,
    #[arg(long)]
    master_keys: String,
    /// Connections of the pool (`crm worker`: its concurrency, 4 by default, + 4).
    #[arg(long, default_value_t = 8)]
    pool_size: u32,
}

#[derive(Args)]
pub struct EscalationPass {
    #[command(flatten)]
    worker: WorkerArgs,
}

/// What the child says about its pass.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChildFigures {
    pub pass_seconds: f64,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub hwm_kib: u64,
}

/// A figure of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
pub fn status_kib(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

impl WorkerArgs {
    /// The worker's context as `crm worker` builds it, syncing calendars with `calendars`.
    pub async fn ctx(
        &self,
        calendars: Arc<worker::calendar_sync::CalendarSync>,
    ) -> anyhow::Result<worker::WorkerCtx> {
        let db = PgPoolOptions::new()
            .max_connections(self.pool_size)
            .connect(&self.database_url)
            .await
            .context("cannot connect to Postgres")?;
        Ok(worker::WorkerCtx {
            db,
            master_keys: db::crypto::MasterKeys::parse(&self.master_keys)?,
            redis: worker::notice_pool(&self.redis_url),
            ciphers: worker::cipher_cache(),
            metrics: Arc::new(worker::WorkerMetrics::new()?),
            providers: worker::real_providers(Default::default(), None)?,
            calendars,
            stopping: worker::never_stopping(),
        })
    }
}

/// Runs `job` once on `ctx`; prints its time and memory on stdout as one JSON line.
pub async fn run_timed(ctx: &worker::WorkerCtx, job: &worker::Job) -> anyhow::Result<()> {
    let rss_before_kib = status_kib("self", "VmRSS").unwrap_or(0);
    let started = Instant::now();
    worker::run_job(ctx, job).await?;
    let figures = ChildFigures {
        pass_seconds: started.elapsed().as_secs_f64(),
        rss_before_kib,
        rss_after_kib: status_kib("self", "VmRSS").unwrap_or(0),
        hwm_kib: status_kib("self", "VmHWM").unwrap_or(0),
    };
    println!("{}", serde_json::to_string(&figures)?);
    Ok(())
}

/// The child: one pass, its figures on stdout.
pub async fn run_child(args: EscalationPass) -> anyhow::Result<()> {
    let calendars = worker::calendar_sync::calendar_sync(Default::default())?;
    let ctx = args.worker.ctx(calendars).await?;
    run_timed(&ctx, &worker::Job::EscalateTickets).await
}

/// How the benchmark starts a pass.
pub struct Launch<'a> {
    pub bin: &'a Path,
    pub database_url: String,
    pub redis_url: String,
    pub master_keys: &'a str,
    pub pool_size: u32,
}

/// What was there for a pass to do when it started.
#[derive(Debug, Default, Serialize)]
pub struct Work {
    pub open_tickets: u64,
    /// Warning time within the next 4 hours or past (at most 10,000 a tenant): what it reads.
    pub to_read: u64,
    pub past_warning: u64,
    pub past_due: u64,
}

/// One pass, measured.
#[derive(Debug, Serialize)]
pub struct PassFigures {
    pub name: String,
    pub work: Work,
    /// `run_job` alone, timed in the child.
    pub pass_seconds: f64,
    /// From starting the child to its exit (connecting included).
    pub wall_seconds: f64,
    pub warned: u64,
    pub breached: u64,
    pub predicted: u64,
    /// `VmHWM` of the child at the end of the pass.
    pub peak_rss_mib: f64,
    /// The highest `VmRSS` read every 20 ms from outside.
    pub sampled_max_rss_mib: f64,
    /// `VmRSS` after connecting, before the pass.
    pub rss_before_mib: f64,
}

/// KiB in MiB.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// A child's pass, measured from outside.
#[derive(Debug)]
pub struct ChildRun {
    /// What the child said.
    pub figures: ChildFigures,
    /// From starting the child to its exit.
    pub wall_seconds: f64,
    /// The highest `VmRSS` read every 20 ms, in KiB.
    pub sampled_max_kib: u64,
}

impl Launch<'_> {
    /// Runs `subcommand` of this executable (a pass's child) with the worker's arguments and
    /// `extra`, reading its `VmRSS` every 20 ms until it exits; fails if the child does.
    pub async fn run(&self, subcommand: &str, extra: &[&str]) -> anyhow::Result<ChildRun> {
        let started = Instant::now();
        let child = Command::new(self.bin)
            .arg(subcommand)
            .args(["--database-url", &self.database_url])
            .args(["--redis-url", &self.redis_url])
            .args(["--master-keys", self.master_keys])
            .args(["--pool-size", &self.pool_size.to_string()])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", self.bin.display()))?;
        let pid = child.id().context("the pass exited at once")?.to_string();
        let output = tokio::spawn(child.wait_with_output());
        let mut sampled_max_kib = 0u64;
        while !output.is_finished() {
            sampled_max_kib = sampled_max_kib.max(status_kib(&pid, "VmRSS").unwrap_or(0));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let output = output.await??;
        let wall_seconds = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            output.status.success(),
            "the pass failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let figures = stdout
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str(l).ok())
            .with_context(|| format!("the pass printed no figures: {stdout}"))?;
        Ok(ChildRun {
            figures,
            wall_seconds,
            sampled_max_kib,
        })
    }
}

/// What there is to do now (read as `postgres`).
pub async fn work(pool: &PgPool) -> anyhow::Result<Work> {
    let (open, to_read, past_warning, past_due): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT
            (SELECT count(*) FROM tickets
              WHERE status IN ('new', 'open', 'pending_customer', 'on_hold')),
            (SELECT coalesce(sum(least(n, $1)), 0)::int8 FROM (
                SELECT count(*) AS n FROM tickets
                 WHERE next_warn_at <= now() + interval '4 hours' GROUP BY tenant_id) s),
            (SELECT count(*) FROM tickets WHERE next_warn_at <= now()),
            (SELECT count(*) FROM tickets WHERE next_due_at <= now())",
    )
    .bind(MOST_PER_TENANT)
    .fetch_one(pool)
    .await?;
    Ok(Work {
        open_tickets: open as u64,
        to_read: to_read as u64,
        past_warning: past_warning as u64,
        past_due: past_due as u64,
    })
}

/// Runs one pass in a child process and measures it.
pub async fn measure(
    pool: &PgPool,
    launch: &Launch<'_>,
    name: &str,
) -> anyhow::Result<PassFigures> {
    let work = work(pool).await?;
    let since: DateTime<Utc> = sqlx::query_scalar("SELECT now()").fetch_one(pool).await?;
    let run = launch.run("escalation-pass", &[]).await?;
    let (warned, breached, predicted) = actions_since(pool, since).await?;
    Ok(PassFigures {
        name: name.to_owned(),
        work,
        pass_seconds: run.figures.pass_seconds,
        wall_seconds: run.wall_seconds,
        warned,
        breached,
        predicted,
        peak_rss_mib: mib(run.figures.hwm_kib),
        sampled_max_rss_mib: mib(run.sampled_max_kib),
        rss_before_mib: mib(run.figures.rss_before_kib),
    })
}

/// The escalation actions taken since `since` (each counted once by the pass that took it).
async fn actions_since(pool: &PgPool, since: DateTime<Utc>) -> anyhow::Result<(u64, u64, u64)> {
    let (w, b, p): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE action = 'warned'),
                count(*) FILTER (WHERE action = 'breached'),
                count(*) FILTER (WHERE action = 'predicted')
           FROM ticket_escalations WHERE taken_at >= $1",
    )
    .bind(since)
    .fetch_one(pool)
    .await?;
    Ok((w as u64, b as u64, p as u64))
}

/// Tenants with tickets the pass had to read but none of which got a breach estimate: a
/// tenant whose pass failed (the worker logs it and goes on). Meaningful after the first pass
/// over freshly written tickets, which have no estimate yet.
pub async fn tenants_without_estimates(pool: &PgPool) -> anyhow::Result<u64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (
            SELECT tenant_id FROM tickets
             WHERE next_warn_at <= now() + interval '4 hours' AND next_due_at > now()
             GROUP BY tenant_id HAVING count(breach_risk) = 0) s",
    )
    .fetch_one(pool)
    .await?;
    Ok(n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_memory() {
        let rss = status_kib("self", "VmRSS").unwrap_or(0);
        let hwm = status_kib("self", "VmHWM").unwrap_or(0);
        assert!(rss > 0 && hwm >= rss, "{rss} {hwm}");
        assert_eq!(status_kib("self", "NoSuchField"), None);
    }
}
