//! Keyset pagination: `?limit=` (default 25, max 100) and an opaque `?cursor=`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::problem::{ApiError, FieldError};

pub const DEFAULT_LIMIT: u32 = 25;
pub const MAX_LIMIT: u32 = 100;

/// The paging part of a list query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page (default 25).
    #[param(schema_with = super::schemas::limit)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A validated page request: how many, and after which key.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Uuid>,
}

impl PageRequest {
    /// One more than the page size, to know whether another page follows.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

impl PageQuery {
    pub fn validate(&self) -> Result<PageRequest, Vec<FieldError>> {
        let mut errors = Vec::new();
        let limit = super::params::parse_limit(self.limit.as_deref(), &mut errors);
        let after = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(raw) => match decode_cursor(raw) {
                Some(id) => Some(id),
                None => {
                    errors.push(FieldError::query(
                        "cursor",
                        "is not a cursor this API issued",
                    ));
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(PageRequest { limit, after })
        } else {
            Err(errors)
        }
    }

    pub fn request(&self) -> Result<PageRequest, ApiError> {
        self.validate().map_err(ApiError::validation)
    }
}

pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

pub fn decode_cursor(raw: &str) -> Option<Uuid> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    Uuid::from_slice(&bytes).ok()
}

/// A cursor over (time, id) keys, for lists ordered by a timestamp.
pub fn encode_time_cursor(at: chrono::DateTime<chrono::Utc>, id: Uuid) -> String {
    let mut bytes = at.timestamp_micros().to_be_bytes().to_vec();
    bytes.extend_from_slice(id.as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn decode_time_cursor(raw: &str) -> Option<(chrono::DateTime<chrono::Utc>, Uuid)> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    if bytes.len() != 24 {
        return None;
    }
    let micros = i64::from_be_bytes(bytes[..8].try_into().ok()?);
    let at = chrono::DateTime::from_timestamp_micros(micros)?;
    Some((at, Uuid::from_slice(&bytes[8..]).ok()?))
}

/// One page of a list: `{data, next_cursor}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows, keyed by `key`.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        req: PageRequest,
        key: impl Fn(&R) -> Uuid,
        map: impl Fn(R) -> T,
    ) -> Self {
        let more = rows.len() > req.limit as usize;
        rows.truncate(req.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| encode_cursor(key(r)))
        } else {
            None
        };
        Self {
            data: rows.into_iter().map(map).collect(),
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_cursors() {
        let q = PageQuery::default();
        assert_eq!(q.validate().expect("ok").limit, 25);
        for bad in ["0", "101", "x", "-1"] {
            let q = PageQuery {
                limit: Some(bad.into()),
                cursor: None,
            };
            assert!(q.validate().is_err(), "{bad}");
        }
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(id)), Some(id));
        assert_eq!(decode_cursor("not-a-cursor!"), None);
        let at = chrono::DateTime::from_timestamp_micros(1_790_000_000_123_456).expect("time");
        assert_eq!(
            decode_time_cursor(&encode_time_cursor(at, id)),
            Some((at, id))
        );
        assert_eq!(decode_time_cursor(&encode_cursor(id)), None);
    }

    #[test]
    fn page_has_cursor_only_when_more() {
        let req = PageRequest {
            limit: 2,
            after: None,
        };
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let page = Page::from_rows(ids.clone(), req, |u| *u, |u| u);
        assert_eq!(page.data.len(), 2);
        assert_eq!(page.next_cursor, Some(encode_cursor(ids[1])));
        let page = Page::from_rows(ids[..2].to_vec(), req, |u| *u, |u| u);
        assert_eq!(page.next_cursor, None);
    }
}
