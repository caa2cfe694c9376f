//! `GET /api/v1/audit-events`: the tenant's audit log, newest first, filtered.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Ctx;
use crate::http::params::parse_time;
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, ApiQuery, FieldError, Page, PageQuery, schemas};
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

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEventOut {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
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
    let mut errors = Vec::new();
    let page = PageQuery {
        limit: q.limit.clone(),
        cursor: q.cursor.clone(),
    }
    .validate()
    .map_err(|e| errors.extend(e))
    .ok();
    let actor_id = q
        .actor_id
        .as_deref()
        .map(|a| {
            Uuid::try_parse(a)
                .map_err(|_| errors.push(FieldError::query("actor_id", "must be a UUID")))
        })
        .transpose()
        .ok()
        .flatten();
    let from = parse_time("from", q.from.as_deref(), &mut errors);
    let to = parse_time("to", q.to.as_deref(), &mut errors);
    let Some(page) = page.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let filter = db::audit::Filter {
        actor_id,
        action: q.action,
        target_type: q.target_type,
        target_id: q.target_id,
        from,
        to,
        before_id: page.after,
        limit: page.fetch_limit(),
    };
    let rows = db::audit::list(&mut ctx.tx, &filter).await?;
    ctx.done();
    Ok(ApiJson(Page::from_rows(
        rows,
        page,
        |e| e.id,
        |e| AuditEventOut {
            id: e.id,
            occurred_at: e.occurred_at,
            actor_type: e.actor_type,
            actor_id: e.actor_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            before: e.before,
            after: e.after,
            ip: e.ip,
            user_agent: e.user_agent,
            request_id: e.request_id,
        },
    )))
}
