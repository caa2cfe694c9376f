//! Open loop: actions arrive at a fixed mean rate (Poisson arrivals) whatever the API's speed,
//! and each one's latency is measured from when it was due, not from when it was sent — so a
//! stall shows in the figures instead of quietly slowing the load (coordinated omission).
//!
//! Each arrival is served by an idle signed-in member of staff from a pool (one action at a
//! time per person, as at a desk); waiting for one counts in the latency.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::data::Shared;
use super::mix::{self, Action, Plain, Staff};
use crate::client::Outcome;
use crate::report::Stats;

/// Signed-in staff waiting for work.
pub struct Pool {
    idle: Mutex<Vec<Staff>>,
    free: Semaphore,
}

impl Pool {
    fn take(&self, pick: usize) -> Option<Staff> {
        let mut idle = self.idle.lock().ok()?;
        if idle.is_empty() {
            return None;
        }
        let at = pick % idle.len();
        Some(idle.swap_remove(at))
    }

    fn put(&self, staff: Staff) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(staff);
        }
    }
}

/// Signs `size` staff members in (slots 0..size, the goose runs' first staff), eight at a time.
pub async fn sign_in(
    shared: &Arc<Shared>,
    http: &reqwest::Client,
    base: &str,
    size: usize,
    seed: u64,
) -> anyhow::Result<Pool> {
    let mut staff = Vec::with_capacity(size);
    let mut pending = JoinSet::new();
    for slot in 0..size {
        let (shared, http, base) = (shared.clone(), http.clone(), base.to_owned());
        pending.spawn(async move {
            let mut s = Staff::new(&shared, slot, seed);
            let mut plain = Plain { client: http, base };
            mix::perform(Action::SignIn, &mut plain, &mut s, &shared)
                .await
                .map(|()| s)
        });
        while pending.len() >= 8 {
            if let Some(done) = pending.join_next().await {
                staff.push(
                    done.context("sign-in task failed")?
                        .map_err(anyhow::Error::msg)?,
                );
            }
        }
    }
    while let Some(done) = pending.join_next().await {
        staff.push(
            done.context("sign-in task failed")?
                .map_err(anyhow::Error::msg)?,
        );
    }
    Ok(Pool {
        free: Semaphore::new(staff.len()),
        idle: Mutex::new(staff),
    })
}

/// What one open-loop run saw.
pub struct OpenLoopResult {
    pub rate: f64,
    pub arrivals: u64,
    pub all: Stats,
    pub by_action: Vec<Stats>,
    /// Latest an arrival was handed to the runtime after it was due (the generator's own lag).
    pub max_dispatch_lag_ms: f64,
    pub max_in_flight: usize,
    /// Errors by message (its first 120 characters), most frequent first.
    pub errors: Vec<(String, usize)>,
}

struct Done {
    action: usize,
    measured: bool,
    latency_us: u32,
    result: Result<(), String>,
}

fn outcome() -> Outcome {
    Outcome {
        ok: 0,
        errors: 0,
        latencies_us: Vec::new(),
        elapsed: Duration::ZERO,
        first_error: None,
    }
}

/// Where the arrivals go and who serves them.
pub struct Driver {
    pub pool: Arc<Pool>,
    pub shared: Arc<Shared>,
    pub http: reqwest::Client,
    pub base: String,
}

fn record(
    d: Done,
    per_action: &mut [Outcome],
    all: &mut Outcome,
    errors: &mut BTreeMap<String, usize>,
) {
    if !d.measured {
        return;
    }
    if let Err(e) = &d.result {
        *errors.entry(e.chars().take(120).collect()).or_default() += 1;
    }
    for o in [&mut per_action[d.action], all] {
        match &d.result {
            Ok(()) => {
                o.ok += 1;
                o.latencies_us.push(d.latency_us);
            }
            Err(e) => {
                o.errors += 1;
                o.first_error.get_or_insert_with(|| e.clone());
            }
        }
    }
}

impl Driver {
    /// Runs `rate` actions per second for `warmup` (not counted) then `duration`.
    pub async fn run(
        &self,
        rate: f64,
        warmup: Duration,
        duration: Duration,
        seed: u64,
    ) -> anyhow::Result<OpenLoopResult> {
        let (pool, shared, http, base) = (&self.pool, &self.shared, &self.http, &self.base);
        anyhow::ensure!(rate > 0.0, "an open-loop rate must be positive");
        let mix = Action::built_mix();
        anyhow::ensure!(!mix.is_empty(), "no action is built");
        let mut rng = StdRng::seed_from_u64(seed ^ rate.to_bits());
        let start = Instant::now();
        let measure_from = start + warmup;
        let end = measure_from + duration;
        let mut per_action: Vec<Outcome> = mix.iter().map(|_| outcome()).collect();
        let mut all = outcome();
        let mut errors = BTreeMap::new();
        let mut tasks: JoinSet<Done> = JoinSet::new();
        let mut due = start;
        let (mut arrivals, mut max_lag, mut max_in_flight) = (0u64, Duration::ZERO, 0usize);

        loop {
            // Exponential gaps: arrivals of independent people, not a metronome.
            let gap = -(1.0 - rng.r#gen::<f64>()).ln() / rate;
            due += Duration::from_secs_f64(gap);
            if due >= end {
                break;
            }
            tokio::time::sleep_until(due.into()).await;
            max_lag = max_lag.max(due.elapsed());
            let (i, action) = crate::names::weighted(&mut rng, &mix);
            let measured = due >= measure_from;
            if measured {
                arrivals += 1;
            }
            let pick = rng.r#gen::<usize>();
            let (pool, shared) = (pool.clone(), shared.clone());
            let mut plain = Plain {
                client: http.clone(),
                base: base.to_owned(),
            };
            tasks.spawn(async move {
                let result = async {
                    let _permit = pool.free.acquire().await.map_err(|e| e.to_string())?;
                    let mut staff = pool.take(pick).ok_or("no idle staff")?;
                    let r = mix::perform(action, &mut plain, &mut staff, &shared).await;
                    pool.put(staff);
                    r
                }
                .await;
                let latency_us = u32::try_from(due.elapsed().as_micros()).unwrap_or(u32::MAX);
                Done {
                    action: i,
                    measured,
                    latency_us,
                    result,
                }
            });
            max_in_flight = max_in_flight.max(tasks.len());
            while let Some(done) = tasks.try_join_next() {
                match done {
                    Ok(d) => record(d, &mut per_action, &mut all, &mut errors),
                    Err(e) => {
                        all.errors += 1;
                        all.first_error.get_or_insert_with(|| e.to_string());
                    }
                }
            }
        }
        // The last arrivals still count: wait for them (bounded, in case the API hangs).
        let drain = async {
            while let Some(done) = tasks.join_next().await {
                match done {
                    Ok(d) => record(d, &mut per_action, &mut all, &mut errors),
                    Err(e) => {
                        all.errors += 1;
                        all.first_error.get_or_insert_with(|| e.to_string());
                    }
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(60), drain)
            .await
            .is_err()
        {
            let stuck = tasks.len() as u64;
            tasks.abort_all();
            all.errors += stuck;
            all.first_error
                .get_or_insert_with(|| format!("{stuck} actions unanswered after 60 s"));
        }

        all.elapsed = duration;
        let by_action = mix
            .iter()
            .zip(per_action)
            .map(|((a, _), mut o)| {
                o.elapsed = duration;
                Stats::new(a.label(), o)
            })
            .collect();
        let mut errors: Vec<(String, usize)> = errors.into_iter().collect();
        errors.sort_by_key(|e| std::cmp::Reverse(e.1));
        Ok(OpenLoopResult {
            errors,
            rate,
            arrivals,
            all: Stats::new("all actions", all),
            by_action,
            max_dispatch_lag_ms: max_lag.as_secs_f64() * 1000.0,
            max_in_flight,
        })
    }
}
