//! Proposal templates: titled sections with `{{variables}}` and the typed variables they
//! declare, versioned (a change of the content adds a version; the old ones stay readable for
//! the proposals made from them). Reading needs `proposals.view`; writing `proposals.edit`.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use services::proposals::content::{Section, VariableSpec};
use services::proposals::templates::{self, TemplateInput, TemplateKey, TemplateOut};
use utoipa::openapi::schema::{ArrayBuilder, Object, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_id;
use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, ApiQuery, InvalidField, Page, PageQuery, etag, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_proposal_templates, create_proposal_template))
        .routes(routes!(
            get_proposal_template,
            update_proposal_template,
            delete_proposal_template
        ))
        .routes(routes!(get_proposal_template_version))
}

/// The body of `POST /proposal-templates`: a `ProposalTemplateInput` with its name and sections.
pub struct NewProposalTemplate;

impl PartialSchema for NewProposalTemplate {
    fn schema() -> RefOr<Schema> {
        let name = schemas::not_blank(100).description(Some("1-100 characters."));
        let sections = ArrayBuilder::new()
            .items(Ref::from_schema_name(Section::name()))
            .min_items(Some(1))
            .max_items(Some(50))
            .description(Some("The sections in order."));
        schemas::requiring_members(
            TemplateInput::schema(),
            [
                ("name", RefOr::T(Schema::Object(name.build()))),
                ("sections", RefOr::T(Schema::Array(sections.build()))),
            ],
        )
    }
}

impl ToSchema for NewProposalTemplate {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((TemplateInput::name().into_owned(), TemplateInput::schema()));
        schemas.push((Section::name().into_owned(), Section::schema()));
        schemas.push((VariableSpec::name().into_owned(), VariableSpec::schema()));
        TemplateInput::schemas(schemas);
    }
}

fn version_param() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .build()
}

/// Which version of a template to read.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A version of the template (default: the newest).
    #[param(schema_with = version_param)]
    pub version: Option<String>,
}

impl VersionQuery {
    fn parse(&self) -> Result<Option<i32>, ApiError> {
        let Some(raw) = self.version.as_deref() else {
            return Ok(None);
        };
        match raw.parse::<i32>() {
            Ok(v) if v >= 1 => Ok(Some(v)),
            _ => Err(services::Error::Invalid(vec![InvalidField::query(
                "version",
                "must be a whole number from 1",
            )])
            .into()),
        }
    }
}

/// One page of the tenant's proposal templates by name, each at its newest version.
#[utoipa::path(get, path = "/proposal-templates", tag = "proposals", security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.view"))),
    params(PageQuery),
    responses((status = 200, description = "One page of templates", body = Page<TemplateOut>)))]
async fn list_proposal_templates(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<ApiJson<Page<TemplateOut>>> {
    ctx.require("proposals.view").await?;
    let page = q.request::<TemplateKey>()?;
    let out = templates::list(&mut ctx, &page).await?;
    ctx.done();
    Ok(ApiJson(out))
}

/// Writes a template as its version 1. Each placeholder must name a standard variable, a
/// proposal's (`proposalDate`, `validUntil`, `total`, `discountPercentage`), a declared one or
/// `custom.<key>`; anything else is a 422 naming the section.
#[utoipa::path(post, path = "/proposal-templates", tag = "proposals", security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.edit"))),
    request_body = NewProposalTemplate,
    responses(
        (status = 201, description = "The template, with its `ETag`", body = TemplateOut),
        (status = 409, description = "A template with this name exists (`template-name-taken`).")))]
async fn create_proposal_template(
    mut ctx: Ctx,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("proposals.edit").await?;
    let template = templates::create(&mut ctx, input).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::CREATED, template))
}

/// A template at its newest version, or at `?version=`.
#[utoipa::path(get, path = "/proposal-templates/{id}", tag = "proposals", security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.view"))),
    params(("id" = Uuid, Path, description = "The template"), VersionQuery),
    responses(
        (status = 200, description = "The template, with its `ETag`", body = TemplateOut),
        (status = 404, description = "No such template, or no such version of it")))]
async fn get_proposal_template(
    mut ctx: Ctx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<VersionQuery>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("proposals.view").await?;
    let id = parse_id(&id)?;
    let template = match q.parse()? {
        Some(version) => templates::get_version(&mut ctx, id, version).await?,
        None => templates::get(&mut ctx, id).await?,
    };
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, template))
}

/// One version of a template, as proposals made from it render.
#[utoipa::path(get, path = "/proposal-templates/{id}/versions/{version}", tag = "proposals",
    security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.view"))),
    params(
        ("id" = Uuid, Path, description = "The template"),
        ("version" = i32, Path, minimum = 1, description = "The version")),
    responses(
        (status = 200, description = "That version, with its `ETag`", body = TemplateOut),
        (status = 404, description = "No such template, or no such version of it")))]
async fn get_proposal_template_version(
    mut ctx: Ctx,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("proposals.view").await?;
    let id = parse_id(&id)?;
    let version = version
        .parse::<i32>()
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(ApiError::not_found)?;
    let template = templates::get_version(&mut ctx, id, version).await?;
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, template))
}

/// Changes a template (`If-Match` honoured; its `ETag` is the newest version). New `sections`
/// or `variables` add a version, checked together with the member kept; a `name` alone renames
/// the template without a new version.
#[utoipa::path(patch, path = "/proposal-templates/{id}", tag = "proposals",
    security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.edit"))),
    params(("id" = Uuid, Path, description = "The template"), IfMatch),
    request_body = TemplateInput,
    responses(
        (status = 200, description = "The template at its newest version, with its `ETag`", body = TemplateOut),
        (status = 404, description = "No such template"),
        (status = 409, description = "Another template has this name (`template-name-taken`)."),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_proposal_template(
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("proposals.edit").await?;
    let id = parse_id(&id)?;
    let expected = etag::expected(&headers);
    let template = templates::update(&mut ctx, id, input, &expected).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, template))
}

/// Deletes a template with all its versions, unless a proposal was made from it.
#[utoipa::path(delete, path = "/proposal-templates/{id}", tag = "proposals",
    security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.edit"))),
    params(("id" = Uuid, Path, description = "The template"), IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such template"),
        (status = 409, description = "Proposals were made from it (`template-in-use`)."),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn delete_proposal_template(
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    ctx.require("proposals.edit").await?;
    let id = parse_id(&id)?;
    let expected = etag::expected(&headers);
    templates::delete(&mut ctx, id, &expected).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
