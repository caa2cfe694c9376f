//! `Idempotency-Key` on POSTs: a retry returns the first response, the same key with another
//! body is 422, a concurrent duplicate is 409. Keys are kept 24 hours.
//!
//! Order matters: the caller is authenticated and its standing checked (the request's `Ctx`),
//! then the body is read within the route's size limit, and only then is the key looked up,
//! under the caller's name. The response is stored in the request's own transaction, so the
//! write and the key's outcome commit together: a crash at any point leaves both or neither.

use std::sync::{Arc, Mutex, PoisonError};

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, MatchedPath, OriginalUri, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::problem::{ApiError, InvalidField};
use crate::auth::Ctx;
use crate::auth::ctx::Committable;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";
/// Headers of the first response worth replaying.
const KEPT_HEADERS: &[&str] = &["content-type", "location", "etag"];
/// The largest response kept for replay; creating POSTs answer a few kilobytes.
const MAX_STORED_RESPONSE: usize = 1024 * 1024;

/// The routes that take bodies larger than `CRM_MAX_BODY_BYTES`, by route template, with their
/// limit: this layer reads a body before the route's own limit applies.
const LARGE_BODIES: &[(&str, usize)] =
    &[("/api/v1/clients/import", services::import::MAX_FILE_BYTES)];

fn body_limit(route: &str) -> Option<usize> {
    LARGE_BODIES
        .iter()
        .find_map(|(template, limit)| (*template == route).then_some(*limit))
}

fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic())
}

/// Where a request's `Ctx::commit` leaves its transaction for this layer to finish.
#[derive(Clone)]
pub struct Deferred {
    slot: Arc<Mutex<Option<Committable>>>,
}

impl Deferred {
    pub(crate) fn hand_over(self, committable: Committable) {
        *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(committable);
    }

    fn take(&self) -> Option<Committable> {
        self.slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// The `Ctx` this layer built, waiting for the handler's extractor.
#[derive(Clone)]
struct PreparedCtx(Arc<Mutex<Option<Ctx>>>);

/// The `Ctx` prepared for this request by the idempotency layer, if any.
pub(crate) fn prepared(parts: &mut Parts) -> Option<Ctx> {
    let PreparedCtx(ctx) = parts.extensions.remove::<PreparedCtx>()?;
    ctx.lock().unwrap_or_else(PoisonError::into_inner).take()
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
            return ApiError::validation(vec![InvalidField::header(
                "Idempotency-Key",
                "must be 1-255 visible ASCII characters",
            )])
            .into_response();
        }
    };
    match run(state, key, req, next).await {
        Ok(res) | Err(res) => res,
    }
}

async fn run(state: AppState, key: String, req: Request, next: Next) -> Result<Response, Response> {
    let (mut parts, body) = req.into_parts();
    let mut ctx = Ctx::from_request_parts(&mut parts, &state)
        .await
        .map_err(IntoResponse::into_response)?;
    let limit = parts
        .extensions
        .get::<MatchedPath>()
        .and_then(|p| body_limit(p.as_str()))
        .unwrap_or(state.config.max_body_bytes);
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::payload_too_large().into_response())?;
    let hash = request_hash(&parts, &bytes);
    let who = ctx.principal_key();

    if !db::idempotency::lock(&mut ctx.tx, &who, &key)
        .await
        .map_err(into_response)?
    {
        return Err(ApiError::conflict(
            "idempotency-in-progress",
            "A request with this Idempotency-Key is still being processed.",
        )
        .into_response());
    }
    if let Some(stored) = db::idempotency::find(&mut ctx.tx, &who, &key)
        .await
        .map_err(into_response)?
    {
        ctx.done();
        if stored.request_hash != hash {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused",
                "This Idempotency-Key was used with a different request.",
            )
            .into_response());
        }
        return Ok(replay(stored.status, &stored.headers, stored.body));
    }

    let deferred = Deferred {
        slot: Arc::default(),
    };
    ctx.defer_commit(deferred.clone());
    parts
        .extensions
        .insert(PreparedCtx(Arc::new(Mutex::new(Some(ctx)))));
    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    match deferred.take() {
        // The handler failed or changed nothing: nothing to keep, the key stays free.
        None => Ok(res),
        Some(committable) => finish(committable, &who, &key, &hash, res).await,
    }
}

/// Stores the response in the request's transaction and commits both.
async fn finish(
    mut committable: Committable,
    who: &str,
    key: &str,
    hash: &[u8],
    res: Response,
) -> Result<Response, Response> {
    if res.status().is_server_error() {
        // Dropping the transaction rolls the request back; the client may retry.
        return Ok(res);
    }
    let (parts, body) = res.into_parts();
    let body = to_bytes(body, MAX_STORED_RESPONSE)
        .await
        .map_err(|e| ApiError::internal(format!("response not kept: {e}")).into_response())?;
    let outcome = db::idempotency::Outcome {
        request_hash: hash,
        status: parts.status.as_u16() as i16,
        headers: kept_headers(&parts.headers),
        body: &body,
    };
    db::idempotency::store(&mut committable.tx, who, key, outcome)
        .await
        .map_err(into_response)?;
    committable
        .commit()
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn into_response(e: sqlx::Error) -> Response {
    ApiError::from(e).into_response()
}

/// The method, the path the client sent (nested routers see a shortened one) and the body.
fn request_hash(parts: &Parts, body: &[u8]) -> Vec<u8> {
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map(|u| u.0.path().to_owned())
        .unwrap_or_else(|| parts.uri.path().to_owned());
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update(b" ");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hasher.finalize().to_vec()
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
