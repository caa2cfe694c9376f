//! The worker's calendar sync passes, each in a process of its own as `escalation-bench` runs
//! its passes (the hidden `calendar-sync-pass` subcommand: the worker's context as `crm worker`
//! builds it, Google registered with the fake's address, then `worker::run_job(SyncCalendars)`
//! once). A phase makes some connections due and runs passes until none is (a pass takes at
//! most 500 connections of a tenant); what they did is read from the connections and from
//! what the fake served.

use chrono::{DateTime, Utc};
use clap::Args;
use serde::Serialize;
use services::calendar::providers::{CalendarProviders, Registration};
use sqlx::PgPool;
use uuid::Uuid;

use super::fake_google::{FakeGoogle, Served};
use crate::escalation_bench::pass::{self, Launch, WorkerArgs};

/// Passes a phase may take before it is judged stuck.
const MOST_PASSES: usize = 20;

/// The child: one calendar sync pass against the fake.
#[derive(Args)]
pub struct CalendarSyncPass {
    #[command(flatten)]
    worker: WorkerArgs,
    /// The fake Google Calendar API (its calendar API and its OAuth token endpoint).
    #[arg(long)]
    google_base_url: String,
}

/// The providers of the child: Google alone, at the fake.
fn fake_providers(base: &str) -> CalendarProviders {
    let mut google = Registration::google("loadtest".into(), "loadtest-secret".into());
    google.api_base_url = base.to_owned();
    google.oauth.token_url = format!("{base}/token");
    google.oauth.revoke_url = None;
    CalendarProviders {
        google: Some(google),
        microsoft: None,
        notices_base: None,
    }
}

/// Runs the child's pass; its figures go to stdout.
pub async fn run_child(args: CalendarSyncPass) -> anyhow::Result<()> {
    let calendars = worker::calendar_sync::calendar_sync(fake_providers(&args.google_base_url))?;
    let ctx = args.worker.ctx(calendars).await?;
    pass::run_timed(&ctx, &worker::Job::SyncCalendars).await
}

/// One pass, measured.
#[derive(Debug, Serialize)]
pub struct PassFigures {
    /// Connections due when it started.
    pub due: u64,
    /// `run_job` alone, timed in the child.
    pub pass_seconds: f64,
    /// From starting the child to its exit (connecting included).
    pub wall_seconds: f64,
    /// `VmHWM` of the child at the end of the pass.
    pub peak_rss_mib: f64,
    /// The highest `VmRSS` read every 20 ms from outside.
    pub sampled_max_rss_mib: f64,
    /// `VmRSS` after connecting, before the pass.
    pub rss_before_mib: f64,
}

/// The connections' totals, as `postgres`.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    changes_in: i64,
    changes_out: i64,
    set_aside: i64,
}

/// One phase: its passes and what they did together.
#[derive(Debug, Serialize)]
pub struct PhaseFigures {
    pub name: String,
    /// Connections made due.
    pub connections: u64,
    /// Of them, synced without error.
    pub synced: u64,
    pub passes: Vec<PassFigures>,
    pub pass_seconds: f64,
    pub wall_seconds: f64,
    /// Events applied to the CRM (activities moved), and activities sent to the calendars.
    pub changes_in: i64,
    pub changes_out: i64,
    /// Events the runs set aside (unreadable or refused).
    pub set_aside: i64,
    pub served: Served,
    pub changes_per_second: f64,
    pub events_per_second: f64,
    /// The highest of the passes' `VmHWM`.
    pub peak_rss_mib: f64,
    /// The error of a connection whose run failed, if any.
    pub first_error: Option<String>,
}

/// Makes the connections of `users` due (all with `None`); `full`: their next read is a full
/// one (no cursor).
pub async fn make_due(pool: &PgPool, users: Option<&[Uuid]>, full: bool) -> anyhow::Result<u64> {
    let done = sqlx::query(
        "UPDATE calendar_connections
            SET next_sync_at = now() - interval '1 second',
                sync_cursor = CASE WHEN $2 THEN NULL ELSE sync_cursor END
          WHERE $1::uuid[] IS NULL OR user_id = ANY ($1)",
    )
    .bind(users)
    .bind(full)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

async fn due_now(pool: &PgPool) -> anyhow::Result<u64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM calendar_connections
          WHERE status = 'active' AND next_sync_at <= now()",
    )
    .fetch_one(pool)
    .await?;
    Ok(n as u64)
}

async fn totals(pool: &PgPool) -> anyhow::Result<Totals> {
    let (changes_in, changes_out, set_aside): (i64, i64, i64) = sqlx::query_as(
        "SELECT coalesce(sum(changes_in), 0)::int8, coalesce(sum(changes_out), 0)::int8,
                (SELECT count(*) FROM calendar_events_set_aside)
           FROM calendar_connections",
    )
    .fetch_one(pool)
    .await?;
    Ok(Totals {
        changes_in,
        changes_out,
        set_aside,
    })
}

/// Connections synced without error since `since`, and the first error of any run since.
async fn synced_since(
    pool: &PgPool,
    since: DateTime<Utc>,
) -> anyhow::Result<(u64, Option<String>)> {
    let (ok, error): (i64, Option<String>) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE last_success_at >= $1 AND last_error IS NULL
                                   AND status = 'active'),
                min(last_error) FILTER (WHERE last_sync_at >= $1)
           FROM calendar_connections",
    )
    .bind(since)
    .fetch_one(pool)
    .await?;
    Ok((ok as u64, error))
}

/// One pass over the `due` connections.
async fn one_pass(launch: &Launch<'_>, fake: &FakeGoogle, due: u64) -> anyhow::Result<PassFigures> {
    let run = launch
        .run("calendar-sync-pass", &["--google-base-url", &fake.base_url])
        .await?;
    let figures = PassFigures {
        due,
        pass_seconds: run.figures.pass_seconds,
        wall_seconds: run.wall_seconds,
        peak_rss_mib: pass::mib(run.figures.hwm_kib),
        sampled_max_rss_mib: pass::mib(run.sampled_max_kib),
        rss_before_mib: pass::mib(run.figures.rss_before_kib),
    };
    eprintln!(
        "  pass over {due} due connections: {:.2} s (wall {:.2} s), VmHWM {:.1} MiB",
        figures.pass_seconds, figures.wall_seconds, figures.peak_rss_mib
    );
    Ok(figures)
}

/// Runs passes until no connection is due; `connections` were made due for it.
pub async fn run(
    pool: &PgPool,
    launch: &Launch<'_>,
    fake: &FakeGoogle,
    name: &str,
    connections: u64,
) -> anyhow::Result<PhaseFigures> {
    eprintln!("{name}: {connections} connections due");
    let since: DateTime<Utc> = sqlx::query_scalar("SELECT now()").fetch_one(pool).await?;
    let (before, served_before) = (totals(pool).await?, fake.served());
    let mut passes = Vec::new();
    loop {
        let due = due_now(pool).await?;
        if due == 0 {
            break;
        }
        anyhow::ensure!(
            passes.len() < MOST_PASSES,
            "{due} connections still due after {MOST_PASSES} passes"
        );
        passes.push(one_pass(launch, fake, due).await?);
    }
    let (after, served) = (totals(pool).await?, fake.served().since(served_before));
    let (synced, first_error) = synced_since(pool, since).await?;
    let pass_seconds: f64 = passes.iter().map(|p| p.pass_seconds).sum();
    let per_second = |n: f64| {
        if pass_seconds > 0.0 {
            n / pass_seconds
        } else {
            0.0
        }
    };
    let changes_in = after.changes_in - before.changes_in;
    Ok(PhaseFigures {
        name: name.to_owned(),
        connections,
        synced,
        wall_seconds: passes.iter().map(|p| p.wall_seconds).sum(),
        peak_rss_mib: passes.iter().map(|p| p.peak_rss_mib).fold(0.0, f64::max),
        passes,
        pass_seconds,
        changes_in,
        changes_out: after.changes_out - before.changes_out,
        set_aside: after.set_aside,
        changes_per_second: per_second(changes_in as f64),
        events_per_second: per_second(served.events() as f64),
        served,
        first_error,
    })
}
