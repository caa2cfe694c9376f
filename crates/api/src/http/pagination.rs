//! Keyset pagination over HTTP: `?limit=` (default 25, max 100) and an opaque `?cursor=`, read
//! into the one paginator, `services::page`.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use services::InvalidField;
pub use services::page::{DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest};

use super::problem::ApiError;

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

impl PageQuery {
    /// The page asked for, after the sort key `K` of a cursor; each bad parameter is a problem.
    pub fn parse<K: DeserializeOwned>(&self, problems: &mut Vec<InvalidField>) -> PageRequest<K> {
        PageRequest::parse(self.limit.as_deref(), self.cursor.as_deref(), problems)
    }

    /// The page asked for, or the problem naming each bad parameter.
    pub fn request<K: DeserializeOwned>(&self) -> Result<PageRequest<K>, ApiError> {
        let mut problems = Vec::new();
        let page = self.parse(&mut problems);
        services::Error::check(problems)?;
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn bad_parameters_are_problems() {
        let page: Option<PageRequest<Uuid>> = PageQuery::default().request().ok();
        assert_eq!(page.map(|p| p.limit), Some(DEFAULT_LIMIT));
        for (limit, cursor) in [(Some("0"), None), (Some("101"), None), (None, Some("zzz"))] {
            let q = PageQuery {
                limit: limit.map(str::to_owned),
                cursor: cursor.map(str::to_owned),
            };
            let refused = q.request::<Uuid>().err().map(|e| e.errors.len());
            assert_eq!(refused, Some(1), "{q:?}");
        }
        let id = Uuid::now_v7();
        let q = PageQuery {
            limit: Some("3".into()),
            cursor: Some(services::page::encode(&id)),
        };
        let page = q.request::<Uuid>().ok();
        assert_eq!(page.map(|p| (p.limit, p.after)), Some((3, Some(id))));
    }
}
