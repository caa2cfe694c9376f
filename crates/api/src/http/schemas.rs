//! Schemas of the OpenAPI document for what a field's Rust type cannot say: query parameters and
//! body fields the server reads as text but parses as a number, a flag, a UUID, a time or one of
//! a fixed list (taken from the domain's own list, so the document cannot drift from the code).
//! Used as `#[param(schema_with = ...)]` or `#[schema(schema_with = ...)]`.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, Type};

use super::pagination::{DEFAULT_LIMIT, MAX_LIMIT};

fn of_type(t: Type) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(t)
}

/// Text that is one of `values`.
pub fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    of_type(Type::String).enum_values(Some(values))
}

/// One of `values`, or `null` (which leaves the value as it was).
pub fn one_of_or_null<'a>(values: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    let mut all: Vec<serde_json::Value> = values.into_iter().map(Into::into).collect();
    all.push(serde_json::Value::Null);
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]))
        .enum_values(Some(all))
}

fn formatted(format: KnownFormat) -> Object {
    of_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(format)))
        .build()
}

/// A UUID.
pub fn uuid() -> Object {
    formatted(KnownFormat::Uuid)
}

/// An e-mail address.
pub fn email() -> Object {
    formatted(KnownFormat::Email)
}

/// An RFC 3339 time such as `2026-01-31T09:00:00Z`.
pub fn date_time() -> Object {
    formatted(KnownFormat::DateTime)
}

/// `true` or `false`.
pub fn flag() -> Object {
    of_type(Type::Boolean).build()
}

/// `?limit=`: items per page.
pub fn limit() -> Object {
    of_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(MAX_LIMIT))
        .default(Some(DEFAULT_LIMIT.into()))
        .build()
}

/// A permission of the catalogue (`GET /api/v1/permissions`).
pub fn permission() -> Object {
    one_of(domain::permissions::ALL.iter().copied()).build()
}

/// Text with at least one character that is not white space (the server trims it).
pub fn not_blank(max_length: usize) -> ObjectBuilder {
    of_type(Type::String)
        .pattern(Some(r"\S"))
        .max_length(Some(max_length))
}

/// A create's body: the update's schema `base` (every member optional, `null` keeping a value)
/// with `members` required and replaced by their non-null schemas.
pub fn requiring(
    base: RefOr<Schema>,
    members: impl IntoIterator<Item = (&'static str, Object)>,
) -> RefOr<Schema> {
    requiring_members(
        base,
        members
            .into_iter()
            .map(|(name, schema)| (name, RefOr::T(Schema::Object(schema)))),
    )
}

/// [`requiring`] for members of any schema (an array, a reference).
pub fn requiring_members(
    base: RefOr<Schema>,
    members: impl IntoIterator<Item = (&'static str, RefOr<Schema>)>,
) -> RefOr<Schema> {
    let RefOr::T(Schema::Object(mut object)) = base else {
        return base;
    };
    for (name, schema) in members {
        object.properties.insert(name.to_owned(), schema);
        if !object.required.iter().any(|r| r == name) {
            object.required.push(name.to_owned());
        }
    }
    RefOr::T(Schema::Object(object))
}
