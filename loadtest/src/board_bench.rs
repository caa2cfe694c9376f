//! `board-bench`: the pipeline's kanban under load, against the goals "board p95 under 50 ms,
//! move p95 under 20 ms at 50 concurrent users". On a scratch database with one tenant whose
//! default pipeline holds 5,000 open opportunities (`deals`), `crm serve` started as its own
//! process (as `working-day` starts it), and 50 people (`users`) opening the board and dragging
//! the cards they see, first thinking between actions as people do, then without pause
//! (saturation). Afterwards the board's and the move's statements are explained as the API runs
//! them (`EXPLAIN (ANALYZE, BUFFERS)`), and what the database's sessions waited on during the
//! load is told from `pg_stat_activity` samples. See README.md.

mod deals;
mod users;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use serde::Serialize;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

use crate::bench::waits::{self, WaitSampler};
use crate::day::server::{self, Server};
use crate::explain::{self, PlanSummary, Statement, lit_text, lit_uuid};
use crate::report::{self, Stats};
use crate::setup::{self, Scratch, ScratchApi, Serve};

/// The goals: p95 of the board and of a move, in milliseconds.
const GOAL_BOARD_P95_MS: f64 = 50.0;
const GOAL_MOVE_P95_MS: f64 = 20.0;

#[derive(Args)]
pub struct BoardBench {
    /// Open opportunities on the pipeline, spread evenly over its open stages.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    opportunities: u64,
    /// Clients the opportunities belong to, in turn.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    clients: u64,
    /// People at the board at once.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=1024))]
    users: u64,
    /// Of every hundred actions after the first (always the board), how many open the board;
    /// the others drag a card.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=100))]
    board_percent: u32,
    /// Mean pause of each person between actions, in ms, in the phase the goals are judged on.
    #[arg(long, default_value_t = 1_000)]
    think_ms: u64,
    /// Skip the saturation phase (the same people without pauses).
    #[arg(long)]
    no_saturation: bool,
    /// Measured seconds of each phase.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    duration: u64,
    /// Unmeasured seconds before each phase.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=60))]
    warmup: u64,
    #[command(flatten)]
    api: ScratchApi,
    /// Seed of everyone's choices.
    #[arg(long, default_value_t = 16)]
    seed: u64,
    /// Directory that receives board-bench.json, board-bench.md and the plans (explain/).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results/board-bench"))]
    out: PathBuf,
}

/// One measured phase.
#[derive(Debug, Serialize)]
struct PhaseReport {
    name: String,
    think_ms: u64,
    seconds: f64,
    actions_per_second: f64,
    board: Stats,
    /// Every move answered, moved (200) or refused as stale (409).
    moves: Stats,
    /// Cards read again after a 409.
    rereads: Stats,
    moved: u64,
    conflicts: u64,
    conflicts_after_reread: u64,
    errors: u64,
    first_error: Option<String>,
    /// Samples of the database's active sessions, by what they waited on (`CPU`: nothing).
    waits: Vec<(String, u64)>,
    wait_samples: u64,
    /// The API's resident memory at the phase's end.
    api_rss_mib: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Goals {
    board_p95_ms: f64,
    move_p95_ms: f64,
    /// Judged on the first phase (people thinking between actions).
    board_met: bool,
    move_met: bool,
}

#[derive(Debug, Serialize)]
struct BoardReport {
    benchmark: &'static str,
    unix_time: u64,
    cpus: usize,
    opportunities: u64,
    clients: u64,
    open_stages: usize,
    /// Opportunities per stage at the end (name, kind, count).
    stages_at_end: Vec<(String, String, i64)>,
    write_seconds: f64,
    users: u64,
    board_percent: u32,
    pool_size: u32,
    /// Bytes of one board answer (50 cards a stage, the API's default).
    board_bytes: usize,
    phases: Vec<PhaseReport>,
    plans: Vec<PlanSummary>,
    goals: Goals,
}

pub async fn run(args: BoardBench) -> anyhow::Result<()> {
    let (bench, serve) = args.api.bench("board-bench", &args.out)?;
    let on_scratch = async |s: &Scratch| measure(s, &args, &serve).await;
    bench.run(on_scratch, markdown).await
}

async fn measure(
    scratch: &Scratch,
    args: &BoardBench,
    serve: &Serve<'_>,
) -> anyhow::Result<BoardReport> {
    let owner = scratch.provision_tenant().await?;
    let admin = PgPoolOptions::new()
        .max_connections(2)
        .connect(&scratch.owner_url())
        .await?;
    let app = PgPoolOptions::new()
        .max_connections(6)
        .connect(&scratch.app_url())
        .await?;
    let user: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE tenant_id = $1")
        .bind(owner.tenant)
        .fetch_one(&admin)
        .await?;
    let pipeline = deals::write(
        &app,
        &admin,
        &args.api.place.master_keys,
        owner.tenant,
        user,
        args.clients as usize,
        args.opportunities as usize,
    )
    .await?;
    app.close().await;
    eprintln!(
        "{} opportunities written in {:.1} s",
        args.opportunities, pipeline.write_seconds
    );

    let people = args.users as usize;
    let http = crate::client::http_client(people)?;
    serve.announce();
    let mut api = serve.start(scratch, &http).await?;
    let result = load(args, &api, &http, &admin, &scratch.name, &pipeline).await;
    api.stop().await;
    let (phases, board_bytes) = result?;

    let stages_at_end = deals::per_stage(&admin, pipeline.id).await?;
    let open_at_end: i64 = stages_at_end
        .iter()
        .filter(|(_, kind, _)| kind == "open")
        .map(|(_, _, n)| n)
        .sum();
    anyhow::ensure!(
        open_at_end == args.opportunities as i64,
        "{open_at_end} open opportunities at the end, {} written",
        args.opportunities
    );
    let plans = explain_statements(scratch, &admin, owner.tenant, &pipeline, &args.out).await?;
    admin.close().await;

    let first = phases.first().context("no phase ran")?;
    let goals = Goals {
        board_p95_ms: GOAL_BOARD_P95_MS,
        move_p95_ms: GOAL_MOVE_P95_MS,
        board_met: first.board.errors == 0 && first.board.p95_ms < GOAL_BOARD_P95_MS,
        move_met: first.moves.errors == 0 && first.moves.p95_ms < GOAL_MOVE_P95_MS,
    };
    Ok(BoardReport {
        benchmark: "board-bench",
        unix_time: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        opportunities: args.opportunities,
        clients: args.clients,
        open_stages: pipeline.open_stages.len(),
        stages_at_end,
        write_seconds: pipeline.write_seconds,
        users: args.users,
        board_percent: args.board_percent,
        pool_size: args.api.pool_size,
        board_bytes,
        phases,
        plans,
        goals,
    })
}

/// Signs in, checks the board, then runs the phases; returns them and the board's size.
async fn load(
    args: &BoardBench,
    api: &Server,
    http: &reqwest::Client,
    admin: &PgPool,
    database: &str,
    pipeline: &deals::Pipeline,
) -> anyhow::Result<(Vec<PhaseReport>, usize)> {
    let token = setup::login_owner(http, api).await?;
    let url = format!("{}/api/v1/pipelines/{}/board", api.base, pipeline.id);
    let response = http.get(&url).bearer_auth(&token).send().await?;
    let status = response.status();
    let body = response.bytes().await?;
    anyhow::ensure!(status.is_success(), "the board answered {status}");
    let board: serde_json::Value = serde_json::from_slice(&body)?;
    let counted: i64 = board["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["count"].as_i64())
        .sum();
    anyhow::ensure!(
        counted == args.opportunities as i64,
        "the board counts {counted} opportunities"
    );

    let people = Arc::new(users::Board {
        base: api.base.clone(),
        token,
        pipeline: pipeline.id,
        open_stages: pipeline.open_stages.clone(),
        board_percent: args.board_percent,
    });
    let mut plan = vec![("people thinking between actions", args.think_ms)];
    if !args.no_saturation && args.think_ms > 0 {
        plan.push(("saturation (no pauses)", 0));
    }
    let mut phases = Vec::new();
    for (i, (name, think_ms)) in plan.into_iter().enumerate() {
        let think = Duration::from_millis(think_ms);
        let seed = args.seed + i as u64;
        let n = args.users as usize;
        if args.warmup > 0 {
            eprintln!("{name}: {} s warm-up", args.warmup);
            users::phase(
                &people,
                http,
                n,
                think,
                Duration::from_secs(args.warmup),
                seed,
            )
            .await;
        }
        eprintln!("{name}: {n} people, {} s measured", args.duration);
        let sampler = WaitSampler::start(admin.clone(), database.to_owned());
        let tally = users::phase(
            &people,
            http,
            n,
            think,
            Duration::from_secs(args.duration),
            seed + 100,
        )
        .await;
        let (waits, wait_samples) = sampler.finish().await;
        let phase = phase_report(name, think_ms, tally, waits, wait_samples, api.pid);
        eprintln!(
            "  board p95 {:.1} ms, move p95 {:.1} ms, {:.0} actions/s, {} conflicts, {} errors",
            phase.board.p95_ms,
            phase.moves.p95_ms,
            phase.actions_per_second,
            phase.conflicts,
            phase.errors
        );
        phases.push(phase);
    }
    Ok((phases, body.len()))
}

fn phase_report(
    name: &str,
    think_ms: u64,
    tally: users::Tally,
    waits: Vec<(String, u64)>,
    wait_samples: u64,
    pid: Option<u32>,
) -> PhaseReport {
    let errors = tally.errors();
    let first_error = tally.first_error().map(str::to_owned);
    let seconds = tally.board.elapsed.as_secs_f64();
    PhaseReport {
        name: name.to_owned(),
        think_ms,
        seconds,
        actions_per_second: if seconds > 0.0 {
            tally.actions as f64 / seconds
        } else {
            0.0
        },
        moved: tally.moved,
        conflicts: tally.conflicts,
        conflicts_after_reread: tally.conflicts_again,
        errors,
        first_error,
        board: Stats::new("GET /api/v1/pipelines/{id}/board", tally.board),
        moves: Stats::new("POST /api/v1/opportunities/{id}/move", tally.moves),
        rereads: Stats::new(
            "GET /api/v1/opportunities/{id} (after a 409)",
            tally.rereads,
        ),
        waits,
        wait_samples,
        api_rss_mib: pid.and_then(server::rss_kib).map(|k| k as f64 / 1024.0),
    }
}

/// The board's two statements and the two a move reads its place with, as
/// `crates/db/src/opportunities.rs` writes them (`board_cards` and `board_totals` with the
/// board's default filter: open cards and those closed in the last 30 days; `neighbours`,
/// `position_of`), explained as `crm_app` in the tenant.
async fn explain_statements(
    scratch: &Scratch,
    admin: &PgPool,
    tenant: Uuid,
    pipeline: &deals::Pipeline,
    out: &std::path::Path,
) -> anyhow::Result<Vec<PlanSummary>> {
    let stage = pipeline.open_stages[0];
    let (card, rank): (Uuid, i64) = sqlx::query_as(
        "SELECT id, rank FROM opportunities WHERE stage_id = $1 ORDER BY rank OFFSET 4 LIMIT 1",
    )
    .bind(stage)
    .fetch_one(admin)
    .await
    .context("the first stage has fewer than five cards")?;
    let since = lit_text(&(Utc::now() - chrono::Duration::days(30)).to_rfc3339());
    let statements = vec![
        Statement {
            name: "board_cards",
            used_by: "GET /api/v1/pipelines/{id}/board (db::opportunities::board_cards)",
            types: "timestamptz, int8, uuid",
            sql: "SELECT o.id, o.stage_id, o.client_id, c.company_name AS client_name, o.title,
                o.estimated_value, o.currency, o.expected_close_date, o.owner_id,
                u.display_name AS owner_name, o.completion_percentage, o.stage_entered_at,
                o.closed_at, o.version
           FROM pipeline_stages s
           CROSS JOIN LATERAL (
                SELECT * FROM opportunities o WHERE o.stage_id = s.id AND (o.closed_at IS NULL OR o.closed_at >= $1) ORDER BY o.rank LIMIT $2) o
           JOIN clients c ON c.id = o.client_id
           LEFT JOIN users u ON u.id = o.owner_id
          WHERE s.pipeline_id = $3 ORDER BY s.position, o.rank"
                .to_owned(),
            args: vec![format!("{since}::timestamptz"), "50".into(), lit_uuid(pipeline.id)],
            reference: false,
        },
        Statement {
            name: "board_totals",
            used_by: "GET /api/v1/pipelines/{id}/board (db::opportunities::board_totals)",
            types: "uuid, timestamptz",
            sql: "SELECT o.stage_id, o.currency, count(*) AS count, sum(o.estimated_value) AS value
           FROM opportunities o WHERE o.pipeline_id = $1 AND (o.closed_at IS NULL OR o.closed_at >= $2) GROUP BY o.stage_id, o.currency ORDER BY o.stage_id, o.currency"
                .to_owned(),
            args: vec![lit_uuid(pipeline.id), format!("{since}::timestamptz")],
            reference: false,
        },
        Statement {
            name: "move_neighbours",
            used_by: "POST /api/v1/opportunities/{id}/move (db::opportunities::neighbours)",
            types: "uuid, uuid, int8",
            sql: "SELECT rank FROM opportunities WHERE stage_id = $1 AND id <> $2
          ORDER BY rank OFFSET $3 LIMIT 2"
                .to_owned(),
            args: vec![lit_uuid(stage), lit_uuid(card), "4".into()],
            reference: false,
        },
        Statement {
            name: "move_position_of",
            used_by: "POST /api/v1/opportunities/{id}/move, GET /api/v1/opportunities/{id} \
                      (db::opportunities::position_of)",
            types: "uuid, int8",
            sql: "SELECT count(*) AS \"n!\" FROM opportunities WHERE stage_id = $1 AND rank < $2"
                .to_owned(),
            args: vec![lit_uuid(stage), rank.to_string()],
            reference: false,
        },
    ];
    explain::run(
        &scratch.app_url(),
        &scratch.owner_url(),
        tenant,
        &statements,
        &out.join("explain"),
    )
    .await
}

fn markdown(r: &BoardReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## board-bench\n");
    let _ = writeln!(
        s,
        "One pipeline of {} open opportunities over {} open stages ({} clients; written through \
         the product's flows in {:.1} s, then `ANALYZE`), `crm serve` as its own process on a \
         scratch database with a pool of {} connections; {} people at the board, signed in as \
         the tenant's owner, each opening the board (50 cards a stage, {} bytes) first, then {} \
         times in 100, and otherwise dragging a card they saw to one of the top 10 places of an \
         open stage (the same stage one time in four) with the version the board showed; a \
         `409` is followed by reading the card again and one more move. {} CPUs shared by the \
         people, the API, Postgres and Redis.\n",
        r.opportunities,
        r.open_stages,
        r.clients,
        r.write_seconds,
        r.pool_size,
        r.users,
        r.board_bytes,
        r.board_percent,
        r.cpus
    );
    let _ = writeln!(s, "{}", report::PHASE_HEADER);
    for p in &r.phases {
        for st in [&p.board, &p.moves, &p.rereads] {
            report::phase_row(&mut s, &p.name, st);
        }
    }
    let _ = writeln!(
        s,
        "\n| phase | actions/s | cards moved | 409 | 409 again after re-reading | errors | API RSS MiB |\n\
         |---|---:|---:|---:|---:|---:|---:|"
    );
    for p in &r.phases {
        let _ = writeln!(
            s,
            "| {} | {:.1} | {} | {} | {} | {} | {} |",
            p.name,
            p.actions_per_second,
            p.moved,
            p.conflicts,
            p.conflicts_after_reread,
            p.errors,
            p.api_rss_mib.map_or("–".into(), |m| format!("{m:.1}"))
        );
    }
    for p in &r.phases {
        if let Some(e) = &p.first_error {
            let _ = writeln!(s, "\nFirst error ({}): `{e}`", p.name);
        }
    }
    let stages: Vec<String> = r
        .stages_at_end
        .iter()
        .map(|(name, _, n)| format!("{name} {n}"))
        .collect();
    let _ = writeln!(s, "\nCards per stage at the end: {}.\n", stages.join(", "));
    for p in &r.phases {
        waits::markdown(&mut s, &p.name, &p.waits, p.wait_samples);
    }
    let _ = writeln!(
        s,
        "Plans (`EXPLAIN (ANALYZE, BUFFERS)` as `crm_app` in the tenant, files in `explain/`):\n\n\
         | statement | plan | top node | execution ms | shared hit | read |\n\
         |---|---|---|---:|---:|---:|"
    );
    for p in &r.plans {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            p.statement,
            p.mode,
            p.top_node,
            p.execution_ms.map_or("–".into(), |m| format!("{m:.3}")),
            p.shared_hit,
            p.shared_read
        );
    }
    let verdict = |met: bool| if met { "met" } else { "not met" };
    let first = r.phases.first().map_or("–", |p| p.name.as_str());
    let _ = writeln!(
        s,
        "\nGoals ({first}): board p95 under {:.0} ms **{}**; move p95 under {:.0} ms **{}**.",
        r.goals.board_p95_ms,
        verdict(r.goals.board_met),
        r.goals.move_p95_ms,
        verdict(r.goals.move_met)
    );
    s
}
