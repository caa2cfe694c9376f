//! Background jobs: the one place a module registers its jobs. Every kind is a variant of
//! [`Job`] (its handler is the matching arm of `worker::run_job`); a job that runs on a
//! schedule is also one entry of [`SCHEDULE`]. The queue's SQL is `db::queue`.

use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::Scope;

/// Every kind of background job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Proves the queue works end to end: records that `worker_id` is alive.
    Heartbeat { worker_id: String },
    /// Deletes idempotency keys older than 24 hours, tenant by tenant.
    PurgeIdempotencyKeys,
    /// Removes from the search vocabulary the words no live client has any more.
    PruneSearchWords,
    /// Validates (and unless a dry run, imports) an uploaded CSV file of clients.
    ImportClients { tenant_id: Uuid, import_id: Uuid },
    /// The SLA escalation pass over every tenant's open tickets
    /// ([`crate::sla_escalation::escalate`]).
    EscalateTickets,
    /// Hands a queued message to its provider
    /// ([`crate::communications::delivery`]).
    DeliverCommunication {
        tenant_id: Uuid,
        communication_id: Uuid,
    },
    /// Sends one of the platform's own mails to a user ([`crate::platform_mail`]).
    SendPlatformMail { tenant_id: Uuid, mail_id: Uuid },
    /// Expires sent proposals past their validity and reminds their owners before, tenant by
    /// tenant ([`crate::proposals::expiry::sweep`]).
    SweepProposals,
    /// Sends the activity reminders that came due, tenant by tenant
    /// ([`crate::calendar::reminders::remind`]).
    RemindActivities,
    /// Syncs the connected calendars whose sync is due, tenant by tenant
    /// ([`crate::calendar::sync::sync_connection`]).
    SyncCalendars,
}

impl Job {
    /// The kind's stable name (the payload's `kind` tag, the metrics' `kind` label).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Heartbeat { .. } => "heartbeat",
            Self::PurgeIdempotencyKeys => "purge_idempotency_keys",
            Self::PruneSearchWords => "prune_search_words",
            Self::ImportClients { .. } => "import_clients",
            Self::EscalateTickets => "escalate_tickets",
            Self::DeliverCommunication { .. } => "deliver_communication",
            Self::SendPlatformMail { .. } => "send_platform_mail",
            Self::SweepProposals => "sweep_proposals",
            Self::RemindActivities => "remind_activities",
            Self::SyncCalendars => "sync_calendars",
        }
    }

    /// The tenant the job works for; `None` for platform jobs.
    pub fn tenant_id(&self) -> Option<Uuid> {
        match self {
            Self::Heartbeat { .. }
            | Self::PurgeIdempotencyKeys
            | Self::PruneSearchWords
            | Self::EscalateTickets
            | Self::SweepProposals
            | Self::RemindActivities
            | Self::SyncCalendars => None,
            Self::ImportClients { tenant_id, .. }
            | Self::DeliverCommunication { tenant_id, .. }
            | Self::SendPlatformMail { tenant_id, .. } => Some(*tenant_id),
        }
    }
}

/// How often a periodic job runs. The worker's settings give each cadence its length
/// (`WorkerConfig::heartbeat_every`, `purge_every`), so tests can shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// Every 30 seconds by default, on every worker.
    Heartbeat,
    /// Every hour by default: platform upkeep.
    Upkeep,
    /// Every minute by default: the SLA escalation, proposal and reminder passes.
    Minute,
}

/// A job the worker puts on the queue on a schedule.
#[derive(Debug, Clone, Copy)]
pub struct Periodic {
    pub cadence: Cadence,
    /// The job, made by the worker that schedules it (given its id).
    pub job: fn(worker_id: &str) -> Job,
    /// `Some(name)`: one run per period across all workers (the queue keeps one job under the
    /// key `name-<period number>` and drops the other workers' copies). `None`: every worker
    /// enqueues its own.
    pub once_per_period: Option<&'static str>,
}

impl Periodic {
    /// The idempotency key of the run due at `now`, for a period of `every`.
    pub fn key(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        every: std::time::Duration,
    ) -> Option<String> {
        let period = now.timestamp() / every.as_secs().max(1) as i64;
        self.once_per_period.map(|name| format!("{name}-{period}"))
    }
}

/// Every periodic job, with its cadence: the worker schedules exactly these.
pub const SCHEDULE: &[Periodic] = &[
    Periodic {
        cadence: Cadence::Heartbeat,
        job: |worker_id| Job::Heartbeat {
            worker_id: worker_id.to_owned(),
        },
        once_per_period: None,
    },
    Periodic {
        cadence: Cadence::Upkeep,
        job: |_| Job::PurgeIdempotencyKeys,
        once_per_period: Some("purge-idempotency"),
    },
    Periodic {
        cadence: Cadence::Upkeep,
        job: |_| Job::PruneSearchWords,
        once_per_period: Some("prune-search-words"),
    },
    Periodic {
        cadence: Cadence::Minute,
        job: |_| Job::EscalateTickets,
        once_per_period: Some("sla-escalation"),
    },
    Periodic {
        cadence: Cadence::Minute,
        job: |_| Job::SweepProposals,
        once_per_period: Some("proposal-sweep"),
    },
    Periodic {
        cadence: Cadence::Minute,
        job: |_| Job::RemindActivities,
        once_per_period: Some("activity-reminders"),
    },
    Periodic {
        cadence: Cadence::Minute,
        job: |_| Job::SyncCalendars,
        once_per_period: Some("calendar-sync"),
    },
];

/// Enqueues `job` in the caller's transaction: the job exists exactly when the scope's changes
/// commit (and vanishes with a rollback). `idempotency_key`: at most one such job is queued.
pub async fn enqueue(
    scope: &mut Scope,
    job: &Job,
    idempotency_key: Option<String>,
) -> crate::Result<()> {
    db::queue::push(&mut scope.tx, job, idempotency_key).await?;
    Ok(())
}

/// Enqueues on a connection outside any tenant, committing with it (a tool's or a test's own
/// transaction).
pub async fn enqueue_on_connection(
    conn: &mut PgConnection,
    job: &Job,
    idempotency_key: Option<String>,
) -> Result<(), sqlx::Error> {
    db::queue::push_on(conn, job, idempotency_key).await
}

/// Enqueues on a connection of its own (the worker's periodic jobs). A job already queued
/// under the key fails with an error `db::queue::is_already_queued` recognises.
pub async fn enqueue_on_pool(
    pool: &PgPool,
    job: &Job,
    idempotency_key: Option<String>,
) -> Result<(), sqlx::Error> {
    db::queue::push_on_pool(pool, job, idempotency_key).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scheduled_upkeep_job_runs_once_per_period_and_a_heartbeat_on_every_worker() {
        let every = std::time::Duration::from_secs(3600);
        let at = |s| chrono::DateTime::from_timestamp(s, 0).expect("time");
        let scheduled = |kind| {
            SCHEDULE
                .iter()
                .find(|p| (p.job)("w1").kind() == kind)
                .expect("scheduled")
        };
        let purge = scheduled("purge_idempotency_keys");
        assert_eq!(purge.cadence, Cadence::Upkeep);
        assert_eq!(
            purge.key(at(7200), every).as_deref(),
            Some("purge-idempotency-2")
        );
        assert_eq!(purge.key(at(10799), every), purge.key(at(7200), every));
        let beat = scheduled("heartbeat");
        assert_eq!(
            (beat.job)("w1"),
            Job::Heartbeat {
                worker_id: "w1".into()
            }
        );
        assert_eq!(beat.key(at(7200), every), None);
    }
}
