//! The calendar's lines outside the calendar: the activities tab of a client's page (the last
//! 30 days and the next 90, for holders of `calendar.view`) and the dashboard's "today" (the
//! user's own activities of the day in the tenant's time zone), both from the calendar's one
//! window query (`services::calendar::window`).

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use db::activities::WindowFilter;
use services::calendar::OccurrenceOut;
use uuid::Uuid;

use crate::i18n::Locale;
use crate::page::{Page, PageError};

/// One occurrence of an activity as a line.
pub struct ActivityLine {
    pub url: String,
    pub title: String,
    pub kind_label: String,
    pub status: String,
    pub status_label: String,
    pub starts_at: DateTime<Utc>,
    pub all_day: bool,
}

fn line(locale: Locale, o: OccurrenceOut) -> ActivityLine {
    let a = o.activity;
    ActivityLine {
        url: format!("/calendar/activities/{}", a.id),
        kind_label: locale.t(&format!("activity-kind-{}", a.kind)),
        status_label: locale.t(&format!("activity-status-{}", a.status)),
        title: a.title,
        status: a.status,
        starts_at: o.starts_at,
        all_day: a.all_day,
    }
}

/// The activities tab's content.
pub struct ClientActivities {
    pub lines: Vec<ActivityLine>,
    pub calendar_url: String,
    pub new_url: Option<String>,
}

/// The activities tab of `client`.
pub async fn of_client(page: &mut Page, client: Uuid) -> Result<ClientActivities, PageError> {
    let now = Utc::now();
    let filter = WindowFilter {
        from: Some(now - TimeDelta::days(30)),
        to: Some(now + TimeDelta::days(90)),
        client_id: Some(client),
        ..WindowFilter::default()
    };
    let window = services::calendar::window(&mut page.ctx, &filter).await?;
    let locale = page.locale;
    Ok(ClientActivities {
        lines: window
            .occurrences
            .into_iter()
            .map(|o| line(locale, o))
            .collect(),
        calendar_url: format!("/calendar?who=all&client_id={client}"),
        new_url: page
            .can("calendar.edit")
            .then(|| format!("/calendar/activities/new?client_id={client}")),
    })
}

/// The user's activities today, in the tenant's time zone.
pub async fn today(page: &mut Page) -> Result<Vec<ActivityLine>, PageError> {
    let zone = page
        .me
        .tenant
        .time_zone
        .parse::<chrono_tz::Tz>()
        .unwrap_or(chrono_tz::UTC);
    let day = Utc::now().with_timezone(&zone).date_naive();
    let midnight =
        |d: chrono::NaiveDate| domain::local_time::resolve_local(zone, d.and_time(NaiveTime::MIN));
    let filter = WindowFilter {
        from: Some(midnight(day)),
        to: Some(midnight(day.succ_opt().unwrap_or(day))),
        assignee_id: Some(page.me.id),
        ..WindowFilter::default()
    };
    let window = services::calendar::window(&mut page.ctx, &filter).await?;
    let locale = page.locale;
    Ok(window
        .occurrences
        .into_iter()
        .map(|o| line(locale, o))
        .collect())
}
