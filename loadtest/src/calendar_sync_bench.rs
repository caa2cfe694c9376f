//! `calendar-sync-bench`: the worker's calendar sync pass, against the goal "incremental sync
//! of 1,000 connected users with 10,000 events each against the fakes (changes per second,
//! worker memory)". On a scratch database, users spread over a few tenants, each with a
//! connected Google calendar and planned activities already on it (`connected`); a fake
//! Google Calendar API in this process makes every calendar up from the same numbers
//! (`agenda`, `fake_google`). Each pass runs in a process of its own, as `escalation-bench`
//! runs its passes, so that its memory is the worker's (`phase`). Optionally first the full
//! read of a subset of the calendars (`--full`), then the incremental pass over all of them;
//! after each, what the runs did is checked against what the fake showed. See README.md.

mod agenda;
mod connected;
mod fake_google;
mod phase;

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use serde::Serialize;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::escalation_bench::pass::Launch;
use crate::report;
use crate::setup::{Scratch, ScratchPlace};
use agenda::Agenda;
use fake_google::FakeGoogle;
use phase::PhaseFigures;
pub use phase::{CalendarSyncPass, run_child};

#[derive(Args)]
pub struct CalendarSyncBench {
    /// Users with a connected Google calendar.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    users: u32,
    /// Tenants the users are spread over (a pass syncs 4 tenants at once, 500 connections of
    /// each at most).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    tenants: u32,
    /// Events of each calendar in a full read.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    events: u32,
    /// Planned activities of each user, already on the user's calendar.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    linked: u32,
    /// Events of each incremental read: half of them activities moved an hour in the
    /// calendar, the rest new private events.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    changed: u32,
    /// First the full read of `--full-users` calendars (no sync cursor), measured apart.
    #[arg(long)]
    full: bool,
    /// Calendars read in full with `--full`.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    full_users: u32,
    /// Connections of the pass's pool (`crm worker`: concurrency 4 + 4).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=80))]
    pool_size: u32,
    /// Postgres, Redis (the worker's job notices) and the master keys.
    #[command(flatten)]
    place: ScratchPlace,
    /// Directory that receives calendar-sync-bench.json and calendar-sync-bench.md.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results/calendar-sync-bench"))]
    out: PathBuf,
}

#[derive(Debug, Serialize)]
struct CalendarSyncReport {
    benchmark: &'static str,
    unix_time: u64,
    cpus: usize,
    agenda: Agenda,
    /// Activities each incremental read moves, per user.
    moved_per_user: u32,
    /// Calendars read in full first, if any.
    full_users: Option<u32>,
    pool_size: u32,
    seeded: connected::Seeded,
    phases: Vec<PhaseFigures>,
    /// What was checked after each phase (all held, or the benchmark failed).
    checks: Vec<String>,
}

pub async fn run(args: CalendarSyncBench) -> anyhow::Result<()> {
    let bench = args.place.bench("calendar-sync-bench", &args.out)?;
    let on_scratch = async |s: &Scratch| measure(s, &args).await;
    bench.run(on_scratch, markdown).await
}

async fn measure(
    scratch: &Scratch,
    args: &CalendarSyncBench,
) -> anyhow::Result<CalendarSyncReport> {
    let master = db::crypto::MasterKeys::parse(&args.place.master_keys)?;
    let agenda = Agenda::new(args.events, args.linked, args.changed, Utc::now());
    let admin = PgPoolOptions::new()
        .max_connections(2)
        .connect(&scratch.owner_url())
        .await?;
    eprintln!(
        "seeding {} users over {} tenants, {} activities each",
        args.users, args.tenants, args.linked
    );
    let seeded =
        connected::seed(scratch, &admin, &agenda, args.users, args.tenants, &master).await?;
    eprintln!("  seeded in {:.1} s", seeded.seconds);
    let fake = FakeGoogle::start(agenda).await?;
    let outcome = phases(args, scratch, &admin, &fake, &agenda).await;
    fake.stop().await;
    admin.close().await;
    let (phases, checks) = outcome?;
    Ok(CalendarSyncReport {
        benchmark: "calendar-sync-bench",
        unix_time: report::unix_time(),
        cpus: report::cpus(),
        agenda,
        moved_per_user: agenda.moved(),
        full_users: args.full.then_some(args.full_users.min(args.users)),
        pool_size: args.pool_size,
        seeded,
        phases,
        checks,
    })
}

/// The full read (with `--full`), then the incremental pass, each checked.
async fn phases(
    args: &CalendarSyncBench,
    scratch: &Scratch,
    admin: &PgPool,
    fake: &FakeGoogle,
    agenda: &Agenda,
) -> anyhow::Result<(Vec<PhaseFigures>, Vec<String>)> {
    let bin = std::env::current_exe().context("cannot find this executable")?;
    let launch = Launch {
        bin: &bin,
        database_url: scratch.app_url(),
        redis_url: args.place.redis_url(),
        master_keys: &args.place.master_keys,
        pool_size: args.pool_size,
    };
    let mut figures = Vec::new();
    let mut checks = Vec::new();
    if args.full {
        let users: Vec<_> = (0..args.full_users.min(args.users))
            .map(agenda::user_id)
            .collect();
        let due = phase::make_due(admin, Some(&users), true).await?;
        let name = format!("full read of {due} calendars");
        let full = phase::run(admin, &launch, fake, &name, due).await?;
        checks.extend(check_full(&full, agenda)?);
        figures.push(full);
    }
    let due = phase::make_due(admin, None, false).await?;
    let name = format!("incremental sync of {due} calendars");
    let incremental = phase::run(admin, &launch, fake, &name, due).await?;
    checks.extend(check_incremental(admin, &incremental, agenda).await?);
    figures.push(incremental);
    Ok((figures, checks))
}

/// Fails unless `got` (of `what`, in phase `p`) is `expected`.
fn expect(p: &PhaseFigures, what: &str, got: u64, expected: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        got == expected,
        "{}: {what}: {got}, {expected} expected (a run's error: {:?})",
        p.name,
        p.first_error
    );
    Ok(())
}

/// What every phase must have done: every connection synced, nothing set aside or refused,
/// every event written counted as a change out.
fn check_phase(p: &PhaseFigures) -> anyhow::Result<String> {
    expect(
        p,
        "connections synced without error",
        p.synced,
        p.connections,
    )?;
    expect(p, "events set aside", p.set_aside as u64, 0)?;
    expect(p, "calls refused by the fake", p.served.refused, 0)?;
    expect(p, "changes out", p.changes_out as u64, p.served.writes)?;
    Ok(format!(
        "{}: {} of {} connections synced without error; no event set aside; no call refused",
        p.name, p.synced, p.connections
    ))
}

fn check_full(p: &PhaseFigures, agenda: &Agenda) -> anyhow::Result<Vec<String>> {
    let synced = check_phase(p)?;
    let expected = p.connections * u64::from(agenda.events);
    expect(p, "events read", p.served.events(), expected)?;
    expect(p, "events read incrementally", p.served.changed_events, 0)?;
    expect(p, "changes in", p.changes_in as u64, 0)?;
    Ok(vec![
        synced,
        format!(
            "{}: {expected} events read, no change applied (the calendars show what the CRM \
             wrote)",
            p.name
        ),
    ])
}

async fn check_incremental(
    admin: &PgPool,
    p: &PhaseFigures,
    agenda: &Agenda,
) -> anyhow::Result<Vec<String>> {
    let synced = check_phase(p)?;
    let events = p.connections * u64::from(agenda.changed);
    expect(p, "events read", p.served.events(), events)?;
    expect(p, "events read in full", p.served.full_events, 0)?;
    let moved = p.connections * u64::from(agenda.moved());
    expect(p, "changes in", p.changes_in as u64, moved)?;
    let (changed, as_shown) = moved_activities(admin).await?;
    expect(p, "activities changed", changed as u64, moved)?;
    expect(
        p,
        "activities an hour later, linked at the new ETag",
        as_shown as u64,
        moved,
    )?;
    Ok(vec![
        synced,
        format!(
            "{}: {events} events read, {moved} activities moved an hour later (version 2, \
             linked with the new ETag), no other activity changed",
            p.name
        ),
    ])
}

/// Activities changed since seeded, and of them those an hour later than planned (10:00 or
/// 16:00 UTC) at version 2 with their link at the calendar's new ETag and that version.
async fn moved_activities(admin: &PgPool) -> anyhow::Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT count(*) FILTER (WHERE a.version <> 1),
                count(*) FILTER (WHERE a.version = 2 AND l.etag = '\"2\"'
                                   AND l.activity_version = 2
                                   AND extract(hour FROM a.starts_at AT TIME ZONE 'UTC') IN (10, 16)
                                   AND extract(minute FROM a.starts_at AT TIME ZONE 'UTC') = 0)
           FROM activities a
           LEFT JOIN calendar_event_links l
             ON l.tenant_id = a.tenant_id AND l.activity_id = a.id",
    )
    .fetch_one(admin)
    .await?)
}

fn markdown(r: &CalendarSyncReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## calendar-sync-bench\n");
    let _ = writeln!(
        s,
        "{} users with a connected Google calendar over {} tenants (seeded in {:.1} s), each \
         with {} planned activities already on the calendar. A full read shows {} events a \
         calendar in pages of 250; an incremental read shows {} events, {} of them the user's \
         activities moved an hour in the calendar, the rest new private events. The calendars \
         are a fake Google Calendar API in the benchmark's process; each pass runs in a process \
         of its own (`loadtest calendar-sync-pass`: the worker's context as `crm worker` builds \
         it, pool {}, then `worker::run_job(SyncCalendars)`), 4 tenants at once. {} CPUs \
         shared by the pass, the fake, Postgres and Redis.\n",
        r.seeded.users,
        r.seeded.tenants,
        r.seeded.seconds,
        r.agenda.linked,
        r.agenda.events,
        r.agenda.changed,
        r.moved_per_user,
        r.pool_size,
        r.cpus
    );
    let _ = writeln!(
        s,
        "| phase | passes | pass s | wall s | changes in | changes out | events read | pages | \
         changes/s | events/s | VmHWM MiB | RSS before MiB |"
    );
    let _ = writeln!(
        s,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for p in &r.phases {
        let before = p.passes.first().map_or(0.0, |x| x.rss_before_mib);
        let _ = writeln!(
            s,
            "| {} | {} | {:.2} | {:.2} | {} | {} | {} | {} | {:.0} | {:.0} | {:.1} | {:.1} |",
            p.name,
            p.passes.len(),
            p.pass_seconds,
            p.wall_seconds,
            p.changes_in,
            p.changes_out,
            p.served.events(),
            p.served.pages,
            p.changes_per_second,
            p.events_per_second,
            p.peak_rss_mib,
            before
        );
    }
    let _ = writeln!(s, "\nChecked:\n");
    for c in &r.checks {
        let _ = writeln!(s, "- {c}");
    }
    s
}
