//! `proposal-bench`: proposals written, rendered and sent under load. On a scratch database with
//! one tenant (`desk`: its clients, e-mail channel and a proposal template), `crm serve` started
//! as its own process (as `board-bench` starts it), and 50 salespeople (`people`) each drafting
//! proposals of 20 lines, opening each one's PDF and sending it, first thinking between actions
//! as people do, then without pause (saturation). Reported: p50/p95/p99 of the draft, the PDF
//! and the sending, the PDFs' size, what the database's sessions waited on, and the API's
//! memory. See README.md.

mod desk;
mod people;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use serde::Serialize;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

use crate::bench::waits::{self, WaitSampler};
use crate::day::server::{self, Server};
use crate::report::{self, Stats};
use crate::setup::{self, Scratch, ScratchApi, Serve};

#[derive(Args)]
pub struct ProposalBench {
    /// Salespeople at work at once.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=1024))]
    users: u64,
    /// Lines of each proposal.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=200))]
    items: u64,
    /// Clients the proposals are for, in turn.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    clients: u64,
    /// Mean pause of each person between actions, in ms, in the first phase.
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
    /// Directory that receives proposal-bench.json and proposal-bench.md.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results/proposal-bench"))]
    out: PathBuf,
}

/// The PDFs' sizes in a phase, in bytes.
#[derive(Debug, Serialize)]
struct Bytes {
    min: usize,
    p50: usize,
    max: usize,
}

impl Bytes {
    fn of(mut sizes: Vec<usize>) -> Option<Self> {
        sizes.sort_unstable();
        Some(Self {
            min: *sizes.first()?,
            p50: sizes[(sizes.len() - 1) / 2],
            max: *sizes.last()?,
        })
    }
}

/// One measured phase.
#[derive(Debug, Serialize)]
struct PhaseReport {
    name: String,
    think_ms: u64,
    seconds: f64,
    actions_per_second: f64,
    create: Stats,
    pdf: Stats,
    send: Stats,
    pdf_bytes: Option<Bytes>,
    sent: u64,
    errors: u64,
    first_error: Option<String>,
    /// Samples of the database's active sessions, by what they waited on (`CPU`: nothing).
    waits: Vec<(String, u64)>,
    wait_samples: u64,
    /// The API's resident memory at the phase's end.
    api_rss_mib: Option<f64>,
}

#[derive(Debug, Serialize)]
struct ProposalReport {
    benchmark: &'static str,
    unix_time: u64,
    cpus: usize,
    users: u64,
    items: u64,
    clients: u64,
    write_seconds: f64,
    pool_size: u32,
    phases: Vec<PhaseReport>,
    /// Proposals by status at the end (warm-ups included).
    proposals_at_end: Vec<(String, i64)>,
    /// E-mails queued with a PDF at the end, and the PDFs' mean size in bytes.
    mails_queued: i64,
    attachment_mean_bytes: f64,
}

pub async fn run(args: ProposalBench) -> anyhow::Result<()> {
    let (bench, serve) = args.api.bench("proposal-bench", &args.out)?;
    let on_scratch = async |s: &Scratch| measure(s, &args, &serve).await;
    bench.run(on_scratch, markdown).await
}

async fn measure(
    scratch: &Scratch,
    args: &ProposalBench,
    serve: &Serve<'_>,
) -> anyhow::Result<ProposalReport> {
    let owner = scratch.provision_tenant().await?;
    let admin = PgPoolOptions::new()
        .max_connections(2)
        .connect(&scratch.owner_url())
        .await?;
    let app = PgPoolOptions::new()
        .max_connections(2)
        .connect(&scratch.app_url())
        .await?;
    let user: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE tenant_id = $1")
        .bind(owner.tenant)
        .fetch_one(&admin)
        .await?;
    let desk = desk::write(
        &app,
        &admin,
        &args.api.place.master_keys,
        owner.tenant,
        user,
        args.clients as usize,
    )
    .await?;
    app.close().await;
    eprintln!(
        "{} clients and the template written in {:.1} s",
        args.clients, desk.write_seconds
    );

    let http = crate::client::http_client(args.users as usize)?;
    serve.announce();
    let mut api = serve.start(scratch, &http).await?;
    let result = load(args, &api, &http, &admin, &scratch.name, &desk).await;
    api.stop().await;
    let phases = result?;
    let (proposals_at_end, mails_queued, attachment_mean_bytes) = desk::written(&admin).await?;
    admin.close().await;

    Ok(ProposalReport {
        benchmark: "proposal-bench",
        unix_time: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        users: args.users,
        items: args.items,
        clients: args.clients,
        write_seconds: desk.write_seconds,
        pool_size: args.api.pool_size,
        phases,
        proposals_at_end,
        mails_queued,
        attachment_mean_bytes,
    })
}

/// Signs in, then runs the phases.
async fn load(
    args: &ProposalBench,
    api: &Server,
    http: &reqwest::Client,
    admin: &PgPool,
    database: &str,
    desk: &desk::Desk,
) -> anyhow::Result<Vec<PhaseReport>> {
    let token = setup::login_owner(http, api).await?;
    let office = Arc::new(people::Office {
        base: api.base.clone(),
        token,
        template: desk.template,
        clients: desk.clients.clone(),
        items: args.items as usize,
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
            let warm = Duration::from_secs(args.warmup);
            people::phase(&office, http, n, think, warm, seed).await;
        }
        eprintln!("{name}: {n} people, {} s measured", args.duration);
        let sampler = WaitSampler::start(admin.clone(), database.to_owned());
        let measured = Duration::from_secs(args.duration);
        let tally = people::phase(&office, http, n, think, measured, seed + 100).await;
        let (waits, wait_samples) = sampler.finish().await;
        let phase = phase_report(name, think_ms, tally, waits, wait_samples, api.pid);
        eprintln!(
            "  create p95 {:.1} ms, PDF p95 {:.1} ms, send p95 {:.1} ms, {} sent, {} errors",
            phase.create.p95_ms, phase.pdf.p95_ms, phase.send.p95_ms, phase.sent, phase.errors
        );
        phases.push(phase);
    }
    Ok(phases)
}

fn phase_report(
    name: &str,
    think_ms: u64,
    tally: people::Tally,
    waits: Vec<(String, u64)>,
    wait_samples: u64,
    pid: Option<u32>,
) -> PhaseReport {
    let errors = tally.errors();
    let first_error = tally.first_error().map(str::to_owned);
    let seconds = tally.create.elapsed.as_secs_f64();
    PhaseReport {
        name: name.to_owned(),
        think_ms,
        seconds,
        actions_per_second: if seconds > 0.0 {
            tally.actions as f64 / seconds
        } else {
            0.0
        },
        create: Stats::new("POST /api/v1/proposals", tally.create),
        pdf: Stats::new("GET /api/v1/proposals/{id}/render.pdf", tally.pdf),
        send: Stats::new("POST /api/v1/proposals/{id}/send", tally.send),
        pdf_bytes: Bytes::of(tally.pdf_bytes),
        sent: tally.sent,
        errors,
        first_error,
        waits,
        wait_samples,
        api_rss_mib: pid.and_then(server::rss_kib).map(|k| k as f64 / 1024.0),
    }
}

fn markdown(r: &ProposalReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## proposal-bench\n");
    let _ = writeln!(
        s,
        "One tenant with {} clients, its e-mail channel and a proposal template of four \
         sections (written through the product's flows in {:.1} s, then `ANALYZE`), `crm serve` \
         as its own process on a scratch database with a pool of {} connections; {} \
         salespeople signed in as the tenant's owner, each drafting a proposal of {} lines \
         (IVA 21 and 10, one in five discounted) for one of the clients, opening its PDF \
         and sending it (the PDF rendered again and attached to an e-mail queued in the same \
         transaction; no worker runs, so the e-mails stay queued), proposal after proposal. {} \
         CPUs shared by the people, the API, Postgres and Redis.\n",
        r.clients, r.write_seconds, r.pool_size, r.users, r.items, r.cpus
    );
    let _ = writeln!(s, "{}", report::PHASE_HEADER);
    for p in &r.phases {
        for st in [&p.create, &p.pdf, &p.send] {
            report::phase_row(&mut s, &p.name, st);
        }
    }
    let _ = writeln!(
        s,
        "\n| phase | actions/s | proposals sent | PDF bytes (min / median / max) | errors | API \
         RSS MiB |\n|---|---:|---:|---|---:|---:|"
    );
    for p in &r.phases {
        let bytes = p.pdf_bytes.as_ref().map_or("–".into(), |b| {
            format!("{} / {} / {}", b.min, b.p50, b.max)
        });
        let _ = writeln!(
            s,
            "| {} | {:.1} | {} | {bytes} | {} | {} |",
            p.name,
            p.actions_per_second,
            p.sent,
            p.errors,
            p.api_rss_mib.map_or("–".into(), |m| format!("{m:.1}"))
        );
    }
    for p in &r.phases {
        if let Some(e) = &p.first_error {
            let _ = writeln!(s, "\nFirst error ({}): `{e}`", p.name);
        }
    }
    let statuses: Vec<String> = r
        .proposals_at_end
        .iter()
        .map(|(status, n)| format!("{status} {n}"))
        .collect();
    let _ = writeln!(
        s,
        "\nProposals at the end (warm-ups included): {}; {} e-mails queued with their PDF \
         ({:.0} bytes on average).\n",
        statuses.join(", "),
        r.mails_queued,
        r.attachment_mean_bytes
    );
    for p in &r.phases {
        waits::markdown(&mut s, &p.name, &p.waits, p.wait_samples);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_sizes_are_summed_up_by_their_ends_and_middle() {
        let b = Bytes::of(vec![30, 10, 20, 40]).expect("sizes");
        assert_eq!((b.min, b.p50, b.max), (10, 20, 40));
        assert!(Bytes::of(Vec::new()).is_none());
    }
}
