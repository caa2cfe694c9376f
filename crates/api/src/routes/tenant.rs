//! `GET` and `PATCH /api/v1/tenant`: the caller's tenant's settings (name, time zone, locale,
//! currency), for its administrators.

use services::tenants::{self, TenantOut, TenantSettingsInput};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Ctx;
use crate::http::ApiJson;
use crate::http::problem::ApiResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_tenant, update_tenant))
}

/// The caller's tenant.
#[utoipa::path(get, path = "/tenant", tag = "tenant", security(("bearer" = [])),
    extensions(("x-permission" = json!("tenant.settings"))),
    responses((status = 200, description = "The tenant and its settings", body = TenantOut)))]
async fn get_tenant(mut ctx: Ctx) -> ApiResult<ApiJson<TenantOut>> {
    ctx.require("tenant.settings").await?;
    let tenant = tenants::settings(&mut ctx).await?;
    ctx.done();
    Ok(ApiJson(tenant))
}

/// Changes the tenant's name, time zone, locale or currency; absent members keep their
/// value. Every refused member is named in `errors` and nothing changes. The slug cannot
/// change; the last change wins (no `ETag`).
#[utoipa::path(patch, path = "/tenant", tag = "tenant", security(("bearer" = [])),
    extensions(("x-permission" = json!("tenant.settings"))),
    request_body = TenantSettingsInput,
    responses((status = 200, description = "The tenant as changed", body = TenantOut)))]
async fn update_tenant(
    mut ctx: Ctx,
    ApiJson(input): ApiJson<TenantSettingsInput>,
) -> ApiResult<ApiJson<TenantOut>> {
    ctx.require("tenant.settings").await?;
    let tenant = tenants::update_settings(&mut ctx, input).await?;
    ctx.commit().await?;
    Ok(ApiJson(tenant))
}
