//! Query parameters as a caller gives them, as text (a query string's): the parsers lists
//! share, each reporting a bad value as one problem named after its parameter
//! ([`InvalidField::query`]), and, behind the `openapi` feature, the schemas that document what
//! the text must be. A list's paging parameters are [`crate::PageRequest::parse`]'s.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::InvalidField;

/// An RFC 3339 time.
pub fn time(
    name: &str,
    raw: Option<&str>,
    problems: &mut Vec<InvalidField>,
) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw?)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            problems.push(InvalidField::query(
                name,
                "must be an RFC 3339 time such as 2026-01-31T09:00:00Z",
            ))
        })
        .ok()
}

/// `true` or `false`.
pub fn flag(name: &str, raw: Option<&str>, problems: &mut Vec<InvalidField>) -> Option<bool> {
    match raw? {
        "true" => Some(true),
        "false" => Some(false),
        _ => {
            problems.push(InvalidField::query(name, "must be true or false"));
            None
        }
    }
}

/// A UUID (a user, a client ...).
pub fn uuid(name: &str, raw: Option<&str>, problems: &mut Vec<InvalidField>) -> Option<Uuid> {
    Uuid::try_parse(raw?)
        .map_err(|_| problems.push(InvalidField::query(name, "must be a UUID")))
        .ok()
}

/// The schemas of the parameters above, for `#[param(schema_with = ...)]`.
#[cfg(feature = "openapi")]
pub mod schema {
    use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, SchemaFormat, Type};

    use crate::page::{DEFAULT_LIMIT, MAX_LIMIT};

    /// Text that is one of `values`.
    pub fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values))
    }

    fn formatted(format: KnownFormat) -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
            .build()
    }

    /// See [`super::time`].
    pub fn date_time() -> Object {
        formatted(KnownFormat::DateTime)
    }

    /// See [`super::uuid`].
    pub fn uuid() -> Object {
        formatted(KnownFormat::Uuid)
    }

    /// See [`super::flag`].
    pub fn flag() -> Object {
        ObjectBuilder::new().schema_type(Type::Boolean).build()
    }

    /// `?limit=`: items per page.
    pub fn limit() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(MAX_LIMIT))
            .default(Some(DEFAULT_LIMIT.into()))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_value_is_one_problem_named_after_its_parameter() {
        let mut problems = Vec::new();
        assert!(time("from", Some("2026-01-31T09:00:00Z"), &mut problems).is_some());
        assert_eq!(time("from", None, &mut problems), None);
        assert_eq!(flag("dry_run", Some("true"), &mut problems), Some(true));
        assert!(problems.is_empty());
        assert_eq!(time("from", Some("soon"), &mut problems), None);
        assert_eq!(flag("dry_run", Some("yes"), &mut problems), None);
        assert_eq!(uuid("owner_id", Some("x"), &mut problems), None);
        let named: Vec<Option<&str>> = problems.iter().map(|p| p.parameter.as_deref()).collect();
        assert_eq!(named, [Some("from"), Some("dry_run"), Some("owner_id")]);
    }
}
