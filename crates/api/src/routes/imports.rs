//! CSV import of clients: the upload checks the file's shape at once and queues a job (in the
//! same transaction) that validates every row; `GET /imports/{id}` shows progress and errors.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use services::import::ImportOut;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_id;
use crate::auth::Ctx;
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, ApiQuery, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_import))
        .layer(DefaultBodyLimit::max(services::import::MAX_FILE_BYTES))
        .routes(routes!(get_import))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `true`: validate and report, import nothing (default `false`).
    #[param(schema_with = schemas::flag)]
    pub dry_run: Option<String>,
}

/// Whether the request says its body is CSV (or what spreadsheets send for it).
fn is_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            matches!(
                m.trim(),
                "text/csv" | "application/csv" | "text/plain" | "application/vnd.ms-excel"
            )
        })
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
pub async fn start_import(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    ctx.require("clients.import").await?;
    if !is_csv(&headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "Send the file as `Content-Type: text/csv`.",
        ));
    }
    let mut problems = Vec::new();
    let dry_run = services::query::flag("dry_run", q.dry_run.as_deref(), &mut problems);
    services::Error::check(problems)?;
    let import = services::import::start(&mut ctx, &body, dry_run.unwrap_or(false)).await?;
    ctx.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/v1/imports/{}", import.id))],
        ApiJson(import),
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
    let import = services::import::get(&mut ctx, parse_id(&id)?).await?;
    ctx.done();
    Ok(ApiJson(import))
}
