//! `GET /api/v1/me`: who am I, in which tenant, with which roles and permissions;
//! `PATCH /api/v1/me`: the language I chose for myself.

use serde::{Deserialize, Deserializer};
use services::access::{self, MeResponse};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Ctx, Principal};
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me, update_me))
}

/// The caller.
#[utoipa::path(get, path = "/me", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller, its tenant, roles and permissions", body = MeResponse),
        (status = 401, description = "The user or key no longer exists (`unauthorized`).")))]
async fn me(mut ctx: Ctx) -> ApiResult<ApiJson<MeResponse>> {
    let Some(me) = access::me(&mut ctx).await? else {
        return Err(ApiError::unauthorized(match ctx.principal {
            Principal::User { .. } => "The user no longer exists.",
            Principal::ApiKey { .. } => "The API key no longer exists.",
        }));
    };
    ctx.done();
    Ok(ApiJson(me))
}

/// What a user may change of themselves.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeChange {
    /// `es` or `en`; `null` follows the tenant's locale again. Required.
    #[serde(deserialize_with = "nullable")]
    #[schema(pattern = "^(es|en)$", required = true)]
    pub locale: Option<String>,
}

/// A member that must be present but may be `null`.
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// Chooses the signed-in user's own language, which wins over the tenant's (in the console
/// too). Any signed-in user may; an API key has no language of its own.
#[utoipa::path(patch, path = "/me", tag = "users", security(("bearer" = [])),
    request_body = MeChange,
    responses(
        (status = 200, description = "The caller, with `locale` as chosen", body = MeResponse),
        (status = 403, description = "The caller is an API key (`forbidden`).")))]
async fn update_me(
    mut ctx: Ctx,
    ApiJson(change): ApiJson<MeChange>,
) -> ApiResult<ApiJson<MeResponse>> {
    let me = services::users::set_locale(&mut ctx, change.locale.as_deref()).await?;
    ctx.commit().await?;
    Ok(ApiJson(me))
}
