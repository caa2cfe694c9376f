//! Metrics of `crm worker` on its own port: jobs by kind and outcome, durations, queue depth.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};
use sqlx::PgPool;
use tokio::net::TcpListener;

pub struct WorkerMetrics {
    registry: Registry,
    jobs: IntCounterVec,
    duration: HistogramVec,
    queue_pending: IntGauge,
    oldest_pending_age: IntGauge,
    dead: IntGauge,
    resident: IntGauge,
    escalation_tickets: IntCounterVec,
    escalation_failed_tenants: prometheus::IntCounter,
    escalation_last_pass: IntGauge,
    messages: IntCounterVec,
    message_latency: HistogramVec,
    proposals_swept: IntCounterVec,
    pub reminders: crate::reminder_metrics::ReminderMetrics,
    pub calendar_sync: crate::calendar_sync_metrics::CalendarSyncMetrics,
}

impl WorkerMetrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let jobs = IntCounterVec::new(
            Opts::new("worker_jobs_total", "Jobs run, by kind and outcome"),
            &["kind", "outcome"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new("worker_job_duration_seconds", "Job run time")
                .buckets(vec![0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0]),
            &["kind"],
        )?;
        let queue_pending = IntGauge::new("worker_queue_pending_jobs", "Jobs waiting to run")?;
        let oldest_pending_age = IntGauge::new(
            "worker_queue_oldest_pending_seconds",
            "Age of the oldest job waiting to run",
        )?;
        let dead = IntGauge::new(
            "worker_queue_dead_jobs",
            "Jobs that failed as many times as they may and will not run again",
        )?;
        let resident = IntGauge::new(
            "process_resident_memory_bytes",
            "Resident memory of this process",
        )?;
        let escalation_tickets = IntCounterVec::new(
            Opts::new(
                "sla_escalation_tickets_total",
                "Tickets the SLA escalation passes checked, warned about, found breached or \
                 escalated on a predicted breach",
            ),
            &["outcome"],
        )?;
        // Every outcome is exported from the start, at zero.
        for outcome in ["checked", "warned", "breached", "predicted"] {
            escalation_tickets.with_label_values(&[outcome]);
        }
        let escalation_failed_tenants = prometheus::IntCounter::new(
            "sla_escalation_failed_tenants_total",
            "Tenants whose SLA escalation pass failed (retried the next minute)",
        )?;
        let escalation_last_pass = IntGauge::new(
            "sla_escalation_last_pass_timestamp_seconds",
            "When this worker last finished an SLA escalation pass (Unix time)",
        )?;
        let messages = IntCounterVec::new(
            Opts::new(
                "communications_messages_total",
                "Messages the worker handled, by channel and outcome (sent, failed, retried, \
                 throttled)",
            ),
            &["channel", "outcome"],
        )?;
        let message_latency = HistogramVec::new(
            HistogramOpts::new(
                "communications_queue_latency_seconds",
                "From a message's commit to its provider's acceptance",
            )
            .buckets(vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0]),
            &["channel"],
        )?;
        for channel in ["email", "whatsapp", "sms"] {
            // Exported from the start (the dashboards and alerts query them before any send).
            message_latency.with_label_values(&[channel]);
            for outcome in ["sent", "failed", "retried"] {
                messages.with_label_values(&[channel, outcome]);
            }
        }
        let proposals_swept = IntCounterVec::new(
            Opts::new(
                "proposals_swept_total",
                "Sent proposals the worker's passes expired or reminded their owner about",
            ),
            &["outcome"],
        )?;
        for outcome in ["expired", "reminded"] {
            proposals_swept.with_label_values(&[outcome]);
        }
        for c in [
            Box::new(messages.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(proposals_swept.clone()),
            Box::new(message_latency.clone()),
            Box::new(jobs.clone()),
            Box::new(escalation_tickets.clone()),
            Box::new(escalation_failed_tenants.clone()),
            Box::new(escalation_last_pass.clone()),
            Box::new(duration.clone()),
            Box::new(queue_pending.clone()),
            Box::new(oldest_pending_age.clone()),
            Box::new(dead.clone()),
            Box::new(resident.clone()),
            Box::new(build_info()?),
        ] {
            registry.register(c)?;
        }
        let reminders = crate::reminder_metrics::ReminderMetrics::register(&registry)?;
        let calendar_sync = crate::calendar_sync_metrics::CalendarSyncMetrics::register(&registry)?;
        Ok(Self {
            reminders,
            calendar_sync,
            registry,
            jobs,
            duration,
            queue_pending,
            oldest_pending_age,
            dead,
            resident,
            escalation_tickets,
            escalation_failed_tenants,
            escalation_last_pass,
            messages,
            message_latency,
            proposals_swept,
        })
    }

    /// Counts what a proposal pass did.
    pub fn observe_proposal_sweep(&self, counts: &services::proposals::expiry::SweepCounts) {
        for (outcome, n) in [("expired", counts.expired), ("reminded", counts.reminded)] {
            self.proposals_swept.with_label_values(&[outcome]).inc_by(n);
        }
    }

    /// Counts what an SLA escalation pass did, and when it ended.
    pub fn observe_escalation(&self, counts: &services::sla_escalation::PassCounts, failed: u32) {
        for (outcome, n) in [
            ("checked", counts.checked),
            ("warned", counts.warned),
            ("breached", counts.breached),
            ("predicted", counts.predicted),
        ] {
            self.escalation_tickets
                .with_label_values(&[outcome])
                .inc_by(n);
        }
        self.escalation_failed_tenants.inc_by(u64::from(failed));
        self.escalation_last_pass
            .set(chrono::Utc::now().timestamp());
    }

    /// Counts a message the worker handled, and for a sent one how long it waited.
    pub fn observe_message(&self, channel: &str, outcome: &str, waited: Option<Duration>) {
        self.messages.with_label_values(&[channel, outcome]).inc();
        if let Some(w) = waited {
            self.message_latency
                .with_label_values(&[channel])
                .observe(w.as_secs_f64());
        }
    }

    /// Counts a run of a job: `outcome` is `ok`, `error` or `interrupted` (stopped for a
    /// shutdown at a safe point, queued again).
    pub fn observe(&self, kind: &str, outcome: &str, took: Duration) {
        self.jobs.with_label_values(&[kind, outcome]).inc();
        self.duration
            .with_label_values(&[kind])
            .observe(took.as_secs_f64());
    }
}

async fn render(State((m, pool)): State<(Arc<WorkerMetrics>, PgPool)>) -> String {
    if let Ok(depth) = db::queue::depth(&pool).await {
        m.queue_pending.set(depth.pending);
        m.oldest_pending_age
            .set(depth.oldest_seconds.unwrap_or(0.0).max(0.0) as i64);
    }
    if let Ok(n) = db::queue::count_dead(&pool).await {
        m.dead.set(n);
    }
    m.resident.set(
        std::fs::read_to_string("/proc/self/statm")
            .ok()
            .and_then(|s| {
                s.split_whitespace()
                    .nth(1)
                    .and_then(|p| p.parse::<i64>().ok())
            })
            .map(|pages| pages * 4096)
            .unwrap_or(0),
    );
    let mut buf = Vec::new();
    let _ = TextEncoder::new().encode(&m.registry.gather(), &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

pub async fn serve(listener: TcpListener, metrics: Arc<WorkerMetrics>, pool: PgPool) {
    let app = Router::new()
        .route("/metrics", get(render))
        .route("/healthz", get(|| async { "ok" }))
        .with_state((metrics, pool));
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(error = %e, "worker metrics server failed");
    }
}

/// `crm_build_info{version, revision} 1`, as `crm serve` exports it.
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
