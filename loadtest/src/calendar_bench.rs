//! `calendar-bench`: the calendar's range query under load, against the goal "a busy user's
//! month: p95 under 20 ms". On a scratch database with one tenant, `crm serve` started as its
//! own process (as `board-bench` starts it), clients made through the API, and years of
//! activities written in one statement each: a busy user with `per-week` activities every week
//! of `years` years (and weekly series without end since the first of them), and as many for
//! each of `colleagues` other users of the tenant. Readers then ask
//! `GET /api/v1/activities?from=&to=&assignee_id=` for random months of the busy user's
//! calendar in a closed loop: a few at once (the goal's phase), then many (saturation). See
//! README.md.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use clap::Args;
use serde::Serialize;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

use crate::client::{self, Load, Target};
use crate::day::server::{self, Server};
use crate::report::{self, Stats};
use crate::setup::{self, Scratch, ScratchApi, Serve};

/// The goal: p95 of a month's window, in milliseconds.
const GOAL_MONTH_P95_MS: f64 = 20.0;

#[derive(Args)]
pub struct CalendarBench {
    /// Years of history (they end three months from now).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=30))]
    years: u32,
    /// Activities of each user every week.
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u32).range(1..=500))]
    per_week: u32,
    /// Weekly series without end of the busy user (from the first week on).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=50))]
    series: u32,
    /// Other users of the tenant with as many activities each.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(0..=5_000))]
    colleagues: u32,
    /// Clients the activities belong to, in turn.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    clients: u32,
    /// Readers asking at once in the phase the goal is judged on (about one busy reader per
    /// core of this machine).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=512))]
    concurrency: u16,
    /// Readers of the saturation phase (0: none).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(0..=512))]
    saturation: u16,
    /// Measured seconds.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
    duration: u64,
    /// Unmeasured seconds before.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(0..=60))]
    warmup: u64,
    #[command(flatten)]
    api: ScratchApi,
    /// Directory that receives calendar-bench.json and calendar-bench.md.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results/calendar-bench"))]
    out: PathBuf,
}

#[derive(Debug, Serialize)]
struct CalendarReport {
    benchmark: &'static str,
    unix_time: u64,
    cpus: usize,
    years: u32,
    per_week: u32,
    series: u32,
    colleagues: u32,
    /// Activities in the tenant, and the busy user's.
    activities: i64,
    busy_users_activities: i64,
    write_seconds: f64,
    /// Occurrences in the busy user's month windows, on average.
    occurrences_per_month: f64,
    concurrency: u16,
    saturation: u16,
    pool_size: u32,
    /// The judged phase, then saturation.
    month: Stats,
    saturated: Option<Stats>,
    api_rss_mib: Option<f64>,
    goal_p95_ms: f64,
    goal_met: bool,
}

pub async fn run(args: CalendarBench) -> anyhow::Result<()> {
    let (bench, serve) = args.api.bench("calendar-bench", &args.out)?;
    let on_scratch = async |s: &Scratch| measure(s, &args, &serve).await;
    bench.run(on_scratch, markdown).await
}

async fn measure(
    scratch: &Scratch,
    args: &CalendarBench,
    serve: &Serve<'_>,
) -> anyhow::Result<CalendarReport> {
    let owner = scratch.provision_tenant().await?;
    let admin = PgPoolOptions::new()
        .max_connections(2)
        .connect(&scratch.owner_url())
        .await?;
    let busy: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE tenant_id = $1")
        .bind(owner.tenant)
        .fetch_one(&admin)
        .await?;
    let http = client::http_client(usize::from(args.concurrency.max(args.saturation)))?;
    let mut api = serve.start(scratch, &http).await?;
    let result = load(args, &api, &http, &admin, owner.tenant, busy).await;
    let rss = api.pid.and_then(server::rss_kib).map(|k| k as f64 / 1024.0);
    api.stop().await;
    admin.close().await;
    let (write_seconds, activities, busy_users_activities, occurrences_per_month, month, saturated) =
        result?;
    Ok(CalendarReport {
        benchmark: "calendar-bench",
        unix_time: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        years: args.years,
        per_week: args.per_week,
        series: args.series,
        colleagues: args.colleagues,
        activities,
        busy_users_activities,
        write_seconds,
        occurrences_per_month,
        concurrency: args.concurrency,
        saturation: args.saturation,
        pool_size: args.api.pool_size,
        saturated,
        goal_p95_ms: GOAL_MONTH_P95_MS,
        goal_met: month.errors == 0 && month.p95_ms < GOAL_MONTH_P95_MS,
        month,
        api_rss_mib: rss,
    })
}

type Measured = (f64, i64, i64, f64, Stats, Option<Stats>);

/// Clients through the API, the activities in SQL, then the month windows under load.
async fn load(
    args: &CalendarBench,
    api: &Server,
    http: &reqwest::Client,
    admin: &PgPool,
    tenant: Uuid,
    busy: Uuid,
) -> anyhow::Result<Measured> {
    let token = setup::login_owner(http, api).await?;
    let mut clients = Vec::new();
    for i in 0..args.clients {
        let r = http
            .post(format!("{}/api/v1/clients", api.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "company_name": format!("Agenda {i:05} S.L."), "status": "client" }))
            .send()
            .await?;
        let status = r.status();
        let body: serde_json::Value = r.json().await?;
        anyhow::ensure!(status.is_success(), "a client answered {status}: {body}");
        clients.push(Uuid::parse_str(body["id"].as_str().context("client id")?)?);
    }
    let end = Utc::now() + chrono::Duration::days(91);
    let start = end - chrono::Duration::days(365 * i64::from(args.years));
    let started = Instant::now();
    let mut users = vec![busy];
    users.extend((0..args.colleagues).map(|_| Uuid::now_v7()));
    let weeks = i64::from(args.years) * 52;
    for user in &users {
        write_activities(admin, tenant, *user, &clients, start, weeks, args.per_week).await?;
    }
    write_series(admin, tenant, busy, clients[0], start, args.series).await?;
    sqlx::query("ANALYZE activities").execute(admin).await?;
    let write_seconds = started.elapsed().as_secs_f64();
    let activities: i64 = sqlx::query_scalar("SELECT count(*) FROM activities")
        .fetch_one(admin)
        .await?;
    let mine: i64 =
        sqlx::query_scalar("SELECT count(*) FROM activities WHERE assignee_ids @> ARRAY[$1::uuid]")
            .bind(busy)
            .fetch_one(admin)
            .await?;
    eprintln!("{activities} activities written in {write_seconds:.1} s ({mine} the busy user's)");

    let urls = month_urls(&api.base, busy, start, end);
    let target = Target::many("a month of the busy user's calendar", urls, Some(&token))?;
    client::check(http, &target).await?;
    let mut occurrences = 0usize;
    let sampled = target.urls().len().min(24);
    for i in 0..sampled {
        let (status, body) = target.fetch(http, i).await?;
        anyhow::ensure!(status == 200, "a month answered {status}: {body}");
        let window: serde_json::Value = serde_json::from_str(&body)?;
        anyhow::ensure!(window["truncated"] == false, "a month was truncated");
        occurrences += window["occurrences"].as_array().map_or(0, Vec::len);
    }
    let phase = |readers: u16| Load {
        concurrency: usize::from(readers),
        warmup: Duration::from_secs(args.warmup),
        duration: Duration::from_secs(args.duration),
        max_requests: u64::MAX,
    };
    eprintln!("{} readers, {} s measured", args.concurrency, args.duration);
    let outcome = client::measure(http, &target, &phase(args.concurrency)).await;
    let month = Stats::new("GET /api/v1/activities (a month)", outcome);
    let saturated = if args.saturation > 0 {
        eprintln!(
            "saturation: {} readers, {} s measured",
            args.saturation, args.duration
        );
        let outcome = client::measure(http, &target, &phase(args.saturation)).await;
        Some(Stats::new("GET /api/v1/activities (a month)", outcome))
    } else {
        None
    };
    Ok((
        write_seconds,
        activities,
        mine,
        occurrences as f64 / sampled.max(1) as f64,
        month,
        saturated,
    ))
}

/// `per_week` activities of `user` every week from `start` for `weeks`, on weekdays between
/// 09:00 and 18:00 UTC, with the clients in turn; one statement.
async fn write_activities(
    admin: &PgPool,
    tenant: Uuid,
    user: Uuid,
    clients: &[Uuid],
    start: DateTime<Utc>,
    weeks: i64,
    per_week: u32,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO activities (tenant_id, id, client_id, kind, title, starts_at, ends_at,
                                 time_zone, assignee_ids, occurs_until)
         SELECT $1, gen_random_uuid(), ($3::uuid[])[1 + g % cardinality($3::uuid[])],
                (ARRAY['call','meeting','task','demo'])[1 + g % 4], 'Actividad ' || g, t,
                t + interval '30 minutes', 'Europe/Madrid', ARRAY[$2::uuid],
                t + interval '30 minutes'
           FROM generate_series(0, $5 * $6 - 1) AS g,
                LATERAL (SELECT date_trunc('week', $4::timestamptz)
                                + ((g / $6) * 7 + (g % $6) % 5) * interval '1 day'
                                + (9 + (g * 7) % 9) * interval '1 hour' AS t) AS slot",
    )
    .bind(tenant)
    .bind(user)
    .bind(clients)
    .bind(start)
    .bind(weeks)
    .bind(i64::from(per_week))
    .execute(admin)
    .await?;
    Ok(())
}

/// `n` weekly series of `user` without end, from the first week on.
async fn write_series(
    admin: &PgPool,
    tenant: Uuid,
    user: Uuid,
    client: Uuid,
    start: DateTime<Utc>,
    n: u32,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO activities (tenant_id, id, client_id, kind, title, starts_at, ends_at,
                                 time_zone, assignee_ids, recurrence, occurs_until)
         SELECT $1, gen_random_uuid(), $3, 'meeting', 'Serie ' || g,
                date_trunc('week', $4::timestamptz) + (8 + g) * interval '1 hour',
                date_trunc('week', $4::timestamptz) + (8 + g) * interval '1 hour' + interval '30 minutes',
                'Europe/Madrid', ARRAY[$2::uuid], 'FREQ=WEEKLY', NULL
           FROM generate_series(1, $5) AS g",
    )
    .bind(tenant)
    .bind(user)
    .bind(client)
    .bind(start)
    .bind(i64::from(n))
    .execute(admin)
    .await?;
    Ok(())
}

/// A window for each calendar month from `start` to `end`, the busy user's.
fn month_urls(base: &str, user: Uuid, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<String> {
    let mut urls = Vec::new();
    let mut month = NaiveDate::from_ymd_opt(start.year(), start.month(), 1);
    while let Some(first) = month {
        let next = first.checked_add_months(Months::new(1));
        let (Some(from), Some(to)) = (midnight(first), next.and_then(midnight)) else {
            break;
        };
        if to > end {
            break;
        }
        urls.push(format!(
            "{base}/api/v1/activities?from={}&to={}&assignee_id={user}",
            from.format("%Y-%m-%dT%H:%M:%SZ"),
            to.format("%Y-%m-%dT%H:%M:%SZ")
        ));
        month = next;
    }
    urls
}

fn midnight(d: NaiveDate) -> Option<DateTime<Utc>> {
    Utc.from_local_datetime(&d.and_hms_opt(0, 0, 0)?).single()
}

fn markdown(r: &CalendarReport) -> String {
    let mut s = String::new();
    s.push_str("# calendar-bench\n\n");
    s.push_str(&format!(
        "{} activities ({} of the busy user's: {} a week for {} years and {} weekly series \
         without end; {} colleagues with as many), written in {:.1} s. A month of the busy \
         user's calendar holds {:.0} occurrences on average. {} CPUs, API pool {}.\n\n",
        r.activities,
        r.busy_users_activities,
        r.per_week,
        r.years,
        r.series,
        r.colleagues,
        r.write_seconds,
        r.occurrences_per_month,
        r.cpus,
        r.pool_size
    ));
    s.push_str(report::PHASE_HEADER);
    s.push('\n');
    report::phase_row(&mut s, &format!("{} readers", r.concurrency), &r.month);
    if let Some(st) = &r.saturated {
        report::phase_row(&mut s, &format!("saturation: {} readers", r.saturation), st);
    }
    s.push_str(&format!(
        "\nGoal (judged on the first phase): p95 under {} ms: **{}**. API resident memory at \
         the end: {}.\n",
        r.goal_p95_ms,
        if r.goal_met { "met" } else { "not met" },
        r.api_rss_mib
            .map_or_else(|| "unknown".to_owned(), |m| format!("{m:.0} MiB"))
    ));
    s
}
