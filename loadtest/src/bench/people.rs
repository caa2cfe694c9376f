//! What the benchmarks of people at work share (`board-bench`, `proposal-bench`): their pace
//! (a random start, then an exponential pause between actions, none at saturation, until the
//! phase's deadline), one exchange timed into its kind's [`Outcome`], and the tallies of many
//! people added up.

use std::time::{Duration, Instant};

use rand::Rng;
use rand::rngs::StdRng;
use serde_json::Value;

use crate::client::Outcome;

/// How one person paces their actions in a phase.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// The mean pause between two actions; zero at saturation.
    think: Duration,
    deadline: Instant,
}

impl Pace {
    pub fn new(think: Duration, deadline: Instant) -> Self {
        Self { think, deadline }
    }

    /// Whether the phase is still on.
    pub fn going(&self) -> bool {
        Instant::now() < self.deadline
    }

    /// Waits a random share of one pause before the first action: people do not click in step.
    pub async fn stagger(&self, rng: &mut StdRng) {
        if !self.think.is_zero() {
            let start = self.think.mul_f64(rng.gen_range(0.0..1.0));
            tokio::time::sleep(start.min(self.left())).await;
        }
    }

    /// Pauses after an action, exponentially `think` on average, never past the deadline.
    pub async fn pause(&self, rng: &mut StdRng) {
        if !self.think.is_zero() {
            let unit: f64 = rng.gen_range(f64::EPSILON..1.0);
            let pause = self.think.mul_f64(-unit.ln());
            tokio::time::sleep(pause.min(self.left())).await;
        }
    }

    fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

/// An outcome with nothing in it yet.
pub fn nothing() -> Outcome {
    Outcome {
        ok: 0,
        errors: 0,
        latencies_us: Vec::new(),
        elapsed: Duration::ZERO,
        first_error: None,
    }
}

/// Adds `from` to `into` (the first error seen stays).
pub fn merge(into: &mut Outcome, from: Outcome) {
    into.ok += from.ok;
    into.errors += from.errors;
    into.latencies_us.extend(from.latencies_us);
    if into.first_error.is_none() {
        into.first_error = from.first_error;
    }
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// Notes one exchange that took `took`: its latency when it went as expected, else the error.
pub fn note(o: &mut Outcome, took: Duration, result: Result<(), String>) {
    match result {
        Ok(()) => {
            o.ok += 1;
            o.latencies_us.push(micros(took));
        }
        Err(e) => {
            o.errors += 1;
            o.first_error.get_or_insert(e);
        }
    }
}

/// One answer: its status and whole body.
pub async fn fetch(request: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    Ok((status, body.to_vec()))
}

/// One answer: its status and JSON body (null when it is not JSON).
pub async fn exchange(request: reqwest::RequestBuilder) -> Result<(u16, Value), String> {
    let (status, body) = fetch(request).await?;
    Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn outcomes_add_up_keeping_the_first_error() {
        let mut a = nothing();
        note(&mut a, Duration::from_millis(2), Ok(()));
        note(&mut a, Duration::from_millis(1), Err("first".into()));
        let mut b = nothing();
        note(&mut b, Duration::from_millis(3), Ok(()));
        note(&mut b, Duration::from_millis(1), Err("second".into()));
        merge(&mut a, b);
        assert_eq!((a.ok, a.errors), (2, 2));
        assert_eq!(a.latencies_us, vec![2_000, 3_000]);
        assert_eq!(a.first_error.as_deref(), Some("first"));
    }

    #[tokio::test]
    async fn a_pause_never_runs_past_the_deadline() {
        let mut rng = StdRng::seed_from_u64(1);
        let deadline = Instant::now() + Duration::from_millis(30);
        let pace = Pace::new(Duration::from_secs(60), deadline);
        assert!(pace.going());
        pace.stagger(&mut rng).await;
        pace.pause(&mut rng).await;
        assert!(!pace.going());
        assert!(Instant::now() < deadline + Duration::from_millis(500));
        // At saturation nobody waits.
        let now = Instant::now();
        let busy = Pace::new(Duration::ZERO, now + Duration::from_secs(60));
        busy.pause(&mut rng).await;
        assert!(now.elapsed() < Duration::from_millis(50));
    }
}
