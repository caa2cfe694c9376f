//! `GET /api/v1/me`: who am I, in which tenant, with which roles and permissions.

use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::grants::permissions_of;
use crate::auth::{Ctx, Principal};
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeTenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub currency: String,
    pub locale: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    /// `user` or `api_key`.
    #[schema(schema_with = kind)]
    pub kind: &'static str,
    pub id: Uuid,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub tenant: MeTenant,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

fn kind() -> utoipa::openapi::schema::Object {
    crate::http::schemas::one_of(["user", "api_key"]).build()
}

/// The caller.
#[utoipa::path(get, path = "/me", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller, its tenant, roles and permissions", body = MeResponse),
        (status = 401, description = "The user or key no longer exists (`unauthorized`).")))]
async fn me(mut ctx: Ctx) -> ApiResult<ApiJson<MeResponse>> {
    let response = match ctx.principal.clone() {
        Principal::User { user, .. } => {
            let me = db::users::me(&mut ctx.tx, user)
                .await?
                .ok_or_else(|| ApiError::unauthorized("The user no longer exists."))?;
            let permissions = permissions_of(&mut ctx, &me.roles)
                .await?
                .into_iter()
                .collect();
            MeResponse {
                kind: "user",
                id: me.id,
                email: Some(me.email),
                display_name: Some(me.display_name),
                tenant: MeTenant {
                    id: me.tenant_id,
                    slug: me.tenant_slug,
                    name: me.tenant_name,
                    time_zone: me.time_zone,
                    currency: me.currency,
                    locale: me.locale,
                },
                roles: me.roles,
                permissions,
            }
        }
        Principal::ApiKey { key, tenant, .. } => {
            let api_key = db::api_keys::get(&mut ctx.tx, key)
                .await?
                .ok_or_else(|| ApiError::unauthorized("The API key no longer exists."))?;
            let t = db::tenants::get(&mut ctx.tx, tenant)
                .await?
                .ok_or_else(ApiError::not_found)?;
            let roles = vec![api_key.role_name];
            let permissions = permissions_of(&mut ctx, &roles)
                .await?
                .into_iter()
                .collect();
            MeResponse {
                kind: "api_key",
                id: key,
                email: None,
                display_name: Some(api_key.name),
                tenant: MeTenant {
                    id: t.id,
                    slug: t.slug,
                    name: t.name,
                    time_zone: t.time_zone,
                    currency: t.currency,
                    locale: t.locale,
                },
                roles,
                permissions,
            }
        }
    };
    ctx.done();
    Ok(ApiJson(response))
}
