//! What the API does to tickets while a pass runs: changes of a ticket by a person, each in a
//! tenant transaction of its own as `crm_app` (`services::tickets::update`, the API's own
//! function: the row locked, checked, saved with its due times, audited, put on the timeline),
//! at a fixed rate whatever their speed (open loop), half of them on tickets the pass reads and
//! updates. Each latency runs from when the write was due, so a write kept waiting by a lock
//! shows in full.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use db::TenantTx;
use db::audit::Actor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use services::tickets::TicketPatch;
use services::{Expected, Scope};
use sqlx::PgPool;
use tokio::task::{JoinHandle, JoinSet};
use uuid::Uuid;

use super::plan::TITLE_PREFIX;
use crate::client::Outcome;
use crate::report::Stats;

/// Tickets of each kind the writes go to.
const SAMPLE: i64 = 1_000;

/// A ticket a person changes, and who they are.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub tenant: Uuid,
    pub ticket: Uuid,
    pub user: Uuid,
    /// Its warning time is within the pass's horizon: the pass reads it and stores its estimate.
    pub read_by_pass: bool,
}

/// One write, when it was due and how long after that it was done.
#[derive(Debug, Clone)]
pub struct Done {
    pub due: Instant,
    pub took: Duration,
    pub read_by_pass: bool,
    pub error: Option<String>,
}

/// `SAMPLE` benchmark tickets the pass reads and as many it does not, each with its tenant's
/// first user.
pub async fn targets(pool: &PgPool) -> anyhow::Result<Vec<Target>> {
    let rows: Vec<(Uuid, Uuid, Uuid, bool)> = sqlx::query_as(
        "WITH owners AS (
            SELECT DISTINCT ON (tenant_id) tenant_id, id FROM users ORDER BY tenant_id, created_at),
         soon AS (
            SELECT tenant_id, id, true AS soon FROM tickets
             WHERE title LIKE $1 AND next_warn_at <= now() + interval '4 hours'
             ORDER BY random() LIMIT $2),
         later AS (
            SELECT tenant_id, id, false AS soon FROM tickets
             WHERE title LIKE $1 AND next_warn_at > now() + interval '4 hours'
             ORDER BY random() LIMIT $2)
         SELECT t.tenant_id, t.id, o.id, t.soon
           FROM (SELECT * FROM soon UNION ALL SELECT * FROM later) t
           JOIN owners o ON o.tenant_id = t.tenant_id",
    )
    .bind(format!("{TITLE_PREFIX}%"))
    .bind(SAMPLE)
    .fetch_all(pool)
    .await?;
    anyhow::ensure!(!rows.is_empty(), "no benchmark ticket to write to");
    Ok(rows
        .into_iter()
        .map(|(tenant, ticket, user, read_by_pass)| Target {
            tenant,
            ticket,
            user,
            read_by_pass,
        })
        .collect())
}

/// Writes running in the background until [`Writes::finish`].
pub struct Writes {
    stop: Arc<AtomicBool>,
    task: JoinHandle<Vec<Done>>,
}

impl Writes {
    /// Starts `rate` writes a second over `targets`, through `pool` (as `crm_app`).
    pub fn start(pool: PgPool, targets: Vec<Target>, rate: u32, seed: u64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut running = JoinSet::new();
            let mut done = Vec::new();
            let every = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
            let mut ticks = tokio::time::interval(every);
            let mut n = 0u64;
            while !flag.load(Ordering::Relaxed) {
                let due = ticks.tick().await.into_std();
                let target = targets[rng.gen_range(0..targets.len())];
                n += 1;
                running.spawn(one(pool.clone(), target, n, due));
                while let Some(Ok(d)) = running.try_join_next() {
                    done.push(d);
                }
            }
            while let Some(d) = running.join_next().await {
                done.extend(d.ok());
            }
            done
        });
        Self { stop, task }
    }

    pub async fn finish(self) -> Vec<Done> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap_or_default()
    }
}

/// A person changes the ticket's team (nothing the SLA reads), as `PATCH /api/v1/tickets/{id}`
/// does after its checks.
async fn one(pool: PgPool, t: Target, n: u64, due: Instant) -> Done {
    let result = async {
        let tx = TenantTx::begin(&pool, t.tenant).await?;
        let actor = Actor {
            kind: "user",
            id: Some(t.user),
            ..Actor::default()
        };
        let mut scope = Scope::new(tx, actor);
        let patch = TicketPatch {
            team: Some(Some(format!("Second line {}", n % 5))),
            ..TicketPatch::default()
        };
        services::tickets::update(&mut scope, t.ticket, patch, &Expected::Any).await?;
        scope.commit().await?;
        anyhow::Ok(())
    }
    .await;
    Done {
        due,
        took: due.elapsed(),
        read_by_pass: t.read_by_pass,
        error: result.err().map(|e| format!("{e:#}")),
    }
}

/// The figures of the writes due in `[from, to)`, of all or only of those on tickets the pass
/// reads.
pub fn stats(name: &str, done: &[Done], from: Instant, to: Instant, only_read: bool) -> Stats {
    let mut outcome = Outcome {
        ok: 0,
        errors: 0,
        latencies_us: Vec::new(),
        elapsed: to.saturating_duration_since(from),
        first_error: None,
    };
    for d in done
        .iter()
        .filter(|d| d.due >= from && d.due < to && (!only_read || d.read_by_pass))
    {
        match &d.error {
            None => {
                outcome.ok += 1;
                outcome
                    .latencies_us
                    .push(u32::try_from(d.took.as_micros()).unwrap_or(u32::MAX));
            }
            Some(e) => {
                outcome.errors += 1;
                outcome.first_error.get_or_insert_with(|| e.clone());
            }
        }
    }
    Stats::new(name, outcome)
}

/// The first error of the writes, if any failed.
pub fn first_error(done: &[Done]) -> Option<String> {
    done.iter().find_map(|d| d.error.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_of_a_window() {
        let start = Instant::now();
        let at = |ms: u64, took_ms: u64, read: bool, error: Option<&str>| Done {
            due: start + Duration::from_millis(ms),
            took: Duration::from_millis(took_ms),
            read_by_pass: read,
            error: error.map(str::to_owned),
        };
        let done = vec![
            at(0, 5, false, None),
            at(100, 7, true, None),
            at(200, 900, true, None),
            at(300, 1, true, Some("boom")),
            at(1_000, 50, true, None),
        ];
        let window = stats(
            "w",
            &done,
            start + Duration::from_millis(50),
            start + Duration::from_millis(1_000),
            false,
        );
        assert_eq!((window.ok, window.errors), (2, 1));
        assert_eq!(window.max_ms, 900.0);
        let read = stats("r", &done, start, start + Duration::from_secs(2), true);
        assert_eq!((read.ok, read.errors), (3, 1));
        assert_eq!(first_error(&done).as_deref(), Some("boom"));
    }
}
