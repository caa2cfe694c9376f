//! `Idempotency-Key` on creating POSTs: a replay returns the first response, the same key with
//! another body is 422, a concurrent duplicate is 409. Keys are kept 24 hours.

use axum::body::{Body, to_bytes};
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use db::TenantTx;
use db::idempotency::Claim;
use sha2::{Digest, Sha256};

use super::problem::{ApiError, FieldError};
use crate::auth::Principal;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";
/// Headers of the first response worth replaying.
const KEPT_HEADERS: &[&str] = &["content-type", "location", "etag"];

fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic())
}

pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(raw) = req.headers().get(HEADER) else {
        return next.run(req).await;
    };
    let key = match raw.to_str() {
        Ok(k) if valid_key(k) => k.to_owned(),
        _ => {
            return ApiError::validation(vec![FieldError::header(
                "Idempotency-Key",
                "must be 1-255 visible ASCII characters",
            )])
            .into_response();
        }
    };
    let Some(principal) = req.extensions().get::<Principal>().cloned() else {
        return next.run(req).await;
    };
    match run(state, principal, key, req, next).await {
        Ok(res) | Err(res) => res,
    }
}

async fn run(
    state: AppState,
    principal: Principal,
    key: String,
    req: Request,
    next: Next,
) -> Result<Response, Response> {
    let (parts, body) = req.into_parts();
    // The largest body any route takes (imports); each route's own limit still applies after.
    let bytes = to_bytes(body, crate::routes::imports::MAX_FILE_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Request body too large",
                "The body exceeds the size limit of this endpoint.",
            )
            .into_response()
        })?;
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update(b" ");
    // Nested routers see a shortened path; hash the one the client sent.
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map(|u| u.0.path().to_owned())
        .unwrap_or_else(|| parts.uri.path().to_owned());
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let hash = hasher.finalize().to_vec();
    let who = principal.key();
    let tenant = principal.tenant();

    let internal = |e: sqlx::Error| ApiError::from(e).into_response();
    let mut tx = TenantTx::begin(&state.db, tenant).await.map_err(internal)?;
    let claim = db::idempotency::claim(&mut tx, &who, &key, &hash)
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)?;

    match claim {
        Claim::Mismatch => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            "Idempotency key reused",
            "This Idempotency-Key was used with a different request.",
        )
        .into_response()),
        Claim::InProgress => Err(ApiError::conflict(
            "idempotency-in-progress",
            "A request with this Idempotency-Key is still being processed.",
        )
        .into_response()),
        Claim::Done {
            status,
            headers,
            body,
        } => Ok(replay(status, &headers, body)),
        Claim::Fresh => {
            let req = Request::from_parts(parts, Body::from(bytes));
            let res = next.run(req).await;
            let (parts, body) = res.into_parts();
            let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
            let mut tx = TenantTx::begin(&state.db, tenant).await.map_err(internal)?;
            if parts.status.is_server_error() {
                db::idempotency::release(&mut tx, &who, &key)
                    .await
                    .map_err(internal)?;
            } else {
                let kept = kept_headers(&parts.headers);
                db::idempotency::complete(
                    &mut tx,
                    &who,
                    &key,
                    parts.status.as_u16() as i16,
                    kept,
                    &body,
                )
                .await
                .map_err(internal)?;
            }
            tx.commit().await.map_err(internal)?;
            Ok(Response::from_parts(parts, Body::from(body)))
        }
    }
}

fn kept_headers(headers: &HeaderMap) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            headers
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .map(|v| ((*name).to_owned(), serde_json::Value::from(v)))
        })
        .collect();
    serde_json::Value::Object(map)
}

fn replay(status: i16, headers: &serde_json::Value, body: Vec<u8>) -> Response {
    let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
    let mut res = (status, body).into_response();
    if let Some(map) = headers.as_object() {
        for (name, value) in map {
            if let (Ok(n), Some(Ok(v))) = (
                HeaderName::try_from(name.as_str()),
                value.as_str().map(HeaderValue::from_str),
            ) {
                res.headers_mut().insert(n, v);
            }
        }
    }
    res.headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    res
}
