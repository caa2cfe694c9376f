//! What a scratch database's sessions wait on during a benchmark's phase: `pg_stat_activity`
//! sampled every 50 ms, each active session counted under its wait (`CPU`: none) and the start
//! of its statement, and the table of the most seen (`board-bench`, `proposal-bench`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::watch;

/// The waits reported per phase.
const KEPT: usize = 12;

/// Samples, every 50 ms, what the database's active sessions are waiting on.
pub struct WaitSampler {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<(BTreeMap<String, u64>, u64)>,
}

impl WaitSampler {
    /// Starts sampling the sessions of `database`, read through `admin` (a superuser's pool).
    pub fn start(admin: PgPool, database: String) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut seen: BTreeMap<String, u64> = BTreeMap::new();
            let mut samples = 0;
            let mut tick = tokio::time::interval(Duration::from_millis(50));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stopped.changed() => break,
                }
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT coalesce(wait_event_type || '/' || wait_event, 'CPU'),
                            regexp_replace(left(query, 48), '\\s+', ' ', 'g')
                       FROM pg_stat_activity
                      WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid()",
                )
                .bind(&database)
                .fetch_all(&admin)
                .await
                .unwrap_or_default();
                samples += 1;
                for (wait, query) in rows {
                    *seen.entry(format!("{wait}: {query}")).or_default() += 1;
                }
            }
            (seen, samples)
        });
        Self { stop, task }
    }

    /// Stops sampling: the most seen waits, most first, and how many samples were taken.
    pub async fn finish(self) -> (Vec<(String, u64)>, u64) {
        let _ = self.stop.send(true);
        let (seen, samples) = self.task.await.unwrap_or_default();
        (most_seen(seen), samples)
    }
}

/// The [`KEPT`] waits seen most, most first (then by name).
fn most_seen(seen: BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut waits: Vec<(String, u64)> = seen.into_iter().collect();
    waits.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    waits.truncate(KEPT);
    waits
}

/// The markdown table of one phase's waits.
pub fn markdown(s: &mut String, phase: &str, waits: &[(String, u64)], samples: u64) {
    let _ = writeln!(
        s,
        "What the database's active sessions were doing ({phase}; {samples} samples, 50 ms \
         apart):\n\n| wait: statement | samples |\n|---|---:|"
    );
    for (what, n) in waits {
        let _ = writeln!(s, "| `{}` | {n} |", what.replace('|', "\\|"));
    }
    let _ = writeln!(s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_seen_come_first_and_the_rest_are_left_out() {
        let seen: BTreeMap<String, u64> = (0..20).map(|i| (format!("w{i:02}"), i % 7)).collect();
        let kept = most_seen(seen);
        assert_eq!(kept.len(), KEPT);
        assert_eq!(kept[0], ("w06".to_owned(), 6));
        assert_eq!(kept[1], ("w13".to_owned(), 6));
        assert!(kept.windows(2).all(|w| w[0].1 >= w[1].1));
        let mut s = String::new();
        markdown(&mut s, "p", &[("CPU: a|b".into(), 3)], 10);
        assert!(s.contains("(p; 10 samples") && s.contains("| `CPU: a\\|b` | 3 |"));
    }
}
