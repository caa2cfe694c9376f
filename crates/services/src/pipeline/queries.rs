//! The pipeline's queries as a caller gives them (text, as in a query string), checked: the
//! opportunity list's filters and pages, the board's filters, the metrics' period.

use chrono::{DateTime, Utc};
use db::opportunities::ListFilter;
use domain::pipeline::StageKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::board::{BoardQuery, MAX_PER_STAGE};
use super::opportunity::{OpportunityOut, opportunity_out};
use crate::{Error, InvalidField, Page, PageRequest, Result, Scope, query};

/// The opportunity list's query. Filters add up; newest first.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct OpportunityQuery {
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub pipeline_id: Option<String>,
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub stage_id: Option<String>,
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub client_id: Option<String>,
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub owner_id: Option<String>,
    /// `open`, `won` or `lost`.
    #[cfg_attr(feature = "openapi", param(schema_with = state_param))]
    pub state: Option<String>,
    /// Items per page (default 25).
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::limit))]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[cfg(feature = "openapi")]
fn state_param() -> utoipa::openapi::schema::Object {
    query::schema::one_of(["open", "won", "lost"]).build()
}

#[cfg(feature = "openapi")]
fn per_stage_param() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .minimum(Some(1))
        .maximum(Some(MAX_PER_STAGE))
        .default(Some(super::board::DEFAULT_PER_STAGE.into()))
        .build()
}

/// A cursor's key: the last opportunity's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityKey {
    pub id: Uuid,
}

impl OpportunityQuery {
    /// The filter and page asked for; each bad parameter is one problem.
    pub fn parse(&self) -> Result<(ListFilter, PageRequest<OpportunityKey>)> {
        let mut p = Vec::new();
        let state = self.state.as_deref().and_then(|s| {
            StageKind::parse(s)
                .map(|k| k.as_str().to_owned())
                .map_err(|e| p.push(InvalidField::query("state", e.0)))
                .ok()
        });
        let filter = ListFilter {
            pipeline_id: query::uuid("pipeline_id", self.pipeline_id.as_deref(), &mut p),
            stage_id: query::uuid("stage_id", self.stage_id.as_deref(), &mut p),
            client_id: query::uuid("client_id", self.client_id.as_deref(), &mut p),
            owner_id: query::uuid("owner_id", self.owner_id.as_deref(), &mut p),
            state,
            after: None,
            limit: 0,
        };
        let page = PageRequest::parse(self.limit.as_deref(), self.cursor.as_deref(), &mut p);
        Error::check(p)?;
        Ok((filter, page))
    }
}

/// One page of the opportunities `filter` keeps, newest first.
pub async fn list(
    scope: &mut Scope,
    filter: &ListFilter,
    page: &PageRequest<OpportunityKey>,
) -> Result<Page<OpportunityOut>> {
    let f = ListFilter {
        after: page.after.as_ref().map(|k| k.id),
        limit: page.fetch_limit(),
        ..filter.clone()
    };
    let rows = db::opportunities::list(&mut scope.tx, &f).await?;
    Page::from_rows(
        rows,
        page.limit,
        |r| OpportunityKey { id: r.row.id },
        |r| {
            let kind = StageKind::parse(&r.kind).map_err(|e| Error::Corrupt(e.0))?;
            Ok::<_, Error>(opportunity_out(r.row, r.position, kind).value)
        },
    )
}

/// The board's query.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct BoardParams {
    /// Only this salesperson's cards.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub owner_id: Option<String>,
    /// Only this client's cards.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub client_id: Option<String>,
    /// Cards listed per stage (default 50; every card is counted in the totals).
    #[cfg_attr(feature = "openapi", param(schema_with = per_stage_param))]
    pub per_stage: Option<String>,
}

impl BoardParams {
    pub fn parse(&self) -> Result<BoardQuery> {
        let mut p = Vec::new();
        let per_stage = self.per_stage.as_deref().and_then(|raw| {
            raw.parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_PER_STAGE).contains(n))
                .or_else(|| {
                    p.push(InvalidField::query(
                        "per_stage",
                        format!("must be a whole number from 1 to {MAX_PER_STAGE}"),
                    ));
                    None
                })
        });
        let q = BoardQuery {
            owner_id: query::uuid("owner_id", self.owner_id.as_deref(), &mut p),
            client_id: query::uuid("client_id", self.client_id.as_deref(), &mut p),
            per_stage,
        };
        Error::check(p)?;
        Ok(q)
    }
}

/// The metrics' period (default: the last 90 days).
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PeriodParams {
    /// The start (RFC 3339), inclusive.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::date_time))]
    pub from: Option<String>,
    /// The end (RFC 3339), exclusive; default now.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::date_time))]
    pub to: Option<String>,
}

impl PeriodParams {
    pub fn parse(&self, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
        let mut p = Vec::new();
        let from = query::time("from", self.from.as_deref(), &mut p);
        let to = query::time("to", self.to.as_deref(), &mut p);
        Error::check(p)?;
        super::metrics::period(from, to, now)
    }
}
