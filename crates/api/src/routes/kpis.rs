//! KPIs of the clients module, for the dashboard: counts, activity and lead conversion.

use chrono::Utc;
use serde::Deserialize;
use services::kpis::{self, ClientKpis, DEFAULT_ACTIVE_DAYS, KpiParams, MAX_ACTIVE_DAYS};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Ctx;
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, ApiQuery, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(client_kpis))
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
