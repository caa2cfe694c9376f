//! OpenAPI schemas of the ticket members and list parameters the server reads as text or as
//! the domain's own JSON (a calendar's weekly hours, an SLA policy), taken from the domain's
//! lists and bounds so the document cannot drift from the code (only with `openapi`).

use domain::tickets::{Priority, TARGET_LIMIT_MINUTES, TicketStatus};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, Object, ObjectBuilder, Schema, SchemaType, Type,
};

use super::list::SORTS;
use crate::query::schema::one_of;

fn nullable(t: Type) -> SchemaType {
    SchemaType::from_iter([t, Type::Null])
}

fn one_of_or_null<'a>(values: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    let mut all: Vec<serde_json::Value> = values.into_iter().map(Into::into).collect();
    all.push(serde_json::Value::Null);
    ObjectBuilder::new()
        .schema_type(nullable(Type::String))
        .enum_values(Some(all))
}

/// No members but the listed ones.
fn closed() -> AdditionalProperties<Schema> {
    AdditionalProperties::FreeForm(false)
}

fn statuses() -> [&'static str; 6] {
    TicketStatus::ALL.map(|s| s.as_str())
}

fn priorities() -> [&'static str; 4] {
    Priority::ALL.map(|p| p.as_str())
}

/// A ticket's `status`, as read.
pub fn status_out() -> Schema {
    one_of(statuses()).into()
}

/// A ticket's `priority`, as read.
pub fn priority_out() -> Schema {
    one_of(priorities()).into()
}

/// A category's `default_priority`, as read.
pub fn default_priority_out() -> Schema {
    one_of_or_null(priorities()).into()
}

/// `status` of a change (`null` keeps it).
pub fn status() -> Schema {
    one_of_or_null(statuses())
        .description(Some(
            "Open statuses move freely among themselves and to `resolved`; `resolved` reopens \
             (`open`) or closes; `closed` only reopens. `pending_customer` and `on_hold` stop \
             the SLA clock.",
        ))
        .into()
}

/// `priority` of a new ticket or a change (`null`: suggested, or kept).
pub fn priority() -> Schema {
    one_of_or_null(priorities()).into()
}

/// `default_priority` of a category (`null`: none).
pub fn default_priority() -> Schema {
    one_of_or_null(priorities()).into()
}

/// A comment's `author_kind`.
pub fn author_kind() -> Schema {
    one_of_or_null(["agent", "customer"])
        .description(Some(
            "`agent` (the default): staff, a reply or a note; `customer`: the client's own \
             message, always public, which restarts the next-response target.",
        ))
        .into()
}

/// A comment's `author_kind`, as read.
pub fn author_kind_out() -> Schema {
    one_of(["agent", "customer"]).into()
}

/// Working intervals of one weekday.
fn day() -> ArrayBuilder {
    let time = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"));
    let interval = ArrayBuilder::new()
        .items(time)
        .min_items(Some(2))
        .max_items(Some(2))
        .description(Some(
            "`[start, end]`, local `HH:MM`; the end after the start, `24:00` allowed.",
        ));
    ArrayBuilder::new().items(interval)
}

fn weekly_hours_object(t: SchemaType) -> ObjectBuilder {
    let mut hours = ObjectBuilder::new()
        .schema_type(t)
        .additional_properties(Some(closed()))
        .description(Some(
            "Working intervals per weekday (`mon` ... `sun`), not overlapping; an absent day is off.",
        ));
    for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        hours = hours.property(d, day());
    }
    hours
}

/// A calendar's `weekly_hours`, as written (`null` keeps them).
pub fn weekly_hours() -> Schema {
    weekly_hours_object(nullable(Type::Object)).into()
}

/// A calendar's `weekly_hours`, as read.
pub fn weekly_hours_out() -> Schema {
    weekly_hours_object(Type::Object.into()).into()
}

fn date() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
}

/// A calendar's `holidays`, as written (`null` keeps them).
pub fn holidays() -> Schema {
    ArrayBuilder::new()
        .schema_type(nullable(Type::Array))
        .items(date())
        .max_items(Some(domain::tickets::HOLIDAYS_LIMIT))
        .description(Some("Local dates off work, `YYYY-MM-DD`."))
        .into()
}

/// A calendar's `holidays`, as read.
pub fn holidays_out() -> Schema {
    ArrayBuilder::new().items(date()).into()
}

fn minutes() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(nullable(Type::Integer))
        .minimum(Some(1))
        .maximum(Some(TARGET_LIMIT_MINUTES))
}

fn targets() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(closed()))
        .property("first_response_minutes", minutes())
        .property("next_response_minutes", minutes())
        .property("resolution_minutes", minutes())
        .description(Some(
            "Business minutes to the first public reply, to answer each later customer message, \
             and to resolve; absent or `null`: no target.",
        ))
}

fn policy_object(t: SchemaType) -> ObjectBuilder {
    let mut policy = ObjectBuilder::new()
        .schema_type(t)
        .additional_properties(Some(closed()))
        .description(Some("SLA targets per priority, in business minutes."));
    for p in priorities() {
        policy = policy.property(p, targets());
    }
    policy
}

/// A category's `sla`, as written (`null` keeps it).
pub fn sla() -> Schema {
    policy_object(nullable(Type::Object)).into()
}

/// A category's `sla`, as read.
pub fn sla_out() -> Schema {
    policy_object(Type::Object.into()).into()
}

/// The list's `?status=`.
pub fn status_param() -> Object {
    one_of(statuses()).build()
}

/// The list's `?priority=`.
pub fn priority_param() -> Object {
    one_of(priorities()).build()
}

/// The list's `?team=`.
pub fn team_param() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"\S"))
        .max_length(Some(100))
        .build()
}

/// The list's `?sort=`.
pub fn sort_param() -> Object {
    let (default, _) = SORTS[0];
    one_of(SORTS.map(|(name, _)| name))
        .default(Some(default.into()))
        .build()
}
