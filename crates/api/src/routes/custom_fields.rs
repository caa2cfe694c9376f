//! Tenant-defined custom fields of clients: text, number, date, select, boolean.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use domain::FieldDefinition;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, etag};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_fields, create_field))
        .routes(routes!(get_field, update_field, delete_field))
}

/// A custom field's definition, as stored.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FieldOut {
    key: String,
    label: String,
    field_type: FieldTypeIn,
    required: bool,
    options: Vec<String>,
    max_length: Option<u32>,
}

/// The body of create and update: a [`FieldDefinition`] as the OpenAPI document describes it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct FieldDefinitionIn {
    /// The name values are stored under: `[a-z][a-z0-9_]{0,39}`; it cannot change.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,39}$")]
    key: String,
    /// 1-100 characters.
    #[schema(pattern = r"\S", max_length = 100)]
    label: String,
    field_type: FieldTypeIn,
    #[schema(required = false, default = false)]
    required: bool,
    /// The choices of a select field, and only of one (1 to
    /// `domain::custom_field::OPTIONS_LIMIT`, distinct ignoring case, without spaces around
    /// them), in display order.
    #[schema(required = false, max_items = 500, inline, value_type = Vec<OptionText>)]
    options: Vec<String>,
    /// Most characters of a text field, and only of one (1-10,000; 10,000 when absent).
    #[schema(required = false, minimum = 1, maximum = 10_000)]
    max_length: Option<u32>,
}

/// A select field's option, in documentation.
struct OptionText;

impl utoipa::PartialSchema for OptionText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .max_length(Some(100))
            .into()
    }
}

impl ToSchema for OptionText {}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum FieldTypeIn {
    Text,
    Number,
    Date,
    Select,
    Boolean,
}

/// A definition with its `ETag`.
/// Every custom field definition.
#[utoipa::path(get, path = "/custom-fields", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.view"))),
    responses((status = 200, description = "Every definition", body = Vec<FieldOut>)))]
async fn list_fields(mut ctx: Ctx) -> ApiResult<ApiJson<Vec<FieldDefinition>>> {
    ctx.require("clients.view").await?;
    let defs = services::custom_fields::list(&mut ctx).await?;
    ctx.done();
    Ok(ApiJson(defs))
}

/// Defines a custom field.
#[utoipa::path(post, path = "/custom-fields", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("custom_fields.manage"))),
    request_body = FieldDefinitionIn,
    responses(
        (status = 201, description = "The definition, with its `ETag`", body = FieldOut),
        (status = 409, description = "A field with this key exists (`field-exists`).")))]
async fn create_field(
    mut ctx: Ctx,
    ApiJson(def): ApiJson<FieldDefinition>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("custom_fields.manage").await?;
    let def = services::custom_fields::create(&mut ctx, def).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::CREATED, def))
}

/// One definition.
#[utoipa::path(get, path = "/custom-fields/{key}", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.view"))),
    params(("key" = String, Path, description = "The field's key")),
    responses(
        (status = 200, description = "The definition, with its `ETag`", body = FieldOut),
        (status = 404, description = "No such field")))]
async fn get_field(mut ctx: Ctx, Path(key): Path<String>) -> ApiResult<impl IntoResponse> {
    ctx.require("clients.view").await?;
    let def = services::custom_fields::get(&mut ctx, &key).await?;
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, def))
}

/// Replaces a definition (its key stays). Values already stored are kept as they are.
#[utoipa::path(patch, path = "/custom-fields/{key}", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("custom_fields.manage"))),
    params(("key" = String, Path, description = "The field's key"), IfMatch),
    request_body = FieldDefinitionIn,
    responses(
        (status = 200, description = "The definition as replaced, with its new `ETag`", body = FieldOut),
        (status = 404, description = "No such field"),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_field(
    mut ctx: Ctx,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(def): ApiJson<FieldDefinition>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("custom_fields.manage").await?;
    let expected = etag::expected(&headers);
    let def = services::custom_fields::update(&mut ctx, &key, &expected, def).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, def))
}

/// Deletes a definition; values stored under its key stay in the clients' data.
#[utoipa::path(delete, path = "/custom-fields/{key}", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("custom_fields.manage"))),
    params(("key" = String, Path, description = "The field's key")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such field")))]
async fn delete_field(mut ctx: Ctx, Path(key): Path<String>) -> ApiResult<StatusCode> {
    ctx.require("custom_fields.manage").await?;
    services::custom_fields::delete(&mut ctx, &key).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;
    use utoipa::openapi::{RefOr, schema::Schema};

    use super::*;

    /// The documented body names exactly the members a definition has.
    #[test]
    fn documented_body_matches_the_definition() {
        let def = FieldDefinition {
            key: "k".into(),
            label: "K".into(),
            field_type: domain::FieldType::Text,
            required: false,
            options: Vec::new(),
            max_length: Some(1),
        };
        let value = serde_json::to_value(def).expect("json");
        let mut members: Vec<&String> = value.as_object().expect("object").keys().collect();
        members.sort();
        let RefOr::T(Schema::Object(schema)) = FieldDefinitionIn::schema() else {
            panic!("not an object schema");
        };
        let mut documented: Vec<&String> = schema.properties.keys().collect();
        documented.sort();
        assert_eq!(members, documented);
        let max =
            serde_json::to_value(&schema.properties["options"]).expect("json")["maxItems"].as_u64();
        assert_eq!(max, Some(domain::custom_field::OPTIONS_LIMIT as u64));
    }
}
