//! The user's default reminders in the console: a card on the calendar page, saved by
//! `POST /calendar/reminders` through the API's own flow
//! (`services::calendar::change_settings`, which plans the affected activities' reminders
//! again). A refused choice comes back as the calendar page's notice.

use axum::Form;
use axum::response::{IntoResponse, Redirect};
use services::{Expected, Versioned};

use super::admin::Fields;
use super::calendar_form::reminder_choices;
use super::tickets_new::Choice;
use crate::i18n::Locale;
use crate::page::{Page, PageResult};

/// What the calendar page's reminder card shows.
pub struct ReminderCard {
    pub choices: Vec<Choice>,
    /// True while the user keeps the product's defaults.
    pub defaults: bool,
    pub version: i32,
}

/// The card of the signed-in user's settings.
pub async fn card(page: &mut Page, locale: Locale) -> Result<ReminderCard, services::Error> {
    let Versioned { value, version } = services::calendar::settings(&mut page.ctx).await?;
    let chosen: Vec<String> = value.reminder_minutes.iter().map(i32::to_string).collect();
    Ok(ReminderCard {
        choices: reminder_choices(locale, &chosen),
        defaults: value.defaults,
        version,
    })
}

/// `POST /calendar/reminders`: the reminders chosen (none chosen: no reminders), at the
/// version the card showed.
pub async fn save(mut page: Page, Form(f): Form<Fields>) -> PageResult {
    page.require("calendar.view").await?;
    let mut minutes = Vec::new();
    for raw in f.all("reminder_minutes") {
        let Ok(m) = raw.trim().parse::<i32>() else {
            return Ok(Redirect::to("/calendar?reminders=invalid").into_response());
        };
        minutes.push(m);
    }
    let expected = match f.one("version").trim().parse::<i32>() {
        Ok(v) => Expected::OneOf(vec![v]),
        Err(_) => Expected::Any,
    };
    let change = services::calendar::CalendarSettingsChange {
        reminder_minutes: minutes,
    };
    let outcome = match services::calendar::change_settings(&mut page.ctx, change, &expected).await
    {
        Ok(_) => {
            page.ctx.commit().await?;
            "saved"
        }
        Err(services::Error::Invalid(_)) => "invalid",
        Err(services::Error::Stale) => "stale",
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/calendar?reminders={outcome}")).into_response())
}
