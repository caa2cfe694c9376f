//! Message templates with `{{variable}}` placeholders, checked when saved and when used, and
//! their preview for a client. Reading them needs `communications.view`; writing them
//! `communications.templates`.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use services::communications::templates::{PreviewInput, PreviewOut, TemplateInput, TemplateOut};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_id;
use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, ApiQuery, etag, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, update_template, delete_template))
        .routes(routes!(preview_template))
}

/// The body of `POST /templates`: a `TemplateInput` with its name, channel and body.
pub struct NewTemplate;

impl PartialSchema for NewTemplate {
    fn schema() -> RefOr<Schema> {
        let name = schemas::not_blank(100).description(Some("1-100 characters."));
        let body = schemas::not_blank(20000).description(Some(
            "1-20,000 characters with `{{variable}}` placeholders.",
        ));
        let channel = services::query::schema::one_of(["email", "whatsapp", "sms"]);
        schemas::requiring(
            TemplateInput::schema(),
            [
                ("name", name.build()),
                ("channel", channel.build()),
                ("body", body.build()),
            ],
        )
    }
}

impl ToSchema for NewTemplate {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((TemplateInput::name().into_owned(), TemplateInput::schema()));
        TemplateInput::schemas(schemas);
    }
}

/// The filter of the template list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// Only the templates of this channel.
    #[param(schema_with = services::communications::schema::template_channel_param)]
    pub channel: Option<String>,
}

/// Every template of the tenant, by name, with the variables each uses.
#[utoipa::path(get, path = "/templates", tag = "communications", security(("bearer" = [])),
    extensions(("x-permission" = json!("communications.view"))),
    params(TemplateQuery),
    responses((status = 200, description = "Every template", body = Vec<TemplateOut>)))]
async fn list_templates(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> ApiResult<ApiJson<Vec<TemplateOut>>> {
    ctx.require("communications.view").await?;
    let templates =
        services::communications::templates::list(&mut ctx, q.channel.as_deref()).await?;
    ctx.done();
    Ok(ApiJson(templates))
}

/// Writes a template; an unknown variable or a malformed placeholder is a 422 naming it.
#[utoipa::path(post, path = "/templates", tag = "communications", security(("bearer" = [])),
    extensions(("x-permission" = json!("communications.templates"))),
    request_body = NewTemplate,
    responses(
        (status = 201, description = "The template, with its `ETag`", body = TemplateOut),
        (status = 409, description = "A template with this name exists (`template-exists`).")))]
async fn create_template(
    mut ctx: Ctx,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("communications.templates").await?;
    let template = services::communications::templates::create(&mut ctx, input).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::CREATED, template))
}

/// One template.
#[utoipa::path(get, path = "/templates/{id}", tag = "communications", security(("bearer" = [])),
    extensions(("x-permission" = json!("communications.view"))),
    params(("id" = Uuid, Path, description = "The template")),
    responses(
        (status = 200, description = "The template, with its `ETag`", body = TemplateOut),
        (status = 404, description = "No such template")))]
async fn get_template(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    ctx.require("communications.view").await?;
    let id = parse_id(&id)?;
    let template = services::communications::templates::get(&mut ctx, id).await?;
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, template))
}

/// Changes a template (`If-Match` honoured); an absent member keeps its value.
#[utoipa::path(patch, path = "/templates/{id}", tag = "communications", security(("bearer" = [])),
    extensions(("x-permission" = json!("communications.templates"))),
    params(("id" = Uuid, Path, description = "The template"), IfMatch),
    request_body = TemplateInput,
    responses(
        (status = 200, description = "The template as changed, with its new `ETag`", body = TemplateOut),
        (status = 404, description = "No such template"),
        (status = 409, description = "Another template has this name (`template-exists`)."),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_template(
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("communications.templates").await?;
    let id = parse_id(&id)?;
    let expected = etag::expected(&headers);
    let template =
        services::communications::templates::update(&mut ctx, id, input, &expected).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, template))
}

/// Deletes a template (`If-Match` honoured); messages written from it keep their words.
#[utoipa::path(delete, path = "/templates/{id}", tag = "communications", security(("bearer" = [])),
    extensions(("x-permission" = json!("communications.templates"))),
    params(("id" = Uuid, Path, description = "The template"), IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such template"),
        (status = 409, description = "Messages written from it wait to be sent (`template-in-use`)."),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn delete_template(
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    ctx.require("communications.templates").await?;
    let id = parse_id(&id)?;
    let expected = etag::expected(&headers);
    services::communications::templates::delete(&mut ctx, id, &expected).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The template rendered for a client, as it would be sent: dates and numbers in the tenant's
/// locale, values HTML-escaped in the e-mail's HTML part.
#[utoipa::path(post, path = "/templates/{id}/preview", tag = "communications",
    security(("bearer" = [])),
    extensions(("x-permission" = json!("communications.view"))),
    params(("id" = Uuid, Path, description = "The template")),
    request_body = PreviewInput,
    responses(
        (status = 200, description = "The rendered subject, text and HTML", body = PreviewOut),
        (status = 404, description = "No such template")))]
async fn preview_template(
    mut ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PreviewInput>,
) -> ApiResult<ApiJson<PreviewOut>> {
    ctx.require("communications.view").await?;
    let id = parse_id(&id)?;
    let preview = services::communications::templates::preview(&mut ctx, id, input).await?;
    ctx.done();
    Ok(ApiJson(preview))
}
