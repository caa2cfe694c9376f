//! OpenAPI schemas of the message members and list parameters the server reads as text, taken
//! from the domain's lists so the document cannot drift from the code (only with `openapi`).

use domain::communications::{CallOutcome, Channel, Direction, MessageStatus};
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, SchemaType, Type};

use crate::query::schema::one_of;

fn one_of_or_null<'a>(values: impl IntoIterator<Item = &'a str>) -> Schema {
    let mut all: Vec<serde_json::Value> = values.into_iter().map(Into::into).collect();
    all.push(serde_json::Value::Null);
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(all))
        .into()
}

fn channels() -> impl Iterator<Item = &'static str> {
    Channel::ALL.iter().map(|c| c.as_str())
}

fn template_channels() -> impl Iterator<Item = &'static str> {
    channels().filter(|c| *c != Channel::Phone.as_str())
}

/// A message's `channel`.
pub fn channel() -> Schema {
    one_of(channels()).into()
}

/// `?channel=`.
pub fn channel_param() -> Object {
    one_of(channels()).build()
}

/// A template's `channel`, as read.
pub fn template_channel() -> Schema {
    one_of(template_channels()).into()
}

/// A template's `channel`, as given (`null` keeps it).
pub fn template_channel_input() -> Schema {
    one_of_or_null(template_channels())
}

/// A message's `direction`, as read.
pub fn direction() -> Schema {
    one_of(Direction::ALL.iter().map(|d| d.as_str())).into()
}

/// A call's `direction`, as given (`null`: outbound).
pub fn direction_input() -> Schema {
    one_of_or_null(Direction::ALL.iter().map(|d| d.as_str()))
}

/// `?direction=`.
pub fn direction_param() -> Object {
    one_of(Direction::ALL.iter().map(|d| d.as_str())).build()
}

/// A message's `status`, as read.
pub fn status() -> Schema {
    one_of(MessageStatus::ALL.iter().map(|s| s.as_str())).into()
}

/// `?status=`.
pub fn status_param() -> Object {
    one_of(MessageStatus::ALL.iter().map(|s| s.as_str())).build()
}

/// A call's `outcome` (`null` for other messages).
pub fn outcome() -> Schema {
    one_of_or_null(CallOutcome::ALL.iter().map(|o| o.as_str()))
}

/// `?sentiment_min=` and `?sentiment_max=`.
pub fn sentiment() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Number)
        .minimum(Some(-1.0))
        .maximum(Some(1.0))
        .build()
}

/// A channel or `null`.
pub fn channel_or_null() -> Schema {
    one_of_or_null(channels())
}

/// `?channel=` of the template list.
pub fn template_channel_param() -> Object {
    one_of(template_channels()).build()
}
