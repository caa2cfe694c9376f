//! HTTP conventions shared by every module: problems, JSON bodies, pagination, ETags,
//! request ids, idempotency, time limits.

pub mod etag;
pub mod idempotency;
pub mod json;
pub mod pagination;
pub mod params;
pub mod problem;
pub mod request_id;
pub mod timeout;

pub use json::{ApiJson, ApiQuery};
pub use pagination::{Page, PageQuery};
pub use problem::{ApiError, FieldError};
