//! `/admin/business-calendars`: when the support team works, which SLAs are measured on. A
//! calendar's form: name, time zone, weekly hours (two stretches a day, for a split day),
//! holidays one per line, and holidays added from an iCalendar feed (a file read into the
//! text box by console.js, or its text pasted). The same service flows and permission as the
//! API (`services::tickets::calendars`, `tickets.config`); the domain checks the calendar.

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use domain::tickets::WeeklyHoursSpec;
use services::tickets::{CalendarInput, CalendarOut};
use services::{Expected, Versioned};
use uuid::Uuid;

use crate::form::{Posted, Refusal, field_error, items};
use crate::page::{Page, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html, html_with};

/// The API's names of the weekdays, Monday first.
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// Stretches a day offers at least (a split day has two).
const SLOTS: usize = 2;
/// Most stretches a posted day is read with.
const MOST_SLOTS: usize = 12;

fn intervals<'a>(hours: &'a WeeklyHoursSpec, day: &str) -> &'a Vec<[String; 2]> {
    match day {
        "mon" => &hours.mon,
        "tue" => &hours.tue,
        "wed" => &hours.wed,
        "thu" => &hours.thu,
        "fri" => &hours.fri,
        "sat" => &hours.sat,
        _ => &hours.sun,
    }
}

fn intervals_mut<'a>(hours: &'a mut WeeklyHoursSpec, day: &str) -> &'a mut Vec<[String; 2]> {
    match day {
        "mon" => &mut hours.mon,
        "tue" => &mut hours.tue,
        "wed" => &mut hours.wed,
        "thu" => &mut hours.thu,
        "fri" => &mut hours.fri,
        "sat" => &mut hours.sat,
        _ => &mut hours.sun,
    }
}

/// One stretch of a day as typed, and its place among the stretches sent (a blank one is not).
pub struct Slot {
    pub start: String,
    pub end: String,
    pub sent: Option<usize>,
}

/// A weekday's stretches.
pub struct DayHours {
    pub day: &'static str,
    pub slots: Vec<Slot>,
}

/// The calendar form as typed (the calendar's values when first shown).
pub struct CalendarForm {
    name: String,
    time_zone: String,
    days: Vec<DayHours>,
    holidays: String,
    /// An iCalendar feed to add holidays from (creating only).
    ical: String,
    version: String,
}

impl CalendarForm {
    fn of(c: &CalendarOut, version: i32) -> Self {
        let days = WEEKDAYS
            .iter()
            .map(|day| {
                let given = intervals(&c.weekly_hours, day);
                let mut slots: Vec<Slot> = given
                    .iter()
                    .enumerate()
                    .map(|(i, [start, end])| Slot {
                        start: start.clone(),
                        end: end.clone(),
                        sent: Some(i),
                    })
                    .collect();
                while slots.len() < SLOTS {
                    slots.push(Slot {
                        start: String::new(),
                        end: String::new(),
                        sent: None,
                    });
                }
                DayHours { day, slots }
            })
            .collect();
        Self {
            name: c.name.clone(),
            time_zone: c.time_zone.clone(),
            days,
            holidays: c.holidays.join("\n"),
            ical: String::new(),
            version: version.to_string(),
        }
    }

    /// A new calendar: Monday to Friday 09:00-17:00 in the tenant's time zone.
    fn empty(time_zone: &str) -> Self {
        let mut hours = WeeklyHoursSpec::default();
        for day in &WEEKDAYS[..5] {
            intervals_mut(&mut hours, day).push(["09:00".into(), "17:00".into()]);
        }
        let blank = CalendarOut {
            id: Uuid::nil(),
            name: String::new(),
            time_zone: time_zone.to_owned(),
            weekly_hours: hours,
            holidays: Vec::new(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        Self {
            version: String::new(),
            ..Self::of(&blank, 0)
        }
    }

    fn posted(fields: &Posted) -> Self {
        let days = WEEKDAYS
            .iter()
            .map(|day| {
                let mut sent = 0;
                let slots = (0..MOST_SLOTS)
                    .filter_map(|i| {
                        let (start_key, end_key) =
                            (format!("{day}-{i}-start"), format!("{day}-{i}-end"));
                        if i >= SLOTS && !fields.0.contains_key(&start_key) {
                            return None;
                        }
                        let (start, end) = (fields.one(&start_key), fields.one(&end_key));
                        let index = (!start.is_empty() || !end.is_empty()).then(|| {
                            sent += 1;
                            sent - 1
                        });
                        Some(Slot {
                            start,
                            end,
                            sent: index,
                        })
                    })
                    .collect();
                DayHours { day, slots }
            })
            .collect();
        Self {
            name: fields.one("name"),
            time_zone: fields.one("time_zone"),
            days,
            holidays: fields.one("holidays"),
            ical: fields.one("ical"),
            version: fields.one("version"),
        }
    }

    fn weekly_hours(&self) -> WeeklyHoursSpec {
        let mut hours = WeeklyHoursSpec::default();
        for d in &self.days {
            *intervals_mut(&mut hours, d.day) = d
                .slots
                .iter()
                .filter(|s| s.sent.is_some())
                .map(|s| [s.start.clone(), s.end.clone()])
                .collect();
        }
        hours
    }

    fn holiday_list(&self) -> Vec<String> {
        items(&self.holidays)
    }

    fn input(&self) -> CalendarInput {
        CalendarInput {
            name: Some(self.name.clone()),
            time_zone: Some(self.time_zone.clone()),
            weekly_hours: Some(self.weekly_hours()),
            holidays: Some(self.holiday_list()),
        }
    }

    fn expected(&self) -> Expected {
        Expected::OneOf(self.version.parse().into_iter().collect())
    }
}

/// A calendar as the list shows it.
pub struct CalendarRow {
    id: Uuid,
    name: String,
    time_zone: String,
    /// `(weekday, "09:00-14:00, 16:00-19:00")` of each working day.
    hours: Vec<(&'static str, String)>,
    holidays: usize,
}

#[derive(Template)]
#[template(path = "ticket_calendars.html")]
struct CalendarsPage {
    c: Chrome,
    calendars: Vec<CalendarRow>,
}

/// `GET /admin/business-calendars`
pub async fn list(mut page: Page) -> PageResult {
    page.require("tickets.config").await?;
    let calendars = services::tickets::calendars::list(&mut page.ctx)
        .await?
        .into_iter()
        .map(|c| CalendarRow {
            hours: WEEKDAYS
                .iter()
                .filter_map(|day| {
                    let given = intervals(&c.weekly_hours, day);
                    (!given.is_empty()).then(|| {
                        let text = given
                            .iter()
                            .map(|[s, e]| format!("{s}-{e}"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        (*day, text)
                    })
                })
                .collect(),
            holidays: c.holidays.len(),
            id: c.id,
            name: c.name,
            time_zone: c.time_zone,
        })
        .collect();
    let body = CalendarsPage {
        c: Chrome::new(&page, "business-calendars", "calendars-title"),
        calendars,
    };
    page.ctx.done();
    Ok(html(&body))
}

#[derive(Template)]
#[template(path = "ticket_calendar.html")]
struct CalendarPage {
    c: Chrome,
    /// None while creating.
    id: Option<Uuid>,
    form: CalendarForm,
    time_zones: Vec<String>,
    refusal: Option<Refusal>,
}

impl CalendarPage {
    fn error(&self, pointer: &str) -> Option<String> {
        field_error(&self.refusal, pointer)
    }

    /// What is wrong with a stretch (its start or end, or both).
    fn slot_error(&self, day: &str, slot: &Slot) -> Option<String> {
        self.error(&format!("/weekly_hours/{day}/{}", slot.sent?))
    }

    /// What is wrong with the week as a whole (no working time at all).
    fn week_error(&self) -> Option<String> {
        let fields = &self.refusal.as_ref()?.fields;
        fields
            .iter()
            .find(|f| f.pointer == "/weekly_hours")
            .map(|f| f.detail.clone())
    }

    /// What is wrong with the holidays, each bad date named.
    fn holidays_error(&self) -> Option<String> {
        let list = self.form.holiday_list();
        let fields = &self.refusal.as_ref()?.fields;
        let details: Vec<String> = fields
            .iter()
            .filter_map(|f| {
                let rest = f.pointer.strip_prefix("/holidays")?;
                let which = rest
                    .strip_prefix('/')
                    .and_then(|i| i.parse::<usize>().ok())
                    .and_then(|i| list.get(i));
                Some(match which {
                    Some(date) => format!("{date}: {}", f.detail),
                    None => f.detail.clone(),
                })
            })
            .collect();
        (!details.is_empty()).then(|| details.join("; "))
    }

    /// What is wrong with the iCalendar feed (the import's refusal has no field).
    fn ical_error(&self) -> Option<String> {
        let fields = &self.refusal.as_ref()?.fields;
        fields
            .iter()
            .find(|f| f.pointer.is_empty())
            .map(|f| f.detail.clone())
    }

    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/admin/business-calendars/{id}"),
            None => "/admin/business-calendars".to_owned(),
        }
    }

    fn weekday(&self, day: &str) -> String {
        self.c.t(&format!("weekday-{day}"))
    }
}

fn calendar_page(
    page: &Page,
    id: Option<Uuid>,
    form: CalendarForm,
    refusal: Option<Refusal>,
) -> CalendarPage {
    let mut time_zones: Vec<String> = Vec::new();
    for zone in [form.time_zone.as_str(), page.me.tenant.time_zone.as_str()]
        .into_iter()
        .chain(super::settings::TIME_ZONES.iter().copied())
    {
        if !zone.is_empty() && !time_zones.iter().any(|z| z == zone) {
            time_zones.push(zone.to_owned());
        }
    }
    let title = if id.is_some() {
        "calendar-edit-title"
    } else {
        "calendar-new-title"
    };
    CalendarPage {
        c: Chrome::new(page, "business-calendars", title),
        id,
        form,
        time_zones,
        refusal,
    }
}

/// The form again with the services' refusal.
fn refused(page: Page, id: Option<Uuid>, form: CalendarForm, error: services::Error) -> PageResult {
    let refusal = Refusal::of(page.locale, error)?;
    let status = refusal.status();
    let body = calendar_page(&page, id, form, Some(refusal));
    page.ctx.done();
    Ok(html_with(status, &body))
}

fn see(id: Uuid) -> Response {
    Redirect::to(&format!("/admin/business-calendars/{id}")).into_response()
}

/// `GET /admin/business-calendars/new`
pub async fn new(page: Page) -> PageResult {
    page.require("tickets.config").await?;
    let form = CalendarForm::empty(&page.me.tenant.time_zone);
    let body = calendar_page(&page, None, form, None);
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /admin/business-calendars`: creates a calendar (with the holidays of the feed given,
/// in the same transaction), then shows it.
pub async fn create(mut page: Page, Form(fields): Form<Posted>) -> PageResult {
    page.require("tickets.config").await?;
    let form = CalendarForm::posted(&fields);
    let created = match services::tickets::calendars::create(&mut page.ctx, form.input()).await {
        Ok(created) => created.value.id,
        Err(e) => return refused(page, None, form, e),
    };
    if !form.ical.is_empty()
        && let Err(e) = services::tickets::calendars::import_holidays(
            &mut page.ctx,
            created,
            &form.ical,
            &Expected::Any,
        )
        .await
    {
        return refused(page, None, form, e);
    }
    page.ctx.commit().await?;
    Ok(see(created))
}

/// `GET /admin/business-calendars/{id}`
pub async fn show(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("tickets.config").await?;
    let id = parse_id(&id)?;
    let Versioned { value, version } = services::tickets::calendars::get(&mut page.ctx, id).await?;
    let body = calendar_page(&page, Some(id), CalendarForm::of(&value, version), None);
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /admin/business-calendars/{id}`: changes the calendar at the version shown.
pub async fn update(
    mut page: Page,
    Path(id): Path<String>,
    Form(fields): Form<Posted>,
) -> PageResult {
    page.require("tickets.config").await?;
    let id = parse_id(&id)?;
    let form = CalendarForm::posted(&fields);
    let expected = form.expected();
    match services::tickets::calendars::update(&mut page.ctx, id, form.input(), &expected).await {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(see(id))
        }
        Err(e) => refused(page, Some(id), form, e),
    }
}

/// `POST /admin/business-calendars/{id}/holidays`: adds the dates of an iCalendar feed to the
/// holidays, at the version shown.
pub async fn import(
    mut page: Page,
    Path(id): Path<String>,
    Form(fields): Form<Posted>,
) -> PageResult {
    page.require("tickets.config").await?;
    let id = parse_id(&id)?;
    let posted = CalendarForm::posted(&fields);
    let expected = posted.expected();
    let result =
        services::tickets::calendars::import_holidays(&mut page.ctx, id, &posted.ical, &expected)
            .await;
    match result {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(see(id))
        }
        Err(e) => {
            let current = services::tickets::calendars::get(&mut page.ctx, id).await?;
            let form = CalendarForm {
                ical: posted.ical,
                ..CalendarForm::of(&current.value, current.version)
            };
            refused(page, Some(id), form, e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_stretches_are_not_sent_and_the_rest_keep_their_place() {
        let fields = Posted(std::collections::HashMap::from([
            ("name".to_owned(), "Madrid".to_owned()),
            ("mon-0-start".to_owned(), "09:00".to_owned()),
            ("mon-0-end".to_owned(), "14:00".to_owned()),
            ("mon-1-start".to_owned(), "16:00".to_owned()),
            ("mon-1-end".to_owned(), "19:00".to_owned()),
            ("tue-0-start".to_owned(), String::new()),
            ("tue-1-start".to_owned(), "10:00".to_owned()),
            ("tue-1-end".to_owned(), String::new()),
            ("holidays".to_owned(), "2026-01-01\n2026-01-06".to_owned()),
        ]));
        let form = CalendarForm::posted(&fields);
        let hours = form.weekly_hours();
        assert_eq!(hours.mon.len(), 2);
        assert_eq!(hours.tue, vec![["10:00".to_owned(), String::new()]]);
        assert_eq!(form.days[1].slots[1].sent, Some(0));
        assert_eq!(form.days[1].slots[0].sent, None);
        assert!(hours.sun.is_empty());
        assert_eq!(form.holiday_list(), ["2026-01-01", "2026-01-06"]);
    }
}
