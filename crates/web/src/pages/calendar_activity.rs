//! An activity in the console: `/calendar/activities/new` plans one (for a client chosen from a
//! searchable list, or given by `?client_id=`; `?start=` from a click on the calendar), and
//! `/calendar/activities/{id}` shows one with its form, marks it done (with its outcome),
//! cancels or reopens it, and deletes it. The flows are the API's own
//! (`services::calendar`); a refused form comes back with each field's problem next to it.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Timelike, Utc};
use serde::Deserialize;
use services::calendar::{ActivityOut, ActivityPatch};
use services::{Error, InvalidField, Versioned};
use uuid::Uuid;

use super::admin::Fields;
use super::calendar_form::{ActivityForm, REPEATS, reminder_choices};
use super::tickets_new::{Choice, client_choices};
use crate::form::fields_by_name;
use crate::page::{Page, PageError, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html, html_with};

/// The kinds of activity, in the order the form offers them.
pub const KINDS: [&str; 5] = ["call", "meeting", "task", "demo", "deadline"];

/// What the page shows of a stored activity besides its form.
pub struct Stored {
    pub id: Uuid,
    pub status: String,
    pub status_label: String,
    pub client_name: String,
    pub client_url: String,
    pub outcome: String,
    pub completed_at: Option<DateTime<Utc>>,
    pub version: i32,
    /// How a sync last resolved a change made both here and in a connected calendar.
    pub sync_conflict: Option<String>,
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    c: Chrome,
    /// None for a new activity.
    stored: Option<Stored>,
    form: ActivityForm,
    clients: Vec<Choice>,
    users: Vec<Choice>,
    kinds: Vec<(&'static str, String)>,
    repeats: Vec<(&'static str, String)>,
    reminders: Vec<Choice>,
    errors: BTreeMap<String, String>,
    can_edit: bool,
}

impl ActivityPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// The page for `form` (and `stored`, when it is one).
async fn form_page(
    page: &mut Page,
    form: ActivityForm,
    stored: Option<Stored>,
) -> Result<ActivityPage, PageError> {
    let clients = if stored.is_none() {
        client_choices(page, Uuid::try_parse(form.client_id.trim()).ok()).await?
    } else {
        Vec::new()
    };
    let users = services::users::owners(&mut page.ctx)
        .await?
        .into_iter()
        .map(|(id, name)| Choice {
            selected: form.assignee_ids.contains(&id.to_string()),
            value: id.to_string(),
            label: name,
        })
        .collect();
    let locale = page.locale;
    let title = if stored.is_some() {
        "activity-title"
    } else {
        "activity-new-title"
    };
    let reminders = reminder_choices(locale, &form.reminder_minutes);
    Ok(ActivityPage {
        c: Chrome::new(page, "calendar", title),
        stored,
        reminders,
        form,
        clients,
        users,
        kinds: KINDS
            .iter()
            .map(|k| (*k, locale.t(&format!("activity-kind-{k}"))))
            .collect(),
        repeats: REPEATS
            .iter()
            .map(|(k, _)| (*k, locale.t(&format!("activity-repeat-{k}"))))
            .collect(),
        errors: BTreeMap::new(),
        can_edit: page.can("calendar.edit"),
    })
}

/// What a new activity's page may be given.
#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    client_id: Option<String>,
    /// Where the calendar was clicked: a day, or an RFC 3339 time.
    start: Option<String>,
}

/// The start a click on the calendar gives (a day: nine in the morning of it), else the next
/// whole hour.
fn start_of(raw: Option<&str>, zone: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    let tz = zone.parse::<chrono_tz::Tz>().unwrap_or(chrono_tz::UTC);
    let raw = raw.map(str::trim).unwrap_or_default();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return t.with_timezone(&Utc);
    }
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN);
        return domain::local_time::resolve_local(tz, day.and_time(nine));
    }
    let next = now + TimeDelta::hours(1);
    next.with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(next)
}

/// `GET /calendar/activities/new`
pub async fn new(mut page: Page, Query(q): Query<NewQuery>) -> PageResult {
    page.require("calendar.edit").await?;
    let zone = page.me.tenant.time_zone.clone();
    let start = start_of(q.start.as_deref(), &zone, Utc::now());
    let mut form = ActivityForm::blank(start, 30, &zone, page.me.id);
    form.client_id = q.client_id.unwrap_or_default();
    let body = form_page(&mut page, form, None).await?;
    page.ctx.done();
    Ok(html(&body))
}

/// The form again with each problem next to its field (422).
async fn refused(
    mut page: Page,
    form: ActivityForm,
    stored: Option<Stored>,
    fields: &[InvalidField],
) -> PageResult {
    let mut body = form_page(&mut page, form, stored).await?;
    body.errors = fields_by_name(fields);
    page.ctx.done();
    Ok(html_with(StatusCode::UNPROCESSABLE_ENTITY, &body))
}

/// `POST /calendar/activities/new`: plans the activity, then shows it.
pub async fn create(mut page: Page, Form(fields): Form<Fields>) -> PageResult {
    page.require("calendar.edit").await?;
    let form = ActivityForm::read(&fields);
    let input = match form.new_activity() {
        Ok(input) => input,
        Err(problems) => return refused(page, form, None, &problems).await,
    };
    match services::calendar::create(&mut page.ctx, input).await {
        Ok(created) => {
            page.ctx.commit().await?;
            let to = format!("/calendar/activities/{}", created.value.id);
            Ok(Redirect::to(&to).into_response())
        }
        Err(Error::Invalid(problems)) => refused(page, form, None, &problems).await,
        Err(e) => Err(e.into()),
    }
}

/// What the page shows of `a` besides the form.
async fn stored(page: &mut Page, a: &Versioned<ActivityOut>) -> Result<Stored, PageError> {
    let cipher = page.cipher().await?;
    let v = &a.value;
    let client = services::clients::get(&mut page.ctx, &cipher, v.client_id).await?;
    Ok(Stored {
        id: v.id,
        status_label: page.locale.t(&format!("activity-status-{}", v.status)),
        status: v.status.clone(),
        client_name: client.value.company_name,
        client_url: format!("/clients/{}", v.client_id),
        outcome: v.outcome.clone().unwrap_or_default(),
        completed_at: v.completed_at,
        version: a.version,
        sync_conflict: services::calendar::sync::sync_conflict(&mut page.ctx, v.id).await?,
    })
}

/// `GET /calendar/activities/{id}`
pub async fn show(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("calendar.view").await?;
    let id = parse_id(&id)?;
    let activity = services::calendar::get(&mut page.ctx, id).await?;
    let shown = stored(&mut page, &activity).await?;
    let body = form_page(&mut page, ActivityForm::of(&activity.value), Some(shown)).await?;
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /calendar/activities/{id}`: saves the form at the version it showed.
pub async fn update(
    mut page: Page,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> PageResult {
    page.require("calendar.edit").await?;
    let id = parse_id(&id)?;
    let form = ActivityForm::read(&fields);
    let saved = match form.patch() {
        Ok(patch) => services::calendar::update(&mut page.ctx, id, patch, &fields.expected()).await,
        Err(problems) => Err(Error::Invalid(problems)),
    };
    match saved {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(Redirect::to(&format!("/calendar/activities/{id}")).into_response())
        }
        Err(Error::Invalid(problems)) => {
            let current = services::calendar::get(&mut page.ctx, id).await?;
            let shown = stored(&mut page, &current).await?;
            refused(page, form, Some(shown), &problems).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /calendar/activities/{id}/status`: done (with its outcome), cancelled or planned again.
pub async fn set_status(
    mut page: Page,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> PageResult {
    page.require("calendar.edit").await?;
    let id = parse_id(&id)?;
    let outcome = fields.one("outcome");
    let patch = ActivityPatch {
        status: Some(fields.one("status")),
        outcome: (!outcome.trim().is_empty()).then(|| Some(outcome.trim().to_owned())),
        ..ActivityPatch::default()
    };
    services::calendar::update(&mut page.ctx, id, patch, &fields.expected()).await?;
    page.ctx.commit().await?;
    Ok(Redirect::to(&format!("/calendar/activities/{id}")).into_response())
}

/// `POST /calendar/activities/{id}/delete`: deletes it, then shows the calendar.
pub async fn delete(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("calendar.edit").await?;
    let id = parse_id(&id)?;
    services::calendar::delete(&mut page.ctx, id).await?;
    page.ctx.commit().await?;
    Ok(Redirect::to("/calendar").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_gives_the_start_and_nothing_gives_the_next_hour() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T15:20:31Z")
            .expect("time")
            .with_timezone(&Utc);
        let at = |raw| start_of(raw, "Europe/Madrid", now).to_rfc3339();
        assert_eq!(at(None), "2026-12-07T16:00:00+00:00");
        assert_eq!(at(Some("2026-12-09")), "2026-12-09T08:00:00+00:00");
        assert_eq!(
            at(Some("2026-12-09T10:30:00+01:00")),
            "2026-12-09T09:30:00+00:00"
        );
    }
}
