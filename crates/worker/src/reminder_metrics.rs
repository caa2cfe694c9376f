//! The reminder passes' metrics: reminders sent and missed, how late each was sent, the
//! tenants a pass failed for, and when the last pass ended (the dashboards' "Calendar reminders" row and its alerts).

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

use services::calendar::reminders::PassCounts;

pub struct ReminderMetrics {
    reminders: IntCounterVec,
    failed_tenants: IntCounter,
    lag: Histogram,
    last_pass: IntGauge,
}

impl ReminderMetrics {
    /// The metrics, registered in `registry` (every outcome exported from the start, at zero).
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let reminders = IntCounterVec::new(
            Opts::new(
                "calendar_reminders_total",
                "Activity reminders the passes sent, or found only after the activity began \
                 (missed)",
            ),
            &["outcome"],
        )?;
        for outcome in ["sent", "missed"] {
            reminders.with_label_values(&[outcome]);
        }
        let lag = Histogram::with_opts(
            HistogramOpts::new(
                "calendar_reminder_lag_seconds",
                "From the moment a reminder was due to the pass that sent it",
            )
            .buckets(vec![1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0]),
        )?;
        let last_pass = IntGauge::new(
            "calendar_reminder_last_pass_timestamp_seconds",
            "When this worker last finished a reminder pass (Unix time)",
        )?;
        let failed_tenants = IntCounter::new(
            "calendar_reminder_failed_tenants_total",
            "Tenants whose reminder pass failed (retried the next minute)",
        )?;
        registry.register(Box::new(reminders.clone()))?;
        registry.register(Box::new(failed_tenants.clone()))?;
        registry.register(Box::new(lag.clone()))?;
        registry.register(Box::new(last_pass.clone()))?;
        Ok(Self {
            reminders,
            failed_tenants,
            lag,
            last_pass,
        })
    }

    /// Counts what a pass did (and the tenants it failed for), and when it ended.
    pub fn observe(&self, counts: &PassCounts, failed: u32) {
        self.failed_tenants.inc_by(u64::from(failed));
        self.reminders
            .with_label_values(&["sent"])
            .inc_by(counts.sent);
        self.reminders
            .with_label_values(&["missed"])
            .inc_by(counts.missed);
        for lag in &counts.lags {
            self.lag.observe(*lag);
        }
        self.last_pass.set(chrono::Utc::now().timestamp());
    }
}
