//! The closed loop: N workers, each sending its next request as soon as the last one is
//! answered, over keep-alive connections, until the deadline or the request budget runs out.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::header::{AUTHORIZATION, COOKIE, HeaderName, HeaderValue};

/// One endpoint under load: one URL, or many that the workers pick from at random (a list of
/// ids, of search terms, ...).
pub struct Target {
    pub name: String,
    urls: Arc<[String]>,
    /// How the requests are signed in: a bearer token (the API) or a session cookie (the
    /// console).
    credential: Option<(HeaderName, HeaderValue)>,
}

impl Target {
    pub fn new(name: impl Into<String>, url: String, bearer: Option<&str>) -> anyhow::Result<Self> {
        Self::many(name, vec![url], bearer)
    }

    pub fn many(
        name: impl Into<String>,
        urls: Vec<String>,
        bearer: Option<&str>,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(!urls.is_empty(), "a target needs at least one URL");
        let credential = bearer
            .map(|t| HeaderValue::from_str(&format!("Bearer {t}")))
            .transpose()?
            .map(|v| (AUTHORIZATION, v));
        Ok(Self {
            name: name.into(),
            urls: urls.into(),
            credential,
        })
    }

    /// Console pages, signed in as a browser is: the access token in the session cookie.
    pub fn pages(
        name: impl Into<String>,
        urls: Vec<String>,
        access_token: &str,
    ) -> anyhow::Result<Self> {
        let mut target = Self::many(name, urls, None)?;
        let cookie = HeaderValue::from_str(&format!("crm_access={access_token}"))?;
        target.credential = Some((COOKIE, cookie));
        Ok(target)
    }

    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    fn request(&self, http: &reqwest::Client, i: usize) -> reqwest::RequestBuilder {
        let request = http.get(&self.urls[i % self.urls.len()]);
        match &self.credential {
            Some((name, value)) => request.header(name.clone(), value.clone()),
            None => request,
        }
    }

    /// The full answer to the `i`-th URL: its status and body.
    pub async fn fetch(&self, http: &reqwest::Client, i: usize) -> anyhow::Result<(u16, String)> {
        let response = self.request(http, i).send().await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }
}

/// A small xorshift generator per worker, to pick URLs without sharing state.
fn next_index(state: &mut u64) -> usize {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state as usize
}

/// How hard and how long.
pub struct Load {
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// Per phase.
    pub max_requests: u64,
}

/// What one measured phase saw.
pub struct Outcome {
    pub ok: u64,
    pub errors: u64,
    /// Of successful requests, in microseconds, unsorted.
    pub latencies_us: Vec<u32>,
    pub elapsed: Duration,
    pub first_error: Option<String>,
}

/// A keep-alive client for 127.0.0.1: no proxy, one pooled connection per worker.
pub fn http_client(concurrency: usize) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(concurrency)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(10))
        .build()
        .context("cannot build the HTTP client")
}

/// One request, which must answer 200, before any load.
pub async fn check(http: &reqwest::Client, target: &Target) -> anyhow::Result<()> {
    let response = target.request(http, 0).send().await?;
    let status = response.status();
    let body = response.text().await?;
    anyhow::ensure!(status.is_success(), "answered {status}: {body}");
    Ok(())
}

/// Warm-up (discarded), then the measured phase.
pub async fn measure(http: &reqwest::Client, target: &Target, load: &Load) -> Outcome {
    measure_users(http, target, load, Duration::ZERO).await
}

/// As [`measure`], but each worker is a user who thinks between requests: an exponentially
/// distributed pause with mean `think` after every answer (and a random start within `think`,
/// so the users do not click in step). Zero is a closed loop at saturation.
pub async fn measure_users(
    http: &reqwest::Client,
    target: &Target,
    load: &Load,
    think: Duration,
) -> Outcome {
    if !load.warmup.is_zero() {
        run(
            http,
            target,
            load.concurrency,
            load.warmup,
            load.max_requests,
            think,
        )
        .await;
    }
    run(
        http,
        target,
        load.concurrency,
        load.duration,
        load.max_requests,
        think,
    )
    .await
}

/// A uniform number in (0, 1] from the worker's xorshift state.
fn next_unit(state: &mut u64) -> f64 {
    ((next_index(state) >> 11) as f64 + 1.0) / (1u64 << 53) as f64
}

async fn run(
    http: &reqwest::Client,
    target: &Target,
    concurrency: usize,
    duration: Duration,
    max_requests: u64,
    think: Duration,
) -> Outcome {
    let start = Instant::now();
    let deadline = start + duration;
    let budget = Arc::new(AtomicI64::new(
        i64::try_from(max_requests).unwrap_or(i64::MAX),
    ));
    let per_worker = usize::try_from(max_requests)
        .unwrap_or(usize::MAX)
        .div_ceil(concurrency)
        .min(1 << 16);
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let http = http.clone();
            let target = Target {
                name: String::new(),
                urls: target.urls.clone(),
                credential: target.credential.clone(),
            };
            let budget = budget.clone();
            let mut rng_state =
                0x9e37_79b9_7f4a_7c15_u64 ^ (((w as u64 + 1) << 32) | (w as u64 + 1));
            tokio::spawn(async move {
                let mut out = Outcome {
                    ok: 0,
                    errors: 0,
                    latencies_us: Vec::with_capacity(per_worker),
                    elapsed: Duration::ZERO,
                    first_error: None,
                };
                if !think.is_zero() {
                    tokio::time::sleep(think.mul_f64(next_unit(&mut rng_state))).await;
                }
                while Instant::now() < deadline && budget.fetch_sub(1, Ordering::Relaxed) > 0 {
                    let request = target.request(&http, next_index(&mut rng_state));
                    let sent = Instant::now();
                    match exchange(request).await {
                        Ok(()) => {
                            out.ok += 1;
                            let us = sent.elapsed().as_micros();
                            out.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
                        }
                        Err(e) => {
                            out.errors += 1;
                            out.first_error.get_or_insert(e);
                        }
                    }
                    if !think.is_zero() {
                        let pause = think.mul_f64(-next_unit(&mut rng_state).ln());
                        tokio::time::sleep(
                            pause.min(deadline.saturating_duration_since(Instant::now())),
                        )
                        .await;
                    }
                }
                out
            })
        })
        .collect();
    let mut total = Outcome {
        ok: 0,
        errors: 0,
        latencies_us: Vec::new(),
        elapsed: Duration::ZERO,
        first_error: None,
    };
    for worker in workers {
        match worker.await {
            Ok(out) => {
                total.ok += out.ok;
                total.errors += out.errors;
                total.latencies_us.extend(out.latencies_us);
                if total.first_error.is_none() {
                    total.first_error = out.first_error;
                }
            }
            Err(e) => {
                total.errors += 1;
                total
                    .first_error
                    .get_or_insert(format!("worker failed: {e}"));
            }
        }
    }
    total.elapsed = start.elapsed();
    total
}

/// Sends a request and reads the whole body (so the connection goes back to the pool).
async fn exchange(request: reqwest::RequestBuilder) -> Result<(), String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    response.bytes().await.map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {status}"))
    }
}
