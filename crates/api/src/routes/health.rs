//! `/healthz` (alive) and `/readyz` (Postgres reachable, schema current; Redis reported only).

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use db::migrate::SchemaState;
use serde_json::json;

use crate::state::AppState;

pub async fn healthz() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.draining.load(Ordering::Relaxed) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "status": "draining" })),
        );
    }
    let schema = db::migrate::state(&state.db).await;
    let (postgres, ready) = match schema {
        Ok(SchemaState::Current) => ("ok", true),
        Ok(SchemaState::Behind) => ("schema behind: run `crm migrate`", false),
        // Migrations only expand the schema, so a build still runs on a newer one: during a
        // rolling upgrade the old pods stay ready after the migration job has run.
        Ok(SchemaState::Ahead) => ("ok (schema newer than this build)", true),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: postgres unreachable");
            ("unreachable", false)
        }
    };
    let mut ping = deadpool_redis::redis::pipe();
    ping.cmd("PING");
    let redis = match state.redis.run::<(String,)>(&ping).await {
        Some(_) => "ok",
        None => "degraded",
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(json!({
            "status": if ready { "ready" } else { "not_ready" },
            "postgres": postgres,
            "redis": redis,
        })),
    )
}
