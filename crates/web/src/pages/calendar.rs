//! `/calendar` (issue 18): the calendar of activities with FullCalendar (month, week, day and
//! list views), for one user, everyone or one client. The page holds the filters and an empty
//! `[data-calendar]`; `static/calendar.js` asks `/calendar/events` for each window it shows
//! and posts a dragged or resized event to `/calendar/activities/{id}/move`
//! (`calendar_move`). The activity form is `calendar_activity`.

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::Query;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use services::calendar::feed::FeedOut;
use services::calendar::{OccurrenceOut, WindowQuery};
use uuid::Uuid;

use super::calendar_activity as activity;
use super::calendar_move;
use super::calendar_settings::ReminderCard;
use super::tickets_new::{Choice, client_choices};
use crate::page::{Page, PageResult};
use crate::render::{Chrome, html};
use crate::state::WebState;

/// The calendar's routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/calendar", get(show))
        .route("/calendar/events", get(events))
        .route(
            "/calendar/activities/new",
            get(activity::new).post(activity::create),
        )
        .route(
            "/calendar/activities/{id}",
            get(activity::show).post(activity::update),
        )
        .route(
            "/calendar/activities/{id}/status",
            post(activity::set_status),
        )
        .route("/calendar/activities/{id}/delete", post(activity::delete))
        .route("/calendar/feed", post(super::calendar_feed::issue))
        .route("/calendar/feed/revoke", post(super::calendar_feed::revoke))
        .route("/calendar/reminders", post(super::calendar_settings::save))
        .route(
            "/calendar/connections",
            get(super::calendar_connections::show).post(super::calendar_connections::start),
        )
        .route(
            "/calendar/connections/{provider}/callback",
            get(super::calendar_connections::finish),
        )
        .route(
            "/calendar/connections/{id}/disconnect",
            post(super::calendar_connections::disconnect),
        )
        .route(
            "/calendar/activities/{id}/move",
            post(calendar_move::move_activity),
        )
}

/// Whose calendar and which client's: `who` is `me` (the default), `all` or a user's id;
/// `date` (`YYYY-MM-DD`) is the day the calendar opens at (default today).
#[derive(Debug, Default, Deserialize)]
pub struct CalendarFilter {
    who: Option<String>,
    client_id: Option<String>,
    date: Option<String>,
    /// The outcome of saving the reminder card (`saved`, `invalid`, `stale`).
    reminders: Option<String>,
}

impl CalendarFilter {
    /// The assignee to show (none: everyone), and the client.
    fn parse(&self, me: Uuid) -> (Option<Uuid>, Option<Uuid>) {
        let who = match self.who.as_deref().map(str::trim) {
            None | Some("" | "me") => Some(me),
            Some("all") => None,
            Some(id) => Some(Uuid::try_parse(id).unwrap_or(me)),
        };
        let client = self
            .client_id
            .as_deref()
            .and_then(|c| Uuid::try_parse(c.trim()).ok());
        (who, client)
    }
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    c: Chrome,
    /// `me`, `all` or a user's id, as chosen.
    who: String,
    users: Vec<Choice>,
    clients: Vec<Choice>,
    /// Where the script asks for events (with the filters).
    events_url: String,
    /// The day it opens at, when one was asked for.
    date: Option<String>,
    new_url: Option<String>,
    editable: bool,
    /// The user's iCal feed.
    feed: FeedOut,
    /// The user's default reminders, and how saving them went (a message key).
    reminders: ReminderCard,
    reminders_notice: Option<(&'static str, &'static str)>,
}

/// `GET /calendar`
pub async fn show(mut page: Page, Query(filter): Query<CalendarFilter>) -> PageResult {
    page.require("calendar.view").await?;
    let (who, client) = filter.parse(page.me.id);
    let chosen = match who {
        Some(id) if id == page.me.id => "me".to_owned(),
        Some(id) => id.to_string(),
        None => "all".to_owned(),
    };
    let users = services::users::owners(&mut page.ctx)
        .await?
        .into_iter()
        .filter(|(id, _)| *id != page.me.id)
        .map(|(id, name)| Choice {
            selected: chosen == id.to_string(),
            value: id.to_string(),
            label: name,
        })
        .collect();
    let clients = client_choices(&mut page, client).await?;
    let mut query = Vec::new();
    if let Some(id) = who {
        query.push(format!("assignee_id={id}"));
    }
    if let Some(id) = client {
        query.push(format!("client_id={id}"));
    }
    let editable = page.can("calendar.edit");
    let feed = services::calendar::feed::status(&mut page.ctx).await?;
    let locale = page.locale;
    let reminders = super::calendar_settings::card(&mut page, locale).await?;
    let reminders_notice = match filter.reminders.as_deref() {
        Some("saved") => Some(("success", "calendar-reminders-saved")),
        Some("invalid") => Some(("danger", "calendar-reminders-invalid")),
        Some("stale") => Some(("warning", "calendar-reminders-stale")),
        _ => None,
    };
    let body = CalendarPage {
        feed,
        reminders,
        reminders_notice,
        c: Chrome::new(&page, "calendar", "calendar-title"),
        who: chosen,
        users,
        clients,
        events_url: format!("/calendar/events?{}", query.join("&")),
        date: filter
            .date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
            .map(iso_day),
        new_url: editable.then(|| match client {
            Some(id) => format!("/calendar/activities/new?client_id={id}"),
            None => "/calendar/activities/new".to_owned(),
        }),
        editable,
    };
    page.ctx.done();
    Ok(html(&body))
}

/// One event as FullCalendar reads it.
#[derive(Debug, Serialize, PartialEq)]
pub struct CalendarEvent {
    /// The activity and the occurrence's start (a series has one event per occurrence).
    id: String,
    #[serde(rename = "groupId")]
    group_id: Uuid,
    title: String,
    /// An instant, or a day of the activity's zone for an all-day one.
    start: String,
    end: String,
    #[serde(rename = "allDay")]
    all_day: bool,
    url: String,
    /// Only single activities still planned are dragged (a series is changed in its form).
    editable: bool,
    #[serde(rename = "className")]
    class_name: String,
    /// The kind's colour (grey when cancelled), dark enough for white text.
    color: &'static str,
    #[serde(rename = "contrastColor")]
    contrast_color: &'static str,
    #[serde(rename = "extendedProps")]
    extended: EventFacts,
}

/// What the script needs beyond FullCalendar's own members.
#[derive(Debug, Serialize, PartialEq)]
struct EventFacts {
    activity_id: Uuid,
    version: i32,
    kind: String,
    status: String,
    recurring: bool,
}

/// The event of one occurrence; `editable` when the user may change activities.
pub fn event_of(o: &OccurrenceOut, editable: bool) -> CalendarEvent {
    let a = &o.activity;
    let (start, end) = if a.all_day {
        let zone = a
            .time_zone
            .parse::<chrono_tz::Tz>()
            .unwrap_or(chrono_tz::UTC);
        let day = |t: DateTime<Utc>| t.with_timezone(&zone).date_naive();
        let first = day(o.starts_at);
        let end = day(o.ends_at).max(first.succ_opt().unwrap_or(first));
        (iso_day(first), iso_day(end))
    } else {
        (o.starts_at.to_rfc3339(), o.ends_at.to_rfc3339())
    };
    CalendarEvent {
        id: format!("{}@{}", a.id, o.starts_at.timestamp()),
        group_id: a.id,
        title: a.title.clone(),
        start,
        end,
        all_day: a.all_day,
        url: format!("/calendar/activities/{}", a.id),
        editable: editable && a.recurrence.is_none() && a.status == "planned",
        class_name: format!("activity-{} activity-{}", a.kind, a.status),
        color: colour_of(&a.kind, &a.status),
        contrast_color: "#ffffff",
        extended: EventFacts {
            activity_id: a.id,
            version: a.version,
            kind: a.kind.clone(),
            status: a.status.clone(),
            recurring: a.recurrence.is_some(),
        },
    }
}

/// The colour an activity is drawn in: one per kind, each with at least 4.5:1 contrast to white
/// text (WCAG AA); a cancelled one grey.
fn colour_of(kind: &str, status: &str) -> &'static str {
    if status == "cancelled" {
        return "#6c757d";
    }
    match kind {
        "call" => "#0a58ca",
        "meeting" => "#146c43",
        "task" => "#495057",
        "demo" => "#6f42c1",
        _ => "#842029",
    }
}

fn iso_day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// What FullCalendar asks: the window (`from`, `to`) and the page's filters.
#[derive(Debug, Default, Deserialize)]
pub struct EventsQuery {
    from: Option<String>,
    to: Option<String>,
    assignee_id: Option<String>,
    client_id: Option<String>,
}

/// `GET /calendar/events`: the occurrences meeting the window, as FullCalendar's events (a
/// bad parameter is the API's problem+json, named).
pub async fn events(mut page: Page, Query(q): Query<EventsQuery>) -> PageResult {
    page.require("calendar.view").await?;
    let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let query = WindowQuery {
        from: given(q.from),
        to: given(q.to),
        assignee_id: given(q.assignee_id),
        client_id: given(q.client_id),
        status: None,
    };
    let filter = match query.parse(Utc::now()) {
        Ok(filter) => filter,
        // The script reads the API's problem+json, each bad parameter named.
        Err(e) => return Ok(api::http::ApiError::from(e).into_response()),
    };
    let window = services::calendar::window(&mut page.ctx, &filter).await?;
    let editable = page.can("calendar.edit");
    let events: Vec<CalendarEvent> = window
        .occurrences
        .iter()
        .map(|o| event_of(o, editable))
        .collect();
    page.ctx.done();
    Ok(Json(events).into_response())
}
