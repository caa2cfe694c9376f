//! KPIs for the dashboard: the clients module's (counts, activity and lead conversion) and the
//! support desk's (SLA compliance, response and resolution times, backlog, breaches,
//! satisfaction), the communications' and the proposals' (conversion, values, return per
//! template version).

use chrono::Utc;
use serde::Deserialize;
use services::communications::kpis::CommunicationKpis;
use services::kpis::{self, ClientKpis, DEFAULT_ACTIVE_DAYS, KpiParams, MAX_ACTIVE_DAYS};
use services::proposals::kpis::ProposalKpis;
use services::tickets_kpis::{self, SupportKpiParams, SupportKpis};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Ctx;
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, ApiQuery, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(client_kpis))
        .routes(routes!(support_kpis))
        .routes(routes!(communication_kpis))
        .routes(routes!(proposal_kpis))
}

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
    let params = KpiParams::parse(
        q.from.as_deref(),
        q.to.as_deref(),
        q.active_days.as_deref(),
        Utc::now(),
    )?;
    let out = kpis::client_kpis(&mut ctx, &params).await?;
    ctx.done();
    Ok(ApiJson(out))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupportKpiQuery {
    /// Start of the period, inclusive (default: `to` minus 30 days); before `to`.
    #[param(schema_with = schemas::date_time)]
    pub from: Option<String>,
    /// End of the period, exclusive (default: now).
    #[param(schema_with = schemas::date_time)]
    pub to: Option<String>,
}

/// Support KPIs for a period: SLA compliance per target (overall and per category), business
/// hours to first response and to resolution (mean, p90), breaches recorded and satisfaction;
/// and the backlog open now by status and age. Computed over the open tickets and the period's
/// resolved ones, sized for tenants of tens of thousands of tickets.
#[utoipa::path(get, path = "/kpis/support", tag = "kpis", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.view"))),
    params(SupportKpiQuery),
    responses((status = 200, description = "The support KPIs of the period", body = SupportKpis)))]
async fn support_kpis(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<SupportKpiQuery>,
) -> ApiResult<ApiJson<SupportKpis>> {
    ctx.require("tickets.view").await?;
    let params = SupportKpiParams::parse(q.from.as_deref(), q.to.as_deref(), Utc::now())?;
    let out = tickets_kpis::support_kpis(&mut ctx, &params).await?;
    ctx.done();
    Ok(ApiJson(out))
}

/// Communications KPIs for a period: messages per channel and per day (or week, beyond 62
/// days) in the tenant's time zone, the engagement of what was sent (opened, clicked, replied),
/// the clients' mean reply time and the team's mean response time, and the channel clients
/// wrote on most.
#[utoipa::path(get, path = "/kpis/communications", tag = "kpis", security(("bearer" = [])),
    extensions(("x-permission" = json!("communications.view"))),
    params(SupportKpiQuery),
    responses((status = 200, description = "The communications KPIs of the period", body = CommunicationKpis)))]
async fn communication_kpis(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<SupportKpiQuery>,
) -> ApiResult<ApiJson<CommunicationKpis>> {
    ctx.require("communications.view").await?;
    let params = KpiParams::parse(q.from.as_deref(), q.to.as_deref(), None, Utc::now())?;
    let out = services::communications::kpis::communication_kpis(&mut ctx, &params).await?;
    ctx.done();
    Ok(ApiJson(out))
}

/// Proposal KPIs over the proposals sent in a period (every revision sent counts): accepted,
/// rejected, expired and pending counts, the conversion rate, the mean days to acceptance, per
/// currency the mean, pending and won values, and per template version and currency the won
/// value per proposal sent.
#[utoipa::path(get, path = "/kpis/proposals", tag = "kpis", security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.view"))),
    params(SupportKpiQuery),
    responses((status = 200, description = "The proposal KPIs of the period", body = ProposalKpis)))]
async fn proposal_kpis(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<SupportKpiQuery>,
) -> ApiResult<ApiJson<ProposalKpis>> {
    ctx.require("proposals.view").await?;
    let params = KpiParams::parse(q.from.as_deref(), q.to.as_deref(), None, Utc::now())?;
    let out = services::proposals::kpis::proposal_kpis(&mut ctx, &params).await?;
    ctx.done();
    Ok(ApiJson(out))
}
