//! KPIs of the clients module, for the dashboard: counts, activity and lead conversion.

use chrono::{DateTime, Duration, Utc};
use db::TenantTx;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Ctx;
use crate::http::params::parse_time;
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, ApiQuery, FieldError, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(client_kpis))
}

pub const DEFAULT_ACTIVE_DAYS: u32 = 90;
const MAX_ACTIVE_DAYS: u32 = 3650;
const DEFAULT_PERIOD_DAYS: i64 = 30;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// Start of the conversion period, inclusive (default: `to` minus 30 days); before `to`.
    #[param(schema_with = schemas::date_time)]
    pub from: Option<String>,
    /// End of the conversion period, exclusive (default: now).
    #[param(schema_with = schemas::date_time)]
    pub to: Option<String>,
    /// A client is active with any timeline event in this many days up to now (default 90).
    #[param(schema_with = active_days_param)]
    pub active_days: Option<String>,
}

fn active_days_param() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .minimum(Some(1))
        .maximum(Some(MAX_ACTIVE_DAYS))
        .default(Some(DEFAULT_ACTIVE_DAYS.into()))
        .build()
}

/// The validated parameters of a KPI computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KpiParams {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub active_days: u32,
}

impl KpiParams {
    /// The defaults: the last 30 days up to `now`, activity over 90 days.
    pub fn defaults(now: DateTime<Utc>) -> Self {
        Self {
            from: now - Duration::days(DEFAULT_PERIOD_DAYS),
            to: now,
            active_days: DEFAULT_ACTIVE_DAYS,
        }
    }

    fn parse(q: &KpiQuery, now: DateTime<Utc>) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let active_days = match q.active_days.as_deref().map(str::parse::<u32>) {
            None => DEFAULT_ACTIVE_DAYS,
            Some(Ok(n)) if (1..=MAX_ACTIVE_DAYS).contains(&n) => n,
            Some(_) => {
                errors.push(FieldError::query(
                    "active_days",
                    "must be a whole number from 1 to 3650",
                ));
                DEFAULT_ACTIVE_DAYS
            }
        };
        let from = parse_time("from", q.from.as_deref(), &mut errors);
        let to = parse_time("to", q.to.as_deref(), &mut errors);
        let to_or_now = to.unwrap_or(now);
        let from = from.unwrap_or(to_or_now - Duration::days(DEFAULT_PERIOD_DAYS));
        if errors.is_empty() && from >= to_or_now {
            let name = if q.to.is_some() { "to" } else { "from" };
            errors.push(FieldError::query(
                name,
                "the period must end after it starts",
            ));
        }
        if errors.is_empty() {
            Ok(Self {
                from,
                to: to_or_now,
                active_days,
            })
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

/// The conversion period and the two counts its rate is made of.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KpiPeriod {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Clients whose `converted_at` falls in the period.
    pub converted: i64,
    /// Clients created in the period that are still leads.
    pub still_leads: i64,
}

/// The clients module's KPIs. Deleted (and merged-away) clients are never counted.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClientKpis {
    /// Every client, whatever its status.
    pub total: i64,
    pub leads: i64,
    pub clients: i64,
    /// Clients with any timeline event in the last `active_days` days.
    pub active: i64,
    /// Always 0 until the proposals module exists.
    pub pending_proposals: i64,
    /// Created since the start of the current month in the tenant's time zone.
    pub new_this_month: i64,
    /// `converted / (converted + still_leads)` of `period`, from 0 to 1; null when both are 0.
    pub conversion_rate: Option<f64>,
    pub period: KpiPeriod,
    pub active_days: u32,
}

/// Leads converted in the period over themselves plus the period's leads still open.
fn conversion_rate(converted: i64, still_leads: i64) -> Option<f64> {
    let considered = converted + still_leads;
    (considered > 0).then(|| converted as f64 / considered as f64)
}

/// Computes the KPIs in one statement, so they come from one snapshot of committed data.
pub(crate) async fn compute(tx: &mut TenantTx, p: &KpiParams) -> Result<ClientKpis, sqlx::Error> {
    let active_days = i32::try_from(p.active_days).unwrap_or(i32::MAX);
    let c = db::kpis::client_counts(tx, p.from, p.to, active_days).await?;
    Ok(ClientKpis {
        total: c.total,
        leads: c.leads,
        clients: c.clients,
        active: c.active,
        pending_proposals: 0,
        new_this_month: c.new_this_month,
        conversion_rate: conversion_rate(c.converted, c.still_leads),
        period: KpiPeriod {
            from: p.from,
            to: p.to,
            converted: c.converted,
            still_leads: c.still_leads,
        },
        active_days: p.active_days,
    })
}

/// Client KPIs: totals by status, activity, new this month and lead-to-client conversion.
#[utoipa::path(get, path = "/kpis/clients", tag = "kpis", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.view"))),
    params(KpiQuery),
    responses((status = 200, description = "The KPIs, from one snapshot", body = ClientKpis)))]
async fn client_kpis(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<KpiQuery>,
) -> ApiResult<ApiJson<ClientKpis>> {
    ctx.require("clients.view").await?;
    let params = KpiParams::parse(&q, Utc::now())?;
    let out = compute(&mut ctx.tx, &params).await?;
    ctx.done();
    Ok(ApiJson(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-15T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn query(from: Option<&str>, to: Option<&str>, days: Option<&str>) -> KpiQuery {
        KpiQuery {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            active_days: days.map(str::to_owned),
        }
    }

    fn parameters(e: ApiError) -> Vec<String> {
        e.errors.into_iter().filter_map(|f| f.parameter).collect()
    }

    #[test]
    fn defaults_are_the_last_30_days_and_90_days_of_activity() {
        let p = KpiParams::parse(&query(None, None, None), now()).ok();
        assert_eq!(p, Some(KpiParams::defaults(now())));
        let p = KpiParams::defaults(now());
        assert_eq!(p.to - p.from, Duration::days(30));
        assert_eq!(p.active_days, 90);
    }

    #[test]
    fn a_lone_bound_takes_the_other_from_the_default_length() {
        let p = KpiParams::parse(&query(None, Some("2026-02-01T00:00:00Z"), None), now())
            .map(|p| (p.from.to_rfc3339(), p.to.to_rfc3339()))
            .ok();
        assert_eq!(
            p,
            Some((
                "2026-01-02T00:00:00+00:00".to_owned(),
                "2026-02-01T00:00:00+00:00".to_owned()
            ))
        );
        let p = KpiParams::parse(&query(Some("2026-03-01T00:00:00+01:00"), None, None), now())
            .map(|p| (p.from.to_rfc3339(), p.to))
            .ok();
        assert_eq!(p, Some(("2026-02-28T23:00:00+00:00".to_owned(), now())));
    }

    #[test]
    fn bad_parameters_are_named() {
        for (q, name) in [
            (query(None, None, Some("0")), "active_days"),
            (query(None, None, Some("3651")), "active_days"),
            (query(None, None, Some("-1")), "active_days"),
            (query(None, None, Some("ninety")), "active_days"),
            (query(Some("yesterday"), None, None), "from"),
            (query(None, Some("2026-13-01T00:00:00Z"), None), "to"),
            (
                query(
                    Some("2026-03-01T00:00:00Z"),
                    Some("2026-03-01T00:00:00Z"),
                    None,
                ),
                "to",
            ),
            (query(Some("2026-04-01T00:00:00Z"), None, None), "from"),
        ] {
            let err = KpiParams::parse(&q, now()).err().map(parameters);
            assert_eq!(err, Some(vec![name.to_owned()]), "{q:?}");
        }
        assert!(KpiParams::parse(&query(None, None, Some("3650")), now()).is_ok());
        assert!(KpiParams::parse(&query(None, None, Some("1")), now()).is_ok());
    }

    #[test]
    fn the_conversion_rate_is_converted_over_converted_plus_open_leads() {
        assert_eq!(conversion_rate(0, 0), None);
        assert_eq!(conversion_rate(0, 4), Some(0.0));
        assert_eq!(conversion_rate(2, 1), Some(2.0 / 3.0));
        assert_eq!(conversion_rate(3, 0), Some(1.0));
    }
}
