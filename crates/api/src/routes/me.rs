//! `GET /api/v1/me`: who am I, in which tenant, with which roles and permissions.

use services::access::{self, MeResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Ctx, Principal};
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
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
