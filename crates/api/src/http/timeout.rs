//! A bound on database work: every connection of the API's pool runs under Postgres'
//! `statement_timeout` and `lock_timeout`. A statement still running, or waiting for a lock,
//! at the limit is cancelled by Postgres, its transaction rolls back, and the caller gets a 503
//! problem `timeout`: a stuck request holds neither a connection nor a lock past it, and its
//! answer is exact (nothing was saved), which dropping the request at a timer could not
//! promise while its commit was in flight. `lock_timeout` is what bounds a COMMIT: Postgres
//! stops the statement timer before committing, but the deferred triggers that run then (the
//! client counters) may wait for a lock. A request that cannot get a connection at all within
//! the pool's acquire timeout gets a 503 problem `busy` the same way, and one whose connection
//! was lost or refused (Postgres restarting, a network cut) a 503 problem `unavailable`: the
//! pool replaces the connection by itself and a repeat succeeds once Postgres is back.

use std::time::Duration;

use axum::http::StatusCode;

use crate::http::ApiError;

/// Postgres' codes for a statement cancelled by `statement_timeout` (also used when an operator
/// cancels one) and by `lock_timeout` (also used by `NOWAIT`).
const QUERY_CANCELED: &str = "57014";
const LOCK_NOT_AVAILABLE: &str = "55P03";
/// Postgres' codes for a server going away: the `08` class (connection exception) and
/// `57P01` admin shutdown, `57P02` crash shutdown, `57P03` cannot connect now (starting up).
const CONNECTION_EXCEPTION_CLASS: &str = "08";
const SERVER_GOING_AWAY: [&str; 3] = ["57P01", "57P02", "57P03"];

/// The connection settings that apply the limit.
pub fn connection_options(limit: Duration) -> [(&'static str, String); 2] {
    let ms = format!("{}ms", limit.as_millis());
    [("statement_timeout", ms.clone()), ("lock_timeout", ms)]
}

/// Whether Postgres cancelled the statement at one of those limits.
pub fn is_timeout(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|e| {
        let code = e.code();
        let message = e.message();
        (code.as_deref() == Some(QUERY_CANCELED) && message.contains("statement timeout"))
            || (code.as_deref() == Some(LOCK_NOT_AVAILABLE) && message.contains("lock timeout"))
    })
}

/// Whether two transactions met on the same rows and Postgres rolled this one back to let the
/// other go on (a deadlock, a serialization failure): nothing was done, a retry succeeds.
pub fn is_contention(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "40P01" || code == "40001")
}

/// The answer to a request rolled back by contention ([`is_contention`]).
pub fn contention() -> ApiError {
    let mut e = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "contention",
        "Try again",
        "Another request was changing the same records at the same moment; this one was rolled \
         back and did nothing. Try again.",
    );
    e.retry_after = Some(1);
    e
}

/// Whether the database connection was lost or refused, as opposed to a statement failing on a
/// live connection. A transaction cut off this way is rolled back by Postgres.
pub fn is_connection_lost(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with(CONNECTION_EXCEPTION_CLASS) || SERVER_GOING_AWAY.contains(&&*code)
        }),
        _ => false,
    }
}

/// The answer to a request that found no free database connection within the pool's acquire
/// timeout (every connection busy): it did nothing, so it may simply be repeated.
pub fn busy() -> ApiError {
    let mut e = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "Service busy",
        "Every database connection of this server was busy; the request did nothing. Try again \
         in a moment.",
    );
    e.retry_after = Some(1);
    e
}

/// The answer to a request whose statement was cancelled at the limit.
pub fn timed_out() -> ApiError {
    let mut e = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "timeout",
        "Request timed out",
        "The database took too long and the request was stopped; nothing it was changing was \
         saved. Try again (with the same Idempotency-Key, if it had one).",
    );
    e.retry_after = Some(1);
    e
}

/// The answer to a request whose database connection was lost or refused. A transaction cut
/// off before its COMMIT is rolled back; one cut off during it is answered by a retry with the
/// same Idempotency-Key (the key's outcome commits with the write).
pub fn unavailable() -> ApiError {
    let mut e = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "Database unavailable",
        "The connection to the database was lost; the request's transaction was rolled back. \
         Try again in a moment (with the same Idempotency-Key, if it had one).",
    );
    e.retry_after = Some(1);
    e
}
