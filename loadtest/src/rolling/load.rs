//! The load: closed-loop users through the load balancer, and a steady flow of CSV imports.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::watch;
use uuid::Uuid;

/// Every client this test creates through `POST /clients` has a name starting with this.
const POST_PREFIX: &str = "Rolling POST";
/// And every imported one this; the import's number follows, then ` Row `.
const IMPORT_PREFIX: &str = "Rolling Import";
/// Failures kept with their details (all are counted).
pub(super) const KEPT_FAILURES: usize = 50;

/// The kinds of request the load sends.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Me,
    List,
    Create,
    Timeline,
    Import,
}

impl Op {
    pub(super) const ALL: [Op; 5] = [Op::Me, Op::List, Op::Create, Op::Timeline, Op::Import];

    pub(super) fn label(self) -> &'static str {
        match self {
            Op::Me => "GET /api/v1/me",
            Op::List => "GET /api/v1/clients",
            Op::Create => "POST /api/v1/clients",
            Op::Timeline => "GET /api/v1/clients/{id}/timeline",
            Op::Import => "POST /api/v1/clients/import",
        }
    }
}

/// One request: when it was sent (ms after the load started), how long it took, whether it
/// succeeded.
#[derive(Clone, Copy)]
pub(super) struct Sample {
    pub(super) sent_ms: u32,
    pub(super) latency_us: u32,
    pub(super) op: Op,
    pub(super) ok: bool,
}

#[derive(Debug, Serialize)]
pub(super) struct Failure {
    pub(super) at_s: f64,
    pub(super) request: &'static str,
    pub(super) error: String,
}

/// What one closed-loop user (or the uploader) saw.
#[derive(Default)]
pub(super) struct Log {
    pub(super) samples: Vec<Sample>,
    pub(super) failures: Vec<Failure>,
    /// Answers carrying `Idempotent-Replayed: true`: a retry (by the load balancer) of a request
    /// the API had already carried out.
    pub(super) replayed: u64,
    /// Names sent with `POST /clients`, and whether the answer was a success.
    pub(super) created: Vec<(String, bool)>,
}

/// A 2xx answer: status, whether it was replayed, body.
type Answer = (u16, bool, String);

impl Log {
    fn record(&mut self, op: Op, sent_ms: u32, took: Duration, result: &Result<Answer, String>) {
        let latency_us = u32::try_from(took.as_micros()).unwrap_or(u32::MAX);
        self.samples.push(Sample {
            sent_ms,
            latency_us,
            op,
            ok: result.is_ok(),
        });
        match result {
            Ok((_, replayed, _)) => self.replayed += u64::from(*replayed),
            Err(e) if self.failures.len() < KEPT_FAILURES => self.failures.push(Failure {
                at_s: f64::from(sent_ms) / 1000.0,
                request: op.label(),
                error: e.clone(),
            }),
            Err(_) => {}
        }
    }

    pub(super) fn merge(&mut self, other: Log) {
        self.samples.extend(other.samples);
        self.failures.extend(other.failures);
        self.replayed += other.replayed;
        self.created.extend(other.created);
    }
}

/// What every task needs: the client, the token, the clock.
pub(super) struct Shared {
    pub(super) http: reqwest::Client,
    pub(super) base: String,
    pub(super) authorization: HeaderValue,
    pub(super) start: Instant,
}

impl Shared {
    pub(super) fn ms(&self) -> u32 {
        u32::try_from(self.start.elapsed().as_millis()).unwrap_or(u32::MAX)
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base))
            .header(AUTHORIZATION, self.authorization.clone())
    }

    /// A creating POST, with a fresh `Idempotency-Key` so that a retry is safe.
    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .header(AUTHORIZATION, self.authorization.clone())
            .header("idempotency-key", Uuid::new_v4().to_string())
    }
}

/// Sends a request and reads the whole answer: a transport error or a non-2xx status is a
/// failure, described with the start of the body.
async fn exchange(request: reqwest::RequestBuilder) -> Result<Answer, String> {
    let response = request.send().await.map_err(|e| format!("{e:?}"))?;
    let status = response.status();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v.as_bytes() == b"true");
    let body = response.text().await.map_err(|e| format!("body: {e:?}"))?;
    if status.is_success() {
        Ok((status.as_u16(), replayed, body))
    } else {
        let excerpt: String = body.chars().take(300).collect();
        Err(format!("HTTP {status}: {excerpt}"))
    }
}

fn id_of(answer: &Result<Answer, String>) -> Option<Uuid> {
    let (_, _, body) = answer.as_ref().ok()?;
    let value: Value = serde_json::from_str(body).ok()?;
    value.get("id")?.as_str()?.parse().ok()
}

/// One closed-loop user: mostly reads, a fifth creating clients, and the timeline of clients it
/// created.
pub(super) async fn user(shared: Arc<Shared>, number: usize, stop: watch::Receiver<bool>) -> Log {
    let mut rng = StdRng::seed_from_u64(number as u64 + 1);
    let mut log = Log::default();
    let mut mine: Vec<Uuid> = Vec::new();
    let mut created = 0u32;
    while !*stop.borrow() {
        let op = match rng.gen_range(0..100) {
            0..35 => Op::Me,
            35..60 => Op::List,
            60..80 => Op::Create,
            _ if mine.is_empty() => Op::Create,
            _ => Op::Timeline,
        };
        let sent_ms = shared.ms();
        let started = Instant::now();
        let result = match op {
            Op::Create => {
                created += 1;
                // Each name's last word is its own: a word shared by concurrent creates (as
                // `n000042` of every user's 42nd client was) makes each wait for the other's
                // commit in the search vocabulary, which real names seldom do.
                let name = format!("{POST_PREFIX} u{number:04} u{number:04}n{created:06}");
                let body = json!({
                    "company_name": name,
                    "emails": [format!("u{number:04}n{created:06}@post.rolling.example")],
                    "status": "lead",
                });
                let result = exchange(shared.post("/api/v1/clients").json(&body)).await;
                if let Some(id) = id_of(&result) {
                    // The most recent few are enough to read timelines from.
                    if mine.len() == 64 {
                        mine.swap_remove(rng.gen_range(0..64));
                    }
                    mine.push(id);
                }
                log.created.push((name, result.is_ok()));
                result
            }
            Op::Timeline => {
                let id = mine[rng.gen_range(0..mine.len())];
                exchange(shared.get(&format!("/api/v1/clients/{id}/timeline"))).await
            }
            Op::List => exchange(shared.get("/api/v1/clients?limit=25")).await,
            Op::Me | Op::Import => exchange(shared.get("/api/v1/me")).await,
        };
        log.record(op, sent_ms, started.elapsed(), &result);
    }
    log
}

/// An uploaded import: its number (in the client names) and, when the upload succeeded, its id.
pub(super) struct Upload {
    pub(super) number: u32,
    pub(super) id: Option<Uuid>,
}

pub(super) fn import_name(number: u32) -> String {
    format!("{IMPORT_PREFIX} {number:05}")
}

/// A CSV file whose every row is a new client named after the import and the row.
fn import_csv(number: u32, rows: u32) -> String {
    let mut csv = String::from("company_name,emails,status\r\n");
    for row in 1..=rows {
        let _ = write!(
            csv,
            "{} Row {row:04},i{number:05}r{row:04}@import.rolling.example,lead\r\n",
            import_name(number)
        );
    }
    csv
}

/// Uploads one import every `every` until told to stop (open loop: a steady flow of jobs).
pub(super) async fn uploader(
    shared: Arc<Shared>,
    rows: u32,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> (Log, Vec<Upload>) {
    let mut log = Log::default();
    let mut uploads = Vec::new();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for number in 1.. {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        let request = shared
            .post("/api/v1/clients/import?dry_run=false")
            .header(CONTENT_TYPE, "text/csv")
            .body(import_csv(number, rows));
        let sent_ms = shared.ms();
        let started = Instant::now();
        let result = exchange(request).await;
        log.record(Op::Import, sent_ms, started.elapsed(), &result);
        uploads.push(Upload {
            number,
            id: id_of(&result),
        });
    }
    (log, uploads)
}

/// Polls `GET /imports/{id}` until every uploaded import is done or failed, or the timeout.
/// Returns the seconds it took, or `None` when some never finished.
pub(super) async fn wait_for_imports(
    shared: &Shared,
    uploads: &[Upload],
    timeout: Duration,
) -> Option<f64> {
    let started = Instant::now();
    let mut pending: Vec<Uuid> = uploads.iter().filter_map(|u| u.id).collect();
    let mut shown = 0;
    loop {
        let mut still = Vec::new();
        for id in pending {
            let finished = match exchange(shared.get(&format!("/api/v1/imports/{id}"))).await {
                Ok((_, _, body)) => serde_json::from_str::<Value>(&body)
                    .ok()
                    .and_then(|v| v.get("status")?.as_str().map(str::to_owned))
                    .is_some_and(|s| s == "done" || s == "failed"),
                Err(_) => false,
            };
            if !finished {
                still.push(id);
            }
        }
        if still.is_empty() {
            return Some(started.elapsed().as_secs_f64());
        }
        if still.len() != shown {
            eprintln!("  {} imports not finished yet", still.len());
            shown = still.len();
        }
        if started.elapsed() >= timeout {
            return None;
        }
        pending = still;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
