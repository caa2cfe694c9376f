//! The database's own ceiling: `pgbench -S` (one-row primary-key reads, prepared statements) on
//! a scratch database initialised by `pgbench -i`, with every transaction's latency taken from
//! its per-transaction log (`--log`), since pgbench itself prints only the mean and deviation.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, Connection};
use tokio::process::Command;

use crate::client::Outcome;
use crate::report::Stats;
use crate::seed;

/// How `pgbench -S` runs.
pub struct Bench<'a> {
    pub pg_addr: &'a str,
    pub database: &'a str,
    pub scale: u32,
    pub clients: usize,
    pub warmup: u64,
    pub seconds: u64,
}

/// What pgbench said besides the latencies.
#[derive(Debug, Serialize)]
pub struct Info {
    pub command: String,
    pub scale: u32,
    pub clients: usize,
    pub tps_reported: Option<f64>,
    pub failed: u64,
    pub initialised_now: bool,
}

fn host_port(pg_addr: &str) -> (&str, &str) {
    pg_addr.rsplit_once(':').unwrap_or((pg_addr, "5432"))
}

async fn pgbench(b: &Bench<'_>, args: &[String]) -> anyhow::Result<String> {
    let (host, port) = host_port(b.pg_addr);
    let out = Command::new("pgbench")
        .args(["-h", host, "-p", port, "-U", "postgres"])
        .args(args)
        .arg(b.database)
        .output()
        .await
        .context("cannot run pgbench (Debian: apt-get install postgresql-client)")?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    anyhow::ensure!(
        out.status.success(),
        "pgbench {} failed: {}{}",
        args.join(" "),
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(stdout)
}

/// Creates the scratch database when missing and runs `pgbench -i` unless it already holds the
/// tables at this scale.
async fn prepare(b: &Bench<'_>) -> anyhow::Result<bool> {
    seed::check_database_name(b.database)?;
    anyhow::ensure!(
        b.database.contains("pgbench"),
        "--pgbench-database must name a pgbench scratch database (contain \"pgbench\"), got {}",
        b.database
    );
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&seed::url(b.pg_addr, "postgres", "postgres"))
        .await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(b.database)
            .fetch_one(&admin)
            .await?;
    if !exists {
        // The name was checked above: lower-case letters, digits and underscores only.
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {}", b.database)))
            .execute(&admin)
            .await?;
    }
    admin.close().await;
    let mut conn =
        sqlx::PgConnection::connect(&seed::url(b.pg_addr, "postgres", b.database)).await?;
    let branches: Option<i64> = sqlx::query_scalar("SELECT count(*) FROM pgbench_branches")
        .fetch_one(&mut conn)
        .await
        .ok();
    conn.close().await?;
    if branches == Some(i64::from(b.scale)) {
        return Ok(false);
    }
    eprintln!("pgbench -i -s {} {}", b.scale, b.database);
    pgbench(
        b,
        &["-i".into(), "-q".into(), "-s".into(), b.scale.to_string()],
    )
    .await?;
    Ok(true)
}

/// Latencies (µs) of every logged transaction: the third field of each line.
fn read_logs(dir: &Path) -> anyhow::Result<Vec<u32>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let text = std::fs::read_to_string(entry?.path())?;
        for line in text.lines() {
            if let Some(us) = line
                .split_whitespace()
                .nth(2)
                .and_then(|f| f.parse::<u64>().ok())
            {
                out.push(u32::try_from(us).unwrap_or(u32::MAX));
            }
        }
    }
    Ok(out)
}

fn reported(stdout: &str, prefix: &str) -> Option<f64> {
    stdout.lines().find_map(|l| {
        l.trim()
            .strip_prefix(prefix)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

/// Runs the warm-up, then the measured `pgbench -S`.
pub async fn run(b: &Bench<'_>) -> anyhow::Result<(Stats, Info)> {
    let initialised_now = prepare(b).await?;
    let common = |secs: u64| -> Vec<String> {
        vec![
            "-S".into(),
            "-M".into(),
            "prepared".into(),
            "-c".into(),
            b.clients.to_string(),
            "-j".into(),
            "2".into(),
            "-T".into(),
            secs.to_string(),
        ]
    };
    if b.warmup > 0 {
        pgbench(b, &common(b.warmup)).await?;
    }
    let dir = std::env::temp_dir().join(format!("crm-pgbench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut args = common(b.seconds);
    args.push("--log".into());
    args.push(format!("--log-prefix={}", dir.join("pgbench").display()));
    let result = pgbench(b, &args).await;
    let latencies = read_logs(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = result?;
    let latencies_us = latencies?;
    let failed = reported(&stdout, "number of failed transactions:").unwrap_or(0.0) as u64;
    let outcome = Outcome {
        ok: latencies_us.len() as u64,
        errors: failed,
        latencies_us,
        elapsed: Duration::from_secs(b.seconds),
        first_error: None,
    };
    let (host, port) = host_port(b.pg_addr);
    Ok((
        Stats::new("pgbench -S (SELECT abalance … WHERE aid = $1)", outcome),
        Info {
            command: format!(
                "pgbench -h {host} -p {port} -U postgres {} --log {}",
                args[..args.len() - 2].join(" "),
                b.database
            ),
            scale: b.scale,
            clients: b.clients,
            tps_reported: reported(&stdout, "tps ="),
            failed,
            initialised_now,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pgbench_figures() {
        let out = "number of failed transactions: 0 (0.000%)\n\
                   tps = 20811.123456 (without initial connection time)\n";
        assert_eq!(reported(out, "tps ="), Some(20811.123456));
        assert_eq!(reported(out, "number of failed transactions:"), Some(0.0));
    }
}
