//! Figures of a run, as a Markdown table and JSON.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde::Serialize;

use crate::client::Outcome;

/// One endpoint's figures.
#[derive(Debug, Serialize)]
pub struct Stats {
    pub endpoint: String,
    pub ok: u64,
    pub errors: u64,
    pub seconds: f64,
    pub throughput_rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// The value below which `q` of the sorted samples fall (nearest rank), in milliseconds.
fn percentile_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted_us.len() as f64).ceil() as usize;
    f64::from(sorted_us[rank.clamp(1, sorted_us.len()) - 1]) / 1000.0
}

impl Stats {
    pub fn new(endpoint: &str, mut outcome: Outcome) -> Self {
        outcome.latencies_us.sort_unstable();
        let l = &outcome.latencies_us;
        let seconds = outcome.elapsed.as_secs_f64();
        Self {
            endpoint: endpoint.to_owned(),
            ok: outcome.ok,
            errors: outcome.errors,
            seconds,
            throughput_rps: if seconds > 0.0 {
                outcome.ok as f64 / seconds
            } else {
                0.0
            },
            p50_ms: percentile_ms(l, 0.50),
            p95_ms: percentile_ms(l, 0.95),
            p99_ms: percentile_ms(l, 0.99),
            max_ms: percentile_ms(l, 1.0),
        }
    }
}

/// The `me-vs-bare` comparison.
#[derive(Debug, Serialize)]
pub struct Report {
    pub benchmark: &'static str,
    pub unix_time: u64,
    pub cpus: usize,
    pub concurrency: u64,
    pub warmup_s: u64,
    pub duration_s: u64,
    pub pool_size: u32,
    pub me: Stats,
    pub bare: Stats,
    /// me throughput / bare throughput.
    pub throughput_ratio_me_over_bare: f64,
}

impl Report {
    pub fn new(
        concurrency: u64,
        warmup_s: u64,
        duration_s: u64,
        pool_size: u32,
        me: Stats,
        bare: Stats,
    ) -> Self {
        let ratio = if bare.throughput_rps > 0.0 {
            me.throughput_rps / bare.throughput_rps
        } else {
            0.0
        };
        Self {
            benchmark: "me-vs-bare",
            unix_time: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            concurrency,
            warmup_s,
            duration_s,
            pool_size,
            me,
            bare,
            throughput_ratio_me_over_bare: ratio,
        }
    }
}

pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## me-vs-bare\n");
    let _ = writeln!(
        s,
        "{} closed-loop workers, {} s measured after {} s warm-up per endpoint, \
         {} Postgres connections per server, {} CPUs shared by client, servers, Postgres and Redis \
         (all on 127.0.0.1).\n",
        r.concurrency, r.duration_s, r.warmup_s, r.pool_size, r.cpus
    );
    let _ = writeln!(
        s,
        "| endpoint | req/s | p50 ms | p95 ms | p99 ms | max ms | ok | errors |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for x in [&r.me, &r.bare] {
        let _ = writeln!(
            s,
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} |",
            x.endpoint, x.throughput_rps, x.p50_ms, x.p95_ms, x.p99_ms, x.max_ms, x.ok, x.errors
        );
    }
    let _ = writeln!(
        s,
        "\nThroughput ratio me / bare: **{:.2}**",
        r.throughput_ratio_me_over_bare
    );
    s
}

/// Seconds since the Unix epoch, when a report is made.
pub fn unix_time() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// CPUs of this machine (0 if unknown), which a report states.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

/// Writes a report as `<stem>.json` and `<stem>.md` into `dir` (created when missing); every
/// benchmark writes its results this way.
pub fn write_pair(
    dir: &Path,
    stem: &str,
    report: &impl Serialize,
    markdown: &str,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let json = dir.join(format!("{stem}.json"));
    let md = dir.join(format!("{stem}.md"));
    std::fs::write(&json, serde_json::to_string_pretty(report)? + "\n")
        .with_context(|| format!("cannot write {}", json.display()))?;
    std::fs::write(&md, markdown).with_context(|| format!("cannot write {}", md.display()))?;
    Ok((json, md))
}

/// The header of a table of requests by phase, whose rows [`phase_row`] writes.
pub const PHASE_HEADER: &str = "| phase | request | answered | per s | p50 ms | p95 ms | p99 ms | \
                                max ms | errors |\n|---|---|---:|---:|---:|---:|---:|---:|---:|";

/// One request's figures in one phase, as a row of a [`PHASE_HEADER`] table.
pub fn phase_row(s: &mut String, phase: &str, st: &Stats) {
    let _ = writeln!(
        s,
        "| {phase} | {} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
        st.endpoint,
        st.ok,
        st.throughput_rps,
        st.p50_ms,
        st.p95_ms,
        st.p99_ms,
        st.max_ms,
        st.errors
    );
}

/// A ratio with three significant digits (the share of one action can be 0.0004).
pub fn ratio(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v == 0.0 || v >= 100.0 => format!("{v:.0}"),
        Some(v) => {
            let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
            format!("{v:.digits$}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_keep_three_significant_digits() {
        assert_eq!(ratio(Some(0.000_412_3)), "0.000412");
        assert_eq!(ratio(Some(0.0213)), "0.0213");
        assert_eq!(ratio(Some(1.0)), "1.00");
        assert_eq!(ratio(Some(55.04)), "55.0");
        assert_eq!(ratio(Some(284.3)), "284");
        assert_eq!(ratio(None), "–");
    }

    #[test]
    fn nearest_rank() {
        let v: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&v, 0.50), 50.0);
        assert_eq!(percentile_ms(&v, 0.99), 99.0);
        assert_eq!(percentile_ms(&v, 1.0), 100.0);
        assert_eq!(percentile_ms(&[], 0.5), 0.0);
    }
}
