//! The proposal list's query as a caller gives it (text, as in a query string), checked, and
//! its pages.

use db::proposals::ListFilter;
use domain::proposals::ProposalStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::proposal::{ProposalOut, proposal_out};
use crate::{Error, InvalidField, Page, PageRequest, Result, Scope, query};

/// The proposal list's query. Filters add up; newest first.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ProposalQuery {
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub client_id: Option<String>,
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub opportunity_id: Option<String>,
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub owner_id: Option<String>,
    /// `draft`, `sent`, `accepted`, `rejected` or `expired`.
    #[cfg_attr(feature = "openapi", param(schema_with = status_param))]
    pub status: Option<String>,
    /// Items per page (default 25).
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::limit))]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[cfg(feature = "openapi")]
fn status_param() -> utoipa::openapi::schema::Object {
    query::schema::one_of(["draft", "sent", "accepted", "rejected", "expired"]).build()
}

/// A cursor's key: the last proposal's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalKey {
    pub id: Uuid,
}

impl ProposalQuery {
    /// The filter and page asked for; each bad parameter is one problem.
    pub fn parse(&self) -> Result<(ListFilter, PageRequest<ProposalKey>)> {
        let mut p = Vec::new();
        let status = self.status.as_deref().and_then(|s| {
            ProposalStatus::parse(s)
                .map(|k| k.as_str().to_owned())
                .map_err(|e| p.push(InvalidField::query("status", e.0)))
                .ok()
        });
        let filter = ListFilter {
            client_id: query::uuid("client_id", self.client_id.as_deref(), &mut p),
            opportunity_id: query::uuid("opportunity_id", self.opportunity_id.as_deref(), &mut p),
            owner_id: query::uuid("owner_id", self.owner_id.as_deref(), &mut p),
            status,
            after: None,
            limit: 0,
        };
        let page = PageRequest::parse(self.limit.as_deref(), self.cursor.as_deref(), &mut p);
        Error::check(p)?;
        Ok((filter, page))
    }
}

/// One page of the proposals `filter` keeps, newest first.
pub async fn list(
    scope: &mut Scope,
    filter: &ListFilter,
    page: &PageRequest<ProposalKey>,
) -> Result<Page<ProposalOut>> {
    let f = ListFilter {
        after: page.after.as_ref().map(|k| k.id),
        limit: page.fetch_limit(),
        ..filter.clone()
    };
    let rows = db::proposals::list(&mut scope.tx, &f).await?;
    Page::from_rows(
        rows,
        page.limit,
        |r| ProposalKey { id: r.id },
        |r| proposal_out(r).map(|v| v.value),
    )
}

/// The pending proposals (sent, awaiting an answer): count and value per currency.
pub async fn pending(scope: &mut Scope) -> Result<Vec<db::proposals::Pending>> {
    Ok(db::proposals::pending(&mut scope.tx).await?)
}
