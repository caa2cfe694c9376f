//! The figures of a run, as Markdown and JSON, and the verdict.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::live::Watched;
use super::load::{Failure, KEPT_FAILURES, Log, Op, Sample};
use super::memory::ProcessMemory;
use super::timeline::{self, Event, Restart};
use super::verify::{Jobs, Posted};
use crate::client::Outcome;
use crate::report::Stats;

/// A stretch of the run between two events of the script, with the load's figures in it.
#[derive(Debug, Serialize)]
pub(super) struct Phase {
    pub(super) phase: String,
    pub(super) from_s: f64,
    pub(super) to_s: f64,
    pub(super) stats: Stats,
}

fn stats(name: &str, samples: &[&Sample], seconds: f64) -> Stats {
    let ok = samples.iter().filter(|s| s.ok).count() as u64;
    Stats::new(
        name,
        Outcome {
            ok,
            errors: samples.len() as u64 - ok,
            latencies_us: samples
                .iter()
                .filter(|s| s.ok)
                .map(|s| s.latency_us)
                .collect(),
            elapsed: Duration::from_secs_f64(seconds.max(0.0)),
            first_error: None,
        },
    )
}

/// The goals of issue 4: zero failed requests, zero lost or duplicated jobs; every
/// restarted process exited by itself, with code 0, within its grace; and (ours) a live
/// subscriber that reconnects as a browser does missed no timeline event.
#[derive(Debug, Serialize)]
pub(super) struct Goals {
    pub(super) zero_failed_requests: bool,
    pub(super) zero_lost_jobs: bool,
    pub(super) zero_duplicated_jobs: bool,
    pub(super) posted_clients_exactly_once: bool,
    pub(super) clean_shutdowns: bool,
    /// A live-updates subscriber got every timeline event recorded while it listened.
    pub(super) live_updates_complete: bool,
    pub(super) met: bool,
}

#[derive(Debug, Serialize)]
pub(super) struct Report {
    pub(super) benchmark: &'static str,
    pub(super) unix_time: u64,
    pub(super) cpus: usize,
    pub(super) load_balancer: String,
    pub(super) concurrency: u64,
    pub(super) load_seconds: f64,
    /// Unix ms of the load's start: the zero of every "s" in the report.
    pub(super) start_ms: i64,
    pub(super) import_rows: u32,
    pub(super) import_every_ms: u64,
    pub(super) requests_ok: u64,
    pub(super) requests_failed: u64,
    /// Successful answers that were replays of an `Idempotency-Key` (the load balancer retried
    /// a request the API had already carried out).
    pub(super) replayed: u64,
    pub(super) overall: Stats,
    pub(super) by_request: Vec<Stats>,
    pub(super) phases: Vec<Phase>,
    pub(super) restarts: Vec<Restart>,
    pub(super) jobs: Jobs,
    pub(super) posted_clients: Posted,
    pub(super) live_updates: Watched,
    pub(super) memory: Vec<ProcessMemory>,
    pub(super) failures: Vec<Failure>,
    pub(super) goals: Goals,
}

/// Everything a run measured, before it is summed up.
pub(super) struct Measured {
    pub(super) load_balancer: String,
    pub(super) concurrency: u64,
    pub(super) import_rows: u32,
    pub(super) import_every_ms: u64,
    pub(super) shutdown_grace_s: f64,
    /// Unix ms of the load's start and stop, as in the timeline.
    pub(super) start_ms: i64,
    pub(super) stop_ms: i64,
    pub(super) log: Log,
    pub(super) events: Vec<Event>,
    pub(super) jobs: Jobs,
    pub(super) posted: Posted,
    pub(super) live: Watched,
    pub(super) memory: Vec<ProcessMemory>,
}

impl Report {
    pub(super) fn new(m: Measured) -> Self {
        let load_seconds = (m.stop_ms - m.start_ms) as f64 / 1000.0;
        let all: Vec<&Sample> = m.log.samples.iter().collect();
        let phases = timeline::phase_bounds(&m.events, m.start_ms, m.stop_ms)
            .into_iter()
            .map(|(phase, from, to)| {
                let (from_ms, to_ms) = (from - m.start_ms, to - m.start_ms);
                let inside: Vec<&Sample> = all
                    .iter()
                    .copied()
                    .filter(|s| (from_ms..to_ms).contains(&i64::from(s.sent_ms)))
                    .collect();
                Phase {
                    stats: stats(&phase, &inside, (to - from) as f64 / 1000.0),
                    phase,
                    from_s: from_ms as f64 / 1000.0,
                    to_s: to_ms as f64 / 1000.0,
                }
            })
            .collect();
        let by_request = Op::ALL
            .iter()
            .map(|op| {
                let of_op: Vec<&Sample> = all.iter().copied().filter(|s| s.op == *op).collect();
                stats(op.label(), &of_op, load_seconds)
            })
            .collect();
        let overall = stats("all", &all, load_seconds);
        let restarts = timeline::restarts(&m.events, m.shutdown_grace_s);
        let mut failures = m.log.failures;
        failures.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
        failures.truncate(KEPT_FAILURES);

        let zero_failed_requests = overall.errors == 0;
        let zero_lost_jobs = m.jobs.lost == 0 && m.jobs.backlog_drained_s.is_some();
        let zero_duplicated_jobs = m.jobs.duplicated == 0;
        let posted_clients_exactly_once = m.posted.missing == 0 && m.posted.duplicated == 0;
        let clean_shutdowns = !restarts.is_empty() && restarts.iter().all(|r| r.clean);
        let live_updates_complete =
            m.live.recorded > 0 && m.live.missing == 0 && m.live.resyncs == 0;
        let goals = Goals {
            met: zero_failed_requests
                && zero_lost_jobs
                && zero_duplicated_jobs
                && posted_clients_exactly_once
                && clean_shutdowns
                && live_updates_complete,
            zero_failed_requests,
            zero_lost_jobs,
            zero_duplicated_jobs,
            posted_clients_exactly_once,
            clean_shutdowns,
            live_updates_complete,
        };
        Self {
            benchmark: "rolling-restart",
            unix_time: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            load_balancer: m.load_balancer,
            concurrency: m.concurrency,
            load_seconds,
            start_ms: m.start_ms,
            import_rows: m.import_rows,
            import_every_ms: m.import_every_ms,
            requests_ok: overall.ok,
            requests_failed: overall.errors,
            replayed: m.log.replayed,
            overall,
            by_request,
            phases,
            restarts,
            jobs: m.jobs,
            posted_clients: m.posted,
            live_updates: m.live,
            memory: m.memory,
            failures,
            goals,
        }
    }
}

fn yes(ok: bool) -> &'static str {
    if ok { "met" } else { "**NOT met**" }
}

fn stats_row(s: &mut String, name: &str, x: &Stats) {
    let ms = |v: f64| {
        if x.ok == 0 {
            "—".to_owned()
        } else {
            format!("{v:.1}")
        }
    };
    let _ = writeln!(
        s,
        "| {name} | {} | {} | {:.0} | {} | {} | {} | {} |",
        x.ok,
        x.errors,
        x.throughput_rps,
        ms(x.p50_ms),
        ms(x.p95_ms),
        ms(x.p99_ms),
        ms(x.max_ms)
    );
}

pub(super) fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## rolling-restart\n");
    let _ = writeln!(
        s,
        "Two `crm serve` and two `crm worker` behind nginx ({}), {} closed-loop users for {:.0} s \
         plus one {}-row CSV import every {} ms, while each process was restarted in turn with \
         SIGTERM. {} CPUs shared by everything (all on 127.0.0.1).\n",
        r.load_balancer, r.concurrency, r.load_seconds, r.import_rows, r.import_every_ms, r.cpus
    );
    let g = &r.goals;
    let _ = writeln!(s, "| goal | result | |\n|---|---|---|");
    let _ = writeln!(
        s,
        "| no failed request | {} ok, {} failed | {} |",
        r.requests_ok,
        r.requests_failed,
        yes(g.zero_failed_requests)
    );
    let _ = writeln!(
        s,
        "| no lost job | {} uploaded, {} finished, {} lost | {} |",
        r.jobs.uploaded,
        r.jobs.finished,
        r.jobs.lost,
        yes(g.zero_lost_jobs)
    );
    let _ = writeln!(
        s,
        "| no job done twice | {} duplicated ({} redelivered, max attempts {}) | {} |",
        r.jobs.duplicated,
        r.jobs.redelivered,
        r.jobs.max_attempts,
        yes(g.zero_duplicated_jobs)
    );
    let p = &r.posted_clients;
    let _ = writeln!(
        s,
        "| every POSTed client stored once | {} created, {} missing, {} duplicated | {} |",
        p.answered,
        p.missing,
        p.duplicated,
        yes(g.posted_clients_exactly_once)
    );
    let _ = writeln!(
        s,
        "| every SIGTERM exits cleanly within the grace | {} restarts | {} |",
        r.restarts.len(),
        yes(g.clean_shutdowns)
    );
    let l = &r.live_updates;
    let _ = writeln!(
        s,
        "| a live subscriber gets every timeline event | {} recorded, {} missing, {} resyncs \
         ({} received, {} repeats, {} reconnects) | {} |",
        l.recorded,
        l.missing,
        l.resyncs,
        l.received,
        l.repeated,
        l.reconnects,
        yes(g.live_updates_complete)
    );
    let _ = writeln!(
        s,
        "\nThe longest a transaction went on recording timeline events before it committed \
         (first to last event id): {:.1} s; a resuming stream rereads 5 s before its last event.",
        l.longest_recording_ms as f64 / 1000.0
    );
    if !l.missing_events.is_empty() || !l.resync_reasons.is_empty() {
        let _ = writeln!(s);
    }
    for e in &l.missing_events {
        let _ = writeln!(
            s,
            "- missed by the live subscriber: `{}` {} made at {:.1} s",
            e.id,
            e.event_type,
            (e.made_ms - r.start_ms) as f64 / 1000.0
        );
    }
    for reason in &l.resync_reasons {
        let _ = writeln!(s, "- the live stream asked for a reload: {reason}");
    }
    if l.missing > 0 || l.resyncs > 0 {
        for st in &l.streams {
            let _ = writeln!(
                s,
                "- live stream {:.1}-{:.1} s, resumed after {}: {} timeline events; said: {}",
                (st.opened_ms - r.start_ms) as f64 / 1000.0,
                (st.ended_ms - r.start_ms) as f64 / 1000.0,
                st.resumed_after.as_deref().unwrap_or("-"),
                st.timeline_events,
                st.comments.join(" / ")
            );
        }
    }
    let _ = writeln!(
        s,
        "\nVerdict: **{}**. Replayed POSTs (retried by the load balancer, answered from the \
         idempotency key): {}. Import backlog drained {}.\n",
        if g.met { "PASS" } else { "FAIL" },
        r.replayed,
        r.jobs
            .backlog_drained_s
            .map_or("never (timed out)".to_owned(), |t| format!(
                "{t:.1} s after the load"
            ))
    );

    const COLUMNS: &str = "ok | failed | req/s | p50 ms | p95 ms | p99 ms | max ms |";
    const ALIGN: &str = "---:|---:|---:|---:|---:|---:|---:|";
    let _ = writeln!(s, "### Requests\n\n| request | {COLUMNS}\n|---|{ALIGN}");
    stats_row(&mut s, "**all**", &r.overall);
    for x in &r.by_request {
        stats_row(&mut s, &x.endpoint, x);
    }
    let _ = writeln!(
        s,
        "\n### Phases\n\n| phase | from s | to s | {COLUMNS}\n|---|---:|---:|{ALIGN}"
    );
    for ph in &r.phases {
        stats_row(
            &mut s,
            &format!("{} | {:.1} | {:.1}", ph.phase, ph.from_s, ph.to_s),
            &ph.stats,
        );
    }
    let _ = writeln!(
        s,
        "\n### Restarts\n\n| process | SIGTERM → exit s | exit code | exit → ready s | clean |\n\
         |---|---:|---:|---:|---|"
    );
    for x in &r.restarts {
        let _ = writeln!(
            s,
            "| {} | {:.2} | {} | {} | {} |",
            x.process,
            x.sigterm_to_exit_s,
            x.exit_code.map_or("—".to_owned(), |c| c.to_string()),
            x.exit_to_ready_s
                .map_or("—".to_owned(), |t| format!("{t:.2}")),
            if x.clean { "yes" } else { "**no**" }
        );
    }
    let _ = writeln!(
        s,
        "\n### Memory (VmRSS, sampled every 250 ms)\n\n| process | max MiB | per pid: max (last) MiB |\n|---|---:|---|"
    );
    for m in &r.memory {
        let per: Vec<String> = m
            .generations
            .iter()
            .map(|g| format!("{}: {:.1} ({:.1})", g.pid, g.max_rss_mib, g.last_rss_mib))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {:.1} | {} |",
            m.process,
            m.max_rss_mib,
            per.join(", ")
        );
    }
    let j = &r.jobs;
    let _ = writeln!(
        s,
        "\n### Jobs\n\n{} imports uploaded ({} uploads failed, {} of them imported anyway); \
         {} finished with exactly their rows, {} lost, {} duplicated; {} redelivered by the queue.",
        j.uploaded,
        j.upload_failed,
        j.upload_failed_but_imported,
        j.finished,
        j.lost,
        j.duplicated,
        j.redelivered
    );
    for problem in &j.problems {
        let _ = writeln!(s, "- {problem}");
    }
    if !r.failures.is_empty() {
        let _ = writeln!(s, "\n### Failed requests (first {KEPT_FAILURES})\n");
        for f in &r.failures {
            let _ = writeln!(s, "- {:.2} s {}: {}", f.at_s, f.request, f.error);
        }
    }
    s
}

pub(super) fn write(r: &Report, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    crate::report::write_pair(dir, "rolling-restart", r, &markdown(r))
}
