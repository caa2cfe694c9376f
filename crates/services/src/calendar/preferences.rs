//! Each user's calendar settings: the reminders they get of the activities assigned to them
//! that set none of their own. A change plans those activities' reminders again in the same
//! transaction, so the next pass already follows it.

use chrono::{DateTime, Utc};
use domain::EventType;
use domain::calendar::reminders::{DEFAULT_MINUTES, checked_minutes};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::activity::data_of;
use super::reminders::next_due;
use crate::clock::now;
use crate::{Change, Error, Expected, Result, Scope, Versioned};

/// A user's calendar settings.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarSettingsOut {
    /// Reminders, in minutes before each start, of the activities that set none.
    pub reminder_minutes: Vec<i32>,
    /// True while the user has set nothing (the product's defaults apply).
    pub defaults: bool,
    /// The concurrency token (also the `ETag`); 0 before the first change.
    pub version: i32,
    pub updated_at: Option<DateTime<Utc>>,
}

/// New calendar settings.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CalendarSettingsChange {
    /// Minutes before each start (0 to 10080, at most 5; `[]`: no reminders).
    #[serde(deserialize_with = "crate::number::whole_list")]
    #[cfg_attr(feature = "openapi", schema(max_items = 5, value_type = Vec<super::activity::ReminderMinutes>))]
    pub reminder_minutes: Vec<i32>,
}

fn me(scope: &Scope) -> Result<Uuid> {
    scope.user_id().ok_or_else(|| {
        Error::Forbidden("an API key has no calendar settings; sign in as a user".into())
    })
}

fn out(row: Option<db::activity_reminders::PreferenceRow>) -> Versioned<CalendarSettingsOut> {
    let value = match row {
        Some(r) => CalendarSettingsOut {
            reminder_minutes: r.reminder_minutes,
            defaults: false,
            version: r.version,
            updated_at: Some(r.updated_at),
        },
        None => CalendarSettingsOut {
            reminder_minutes: DEFAULT_MINUTES.to_vec(),
            defaults: true,
            version: 0,
            updated_at: None,
        },
    };
    Versioned {
        version: value.version,
        value,
    }
}

/// The signed-in user's calendar settings.
pub async fn settings(scope: &mut Scope) -> Result<Versioned<CalendarSettingsOut>> {
    let user = me(scope)?;
    Ok(out(
        db::activity_reminders::preference(&mut scope.tx, user).await?
    ))
}

/// Changes the signed-in user's calendar settings at a version `expected` allows, and plans
/// again the reminders of their activities that follow them.
pub async fn change_settings(
    scope: &mut Scope,
    change: CalendarSettingsChange,
    expected: &Expected,
) -> Result<Versioned<CalendarSettingsOut>> {
    let user = me(scope)?;
    let minutes = checked_minutes(&change.reminder_minutes)
        .map_err(|e| Error::field("/reminder_minutes", e.0))?;
    let before = db::activity_reminders::preference(&mut scope.tx, user).await?;
    expected.check(before.as_ref().map_or(0, |b| b.version))?;
    let was = out(before).value.reminder_minutes;
    let row = db::activity_reminders::set_preference(&mut scope.tx, user, &minutes).await?;
    if was != minutes {
        let t = now();
        for a in db::activity_reminders::following_defaults_of(&mut scope.tx, user, t).await? {
            let next = next_due(scope, a.id, &data_of(&a), t).await?;
            db::activity_reminders::set_next(&mut scope.tx, a.id, next).await?;
        }
    }
    scope
        .record(
            Change::of(
                EventType::CalendarSettingsChanged,
                "calendar_settings",
                user,
            )
            .before(json!({ "reminder_minutes": was }))
            .after(json!({ "reminder_minutes": minutes })),
        )
        .await?;
    Ok(out(Some(row)))
}
