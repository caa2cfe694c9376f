//! Resident memory (VmRSS) of the script's processes, sampled through their pid files.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

/// The processes the script starts, by the names of their pid files.
const PROCESSES: [&str; 4] = ["api1", "api2", "worker1", "worker2"];

/// Resident memory of one process (one pid) of a role.
#[derive(Debug, Serialize, Clone)]
pub(super) struct Generation {
    pub(super) pid: u32,
    pub(super) max_rss_mib: f64,
    pub(super) last_rss_mib: f64,
    pub(super) samples: u32,
}

#[derive(Debug, Serialize)]
pub(super) struct ProcessMemory {
    pub(super) process: &'static str,
    pub(super) max_rss_mib: f64,
    pub(super) generations: Vec<Generation>,
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reads VmRSS of the current pid of every process four times a second until told to stop.
pub(super) async fn sample_memory(
    dir: PathBuf,
    mut stop: watch::Receiver<bool>,
) -> Vec<ProcessMemory> {
    let mut seen: Vec<Vec<Generation>> = vec![Vec::new(); PROCESSES.len()];
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        for (i, name) in PROCESSES.iter().enumerate() {
            let pid = std::fs::read_to_string(dir.join(name))
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok());
            let Some((pid, kib)) = pid.and_then(|pid| Some((pid, rss_kib(pid)?))) else {
                continue;
            };
            let mib = kib as f64 / 1024.0;
            let generations = &mut seen[i];
            match generations.iter_mut().find(|g| g.pid == pid) {
                Some(g) => {
                    g.max_rss_mib = g.max_rss_mib.max(mib);
                    g.last_rss_mib = mib;
                    g.samples += 1;
                }
                None => generations.push(Generation {
                    pid,
                    max_rss_mib: mib,
                    last_rss_mib: mib,
                    samples: 1,
                }),
            }
        }
    }
    PROCESSES
        .iter()
        .zip(seen)
        .map(|(process, generations)| ProcessMemory {
            process,
            max_rss_mib: generations
                .iter()
                .map(|g| g.max_rss_mib)
                .fold(0.0, f64::max),
            generations,
        })
        .collect()
}
