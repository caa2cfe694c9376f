//! The calendar sync's metrics per provider: runs by outcome, changes in and out, events set
//! aside, conflicts resolved, and how long a due connection waited for its run (the worker
//! dashboard's "Calendar sync" row and its alerts).

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

use services::calendar::sync::RunReport;

pub struct CalendarSyncMetrics {
    runs: IntCounterVec,
    changes: IntCounterVec,
    set_aside: IntCounterVec,
    conflicts: IntCounterVec,
    lag: HistogramVec,
}

const PROVIDERS: [&str; 2] = ["google", "microsoft"];

impl CalendarSyncMetrics {
    /// The metrics, registered in `registry` (every provider and outcome at zero from the
    /// start, so an alert's ratio has both sides).
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let runs = IntCounterVec::new(
            Opts::new(
                "calendar_sync_runs_total",
                "Sync runs of connected calendars by provider and outcome (ok, failed, \
                 throttled, reauthorize, error)",
            ),
            &["provider", "outcome"],
        )?;
        let changes = IntCounterVec::new(
            Opts::new(
                "calendar_sync_changes_total",
                "Changes the sync brought in from calendars and sent out to them",
            ),
            &["provider", "direction"],
        )?;
        let set_aside = IntCounterVec::new(
            Opts::new(
                "calendar_sync_set_aside_total",
                "Events a sync could not read or write, set aside with their error",
            ),
            &["provider"],
        )?;
        let conflicts = IntCounterVec::new(
            Opts::new(
                "calendar_sync_conflicts_total",
                "Activities changed on both sides since the last sync (the later change won)",
            ),
            &["provider"],
        )?;
        let lag = HistogramVec::new(
            HistogramOpts::new(
                "calendar_sync_lag_seconds",
                "From the moment a connection's sync was due to the run that did it",
            )
            .buckets(vec![
                1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0,
            ]),
            &["provider"],
        )?;
        for p in PROVIDERS {
            for o in ["ok", "failed", "throttled", "reauthorize"] {
                runs.with_label_values(&[p, o]);
            }
            for d in ["in", "out"] {
                changes.with_label_values(&[p, d]);
            }
            set_aside.with_label_values(&[p]);
            conflicts.with_label_values(&[p]);
            lag.with_label_values(&[p]);
        }
        runs.with_label_values(&["unknown", "error"]);
        registry.register(Box::new(runs.clone()))?;
        registry.register(Box::new(changes.clone()))?;
        registry.register(Box::new(set_aside.clone()))?;
        registry.register(Box::new(conflicts.clone()))?;
        registry.register(Box::new(lag.clone()))?;
        Ok(Self {
            runs,
            changes,
            set_aside,
            conflicts,
            lag,
        })
    }

    /// Counts one run.
    pub fn observe(&self, r: &RunReport) {
        if r.outcome == "skipped" {
            return;
        }
        let p = r.provider.as_str();
        self.runs.with_label_values(&[p, r.outcome]).inc();
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        self.changes
            .with_label_values(&[p, "in"])
            .inc_by(count(r.changes_in));
        self.changes
            .with_label_values(&[p, "out"])
            .inc_by(count(r.changes_out));
        self.set_aside
            .with_label_values(&[p])
            .inc_by(count(r.set_aside));
        self.conflicts
            .with_label_values(&[p])
            .inc_by(count(r.conflicts));
        self.lag.with_label_values(&[p]).observe(r.lag_seconds);
    }

    /// A run that failed before it could say for which provider (the database, the keys).
    pub fn observe_error(&self) {
        self.runs.with_label_values(&["unknown", "error"]).inc();
    }
}
