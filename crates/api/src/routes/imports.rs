//! CSV import of clients: the upload checks the file's shape at once and queues a job (in the
//! same transaction) that validates every row; `GET /imports/{id}` shows progress and errors.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use db::audit::Change;
use serde::{Deserialize, Serialize};
use serde_json::json;
use services::import::{self, MAX_ROWS};
use services::jobs::Job;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::parse_id;
use crate::auth::Ctx;
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, ApiQuery, FieldError, schemas};
use crate::state::AppState;

/// The largest file an import takes (100,000 rows of a few hundred bytes).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// The upload's route, whose body limit is `MAX_FILE_BYTES`.
pub(crate) const ROUTE: &str = "/api/v1/clients/import";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_import))
        .layer(DefaultBodyLimit::max(MAX_FILE_BYTES))
        .routes(routes!(get_import))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `true`: validate and report, import nothing (default `false`).
    #[param(schema_with = schemas::flag)]
    pub dry_run: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportOut {
    pub id: Uuid,
    /// `queued`, `running`, `done` or `failed`.
    #[schema(schema_with = import_status)]
    pub status: String,
    pub dry_run: bool,
    pub total_rows: i32,
    pub processed_rows: i32,
    pub imported_rows: i32,
    pub error_rows: i32,
    /// `[{line, column, detail}]`, the first 1,000.
    #[schema(value_type = Vec<Object>)]
    pub errors: serde_json::Value,
    /// Why the import stopped, when it is `failed`.
    pub failure_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

fn import_status() -> utoipa::openapi::schema::Object {
    schemas::one_of(["queued", "running", "done", "failed"]).build()
}

fn out(i: db::imports::Import) -> ImportOut {
    ImportOut {
        id: i.id,
        status: i.status,
        dry_run: i.dry_run,
        total_rows: i.total_rows,
        processed_rows: i.processed_rows,
        imported_rows: i.imported_rows,
        error_rows: i.error_rows,
        errors: i.errors,
        failure_reason: i.failure_reason,
        created_at: i.created_at,
        finished_at: i.finished_at,
    }
}

/// Where a header problem points: `/columns/<name>`, or `/columns` for the header as a whole.
fn columns_pointer(column: &str) -> String {
    if column.is_empty() {
        "/columns".to_owned()
    } else {
        format!("/columns/{column}")
    }
}

/// Uploads a CSV file (`Content-Type: text/csv`; comma or semicolon; UTF-8 with or without BOM).
#[utoipa::path(post, path = "/clients/import", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.import"))),
    params(ImportQuery),
    request_body(description = "The CSV file, as the export writes it: up to 100,000 rows, 100 \
        columns and 64 MiB", content = String, content_type = "text/csv"),
    responses(
        (status = 202, description = "Queued; follow its `Location`", body = ImportOut),
        (status = 422, description = "The file is not UTF-8, or its columns or row count are not importable (`validation-failed`).")))]
async fn start_import(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    ctx.require("clients.import").await?;
    let csv_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            matches!(
                m.trim(),
                "text/csv" | "application/csv" | "text/plain" | "application/vnd.ms-excel"
            )
        })
        .unwrap_or(false);
    if !csv_type {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "Send the file as `Content-Type: text/csv`.",
        ));
    }
    let dry_run = match q.dry_run.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::validation(vec![FieldError::query(
                "dry_run",
                "must be true or false",
            )]));
        }
    };
    if std::str::from_utf8(import::strip_bom(&body)).is_err() {
        return Err(ApiError::field(
            "",
            "the file is not UTF-8 text; save it as CSV UTF-8",
        ));
    }
    let layout = import::layout(&body).map_err(|problems| {
        ApiError::validation(
            problems
                .into_iter()
                .map(|p| FieldError::body(&columns_pointer(&p.pointer), p.detail))
                .collect(),
        )
    })?;
    let total = import::count_rows(&body, &layout);
    if total == 0 {
        return Err(ApiError::field("", "the file has a header but no rows"));
    }
    if total > MAX_ROWS {
        return Err(ApiError::field(
            "",
            format!("the file has {total} rows; an import takes at most {MAX_ROWS}"),
        ));
    }
    let id = Uuid::now_v7();
    let created_by = ctx.user_id();
    let tenant = ctx.tenant();
    db::imports::insert(&mut ctx.tx, id, dry_run, &body, total as i32, created_by).await?;
    services::jobs::enqueue(
        ctx.tx.connection(),
        &Job::ImportClients {
            tenant_id: tenant,
            import_id: id,
        },
        Some(format!("import-{id}")),
    )
    .await
    .map_err(ApiError::internal)?;
    ctx.audit(Change {
        action: "client_import.started",
        target_type: "client_import",
        target_id: Some(id.to_string()),
        before: None,
        after: Some(json!({ "rows": total, "dry_run": dry_run })),
    })
    .await?;
    let import = db::imports::get(&mut ctx.tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    ctx.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/v1/imports/{id}"))],
        ApiJson(out(import)),
    ))
}

/// An import's progress and per-row errors.
#[utoipa::path(get, path = "/imports/{id}", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.import"))),
    params(("id" = Uuid, Path, description = "The import")),
    responses(
        (status = 200, description = "The import's progress", body = ImportOut),
        (status = 404, description = "No such import")))]
async fn get_import(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<ApiJson<ImportOut>> {
    ctx.require("clients.import").await?;
    let import = db::imports::get(&mut ctx.tx, parse_id(&id)?)
        .await?
        .ok_or_else(ApiError::not_found)?;
    ctx.done();
    Ok(ApiJson(out(import)))
}
