//! OpenAPI schemas of the client members and list parameters that the server reads as text or
//! free JSON, taken from the domain's own lists and bounds so the document cannot drift from
//! the code (only with the `openapi` feature).

use domain::{ClientSource, ClientStatus};
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};

use super::list::SORTS;
use super::{MAX_EMAILS, MAX_TAGS, TAG_CHARS};
use crate::query::schema::one_of;

fn nullable(t: Type) -> SchemaType {
    SchemaType::from_iter([t, Type::Null])
}

fn one_of_or_null(values: impl IntoIterator<Item = &'static str>) -> Schema {
    let mut all: Vec<serde_json::Value> = values.into_iter().map(Into::into).collect();
    all.push(serde_json::Value::Null);
    ObjectBuilder::new()
        .schema_type(nullable(Type::String))
        .enum_values(Some(all))
        .into()
}

/// `ClientOut.status`.
pub fn status_out() -> Schema {
    one_of(ClientStatus::ALL.map(|s| s.as_str())).into()
}

/// `ClientOut.custom_fields`.
pub fn custom_values_out() -> Schema {
    let value = ObjectBuilder::new().schema_type(SchemaType::from_iter([
        Type::String,
        Type::Number,
        Type::Boolean,
    ]));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(value))
        .into()
}

/// `ClientInput.status`.
pub fn status() -> Schema {
    one_of_or_null(ClientStatus::ALL.map(|s| s.as_str()))
}

/// `ClientInput.source`.
pub fn source() -> Schema {
    one_of_or_null(ClientSource::ALL.map(|s| s.as_str()))
}

/// `ClientInput.emails`.
pub fn emails() -> Schema {
    let email = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)));
    ArrayBuilder::new()
        .schema_type(nullable(Type::Array))
        .items(email)
        .max_items(Some(MAX_EMAILS))
        .description(Some("At most 50."))
        .into()
}

/// `ClientInput.tags`.
pub fn tags() -> Schema {
    let tag = ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(TAG_CHARS));
    ArrayBuilder::new()
        .schema_type(nullable(Type::Array))
        .items(tag)
        .max_items(Some(MAX_TAGS))
        .description(Some("At most 50 (stored in lower case)."))
        .into()
}

/// `ClientInput.custom_fields`.
pub fn custom_values() -> Schema {
    let value = ObjectBuilder::new().schema_type(SchemaType::from_iter([
        Type::String,
        Type::Number,
        Type::Boolean,
        Type::Null,
    ]));
    let key = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[a-z][a-z0-9_]{0,39}$"));
    ObjectBuilder::new()
        .schema_type(nullable(Type::Object))
        .property_names(Some(key))
        .additional_properties(Some(value))
        .description(Some(
            "Values of the tenant's custom fields (`GET /api/v1/custom-fields`), by key: \
             text, a number, a date `YYYY-MM-DD`, one of a select field's options or a \
             boolean; `null` or blank leaves an optional field empty.",
        ))
        .into()
}

/// The list's `?status=`.
pub fn status_param() -> Object {
    one_of(ClientStatus::ALL.map(|s| s.as_str())).build()
}

/// The list's `?sort=`.
pub fn sort_param() -> Object {
    let (default, _) = SORTS[0];
    one_of(SORTS.map(|(name, _)| name))
        .default(Some(default.into()))
        .build()
}

/// The list's `?custom_field=`: see `custom_field_value` in `list.rs`.
pub fn custom_field_param() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[a-z][a-z0-9_]{0,39}:.+$"))
        .build()
}

/// The list's `?ids=`: see `client_ids` in `list.rs`.
pub fn ids_param() -> Object {
    let uuid = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
    let most = super::list::MAX_IDS - 1;
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^{uuid}(,{uuid}){{0,{most}}}$")))
        .build()
}
