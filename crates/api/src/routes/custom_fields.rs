//! Tenant-defined custom fields of clients: text, number, date, select, boolean.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use db::audit::Change;
use domain::FieldDefinition;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Ctx;
use crate::http::problem::{ApiResult, Problem};
use crate::http::{ApiError, ApiJson, etag};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_fields, create_field))
        .routes(routes!(get_field, update_field, delete_field))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldOut {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
}

/// The body of create and update: a [`FieldDefinition`] as the OpenAPI document describes it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FieldDefinitionIn {
    /// The name values are stored under: `[a-z][a-z0-9_]{0,39}`; it cannot change.
    key: String,
    /// 1-100 characters.
    label: String,
    field_type: FieldTypeIn,
    #[schema(required = false, default = false)]
    required: bool,
    /// The choices of a select field (at most `domain::custom_field::OPTIONS_LIMIT`), in
    /// display order.
    #[schema(required = false, max_items = 500)]
    options: Vec<String>,
    /// Most characters of a text field (1-10,000; 10,000 when absent).
    #[schema(required = false)]
    max_length: u32,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
enum FieldTypeIn {
    Text,
    Number,
    Date,
    Select,
    Boolean,
}

fn validated(def: FieldDefinition) -> ApiResult<FieldDefinition> {
    def.validate_definition()
        .map_err(|e| ApiError::field(&e.pointer, e.reason.0))?;
    Ok(def)
}

/// Every custom field definition.
#[utoipa::path(get, path = "/custom-fields", tag = "clients", security(("bearer" = [])),
    responses((status = 200, body = Vec<FieldOut>)))]
async fn list_fields(mut ctx: Ctx) -> ApiResult<ApiJson<Vec<serde_json::Value>>> {
    ctx.require("clients.view").await?;
    let rows = db::custom_fields::list(&mut ctx.tx).await?;
    ctx.done();
    Ok(ApiJson(rows.into_iter().map(|r| r.definition).collect()))
}

/// Defines a custom field.
#[utoipa::path(post, path = "/custom-fields", tag = "clients", request_body = FieldDefinitionIn, security(("bearer" = [])),
    responses((status = 201, body = FieldOut), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_field(
    State(_state): State<AppState>,
    mut ctx: Ctx,
    ApiJson(def): ApiJson<FieldDefinition>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("custom_fields.manage").await?;
    let def = validated(def)?;
    let value = serde_json::to_value(&def).map_err(ApiError::internal)?;
    let row = match db::custom_fields::insert(&mut ctx.tx, &def.key, &value).await {
        Err(e) if db::constraint_of(&e) == Some("custom_field_definitions_pkey") => {
            return Err(ApiError::conflict(
                "field-exists",
                "A custom field with this key already exists.",
            ));
        }
        other => other?,
    };
    ctx.audit(Change {
        action: "custom_field.created",
        target_type: "custom_field",
        target_id: Some(def.key.clone()),
        before: None,
        after: Some(value.clone()),
    })
    .await?;
    ctx.commit().await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag::header_value(row.version))],
        ApiJson(value),
    ))
}

/// One definition.
#[utoipa::path(get, path = "/custom-fields/{key}", tag = "clients", params(("key" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = FieldOut), (status = 404, body = Problem)))]
async fn get_field(mut ctx: Ctx, Path(key): Path<String>) -> ApiResult<impl IntoResponse> {
    ctx.require("clients.view").await?;
    let row = db::custom_fields::get(&mut ctx.tx, &key)
        .await?
        .ok_or_else(ApiError::not_found)?;
    ctx.done();
    Ok((
        [(header::ETAG, etag::header_value(row.version))],
        ApiJson(row.definition),
    ))
}

/// Replaces a definition (its key stays). Values already stored are kept as they are.
#[utoipa::path(patch, path = "/custom-fields/{key}", tag = "clients", request_body = FieldDefinitionIn, params(("key" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = FieldOut), (status = 404, body = Problem), (status = 412, body = Problem)))]
async fn update_field(
    mut ctx: Ctx,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(def): ApiJson<FieldDefinition>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("custom_fields.manage").await?;
    let before = db::custom_fields::get(&mut ctx.tx, &key)
        .await?
        .ok_or_else(ApiError::not_found)?;
    etag::check_if_match(&headers, before.version)?;
    if def.key != key {
        return Err(ApiError::field("/key", "the key of a field cannot change"));
    }
    let def = validated(def)?;
    let value = serde_json::to_value(&def).map_err(ApiError::internal)?;
    let row = db::custom_fields::update(&mut ctx.tx, &key, &value).await?;
    ctx.audit(Change {
        action: "custom_field.updated",
        target_type: "custom_field",
        target_id: Some(key),
        before: Some(before.definition),
        after: Some(value.clone()),
    })
    .await?;
    ctx.commit().await?;
    Ok((
        [(header::ETAG, etag::header_value(row.version))],
        ApiJson(value),
    ))
}

/// Deletes a definition; values stored under its key stay in the clients' data.
#[utoipa::path(delete, path = "/custom-fields/{key}", tag = "clients", params(("key" = String, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 404, body = Problem)))]
async fn delete_field(mut ctx: Ctx, Path(key): Path<String>) -> ApiResult<StatusCode> {
    ctx.require("custom_fields.manage").await?;
    let before = db::custom_fields::get(&mut ctx.tx, &key)
        .await?
        .ok_or_else(ApiError::not_found)?;
    db::custom_fields::delete(&mut ctx.tx, &key).await?;
    ctx.audit(Change {
        action: "custom_field.deleted",
        target_type: "custom_field",
        target_id: Some(key),
        before: Some(before.definition),
        after: None,
    })
    .await?;
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
