//! Prometheus metrics on their own port, labelled by route template, never raw paths or tenants.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use crate::state::AppState;

/// The API's metric families, registered in one registry.
pub struct Metrics {
    pub registry: Registry,
    pub requests: IntCounterVec,
    pub duration: HistogramVec,
    pub db_pool_size: IntGauge,
    pub db_pool_idle: IntGauge,
    pub redis_up: IntGauge,
    pub redis_pool_size: IntGauge,
    pub authz_reloads: IntCounterVec,
    pub process_resident_bytes: IntGauge,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests served"),
            &["method", "route", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ],
            ),
            &["method", "route", "status"],
        )?;
        let db_pool_size = IntGauge::new("db_pool_connections", "Open Postgres connections")?;
        let db_pool_idle = IntGauge::new("db_pool_idle_connections", "Idle Postgres connections")?;
        let redis_up = IntGauge::new("redis_up", "1 when the last Redis operation succeeded")?;
        let redis_pool_size = IntGauge::new("redis_pool_connections", "Open Redis connections")?;
        let authz_reloads = IntCounterVec::new(
            Opts::new("authz_policy_reloads_total", "Authorization policy reloads"),
            &["trigger", "outcome"],
        )?;
        let process_resident_bytes = IntGauge::new(
            "process_resident_memory_bytes",
            "Resident memory of this process",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(db_pool_size.clone()))?;
        registry.register(Box::new(db_pool_idle.clone()))?;
        registry.register(Box::new(redis_up.clone()))?;
        registry.register(Box::new(redis_pool_size.clone()))?;
        registry.register(Box::new(authz_reloads.clone()))?;
        registry.register(Box::new(process_resident_bytes.clone()))?;
        registry.register(Box::new(build_info()?))?;
        Ok(Self {
            registry,
            requests,
            duration,
            db_pool_size,
            db_pool_idle,
            redis_up,
            redis_pool_size,
            authz_reloads,
            process_resident_bytes,
        })
    }
}

/// `crm_build_info{version, revision} 1`: which build answers, for dashboards and rollouts.
fn build_info() -> Result<IntGauge, prometheus::Error> {
    use domain::build_info::{HELP, METRIC, REVISION, VERSION};
    let gauge = IntGauge::with_opts(
        Opts::new(METRIC, HELP)
            .const_label("version", VERSION)
            .const_label("revision", REVISION),
    )?;
    gauge.set(1);
    Ok(gauge)
}

/// Records count and latency of every request by method, route template and status.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "<unmatched>".to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [method.as_str(), route.as_str(), status.as_str()];
    state.metrics.requests.with_label_values(&labels).inc();
    state
        .metrics
        .duration
        .with_label_values(&labels)
        .observe(started.elapsed().as_secs_f64());
    res
}

/// Resident set size from /proc (Linux), 0 elsewhere.
pub fn resident_bytes() -> i64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<i64>().ok())
        })
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

/// `GET /metrics` on the metrics port.
pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let m = &state.metrics;
    m.db_pool_size.set(i64::from(state.db.size()));
    m.db_pool_idle.set(state.db.num_idle() as i64);
    m.redis_up.set(i64::from(state.redis.is_up()));
    m.redis_pool_size.set(state.redis.pool_size() as i64);
    m.process_resident_bytes.set(resident_bytes());
    let mut buf = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&m.registry.gather(), &mut buf) {
        tracing::error!(error = %e, "metrics encoding failed");
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        buf,
    )
}
