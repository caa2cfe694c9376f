//! What happens after a job fails. A transient failure (a lost connection, a timeout, a
//! deadlock, a key the worker cannot open yet) runs again later, with growing pauses. A
//! permanent one, where the database refused the job's data itself, would fail the same way on
//! every one of its 25 attempts over hours: it gives up at once, and what the job worked on
//! records why (an import ends `failed` with the reason).

use crate::{Interrupted, Job, WorkerCtx, queue};

/// Settles a failed run with the queue and returns its metrics outcome. Called before apalis
/// acknowledges the failure.
pub(crate) async fn settle(
    ctx: &WorkerCtx,
    job: &Job,
    job_id: &str,
    error: &anyhow::Error,
) -> &'static str {
    if error.is::<Interrupted>() {
        tracing::info!(
            kind = job.kind(),
            "job stopped for the shutdown; it runs again"
        );
        if let Err(db) = queue::spare_attempt(&ctx.db, job_id).await {
            tracing::warn!(error = %db, "the stopped job's attempt not given back");
        }
        return "interrupted";
    }
    if error.is::<crate::Throttled>() {
        // Not the job's failure: its attempt is given back, and it waits the backoff.
        let _ = queue::spare_attempt(&ctx.db, job_id).await;
        let _ = queue::delay_retry(&ctx.db, job_id).await;
        return "throttled";
    }
    if let Some(reason) = permanent_reason(error) {
        // Recorded first: a failure nobody can see must not stop the job. Unrecorded (the
        // database is down too), it is retried, and its next run records it.
        match record(ctx, job, &reason).await {
            Ok(()) => {
                tracing::error!(kind = job.kind(), error = %reason, "job failed for good; it is not retried");
                if let Err(db) = queue::give_up(&ctx.db, job_id).await {
                    tracing::warn!(error = %db, "the failed job's attempts not used up");
                }
                return "error";
            }
            Err(e) => tracing::warn!(error = %e, "a permanent failure not recorded"),
        }
    }
    tracing::warn!(kind = job.kind(), error = %error, "job failed; it will be retried");
    if let Err(db) = queue::delay_retry(&ctx.db, job_id).await {
        tracing::warn!(error = %db, "the failed job's next run not put off");
    }
    "error"
}

/// Writes a permanent failure down where the job's users look for it.
async fn record(ctx: &WorkerCtx, job: &Job, reason: &str) -> anyhow::Result<()> {
    match job {
        Job::ImportClients {
            tenant_id,
            import_id,
        } => crate::import::fail(ctx, *tenant_id, *import_id, reason).await,
        Job::Heartbeat { .. }
        | Job::PurgeIdempotencyKeys
        | Job::PruneSearchWords
        | Job::EscalateTickets
        | Job::SweepProposals
        | Job::RemindActivities
        | Job::SyncCalendars => Ok(()),
        Job::DeliverCommunication { .. } | Job::SendPlatformMail { .. } => Ok(()),
    }
}

/// Why running the job again cannot help, when that is so: the database refused its data.
/// The reason is the error's context (an import names the line) and the database's message,
/// which names the relation and constraint, never the stored values (those are in its detail,
/// left out).
pub(crate) fn permanent_reason(error: &anyhow::Error) -> Option<String> {
    let mut reason = Vec::new();
    for cause in error.chain() {
        if let Some(db) = database_error(cause) {
            if !is_permanent_code(&db.code()?) {
                return None;
            }
            reason.push(format!("the database refused the data: {}", db.message()));
            return Some(reason.join(": "));
        }
        reason.push(cause.to_string());
    }
    None
}

/// The database error `cause` is, if it is one.
fn database_error<'a>(
    cause: &'a (dyn std::error::Error + 'static),
) -> Option<&'a dyn sqlx::error::DatabaseError> {
    // `services::Error::Db` is transparent: its source skips the sqlx error itself.
    let sqlx_error = cause.downcast_ref::<sqlx::Error>().or_else(|| {
        match cause.downcast_ref::<services::Error>() {
            Some(services::Error::Db(e)) => Some(e),
            _ => None,
        }
    })?;
    sqlx_error.as_database_error()
}

/// Whether an SQLSTATE says the statement's data is wrong, so the same data fails again:
/// class 22 (data exception: a NUL in text, a value out of range), class 23 (integrity
/// constraint violation: check, not-null, foreign key) and class 54 (program limit exceeded: an
/// index entry too large). A unique or exclusion violation is the exception: it can come from
/// a concurrent writer, and the next run sees that writer's row (an import then reports the
/// duplicate). Everything else (connections, timeouts, deadlocks, serialization, privileges
/// after a faulty deploy) may pass, and is retried.
fn is_permanent_code(code: &str) -> bool {
    match code {
        "23505" | "23P01" => false,
        _ => code.starts_with("22") || code.starts_with("23") || code.starts_with("54"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_constraint_errors_are_permanent() {
        for code in [
            "22021", "22P05", "22001", "23514", "23502", "23503", "54000",
        ] {
            assert!(is_permanent_code(code), "{code}");
        }
    }

    #[test]
    fn races_and_outages_are_transient() {
        for code in [
            "23505", "23P01", "40001", "40P01", "57014", "08006", "53300", "42501",
        ] {
            assert!(!is_permanent_code(code), "{code}");
        }
    }

    #[test]
    fn errors_without_a_database_code_are_transient() {
        let lost = anyhow::Error::from(sqlx::Error::PoolTimedOut).context("line 3");
        assert_eq!(permanent_reason(&lost), None);
        assert_eq!(permanent_reason(&anyhow::anyhow!("no key")), None);
        assert_eq!(permanent_reason(&Interrupted.into()), None);
    }
}
