//! `GET /api/v1/audit-events`: the tenant's audit log, newest first, filtered.

use serde::Deserialize;
use services::audit::{self, AuditEventOut};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Ctx;
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, ApiQuery, Page, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_events))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The user or API key that acted.
    #[param(schema_with = schemas::uuid)]
    pub actor_id: Option<String>,
    /// `resource.verb`, or a prefix such as `user.*`.
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// Inclusive.
    #[param(schema_with = schemas::date_time)]
    pub from: Option<String>,
    /// Exclusive.
    #[param(schema_with = schemas::date_time)]
    pub to: Option<String>,
    /// Items per page (default 25).
    #[param(schema_with = schemas::limit)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl From<AuditQuery> for audit::AuditQuery {
    fn from(q: AuditQuery) -> Self {
        Self {
            actor_id: q.actor_id,
            action: q.action,
            target_type: q.target_type,
            target_id: q.target_id,
            from: q.from,
            to: q.to,
            limit: q.limit,
            cursor: q.cursor,
        }
    }
}

/// The audit log.
#[utoipa::path(get, path = "/audit-events", tag = "audit", security(("bearer" = [])),
    extensions(("x-permission" = json!("audit.view"))),
    params(AuditQuery),
    responses((status = 200, description = "One page of audit events, newest first", body = Page<AuditEventOut>)))]
async fn list_audit_events(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<ApiJson<Page<AuditEventOut>>> {
    ctx.require("audit.view").await?;
    let out = audit::list(&mut ctx, &q.into()).await?;
    ctx.done();
    Ok(ApiJson(out))
}
