//! Business calendars: when the support team works (a time zone, weekly hours and holidays),
//! which a category's SLA is measured on. Validated by the domain; holidays can also come from
//! an iCalendar feed. A change moves the due times of the open tickets measured on it.

use chrono::{DateTime, Utc};
use db::business_calendars::CalendarRow;
use domain::EventType;
use domain::tickets::{BusinessCalendar, CalendarSpec, WeeklyHoursSpec, holidays_from_ical};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::sla::{calendar_of, refresh_due_times};
use crate::{Change, Error, Expected, InvalidField, Result, Scope, Versioned, text};

/// Most characters of a calendar's name.
pub const NAME_CHARS: usize = 100;

/// A calendar as given: on create `name`, `time_zone` and `weekly_hours` are required; on
/// update an absent (or `null`) member keeps its value.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CalendarInput {
    /// 1-100 characters.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 100))]
    pub name: Option<String>,
    /// An IANA time zone such as `Europe/Madrid`, or `UTC`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "Europe/Madrid",
            pattern = r"^(UTC|[A-Za-z0-9_+\-]*/[A-Za-z0-9_+\-/]*)$"
        )
    )]
    pub time_zone: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::weekly_hours))]
    pub weekly_hours: Option<WeeklyHoursSpec>,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::holidays))]
    pub holidays: Option<Vec<String>>,
}

/// A business calendar.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarOut {
    pub id: Uuid,
    pub name: String,
    pub time_zone: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::weekly_hours_out))]
    pub weekly_hours: WeeklyHoursSpec,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::holidays_out))]
    pub holidays: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn versioned(row: CalendarRow) -> Result<Versioned<CalendarOut>> {
    let spec = calendar_of(&row)?.to_spec();
    Ok(Versioned {
        version: row.version,
        value: CalendarOut {
            id: row.id,
            name: row.name,
            time_zone: spec.time_zone,
            weekly_hours: spec.weekly_hours,
            holidays: spec.holidays,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
    })
}

/// The name and calendar an input makes of the current ones (none on create); each invalid
/// member is one problem.
fn prepare(input: CalendarInput, current: Option<&CalendarOut>) -> Result<(String, Value)> {
    let mut problems = Vec::new();
    let name = text::required_or_current(
        "/name",
        input.name,
        current.map(|c| c.name.as_str()),
        NAME_CHARS,
        &mut problems,
    );
    let spec = CalendarSpec {
        time_zone: required(
            input.time_zone,
            current.map(|c| c.time_zone.clone()),
            "/time_zone",
            &mut problems,
        ),
        weekly_hours: required(
            input.weekly_hours,
            current.map(|c| c.weekly_hours.clone()),
            "/weekly_hours",
            &mut problems,
        ),
        holidays: input
            .holidays
            .or_else(|| current.map(|c| c.holidays.clone()))
            .unwrap_or_default(),
    };
    Error::check(problems)?;
    let calendar = spec
        .validate()
        .map_err(|e| Error::field(&e.pointer, e.reason.0))?;
    Ok((name, stored(&calendar)?))
}

/// The member given, or the current one; required when there is none.
fn required<T: Default>(
    given: Option<T>,
    current: Option<T>,
    pointer: &str,
    problems: &mut Vec<InvalidField>,
) -> T {
    given.or(current).unwrap_or_else(|| {
        problems.push(InvalidField::at(pointer, "is required"));
        T::default()
    })
}

fn stored(calendar: &BusinessCalendar) -> Result<Value> {
    serde_json::to_value(calendar).map_err(|e| Error::Corrupt(e.to_string()))
}

/// What the audit trail keeps of a calendar.
fn snapshot(c: &CalendarOut) -> Value {
    json!({
        "name": c.name,
        "time_zone": c.time_zone,
        "weekly_hours": c.weekly_hours,
        "holidays": c.holidays,
    })
}

/// Every business calendar of the tenant, by name.
pub async fn list(scope: &mut Scope) -> Result<Vec<CalendarOut>> {
    db::business_calendars::list(&mut scope.tx)
        .await?
        .into_iter()
        .map(|row| versioned(row).map(|v| v.value))
        .collect()
}

/// One business calendar, with its version.
pub async fn get(scope: &mut Scope, id: Uuid) -> Result<Versioned<CalendarOut>> {
    let row = db::business_calendars::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    versioned(row)
}

/// Defines a business calendar.
pub async fn create(scope: &mut Scope, input: CalendarInput) -> Result<Versioned<CalendarOut>> {
    let (name, calendar) = prepare(input, None)?;
    let id = Uuid::now_v7();
    let row = db::business_calendars::insert(&mut scope.tx, id, &name, &calendar).await?;
    let created = versioned(row)?;
    scope
        .record(
            Change::of(EventType::BusinessCalendarCreated, "business_calendar", id)
                .after(snapshot(&created.value)),
        )
        .await?;
    Ok(created)
}

/// The calendar locked for a change at a version `expected` allows, and the categories
/// measured on it.
async fn load_for_change(
    scope: &mut Scope,
    id: Uuid,
    expected: &Expected,
) -> Result<(Versioned<CalendarOut>, Vec<Uuid>)> {
    let row = db::business_calendars::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(row.version)?;
    let users = db::ticket_categories::list(&mut scope.tx)
        .await?
        .into_iter()
        .filter(|c| c.calendar_id == Some(id))
        .map(|c| c.id)
        .collect();
    Ok((versioned(row)?, users))
}

/// Writes a changed calendar, moves the due times of the open tickets measured on it, and
/// records `business_calendar.updated` with `detail` added to the audit's after-state.
async fn save(
    scope: &mut Scope,
    before: &CalendarOut,
    categories: &[Uuid],
    (name, calendar): (String, Value),
    detail: Value,
) -> Result<Versioned<CalendarOut>> {
    let id = before.id;
    let row = db::business_calendars::update(&mut scope.tx, id, &name, &calendar).await?;
    let after = versioned(row)?;
    refresh_due_times(scope, categories).await?;
    let mut after_v = snapshot(&after.value);
    if let (Some(a), Some(d)) = (after_v.as_object_mut(), detail.as_object()) {
        a.extend(d.clone());
    }
    scope
        .record(
            Change::of(EventType::BusinessCalendarUpdated, "business_calendar", id)
                .before(snapshot(before))
                .after(after_v),
        )
        .await?;
    Ok(after)
}

/// Changes a calendar at a version `expected` allows; the open tickets of the categories
/// measured on it get their due times again.
pub async fn update(
    scope: &mut Scope,
    id: Uuid,
    input: CalendarInput,
    expected: &Expected,
) -> Result<Versioned<CalendarOut>> {
    let (before, categories) = load_for_change(scope, id, expected).await?;
    let prepared = prepare(input, Some(&before.value))?;
    save(scope, &before.value, &categories, prepared, json!({})).await
}

/// Adds the dates of every event of an iCalendar feed (`text/calendar`, such as a public
/// holiday calendar) to a calendar's holidays, at a version `expected` allows. A feed that
/// cannot be read, or more than `HOLIDAYS_LIMIT` holidays in all, is refused as a whole.
pub async fn import_holidays(
    scope: &mut Scope,
    id: Uuid,
    feed: &str,
    expected: &Expected,
) -> Result<Versioned<CalendarOut>> {
    let dates = holidays_from_ical(feed).map_err(|e| Error::field("", e.0))?;
    let (before, categories) = load_for_change(scope, id, expected).await?;
    let mut holidays = before.value.holidays.clone();
    let known = holidays.len();
    holidays.extend(dates.iter().map(|d| d.format("%Y-%m-%d").to_string()));
    holidays.sort();
    holidays.dedup();
    let added = holidays.len() - known;
    let input = CalendarInput {
        holidays: Some(holidays),
        ..CalendarInput::default()
    };
    let prepared = prepare(input, Some(&before.value)).map_err(|e| match e {
        Error::Invalid(fields) => Error::Invalid(
            fields
                .into_iter()
                .map(|f| InvalidField::at("", f.detail))
                .collect(),
        ),
        other => other,
    })?;
    let detail = json!({ "imported_holidays": added });
    save(scope, &before.value, &categories, prepared, detail).await
}

/// Deletes a calendar no category is measured on (`calendar-in-use` otherwise).
pub async fn delete(scope: &mut Scope, id: Uuid) -> Result<()> {
    let (before, categories) = load_for_change(scope, id, &Expected::Any).await?;
    if !categories.is_empty() {
        return Err(in_use());
    }
    match db::business_calendars::delete(&mut scope.tx, id).await {
        Err(e) if db::constraint_of(&e) == Some("ticket_categories_tenant_id_calendar_id_fkey") => {
            return Err(in_use());
        }
        other => other?,
    }
    scope
        .record(
            Change::of(EventType::BusinessCalendarDeleted, "business_calendar", id)
                .before(snapshot(&before.value)),
        )
        .await
}

fn in_use() -> Error {
    Error::conflict(
        "calendar-in-use",
        "A ticket category is measured on this calendar; move the category to another first.",
    )
}
