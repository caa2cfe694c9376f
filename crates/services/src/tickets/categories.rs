//! Ticket categories: each with its SLA policy (targets per priority in business minutes), the
//! business calendar they are measured on (none: 24/7), a default priority, and its escalation
//! policy (the warning share, the team lead who takes breached tickets). A change of the policy
//! moves the due times of the category's open tickets.

use chrono::{DateTime, Utc};
use db::ticket_categories::{CategoryData, CategoryRow};
use domain::EventType;
use domain::tickets::{Priority, SlaPolicy};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::sla::{policy_json, refresh_due_times};
use crate::{Change, Error, Expected, InvalidField, Result, Scope, Versioned, text};

/// Most characters of a category's name.
pub const NAME_CHARS: usize = 100;
/// The warning share of a new category, in percent.
pub const DEFAULT_WARN_AT_PERCENT: i32 = 80;

use crate::patch::present;

/// A category as given: `name` is required on create; on update an absent member keeps its
/// value and `null` clears an optional one.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    /// 1-100 characters, unique in the tenant ignoring case.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 100))]
    pub name: Option<String>,
    /// The business calendar the SLA is measured on (`GET /api/v1/business-calendars`);
    /// `null`: around the clock.
    #[serde(default, deserialize_with = "present")]
    pub calendar_id: Option<Option<Uuid>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::sla))]
    pub sla: Option<SlaPolicy>,
    /// The priority new tickets of the category start from (before the automatic rules).
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::default_priority))]
    pub default_priority: Option<Option<String>>,
    /// Warn (and count as at risk) from this share of a target's time, in percent (default 80).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 99))]
    pub warn_at_percent: Option<i32>,
    /// The user who takes over a ticket whose target is breached.
    #[serde(default, deserialize_with = "present")]
    pub team_lead_id: Option<Option<Uuid>>,
}

/// A ticket category with its SLA and escalation policy.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryOut {
    pub id: Uuid,
    pub name: String,
    /// `null`: the SLA runs around the clock.
    pub calendar_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::sla_out))]
    pub sla: SlaPolicy,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::default_priority_out))]
    pub default_priority: Option<String>,
    pub warn_at_percent: i32,
    pub team_lead_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn versioned(row: CategoryRow) -> Result<Versioned<CategoryOut>> {
    Ok(Versioned {
        version: row.version,
        value: CategoryOut {
            sla: policy_json(&row.sla)?,
            id: row.id,
            name: row.name,
            calendar_id: row.calendar_id,
            default_priority: row.default_priority,
            warn_at_percent: row.warn_at_percent,
            team_lead_id: row.team_lead_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
    })
}

/// The member given (`Some(None)` clears it), or the current one.
fn given_or<T: Clone>(given: Option<Option<T>>, current: Option<&Option<T>>) -> Option<T> {
    match given {
        Some(v) => v,
        None => current.cloned().flatten(),
    }
}

/// The columns an input makes of the current category (none on create); each invalid member is
/// one problem.
async fn prepare(
    scope: &mut Scope,
    input: CategoryInput,
    current: Option<&CategoryOut>,
) -> Result<CategoryData> {
    let mut problems = Vec::new();
    let name = text::required_or_current(
        "/name",
        input.name,
        current.map(|c| c.name.as_str()),
        NAME_CHARS,
        &mut problems,
    );
    let calendar_id = given_or(input.calendar_id, current.map(|c| &c.calendar_id));
    if let Some(id) = calendar_id
        && db::business_calendars::get(&mut scope.tx, id)
            .await?
            .is_none()
    {
        problems.push(InvalidField::at(
            "/calendar_id",
            "is not a business calendar of this tenant",
        ));
    }
    let sla = input
        .sla
        .or_else(|| current.map(|c| c.sla))
        .unwrap_or_default();
    if let Err(e) = sla.validate() {
        problems.push(InvalidField::at(&format!("/sla{}", e.pointer), e.reason.0));
    }
    let default_priority = given_or(input.default_priority, current.map(|c| &c.default_priority))
        .and_then(|p| {
            Priority::parse(&p)
                .map(|p| p.as_str().to_owned())
                .map_err(|e| problems.push(InvalidField::at("/default_priority", e.0)))
                .ok()
        });
    let warn_at_percent = input
        .warn_at_percent
        .or(current.map(|c| c.warn_at_percent))
        .unwrap_or(DEFAULT_WARN_AT_PERCENT);
    if !(1..=99).contains(&warn_at_percent) {
        problems.push(InvalidField::at(
            "/warn_at_percent",
            "must be a whole number from 1 to 99",
        ));
    }
    let team_lead_id = given_or(input.team_lead_id, current.map(|c| &c.team_lead_id));
    crate::users::check_is_user(&mut scope.tx, team_lead_id, "/team_lead_id", &mut problems)
        .await?;
    Error::check(problems)?;
    Ok(CategoryData {
        name,
        calendar_id,
        sla: serde_json::to_value(sla).map_err(|e| Error::Corrupt(e.to_string()))?,
        default_priority,
        warn_at_percent,
        team_lead_id,
    })
}

/// What the audit trail keeps of a category.
fn snapshot(c: &CategoryOut) -> Value {
    json!({
        "name": c.name,
        "calendar_id": c.calendar_id,
        "sla": c.sla,
        "default_priority": c.default_priority,
        "warn_at_percent": c.warn_at_percent,
        "team_lead_id": c.team_lead_id,
    })
}

fn name_taken() -> Error {
    Error::conflict(
        "category-exists",
        "A ticket category with this name already exists.",
    )
}

/// Every ticket category of the tenant, by name.
pub async fn list(scope: &mut Scope) -> Result<Vec<CategoryOut>> {
    db::ticket_categories::list(&mut scope.tx)
        .await?
        .into_iter()
        .map(|row| versioned(row).map(|v| v.value))
        .collect()
}

/// One category, with its version.
pub async fn get(scope: &mut Scope, id: Uuid) -> Result<Versioned<CategoryOut>> {
    let row = db::ticket_categories::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    versioned(row)
}

/// Defines a category; a name taken (ignoring case) is the `category-exists` conflict.
pub async fn create(scope: &mut Scope, input: CategoryInput) -> Result<Versioned<CategoryOut>> {
    let data = prepare(scope, input, None).await?;
    let id = Uuid::now_v7();
    let row = match db::ticket_categories::insert(&mut scope.tx, id, &data).await {
        Err(e) if db::constraint_of(&e) == Some("ticket_categories_name") => {
            return Err(name_taken());
        }
        other => other?,
    };
    let created = versioned(row)?;
    scope
        .record(
            Change::of(EventType::TicketCategoryCreated, "ticket_category", id)
                .after(snapshot(&created.value)),
        )
        .await?;
    Ok(created)
}

/// Changes a category at a version `expected` allows; when its SLA, calendar or warning share
/// changes, its open tickets get their due times again.
pub async fn update(
    scope: &mut Scope,
    id: Uuid,
    input: CategoryInput,
    expected: &Expected,
) -> Result<Versioned<CategoryOut>> {
    let row = db::ticket_categories::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(row.version)?;
    let before = versioned(row)?.value;
    let data = prepare(scope, input, Some(&before)).await?;
    let row = match db::ticket_categories::update(&mut scope.tx, id, &data).await {
        Err(e) if db::constraint_of(&e) == Some("ticket_categories_name") => {
            return Err(name_taken());
        }
        other => other?,
    };
    let after = versioned(row)?;
    let a = &after.value;
    if a.sla != before.sla
        || a.calendar_id != before.calendar_id
        || a.warn_at_percent != before.warn_at_percent
    {
        refresh_due_times(scope, &[id]).await?;
    }
    scope
        .record(
            Change::of(EventType::TicketCategoryUpdated, "ticket_category", id)
                .before(snapshot(&before))
                .after(snapshot(a)),
        )
        .await?;
    Ok(after)
}

/// Deletes a category no ticket is in (`category-in-use` otherwise).
pub async fn delete(scope: &mut Scope, id: Uuid) -> Result<()> {
    let before = get(scope, id).await?.value;
    match db::ticket_categories::delete(&mut scope.tx, id).await {
        Err(e) if db::constraint_of(&e) == Some("tickets_tenant_id_category_id_fkey") => {
            return Err(Error::conflict(
                "category-in-use",
                "Tickets are filed in this category; move them to another first.",
            ));
        }
        other => other?,
    }
    scope
        .record(
            Change::of(EventType::TicketCategoryDeleted, "ticket_category", id)
                .before(snapshot(&before)),
        )
        .await
}
