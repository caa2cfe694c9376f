//! `clients-bench`: the client endpoints of the real API on the `seed-large` data, signed in as
//! the big tenant's owner: list with filters, typo-tolerant search, detail, timeline page and
//! (when the route exists) the client KPIs; then `EXPLAIN (ANALYZE, BUFFERS)` of their SQL.
//! Beside it, what the benchmarks of people at work share: their pace and tallies (`people`)
//! and the database's waits meanwhile (`waits`).

pub mod cpu;
pub mod people;
pub mod waits;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Args;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

use crate::client::{self, Load, Target};
use crate::explain::{self, CLIENT_COLUMNS, PlanSummary, Statement, lit_text, lit_uuid};
use crate::report::{Stats, ratio};
use crate::seed::{self, BIG_SLUG, PASSWORD};
use crate::setup;

const SCENARIOS: &[&str] = &[
    "list",
    "search",
    "detail",
    "timeline",
    "kpis",
    "page-list",
    "page-detail",
    "page-dashboard",
];

#[derive(Args)]
pub struct ClientsBench {
    #[command(flatten)]
    seeded: seed::Seeded,
    /// Measured seconds per scenario.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
    duration: u64,
    /// Unmeasured seconds per scenario before measuring.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(0..=60))]
    warmup: u64,
    /// Concurrent closed-loop workers (users), each keeping one request in flight.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=1024))]
    concurrency: u64,
    /// Mean think time of each user between two requests, in ms, for the phase the goal is
    /// judged on (0: judge the closed-loop saturation phase instead).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    think_ms: u64,
    /// Seconds per scenario with a single worker first, for the unloaded latency (0: skip).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=60))]
    unloaded: u64,
    /// Postgres connections of the API (its default is 20).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=80))]
    pool_size: u32,
    /// Upper bound on requests per phase, whatever the duration.
    #[arg(long, default_value_t = 5_000_000)]
    max_requests: u64,
    /// The goal: p95 below this many milliseconds for every API scenario.
    #[arg(long, default_value_t = 20.0)]
    goal_p95_ms: f64,
    /// The goal of the console's pages (`page-*`): server time p95 below this many ms.
    #[arg(long, default_value_t = 50.0)]
    goal_page_p95_ms: f64,
    /// Scenarios to run, comma-separated, from list, search, detail, timeline, kpis, and the
    /// console's pages page-list, page-detail, page-dashboard.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "list,search,detail,timeline,kpis,page-list,page-detail,page-dashboard"
    )]
    only: Vec<String>,
    /// Skip the EXPLAIN step.
    #[arg(long)]
    no_explain: bool,
    /// Directory that receives clients-bench.json, clients-bench.md and explain/*.txt.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results"))]
    out: PathBuf,
    /// Seed of the request mix (ids, search terms, filter combinations).
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// What the benchmark needs to know about the data, read as `postgres` (no RLS).
struct Dataset {
    info: serde_json::Value,
    tenant: Uuid,
    owner: Uuid,
    clients: Vec<(Uuid, String)>,
    big_events: i64,
    /// (sector, tag, matching clients with status=client).
    combos: Vec<(String, String, i64)>,
}

async fn dataset(pg_addr: &str, database: &str) -> anyhow::Result<Dataset> {
    let (pool, info) = seed::open_seeded(pg_addr, database).await?;
    let (tenant, owner): (Uuid, Uuid) = sqlx::query_as(
        "SELECT t.id, u.id FROM tenants t JOIN users u ON u.tenant_id = t.id
          WHERE t.slug = $1 AND u.email = $2",
    )
    .bind(BIG_SLUG)
    .bind(seed::owner_email(BIG_SLUG))
    .fetch_one(&pool)
    .await
    .context("the big tenant or its owner is missing")?;
    let clients: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, company_name FROM clients WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY id",
    )
    .bind(tenant)
    .fetch_all(&pool)
    .await?;
    let big_events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM timeline_events WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_one(&pool)
            .await?;
    let combos: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT sector, tag, count(*) FROM clients, unnest(tags) AS tag
          WHERE tenant_id = $1 AND deleted_at IS NULL AND status = 'client' AND sector IS NOT NULL
          GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
    )
    .bind(tenant)
    .fetch_all(&pool)
    .await?;
    pool.close().await;
    anyhow::ensure!(!clients.is_empty(), "the big tenant has no clients");
    anyhow::ensure!(!combos.is_empty(), "the big tenant has no tagged clients");
    Ok(Dataset {
        info,
        tenant,
        owner,
        clients,
        big_events,
        combos,
    })
}

/// One scenario's figures.
#[derive(Debug, Serialize)]
struct ScenarioResult {
    key: &'static str,
    endpoint: String,
    distinct_urls: usize,
    note: String,
    unloaded: Option<Stats>,
    /// `concurrency` users, each thinking `think_ms` on average between requests.
    users: Option<Stats>,
    /// `concurrency` closed-loop workers without think time: the saturation throughput.
    saturated: Stats,
    goal_met: bool,
    /// Each phase against the bare endpoint's same phase.
    unloaded_vs_bare: Option<VsBare>,
    users_vs_bare: Option<VsBare>,
    saturated_vs_bare: Option<VsBare>,
}

/// A phase's figures as multiples of the bare endpoint's in the same phase.
#[derive(Debug, Clone, Copy, Serialize)]
struct VsBare {
    /// This throughput / the bare endpoint's.
    throughput: f64,
    /// This p50 / the bare endpoint's (how many one-row reads one request costs in latency).
    p50: f64,
}

impl VsBare {
    fn of(this: Option<&Stats>, bare: Option<&Stats>) -> Option<Self> {
        let (this, bare) = (this?, bare?);
        (bare.throughput_rps > 0.0 && bare.p50_ms > 0.0).then(|| Self {
            throughput: this.throughput_rps / bare.throughput_rps,
            p50: this.p50_ms / bare.p50_ms,
        })
    }
}

/// The bare axum + sqlx endpoint (`GET /tenants/{id}`, one row by primary key, as `crm_app`),
/// measured in the same phases as the scenarios.
#[derive(Debug, Serialize)]
struct Baseline {
    endpoint: String,
    unloaded: Option<Stats>,
    users: Option<Stats>,
    saturated: Stats,
}

#[derive(Debug, Serialize)]
struct ExplainReport {
    /// `pass` when no plan scans clients or timeline_events sequentially, else `FAIL`.
    verdict: &'static str,
    seq_scans: Vec<String>,
    plans: Vec<PlanSummary>,
}

#[derive(Debug, Serialize)]
struct BenchReport {
    benchmark: &'static str,
    unix_time: u64,
    cpus: usize,
    database: String,
    dataset: serde_json::Value,
    big_tenant_live_clients: usize,
    big_tenant_events: i64,
    concurrency: u64,
    think_ms: u64,
    warmup_s: u64,
    duration_s: u64,
    unloaded_s: u64,
    pool_size: u32,
    goal: String,
    goal_met: bool,
    bare: Baseline,
    scenarios: Vec<ScenarioResult>,
    skipped: Vec<(String, String)>,
    explain: Option<ExplainReport>,
}

struct Scenario {
    key: &'static str,
    endpoint: String,
    target: Target,
    note: String,
}

/// Share of answers among `urls` whose `data` array is not empty.
async fn hit_rate(
    http: &reqwest::Client,
    target: &Target,
    sample: usize,
) -> anyhow::Result<(usize, usize)> {
    let n = sample.min(target.urls().len());
    let mut hits = 0;
    for i in 0..n {
        let (status, body) = target.fetch(http, i).await?;
        anyhow::ensure!(status == 200, "answered {status}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body)?;
        if v["data"].as_array().is_some_and(|d| !d.is_empty()) {
            hits += 1;
        }
    }
    Ok((hits, n))
}

/// The p95 goal of a scenario: the API's, or the console pages'.
fn goal_of(args: &ClientsBench, key: &str) -> f64 {
    if key.starts_with("page-") {
        args.goal_page_p95_ms
    } else {
        args.goal_p95_ms
    }
}

/// The console's pages of the same requests as a browser asks for them: the clients page with
/// the list's filters, a client's page (profile, contacts, timeline), and the dashboard.
fn page_scenarios(
    args: &ClientsBench,
    data: &Dataset,
    api: &str,
    token: &str,
    ids: &[Uuid],
) -> anyhow::Result<Vec<Scenario>> {
    let wanted = |k: &str| args.only.iter().any(|o| o == k);
    let mut out = Vec::new();
    if wanted("page-list") {
        let urls = data
            .combos
            .iter()
            .take(24)
            .map(|(sector, tag, _)| {
                reqwest::Url::parse_with_params(
                    &format!("http://{api}/clients"),
                    &[("status", "client"), ("sector", sector), ("tag", tag)],
                )
                .map(String::from)
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(Scenario {
            key: "page-list",
            endpoint: "console GET /clients?status=client&sector=…&tag=…".into(),
            target: Target::pages("page-list", urls, token)?,
            note: "the whole clients page (layout, filters, first 25 rows) as HTML".into(),
        });
    }
    if wanted("page-detail") {
        let urls = ids
            .iter()
            .map(|id| format!("http://{api}/clients/{id}"))
            .collect();
        out.push(Scenario {
            key: "page-detail",
            endpoint: "console GET /clients/{id}".into(),
            target: Target::pages("page-detail", urls, token)?,
            note: "a client's page: profile, contacts and the first 25 timeline events".into(),
        });
    }
    if wanted("page-dashboard") {
        out.push(Scenario {
            key: "page-dashboard",
            endpoint: "console GET /".into(),
            target: Target::pages("page-dashboard", vec![format!("http://{api}/")], token)?,
            note: "the dashboard: KPI cards, 12 weeks of timeline counts, recent activity".into(),
        });
    }
    Ok(out)
}

async fn scenarios(
    args: &ClientsBench,
    data: &Dataset,
    http: &reqwest::Client,
    api: &str,
    token: &str,
    skipped: &mut Vec<(String, String)>,
) -> anyhow::Result<Vec<Scenario>> {
    let mut rng = StdRng::seed_from_u64(args.seed);
    let wanted = |k: &str| args.only.iter().any(|o| o == k);
    let mut out = Vec::new();
    let clients = format!("http://{api}/api/v1/clients");

    if wanted("list") {
        // Up to 24 combinations spread over the whole range, from the most to the least common.
        let n = data.combos.len();
        let picks: Vec<&(String, String, i64)> = (0..n.min(24))
            .map(|i| &data.combos[i * n / n.min(24)])
            .collect();
        let urls = picks
            .iter()
            .map(|(sector, tag, _)| {
                reqwest::Url::parse_with_params(
                    &clients,
                    &[("status", "client"), ("sector", sector), ("tag", tag)],
                )
                .map(String::from)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let counts: Vec<i64> = picks.iter().map(|c| c.2).collect();
        let note = format!(
            "{} sector × tag combinations with status=client, matching {} to {} clients (median {}); \
             first page (25)",
            urls.len(),
            counts.iter().min().unwrap_or(&0),
            counts.iter().max().unwrap_or(&0),
            counts[counts.len() / 2],
        );
        out.push(Scenario {
            key: "list",
            endpoint: "GET /api/v1/clients?status=client&sector=…&tag=…".into(),
            target: Target::many("list", urls, Some(token))?,
            note,
        });
    }

    if wanted("search") {
        let mut terms = Vec::new();
        let mut tries = 0;
        while terms.len() < 400 && tries < 10_000 {
            tries += 1;
            let (_, name) = &data.clients[rng.gen_range(0..data.clients.len())];
            if let Some(t) = crate::names::typo_fragment(&mut rng, name)
                && !terms.contains(&t)
            {
                terms.push(t);
            }
        }
        anyhow::ensure!(!terms.is_empty(), "no name long enough for a search term");
        let examples = terms
            .iter()
            .take(4)
            .cloned()
            .collect::<Vec<_>>()
            .join("\", \"");
        let urls = terms
            .iter()
            .map(|t| reqwest::Url::parse_with_params(&clients, &[("q", t)]).map(String::from))
            .collect::<Result<Vec<_>, _>>()?;
        let target = Target::many("search", urls, Some(token))?;
        let (hits, n) = hit_rate(http, &target, 100).await?;
        out.push(Scenario {
            key: "search",
            endpoint: "GET /api/v1/clients?q=<one word of a real name, one typo>".into(),
            target,
            note: format!(
                "{} terms such as \"{examples}\"; {hits} of the first {n} found at least one client",
                terms.len()
            ),
        });
    }

    let mut ids: Vec<Uuid> = data.clients.iter().map(|(id, _)| *id).collect();
    ids.shuffle(&mut rng);
    if wanted("detail") {
        let urls = ids.iter().map(|id| format!("{clients}/{id}")).collect();
        out.push(Scenario {
            key: "detail",
            endpoint: "GET /api/v1/clients/{id}".into(),
            target: Target::many("detail", urls, Some(token))?,
            note: format!("random ids among the tenant's {} live clients", ids.len()),
        });
    }
    if wanted("timeline") {
        let urls = ids
            .iter()
            .map(|id| format!("{clients}/{id}/timeline"))
            .collect();
        out.push(Scenario {
            key: "timeline",
            endpoint: "GET /api/v1/clients/{id}/timeline".into(),
            target: Target::many("timeline", urls, Some(token))?,
            note: format!(
                "first page (25, newest first) of random clients; the tenant has {} events",
                data.big_events
            ),
        });
    }
    out.extend(page_scenarios(args, data, api, token, &ids)?);
    if wanted("kpis") {
        let url = format!("http://{api}/api/v1/kpis/clients");
        let target = Target::new("kpis", url, Some(token))?;
        let (status, body) = target.fetch(http, 0).await?;
        match status {
            200 => out.push(Scenario {
                key: "kpis",
                endpoint: "GET /api/v1/kpis/clients".into(),
                target,
                note: "defaults: conversion over the last 30 days, active = any event in 90 days"
                    .into(),
            }),
            404 => skipped.push((
                "kpis".into(),
                "GET /api/v1/kpis/clients answered 404: the route does not exist in this build"
                    .into(),
            )),
            other => skipped.push((
                "kpis".into(),
                format!(
                    "GET /api/v1/kpis/clients answered {other}: {}",
                    body.chars().take(200).collect::<String>()
                ),
            )),
        }
    }
    Ok(out)
}

/// The statements behind each scenario, with the values of a representative request.
fn statements(data: &Dataset, session: Uuid, search: Option<&str>, kpis: bool) -> Vec<Statement> {
    let (sector, tag, _) = &data.combos[data.combos.len() / 2];
    let client = data.clients[data.clients.len() / 2].0;
    let mut out = vec![
        Statement {
            name: "session_check",
            used_by: "every request (inside enter_tenant_as_user)",
            types: "uuid, uuid",
            sql: "SELECT EXISTS (SELECT 1 FROM users u JOIN tenants t ON t.id = u.tenant_id \
                  JOIN auth_sessions s ON s.tenant_id = u.tenant_id AND s.user_id = u.id \
                  WHERE u.id = $1 AND s.id = $2 AND u.status = 'active' AND u.deleted_at IS NULL \
                  AND t.status = 'active' AND s.revoked_at IS NULL)"
                .into(),
            args: vec![lit_uuid(data.owner), lit_uuid(session)],
            reference: false,
        },
        Statement {
            name: "tenant_data_keys",
            used_by: "list, search, detail (db::crypto::tenant_cipher)",
            types: "",
            sql: "SELECT key_id, wrapped_key FROM tenant_data_keys ORDER BY created_at DESC, key_id DESC".into(),
            args: vec![],
            reference: false,
        },
        Statement {
            name: "list_filtered",
            used_by: "list (db::clients::list with status, sector, tag)",
            types: "text, text, text, int8",
            sql: format!(
                "SELECT {CLIENT_COLUMNS} FROM clients WHERE deleted_at IS NULL AND status = $1 \
                 AND sector = $2 AND $3 = ANY(tags) ORDER BY id DESC LIMIT $4"
            ),
            args: vec![lit_text("client"), lit_text(sector), lit_text(tag), "26".into()],
            reference: false,
        },
        Statement {
            name: "client_detail",
            used_by: "detail (db::clients::get, deleted excluded)",
            types: "uuid",
            sql: format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE id = $1 AND deleted_at IS NULL"),
            args: vec![lit_uuid(client)],
            reference: false,
        },
        Statement {
            name: "timeline_client_exists",
            used_by: "timeline (db::clients::get, deleted included)",
            types: "uuid",
            sql: format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE id = $1"),
            args: vec![lit_uuid(client)],
            reference: false,
        },
        Statement {
            name: "timeline_page",
            used_by: "timeline (db::timeline::list for one client)",
            types: "uuid, int8",
            sql: "SELECT id, client_id, event_type, description, event_date, actor_type, actor_id, \
                  entity_type, entity_id, payload FROM timeline_events WHERE true \
                  AND client_id = $1 ORDER BY event_date DESC, id DESC LIMIT $2"
                .into(),
            args: vec![lit_uuid(client), "26".into()],
            reference: false,
        },
    ];
    out.push(Statement {
        name: "list_filtered_reference",
        used_by: "nothing: list_filtered as the superuser with an explicit tenant_id",
        types: "uuid, text, text, text, int8",
        sql: format!(
            "SELECT {CLIENT_COLUMNS} FROM clients WHERE tenant_id = $1 AND deleted_at IS NULL \
             AND status = $2 AND sector = $3 AND tags @> ARRAY[$4]::text[] ORDER BY id DESC LIMIT $5"
        ),
        args: vec![
            lit_uuid(data.tenant),
            lit_text("client"),
            lit_text(sector),
            lit_text(tag),
            "26".into(),
        ],
        reference: true,
    });
    if let Some(q) = search {
        out.push(Statement {
            name: "search",
            used_by: "search (db::clients::list with q)",
            types: "text, bytea, int8",
            sql: format!(
                "SELECT {CLIENT_COLUMNS} FROM clients WHERE deleted_at IS NULL \
                 AND id = ANY(ARRAY(SELECT client_search_ids($1, $2))) ORDER BY id DESC LIMIT $3"
            ),
            args: vec![lit_text(q), "NULL".into(), "26".into()],
            reference: false,
        });
    }
    if kpis {
        // Copied from crates/db/src/kpis.rs (client_counts) when this benchmark was written.
        out.push(Statement {
            name: "kpis_clients",
            used_by: "kpis (db::kpis::client_counts)",
            types: "uuid, timestamptz, timestamptz, int4",
            sql: "SELECT coalesce(s.total, 0) AS total, coalesce(s.leads, 0) AS leads, \
                  coalesce(s.clients, 0) AS clients, \
                  (SELECT count(*) FROM clients c WHERE c.tenant_id = $1 AND c.deleted_at IS NULL \
                    AND c.last_contact_at IS NOT NULL \
                    AND c.last_contact_at >= now() - make_interval(days => $4) \
                    AND c.last_contact_at <= now()) AS active, \
                  (SELECT count(*) FROM clients c WHERE c.tenant_id = $1 AND c.deleted_at IS NULL \
                    AND c.created_at >= (SELECT date_trunc('month', now() AT TIME ZONE z.time_zone) \
                                               AT TIME ZONE z.time_zone \
                                          FROM tenants z WHERE z.id = $1)) AS new_this_month, \
                  (SELECT count(*) FROM clients c WHERE c.tenant_id = $1 AND c.deleted_at IS NULL \
                    AND c.converted_at IS NOT NULL \
                    AND c.converted_at >= $2 AND c.converted_at < $3) AS converted, \
                  (SELECT count(*) FROM clients c WHERE c.tenant_id = $1 AND c.deleted_at IS NULL \
                    AND c.created_at >= $2 AND c.created_at < $3 AND c.status = 'lead') AS still_leads \
                  FROM tenants t CROSS JOIN (SELECT sum(total) AS total, sum(leads) AS leads, sum(clients) AS clients \
                    FROM client_stats WHERE tenant_id = $1) s WHERE t.id = $1"
                .into(),
            args: vec![
                lit_uuid(data.tenant),
                "now() - interval '30 days'".into(),
                "now()".into(),
                "90".into(),
            ],
            reference: false,
        });
    }
    out
}

async fn latest_session(
    pg_addr: &str,
    database: &str,
    tenant: Uuid,
    user: Uuid,
) -> anyhow::Result<Uuid> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&seed::url(pg_addr, "postgres", database))
        .await?;
    let id = sqlx::query_scalar(
        "SELECT id FROM auth_sessions WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(tenant)
    .bind(user)
    .fetch_one(&pool)
    .await?;
    pool.close().await;
    Ok(id)
}

pub async fn run(args: ClientsBench) -> anyhow::Result<()> {
    args.seeded.ensure_local()?;
    seed::check_database_name(&args.seeded.database)?;
    for o in &args.only {
        anyhow::ensure!(
            SCENARIOS.contains(&o.as_str()),
            "--only: unknown scenario {o}"
        );
    }
    eprintln!("reading the data set of {}", args.seeded.database);
    let data = dataset(&args.seeded.pg_addr, &args.seeded.database).await?;
    eprintln!(
        "tenant {BIG_SLUG} ({}): {} live clients, {} events, {} sector × tag combinations",
        data.tenant,
        data.clients.len(),
        data.big_events,
        data.combos.len()
    );
    let app_url = seed::url(&args.seeded.pg_addr, "crm_app", &args.seeded.database);
    let redis_url = format!("redis://{}", args.seeded.redis_addr);
    let api = setup::Api::start(
        app_url.clone(),
        &redis_url,
        args.pool_size,
        Some(&args.seeded.master_keys),
    )
    .await?;
    let outcome = tokio::select! {
        r = bench(&args, &data, &api, &app_url) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    api.stop().await;
    let report = outcome?;
    let md = markdown(&report, &args.out);
    print!("{md}");
    std::fs::create_dir_all(&args.out)?;
    let json = args.out.join("clients-bench.json");
    std::fs::write(&json, serde_json::to_string_pretty(&report)? + "\n")?;
    std::fs::write(args.out.join("clients-bench.md"), &md)?;
    eprintln!("wrote {} and clients-bench.md", json.display());
    if let Some(e) = &report.explain {
        anyhow::ensure!(
            e.verdict == "pass",
            "EXPLAIN found sequential scans on clients or timeline_events: {}",
            e.seq_scans.join("; ")
        );
    }
    Ok(())
}

async fn bench(
    args: &ClientsBench,
    data: &Dataset,
    api: &setup::Api,
    app_url: &str,
) -> anyhow::Result<BenchReport> {
    let http = client::http_client(args.concurrency as usize)?;
    let token = setup::login_as(
        &http,
        api.addr,
        BIG_SLUG,
        &seed::owner_email(BIG_SLUG),
        PASSWORD,
    )
    .await
    .context("cannot sign in as the big tenant's owner")?;
    let mut skipped = Vec::new();
    let list = scenarios(
        args,
        data,
        &http,
        &api.addr.to_string(),
        &token,
        &mut skipped,
    )
    .await?;
    let load = Load {
        concurrency: args.concurrency as usize,
        warmup: Duration::from_secs(args.warmup),
        duration: Duration::from_secs(args.duration),
        max_requests: args.max_requests,
    };
    let bare = measure_bare(args, data, app_url, &http, &load).await?;
    let mut results = Vec::new();
    for s in &list {
        client::check(&http, &s.target)
            .await
            .with_context(|| format!("{} does not answer 200", s.endpoint))?;
        let (unloaded, users, saturated) = measure_scenario(args, &http, s, &load).await;
        let judged = users.as_ref().unwrap_or(&saturated);
        results.push(ScenarioResult {
            key: s.key,
            endpoint: s.endpoint.clone(),
            distinct_urls: s.target.urls().len(),
            note: s.note.clone(),
            goal_met: judged.errors == 0 && judged.ok > 0 && judged.p95_ms < goal_of(args, s.key),
            unloaded_vs_bare: VsBare::of(unloaded.as_ref(), bare.unloaded.as_ref()),
            users_vs_bare: VsBare::of(users.as_ref(), bare.users.as_ref()),
            saturated_vs_bare: VsBare::of(Some(&saturated), Some(&bare.saturated)),
            unloaded,
            users,
            saturated,
        });
    }

    let explain = if args.no_explain {
        None
    } else {
        eprintln!("EXPLAIN (ANALYZE, BUFFERS) as crm_app");
        let session = latest_session(
            &args.seeded.pg_addr,
            &args.seeded.database,
            data.tenant,
            data.owner,
        )
        .await?;
        let search_term = list.iter().find(|s| s.key == "search").and_then(|s| {
            reqwest::Url::parse(&s.target.urls()[0])
                .ok()?
                .query_pairs()
                .find(|(k, _)| k == "q")
                .map(|(_, v)| domain::normalize_for_search(&v))
        });
        let kpis = list.iter().any(|s| s.key == "kpis");
        let statements = statements(data, session, search_term.as_deref(), kpis);
        let owner_url = seed::url(&args.seeded.pg_addr, "postgres", &args.seeded.database);
        let plans = explain::run(
            app_url,
            &owner_url,
            data.tenant,
            &statements,
            &args.out.join("explain"),
        )
        .await?;
        let seq_scans: Vec<String> = plans
            .iter()
            .filter(|p| p.mode != "reference")
            .flat_map(|p| {
                p.seq_scans
                    .iter()
                    .map(move |s| format!("{} ({}): {s}", p.statement, p.mode))
            })
            .collect();
        Some(ExplainReport {
            verdict: if seq_scans.is_empty() { "pass" } else { "FAIL" },
            seq_scans,
            plans,
        })
    };

    Ok(BenchReport {
        benchmark: "clients-bench",
        unix_time: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        database: args.seeded.database.clone(),
        dataset: data.info.clone(),
        big_tenant_live_clients: data.clients.len(),
        big_tenant_events: data.big_events,
        concurrency: args.concurrency,
        think_ms: args.think_ms,
        warmup_s: args.warmup,
        duration_s: args.duration,
        unloaded_s: args.unloaded,
        pool_size: args.pool_size,
        goal: if args.think_ms > 0 {
            format!(
                "p95 < {} ms (console pages {} ms) at {} concurrent users (each thinking {} ms on \
                 average between requests)",
                args.goal_p95_ms, args.goal_page_p95_ms, args.concurrency, args.think_ms
            )
        } else {
            format!(
                "p95 < {} ms (console pages {} ms) at {} closed-loop workers (no think time)",
                args.goal_p95_ms, args.goal_page_p95_ms, args.concurrency
            )
        },
        goal_met: !results.is_empty() && results.iter().all(|r| r.goal_met),
        bare,
        scenarios: results,
        skipped,
        explain,
    })
}

/// The bare endpoint on the same database and pool size, in the scenarios' phases.
async fn measure_bare(
    args: &ClientsBench,
    data: &Dataset,
    app_url: &str,
    http: &reqwest::Client,
    load: &Load,
) -> anyhow::Result<Baseline> {
    let bare = setup::Bare::start(app_url, args.pool_size).await?;
    let s = Scenario {
        key: "bare",
        endpoint: "bare GET /tenants/{id} (one row by primary key)".to_owned(),
        target: Target::new(
            "bare",
            format!("http://{}/tenants/{}", bare.addr, data.tenant),
            None,
        )?,
        note: String::new(),
    };
    let measured = async {
        client::check(http, &s.target)
            .await
            .context("the bare endpoint does not answer 200")?;
        anyhow::Ok(measure_scenario(args, http, &s, load).await)
    }
    .await;
    bare.stop().await;
    let (unloaded, users, saturated) = measured?;
    Ok(Baseline {
        endpoint: s.endpoint,
        unloaded,
        users,
        saturated,
    })
}

/// A scenario's phases: unloaded (one worker), users thinking, saturation.
async fn measure_scenario(
    args: &ClientsBench,
    http: &reqwest::Client,
    s: &Scenario,
    load: &Load,
) -> (Option<Stats>, Option<Stats>, Stats) {
    let unloaded = if args.unloaded > 0 {
        eprintln!("{}: {} s with 1 worker", s.key, args.unloaded);
        let one = Load {
            concurrency: 1,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(args.unloaded),
            max_requests: args.max_requests,
        };
        Some(Stats::new(
            &s.endpoint,
            client::measure(http, &s.target, &one).await,
        ))
    } else {
        None
    };
    let think = Duration::from_millis(args.think_ms);
    let users = if think.is_zero() {
        None
    } else {
        eprintln!(
            "{}: {} users thinking {} ms on average, {} s measured",
            s.key, args.concurrency, args.think_ms, args.duration
        );
        Some(measure_phase(http, s, load, think).await)
    };
    eprintln!(
        "{}: {} s warm-up, {} s measured, {} closed-loop workers",
        s.key, args.warmup, args.duration, args.concurrency
    );
    let saturated = measure_phase(http, s, load, Duration::ZERO).await;
    (unloaded, users, saturated)
}

/// One measured phase of a scenario, printed as it ends.
async fn measure_phase(
    http: &reqwest::Client,
    s: &Scenario,
    load: &Load,
    think: Duration,
) -> Stats {
    let outcome = client::measure_users(http, &s.target, load, think).await;
    if let Some(e) = &outcome.first_error {
        eprintln!("  first error: {e}");
    }
    let stats = Stats::new(&s.endpoint, outcome);
    eprintln!(
        "  {:.0} req/s, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, {} errors",
        stats.throughput_rps, stats.p50_ms, stats.p95_ms, stats.p99_ms, stats.errors
    );
    stats
}

fn relative(path: &str, base: &Path) -> String {
    Path::new(path)
        .strip_prefix(base)
        .map_or_else(|_| path.to_owned(), |p| p.display().to_string())
}

fn markdown(r: &BenchReport, out: &Path) -> String {
    let mut s = String::new();
    let info = &r.dataset;
    let _ = writeln!(s, "## clients-bench\n");
    let _ = writeln!(
        s,
        "Database `{}` from `seed-large`: {} tenants, {} clients, {} timeline events. Signed in as \
         the owner of tenant `{BIG_SLUG}`: {} live clients, {} events. {} users, {} s measured after \
         {} s warm-up per scenario and phase (and {} s with one worker before, for the unloaded \
         latency); API pool {} Postgres connections; {} CPUs shared by the load generator, the API, \
         Postgres and Redis (all on 127.0.0.1).\n",
        r.database,
        info["tenants"],
        info["clients"],
        info["events"],
        r.big_tenant_live_clients,
        r.big_tenant_events,
        r.concurrency,
        r.duration_s,
        r.warmup_s,
        r.unloaded_s,
        r.pool_size,
        r.cpus
    );
    let met = r.scenarios.iter().filter(|x| x.goal_met).count();
    let _ = writeln!(
        s,
        "Goal: {} — **{}** ({met} of {} scenarios).\n",
        r.goal,
        if r.goal_met { "met" } else { "not met" },
        r.scenarios.len()
    );
    let ratios = |v: Option<VsBare>| {
        v.map_or_else(
            || "- | -".to_owned(),
            |v| format!("{} | {}", ratio(Some(v.throughput)), ratio(Some(v.p50))),
        )
    };
    let row = |s: &mut String, endpoint: &str, l: &Stats, vs: Option<VsBare>, goal: &str| {
        let _ = writeln!(
            s,
            "| {endpoint} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {goal} |",
            l.throughput_rps,
            l.p50_ms,
            l.p95_ms,
            l.p99_ms,
            l.max_ms,
            l.ok,
            l.errors,
            ratios(vs),
        );
    };
    let same = Some(VsBare {
        throughput: 1.0,
        p50: 1.0,
    });
    let header = "| scenario | req/s | p50 ms | p95 ms | p99 ms | max ms | ok | errors | req/s × bare | p50 × bare | goal |\n\
                  |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|";
    let verdict = |x: &ScenarioResult| if x.goal_met { "met" } else { "**not met**" };
    let bare = &r.bare;
    let bare_name = format!("*{}*", bare.endpoint);
    if r.think_ms > 0 {
        let _ = writeln!(
            s,
            "{} users, each pausing {} ms on average (exponential) after every answer:\n\n{header}",
            r.concurrency, r.think_ms
        );
        if let Some(u) = &bare.users {
            row(&mut s, &bare_name, u, same, "baseline");
        }
        for x in &r.scenarios {
            if let Some(u) = &x.users {
                row(&mut s, &x.endpoint, u, x.users_vs_bare, verdict(x));
            }
        }
        let _ = writeln!(
            s,
            "\nSaturation: {} closed-loop workers, no think time (each keeps one request in \
             flight):\n\n{header}",
            r.concurrency
        );
        row(&mut s, &bare_name, &bare.saturated, same, "baseline");
        for x in &r.scenarios {
            row(&mut s, &x.endpoint, &x.saturated, x.saturated_vs_bare, "");
        }
    } else {
        let _ = writeln!(s, "{header}");
        row(&mut s, &bare_name, &bare.saturated, same, "baseline");
        for x in &r.scenarios {
            row(
                &mut s,
                &x.endpoint,
                &x.saturated,
                x.saturated_vs_bare,
                verdict(x),
            );
        }
    }
    if r.scenarios.iter().any(|x| x.unloaded.is_some()) {
        let _ = writeln!(s, "\nUnloaded (one worker, {} s):\n", r.unloaded_s);
        let _ = writeln!(
            s,
            "| scenario | req/s | p50 ms | p95 ms | p99 ms | req/s × bare | p50 × bare |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
        let lines = bare
            .unloaded
            .as_ref()
            .map(|u| (bare_name.clone(), u, same))
            .into_iter()
            .chain(r.scenarios.iter().filter_map(|x| {
                x.unloaded
                    .as_ref()
                    .map(|u| (x.endpoint.clone(), u, x.unloaded_vs_bare))
            }));
        for (endpoint, u, vs) in lines {
            let _ = writeln!(
                s,
                "| {endpoint} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
                u.throughput_rps,
                u.p50_ms,
                u.p95_ms,
                u.p99_ms,
                ratios(vs)
            );
        }
    }
    let _ = writeln!(
        s,
        "\n`× bare`: the scenario's throughput and p50 over the bare axum + sqlx endpoint's in the \
         same phase of this run (one row by primary key as `crm_app`, same pool size)."
    );
    let _ = writeln!(s, "\nRequest mix:\n");
    for x in &r.scenarios {
        let _ = writeln!(s, "- **{}**: {}.", x.key, x.note);
    }
    for (key, why) in &r.skipped {
        let _ = writeln!(s, "- **{key}**: skipped — {why}.");
    }
    if let Some(e) = &r.explain {
        let _ = writeln!(
            s,
            "\n### EXPLAIN (ANALYZE, BUFFERS) as `crm_app`, `app.tenant_id` = tenant `{BIG_SLUG}`\n"
        );
        let _ = writeln!(
            s,
            "No `Seq Scan` on clients or timeline_events: **{}**{}\n",
            e.verdict,
            if e.seq_scans.is_empty() {
                String::new()
            } else {
                format!(" — {}", e.seq_scans.join("; "))
            }
        );
        let _ = writeln!(
            s,
            "| statement | plan | top node | indexes (tenant_id first?) | ms | buffers hit/read | seq scans |"
        );
        let _ = writeln!(s, "|---|---|---|---|---:|---:|---|");
        for p in &e.plans {
            let idx = p
                .indexes
                .iter()
                .map(|(n, t)| format!("{n} ({})", if *t { "yes" } else { "no" }))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                s,
                "| [{}]({}) | {} | {} | {} | {} | {}/{} | {} |",
                p.statement,
                relative(&p.file, out),
                p.mode,
                p.top_node,
                if idx.is_empty() { "-".into() } else { idx },
                p.execution_ms.map_or("-".into(), |v| format!("{v:.2}")),
                p.shared_hit,
                p.shared_read,
                if p.seq_scans.is_empty() {
                    "none".into()
                } else {
                    p.seq_scans.join("; ")
                }
            );
        }
        let _ = writeln!(
            s,
            "\n`custom`: plan with the values known; `generic`: plan for unknown values; `auto`: the \
             plan Postgres picked on the sixth execution of the prepared statement, as a pooled \
             connection of the API runs it; `reference`: not run by the API and not part of the \
             verdict — the same statement as the superuser (no row-level security) with an explicit \
             `tenant_id` predicate, to show which indexes the RLS policy keeps the planner from using \
             (operators that are not `LEAKPROOF`, such as `<%`, `LIKE` and `@>`, cannot be index \
             conditions below the policy's qualifier)."
        );
    }
    s
}
