//! The current time as the database keeps it (microseconds), so that a time written and read
//! back compares equal.

use chrono::{DateTime, Utc};

/// Now, truncated to microseconds.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}
