//! The working day's figures as JSON and Markdown: every phase's actions, requests and
//! baselines as throughput, p50/p95/p99 and errors, with their ratio to the bare endpoint.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::mix::{Action, Role};
use crate::report::{Stats, ratio};

/// One line of figures.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    /// `baseline`, `total`, `action` or `request`.
    pub kind: &'static str,
    pub ok: u64,
    pub errors: u64,
    pub seconds: f64,
    pub throughput_rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// This throughput / the bare endpoint's.
    pub throughput_vs_bare: Option<f64>,
    /// This p50 / the bare endpoint's (how many one-row reads one of these costs in latency).
    pub p50_vs_bare: Option<f64>,
}

impl Row {
    pub fn from_stats(s: &Stats, kind: &'static str) -> Self {
        Self {
            name: s.endpoint.clone(),
            kind,
            ok: s.ok,
            errors: s.errors,
            seconds: s.seconds,
            throughput_rps: s.throughput_rps,
            p50_ms: s.p50_ms,
            p95_ms: s.p95_ms,
            p99_ms: s.p99_ms,
            max_ms: s.max_ms,
            throughput_vs_bare: None,
            p50_vs_bare: None,
        }
    }

    pub fn compare(&mut self, bare: &Row) {
        let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
        self.throughput_vs_bare = ratio(self.throughput_rps, bare.throughput_rps);
        self.p50_vs_bare = ratio(self.p50_ms, bare.p50_ms);
    }
}

/// The API's memory during a phase, in MiB.
#[derive(Debug, Clone, Serialize)]
pub struct Memory {
    pub start_mib: f64,
    pub max_mib: f64,
    pub end_mib: f64,
}

/// One measured phase.
#[derive(Debug, Serialize)]
pub struct Phase {
    pub name: String,
    pub description: String,
    /// The phase's total first (when it has one), then each action or the baseline.
    pub rows: Vec<Row>,
    /// Each request by route template (goose phases).
    pub requests: Vec<Row>,
    pub errors: Vec<(String, usize)>,
    pub memory: Option<Memory>,
}

/// The connections phase's verdict.
#[derive(Debug, Serialize)]
pub struct Held {
    pub target: usize,
    /// Established connections on the API's port during the steady part, lowest and highest.
    pub min_established: usize,
    pub max_established: usize,
    pub errors: u64,
    pub open_file_limit: Option<u64>,
    pub held: bool,
}

/// An action of the mix and its weights per 100 actions of each role.
#[derive(Debug, Serialize)]
pub struct MixRow {
    pub action: &'static str,
    pub requests: &'static str,
    pub weight_sales: usize,
    pub weight_support: usize,
    /// `built`, or `not built: module missing (<module>)`.
    pub status: String,
}

/// Where the API ran and how.
#[derive(Debug, Serialize)]
pub struct ApiInfo {
    pub url: String,
    pub started_here: bool,
    pub pool_size: u32,
    pub log_filter: String,
    pub idle_rss_mib: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct DayReport {
    pub benchmark: &'static str,
    pub unix_time: u64,
    pub cpus: usize,
    pub database: String,
    pub dataset: serde_json::Value,
    pub tenants_used: usize,
    /// Staff per tenant in the connections phase, the busiest first (top 10).
    pub staff_by_tenant: Vec<(String, usize)>,
    pub api: ApiInfo,
    pub mix: Vec<MixRow>,
    pub bare: Option<Row>,
    pub phases: Vec<Phase>,
    pub held: Option<Held>,
    pub pgbench: Option<super::pgbench::Info>,
}

pub fn mix_rows() -> Vec<MixRow> {
    Action::ALL
        .iter()
        .map(|a| MixRow {
            action: a.label(),
            requests: a.requests(),
            weight_sales: a.weight(Role::Sales),
            weight_support: a.weight(Role::Support),
            status: match a.missing_module() {
                None => "built".into(),
                Some(m) => format!("not built: module missing ({m})"),
            },
        })
        .collect()
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("–".into(), |v| format!("{v:.digits$}"))
}

fn row_line(s: &mut String, phase: &str, r: &Row) {
    let name = if r.kind == "total" || r.kind == "baseline" {
        format!("**{}**", r.name)
    } else {
        r.name.clone()
    };
    let _ = writeln!(
        s,
        "| {phase} | {name} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {} | {} | {} |",
        r.throughput_rps,
        r.p50_ms,
        r.p95_ms,
        r.p99_ms,
        r.max_ms,
        r.ok,
        r.errors,
        ratio(r.throughput_vs_bare),
        ratio(r.p50_vs_bare),
    );
}

const HEADER: &str = "| phase | what | per s | p50 ms | p95 ms | p99 ms | max ms | ok | errors | throughput × bare | p50 × bare |\n\
                      |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

pub fn markdown(r: &DayReport) -> String {
    let mut s = String::new();
    let info = &r.dataset;
    let _ = writeln!(s, "## working-day\n");
    let _ = writeln!(
        s,
        "Database `{}` from `seed-large` ({} tenants, {} clients, {} timeline events). Staff of {} \
         tenants (`big` and others spread over the size ranking, staff per tenant ∝ √clients; each \
         signs in as the tenant's owner) against `crm serve` at {} ({}, pool {} Postgres \
         connections, log `{}`); {} CPUs shared by the load generator, the API, Postgres and \
         Redis.\n",
        r.database,
        info["tenants"],
        info["clients"],
        info["events"],
        r.tenants_used,
        r.api.url,
        if r.api.started_here {
            "started by this command"
        } else {
            "already running"
        },
        r.api.pool_size,
        r.api.log_filter,
        r.cpus
    );
    if let Some(held) = &r.held {
        let _ = writeln!(
            s,
            "**{} concurrent connections {}**: {}–{} established on the API's port during the \
             steady part, {} errors.\n",
            held.target,
            if held.held { "held" } else { "NOT held" },
            held.min_established,
            held.max_established,
            held.errors
        );
    }
    let _ = writeln!(
        s,
        "Actions are user actions (goose transactions, or open-loop arrivals) timed to the last \
         byte; requests are single HTTP exchanges timed by goose to the response headers. \
         `× bare` compares with the bare axum + sqlx one-row endpoint of the same run.\n"
    );
    let _ = writeln!(s, "{HEADER}");
    if let Some(b) = &r.bare {
        row_line(&mut s, "baseline", b);
    }
    for p in &r.phases {
        for row in &p.rows {
            row_line(&mut s, &p.name, row);
        }
    }
    let _ = writeln!(s);
    for p in &r.phases {
        let _ = writeln!(s, "- **{}**: {}", p.name, p.description);
    }
    if let Some(pg) = &r.pgbench {
        let _ = writeln!(
            s,
            "- pgbench: `{}` (scale {}{}; pgbench's own tps {}).",
            pg.command,
            pg.scale,
            if pg.initialised_now {
                ", initialised by this run"
            } else {
                ""
            },
            opt(pg.tps_reported, 0)
        );
    }

    for p in r.phases.iter().filter(|p| !p.requests.is_empty()) {
        let _ = writeln!(s, "\n### Requests: {}\n", p.name);
        let _ = writeln!(s, "{HEADER}");
        for row in &p.requests {
            row_line(&mut s, &p.name, row);
        }
    }

    let errors: Vec<&Phase> = r.phases.iter().filter(|p| !p.errors.is_empty()).collect();
    if !errors.is_empty() {
        let _ = writeln!(s, "\n### Errors\n");
        for p in errors {
            for (e, n) in p.errors.iter().take(10) {
                let _ = writeln!(s, "- {}: {n} × {e}", p.name);
            }
        }
    }

    let _ = writeln!(s, "\n### Memory of `crm serve` (VmRSS)\n");
    let _ = writeln!(s, "Idle after start: {} MiB.\n", opt(r.api.idle_rss_mib, 1));
    let _ = writeln!(s, "| phase | at start MiB | max MiB | at end MiB |");
    let _ = writeln!(s, "|---|---:|---:|---:|");
    for p in &r.phases {
        if let Some(m) = &p.memory {
            let _ = writeln!(
                s,
                "| {} | {:.1} | {:.1} | {:.1} |",
                p.name, m.start_mib, m.max_mib, m.end_mib
            );
        }
    }

    let _ = writeln!(
        s,
        "\n### The working-day mix (per 100 actions of each role)\n"
    );
    let _ = writeln!(s, "Staff: 3 in 5 sales, 2 in 5 support.\n");
    let _ = writeln!(s, "| action | requests | sales | support | status |");
    let _ = writeln!(s, "|---|---|---:|---:|---|");
    for m in &r.mix {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            m.action, m.requests, m.weight_sales, m.weight_support, m.status
        );
    }
    let missing: Vec<&MixRow> = r.mix.iter().filter(|m| m.status != "built").collect();
    if !missing.is_empty() {
        let _ = writeln!(
            s,
            "\nNot built (module missing), so not measured: {}. Their weights are left out of \
             the runs; the built actions keep their relative weights.",
            missing
                .iter()
                .map(|m| m.action)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !r.staff_by_tenant.is_empty() {
        let _ = writeln!(
            s,
            "\nBusiest tenants (staff in the connections phase): {}.",
            r.staff_by_tenant
                .iter()
                .map(|(t, n)| format!("{t} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s
}

/// Writes `working-day.json` and `working-day.md` into `dir`.
pub fn write(r: &DayReport, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    crate::report::write_pair(dir, "working-day", r, &markdown(r))
}
