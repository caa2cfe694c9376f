//! HTTP conventions shared by every module: problems, JSON bodies, pagination, ETags,
//! request ids, idempotency, time limits, text of query strings and paths, and the OpenAPI
//! document's common answers and schemas.

pub mod etag;
pub mod idempotency;
pub mod json;
pub mod openapi_contract;
pub mod pagination;
pub mod problem;
pub mod request_id;
pub mod schemas;
pub mod timeout;
pub mod uri_text;

pub use json::{ApiJson, ApiQuery};

/// The address users and providers reach this service at: `CRM_PUBLIC_URL`, or (local use)
/// the request's `Host` over plain HTTP. No trailing slash.
pub fn public_base(state: &crate::state::AppState, headers: &axum::http::HeaderMap) -> String {
    match &state.config.public_url {
        Some(base) => base.trim_end_matches('/').to_owned(),
        None => {
            let host = headers
                .get(axum::http::header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}
pub use pagination::{Page, PageQuery};
pub use problem::{ApiError, InvalidField};
