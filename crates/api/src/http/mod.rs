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
pub use pagination::{Page, PageQuery};
pub use problem::{ApiError, InvalidField};
