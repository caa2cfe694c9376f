//! The one paginator: keyset pages of `limit` items (default 25, at most 100) and one opaque
//! cursor format, the URL-safe base64 of the JSON of the last item's sort key. Each list
//! chooses its key (an id; a time and an id; a name and an id) and nothing else.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::InvalidField;

pub const DEFAULT_LIMIT: u32 = 25;
pub const MAX_LIMIT: u32 = 100;

/// A validated page request: how many, and after which key.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest<K> {
    pub limit: u32,
    pub after: Option<K>,
}

impl<K> Default for PageRequest<K> {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }
}

impl<K: DeserializeOwned> PageRequest<K> {
    /// From the `limit` and `cursor` parameters as given; each bad one is a problem.
    pub fn parse(
        limit: Option<&str>,
        cursor: Option<&str>,
        problems: &mut Vec<InvalidField>,
    ) -> Self {
        let limit = match limit.map(str::parse::<u32>) {
            None => DEFAULT_LIMIT,
            Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(_) => {
                problems.push(InvalidField::query(
                    "limit",
                    "must be a whole number from 1 to 100",
                ));
                DEFAULT_LIMIT
            }
        };
        let after = match cursor {
            None | Some("") => None,
            Some(raw) => {
                let key = decode(raw);
                if key.is_none() {
                    problems.push(InvalidField::query(
                        "cursor",
                        "is not a cursor this API issued",
                    ));
                }
                key
            }
        };
        Self { limit, after }
    }
}

impl<K> PageRequest<K> {
    /// One more than the page size, to know whether another page follows.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

/// The cursor of a sort key.
pub fn encode<K: Serialize>(key: &K) -> String {
    // A key is plain data (ids, times, strings): serializing it cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// The sort key of a cursor this API issued.
pub fn decode<K: DeserializeOwned>(raw: &str) -> Option<K> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// One page of a list: `{data, next_cursor}`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from the `limit + 1` rows fetched for `req`, keyed by `key`.
    pub fn from_rows<R, K: Serialize, E>(
        mut rows: Vec<R>,
        limit: u32,
        key: impl Fn(&R) -> K,
        map: impl FnMut(R) -> Result<T, E>,
    ) -> Result<Self, E> {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| encode(&key(r)))
        } else {
            None
        };
        Ok(Self {
            data: rows.into_iter().map(map).collect::<Result<_, E>>()?,
            next_cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    use super::*;

    #[test]
    fn limits_and_cursors() {
        let mut problems = Vec::new();
        let req: PageRequest<Uuid> = PageRequest::parse(None, None, &mut problems);
        assert_eq!((req.limit, req.after, problems.len()), (25, None, 0));
        for bad in ["0", "101", "x", "-1"] {
            let mut problems = Vec::new();
            PageRequest::<Uuid>::parse(Some(bad), None, &mut problems);
            assert_eq!(
                problems,
                [InvalidField::query(
                    "limit",
                    "must be a whole number from 1 to 100"
                )],
                "{bad}"
            );
        }
        let id = Uuid::now_v7();
        assert_eq!(decode::<Uuid>(&encode(&id)), Some(id));
        let at = DateTime::from_timestamp_micros(1_790_000_000_123_456).expect("time");
        let key = (at, id);
        assert_eq!(decode::<(DateTime<Utc>, Uuid)>(&encode(&key)), Some(key));
        assert_eq!(decode::<(DateTime<Utc>, Uuid)>(&encode(&id)), None);
        let mut problems = Vec::new();
        PageRequest::<Uuid>::parse(None, Some("not-a-cursor!"), &mut problems);
        assert_eq!(problems[0].parameter.as_deref(), Some("cursor"));
    }

    #[test]
    fn page_has_cursor_only_when_more() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let page: Page<Uuid> = Page::from_rows(ids.clone(), 2, |u| *u, Ok::<_, ()>).expect("page");
        assert_eq!(page.data, ids[..2]);
        assert_eq!(page.next_cursor, Some(encode(&ids[1])));
        let page: Page<Uuid> =
            Page::from_rows(ids[..2].to_vec(), 2, |u| *u, Ok::<_, ()>).expect("page");
        assert_eq!(page.next_cursor, None);
    }
}
