//! Ticket categories with their SLA policy (targets per priority, in business minutes on a
//! business calendar or around the clock) and escalation policy. Reading them needs
//! `tickets.view`; defining them `tickets.config`.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use services::tickets::{CategoryInput, CategoryOut};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_id;
use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, etag, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories, create_category))
        .routes(routes!(get_category, update_category, delete_category))
}

/// The body of `POST /ticket-categories`: a `CategoryInput` with its name.
pub struct NewCategory;

impl PartialSchema for NewCategory {
    fn schema() -> RefOr<Schema> {
        let name = schemas::not_blank(100).description(Some("1-100 characters."));
        schemas::requiring(CategoryInput::schema(), [("name", name.build())])
    }
}

impl ToSchema for NewCategory {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((CategoryInput::name().into_owned(), CategoryInput::schema()));
        CategoryInput::schemas(schemas);
    }
}

/// Every ticket category, by name.
#[utoipa::path(get, path = "/ticket-categories", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.view"))),
    responses((status = 200, description = "Every category", body = Vec<CategoryOut>)))]
async fn list_categories(mut ctx: Ctx) -> ApiResult<ApiJson<Vec<CategoryOut>>> {
    ctx.require("tickets.view").await?;
    let categories = services::tickets::categories::list(&mut ctx).await?;
    ctx.done();
    Ok(ApiJson(categories))
}

/// Defines a ticket category with its SLA policy.
#[utoipa::path(post, path = "/ticket-categories", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.config"))),
    request_body = NewCategory,
    responses(
        (status = 201, description = "The category, with its `ETag`", body = CategoryOut),
        (status = 409, description = "A category with this name exists (`category-exists`).")))]
async fn create_category(
    mut ctx: Ctx,
    ApiJson(input): ApiJson<CategoryInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("tickets.config").await?;
    let category = services::tickets::categories::create(&mut ctx, input).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::CREATED, category))
}

/// One ticket category.
#[utoipa::path(get, path = "/ticket-categories/{id}", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.view"))),
    params(("id" = Uuid, Path, description = "The category")),
    responses(
        (status = 200, description = "The category, with its `ETag`", body = CategoryOut),
        (status = 404, description = "No such category")))]
async fn get_category(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    ctx.require("tickets.view").await?;
    let id = parse_id(&id)?;
    let category = services::tickets::categories::get(&mut ctx, id).await?;
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, category))
}

/// Changes a category (`If-Match` honoured); `null` clears an optional member. A new SLA,
/// calendar or warning share moves the due times of the category's open tickets.
#[utoipa::path(patch, path = "/ticket-categories/{id}", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.config"))),
    params(("id" = Uuid, Path, description = "The category"), IfMatch),
    request_body = CategoryInput,
    responses(
        (status = 200, description = "The category as changed, with its new `ETag`", body = CategoryOut),
        (status = 404, description = "No such category"),
        (status = 409, description = "Another category has this name (`category-exists`)."),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_category(
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<CategoryInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("tickets.config").await?;
    let id = parse_id(&id)?;
    let expected = etag::expected(&headers);
    let category = services::tickets::categories::update(&mut ctx, id, input, &expected).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, category))
}

/// Deletes a category no ticket is filed in.
#[utoipa::path(delete, path = "/ticket-categories/{id}", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.config"))),
    params(("id" = Uuid, Path, description = "The category")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such category"),
        (status = 409, description = "Tickets are filed in the category (`category-in-use`).")))]
async fn delete_category(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<StatusCode> {
    ctx.require("tickets.config").await?;
    let id = parse_id(&id)?;
    services::tickets::categories::delete(&mut ctx, id).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
