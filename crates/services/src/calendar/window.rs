//! A window of the calendar (a month, a week, a day): every occurrence that meets it, recurring
//! activities expanded in their own time zone, filtered by assignee, client and status.

use chrono::{DateTime, TimeDelta, Utc};
use db::activities::{ActivityRow, WindowFilter};
use domain::calendar::{
    ActivityStatus, MAX_OCCURRENCES, Occurrence, Recurrence, in_calendar_years,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::activity::{ActivityOut, activity_out};
use crate::{Error, InvalidField, Result, Scope, query};

/// The longest window one query may ask for.
pub const MAX_WINDOW_DAYS: i64 = 366;
/// The window when none is given: the next seven days.
pub const DEFAULT_WINDOW_DAYS: i64 = 7;

/// The calendar window's query.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct WindowQuery {
    /// The window's start (RFC 3339), inclusive; default now.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::date_time))]
    pub from: Option<String>,
    /// The window's end (RFC 3339), exclusive, at most 366 days after `from`; default seven
    /// days after it.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::date_time))]
    pub to: Option<String>,
    /// Only activities assigned to this user.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub assignee_id: Option<String>,
    /// Only this client's activities.
    #[cfg_attr(feature = "openapi", param(schema_with = query::schema::uuid))]
    pub client_id: Option<String>,
    /// `planned`, `done` or `cancelled`.
    #[cfg_attr(feature = "openapi", param(schema_with = status_param))]
    pub status: Option<String>,
}

#[cfg(feature = "openapi")]
fn status_param() -> utoipa::openapi::schema::Object {
    query::schema::one_of(["planned", "done", "cancelled"]).build()
}

/// One occurrence of an activity in the window.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OccurrenceOut {
    /// This occurrence's start (the activity's own for a single one).
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub activity: ActivityOut,
}

/// A window of the calendar.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarWindowOut {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Earliest first.
    pub occurrences: Vec<OccurrenceOut>,
    /// More than 2,000 occurrences met the window and the latest were left out: ask for a
    /// shorter one.
    pub truncated: bool,
}

impl WindowQuery {
    /// The filter asked for; each bad parameter is one problem.
    pub fn parse(&self, now: DateTime<Utc>) -> Result<WindowFilter> {
        let mut p = Vec::new();
        let from = query::time("from", self.from.as_deref(), &mut p).unwrap_or(now);
        let to = query::time("to", self.to.as_deref(), &mut p)
            .unwrap_or_else(|| from + TimeDelta::days(DEFAULT_WINDOW_DAYS));
        for (name, t) in [("from", from), ("to", to)] {
            if !in_calendar_years(t) {
                p.push(InvalidField::query(name, super::rules::years_reason()));
            }
        }
        if to <= from {
            p.push(InvalidField::query("to", "must be after from"));
        } else if to - from > TimeDelta::days(MAX_WINDOW_DAYS) {
            p.push(InvalidField::query(
                "to",
                format!("must be at most {MAX_WINDOW_DAYS} days after from"),
            ));
        }
        let status = self.status.as_deref().and_then(|s| {
            ActivityStatus::parse(s)
                .map(|s| s.as_str().to_owned())
                .map_err(|e| p.push(InvalidField::query("status", e.0)))
                .ok()
        });
        let filter = WindowFilter {
            from: Some(from),
            to: Some(to),
            assignee_id: query::uuid("assignee_id", self.assignee_id.as_deref(), &mut p),
            client_id: query::uuid("client_id", self.client_id.as_deref(), &mut p),
            status,
        };
        Error::check(p)?;
        Ok(filter)
    }
}

/// Every occurrence meeting the window `filter` gives, earliest first.
pub async fn window(scope: &mut Scope, filter: &WindowFilter) -> Result<CalendarWindowOut> {
    let (Some(from), Some(to)) = (filter.from, filter.to) else {
        return Err(Error::Corrupt("a calendar window without its ends".into()));
    };
    let fetch = i64::try_from(MAX_OCCURRENCES).unwrap_or(i64::MAX) + 1;
    let rows = db::activities::in_window(&mut scope.tx, filter, fetch).await?;
    let mut truncated = rows.len() > MAX_OCCURRENCES;
    let mut occurrences = Vec::new();
    for row in rows.into_iter().take(MAX_OCCURRENCES) {
        let (found, cut) = occurrences_of(&row, from, to)?;
        truncated |= cut;
        let activity = activity_out(row).value;
        occurrences.extend(found.into_iter().map(|o| OccurrenceOut {
            starts_at: o.starts_at,
            ends_at: o.ends_at,
            activity: activity.clone(),
        }));
    }
    occurrences.sort_by_key(|o| (o.starts_at, o.activity.id));
    truncated |= occurrences.len() > MAX_OCCURRENCES;
    occurrences.truncate(MAX_OCCURRENCES);
    Ok(CalendarWindowOut {
        from,
        to,
        occurrences,
        truncated,
    })
}

/// A stored activity's occurrences in `[from, to)`.
fn occurrences_of(
    row: &ActivityRow,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(Vec<Occurrence>, bool)> {
    let span = Span {
        id: row.id,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        recurrence: row.recurrence.as_deref(),
        time_zone: &row.time_zone,
        exceptions: &row.exceptions,
    };
    span.between(from, to)
}

/// When an activity occurs: its first occurrence and its recurrence.
pub(super) struct Span<'a> {
    pub id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub recurrence: Option<&'a str>,
    pub time_zone: &'a str,
    pub exceptions: &'a [DateTime<Utc>],
}

impl Span<'_> {
    /// The occurrences in `[from, to)`, and whether some were cut off.
    pub(super) fn between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(Vec<Occurrence>, bool)> {
        let first = Occurrence {
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        };
        let Some(rule) = self.recurrence else {
            let found = if first.meets(from, to) {
                vec![first]
            } else {
                vec![]
            };
            return Ok((found, false));
        };
        let id = self.id;
        let corrupt = |e: domain::Invalid| Error::Corrupt(format!("activity {id}: {}", e.0));
        let zone = self
            .time_zone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| Error::Corrupt(format!("activity {id}: zone {}", self.time_zone)))?;
        Recurrence::parse(rule)
            .and_then(|r| r.between(first, zone, self.exceptions, from, to))
            .map_err(corrupt)
    }
}
