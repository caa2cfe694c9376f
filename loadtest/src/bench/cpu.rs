//! CPU time spent meanwhile by the benchmark's own process and by the local Postgres and Redis
//! servers, read from `/proc/<pid>/stat` (user + system time, in the kernel's 100 ticks a
//! second). A Postgres backend that exits during the phase takes its time with it, so the
//! database's figure is a floor; the pools of the benchmarks keep theirs open.

use serde::Serialize;

/// The kernel's clock ticks a second for `/proc` times (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds used so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTimes {
    own: f64,
    postgres: f64,
    redis: f64,
}

/// CPU seconds used between two readings.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CpuUsed {
    /// This process (in `deliver-bench`: the worker, the fake provider, the idle senders).
    pub own_seconds: f64,
    pub postgres_seconds: f64,
    pub redis_seconds: f64,
}

/// Reads the CPU times now.
pub fn now() -> CpuTimes {
    let mut times = CpuTimes {
        own: process_seconds("self").unwrap_or(0.0),
        ..CpuTimes::default()
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return times;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        match command(pid).as_deref() {
            Some("postgres") => times.postgres += process_seconds(pid).unwrap_or(0.0),
            Some("redis-server") => times.redis += process_seconds(pid).unwrap_or(0.0),
            _ => {}
        }
    }
    times
}

impl CpuTimes {
    /// What was used since `earlier`.
    pub fn since(&self, earlier: &CpuTimes) -> CpuUsed {
        CpuUsed {
            own_seconds: self.own - earlier.own,
            postgres_seconds: (self.postgres - earlier.postgres).max(0.0),
            redis_seconds: (self.redis - earlier.redis).max(0.0),
        }
    }
}

fn command(pid: &str) -> Option<String> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(comm.trim().to_owned())
}

/// User + system seconds of process `pid` (`self` for this one).
fn process_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command may hold spaces and parentheses: the fields start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // After the command: state is field 3 of the line, utime 14 and stime 15.
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user + system) / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_spell_of_this_process_is_counted_as_its_own() {
        let before = now();
        let started = std::time::Instant::now();
        let mut x = 0u64;
        while started.elapsed() < std::time::Duration::from_millis(400) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let used = now().since(&before);
        assert!(x > 0);
        // 400 ms of spinning, of which at least a part on a CPU even on a busy machine.
        assert!(used.own_seconds >= 0.05, "{used:?}");
        assert!(used.own_seconds < 5.0, "{used:?}");
    }
}
