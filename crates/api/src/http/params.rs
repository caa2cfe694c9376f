//! Query parameters every list shares: times and page sizes.

use chrono::{DateTime, Utc};

use super::pagination::{DEFAULT_LIMIT, MAX_LIMIT};
use super::problem::FieldError;

/// An RFC 3339 time parameter; a bad one is recorded in `errors`.
pub fn parse_time(
    name: &str,
    raw: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let raw = raw?;
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            errors.push(FieldError::query(
                name,
                "must be an RFC 3339 time such as 2026-01-31T09:00:00Z",
            ))
        })
        .ok()
}

/// `?limit=`: 1 to 100, 25 when absent; a bad one is recorded in `errors`.
pub fn parse_limit(raw: Option<&str>, errors: &mut Vec<FieldError>) -> u32 {
    match raw.map(str::parse::<u32>) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            errors.push(FieldError::query(
                "limit",
                "must be a whole number from 1 to 100",
            ));
            DEFAULT_LIMIT
        }
    }
}
