//! `/timeline`: the tenant-wide timeline, newest first, filtered by type, client, author and
//! date, with "load more" and live new events.

use askama::Template;
use axum::extract::Query;
use serde::Deserialize;
use services::timeline::EventQuery;

use crate::page::{Page, PageResult};
use crate::pages::clients::{TimelineRows, parse_id};
use crate::render::{Chrome, html};

#[derive(Debug, Default, Deserialize)]
pub struct TimelineFilter {
    #[serde(rename = "type")]
    types: Option<String>,
    client_id: Option<String>,
    actor_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

impl TimelineFilter {
    fn query(&self) -> EventQuery {
        let blank = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        EventQuery {
            types: blank(&self.types),
            actor_id: blank(&self.actor_id),
            // A date from the date picker is the start of that day (UTC).
            from: blank(&self.from).map(day_start),
            to: blank(&self.to).map(day_start),
            cursor: blank(&self.cursor),
            limit: None,
        }
    }

    fn next_url(&self, cursor: &str) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("type", self.types.as_deref()),
            ("client_id", self.client_id.as_deref()),
            ("actor_id", self.actor_id.as_deref()),
            ("from", self.from.as_deref()),
            ("to", self.to.as_deref()),
            ("cursor", Some(cursor)),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
        format!(
            "/timeline?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    }
}

/// `2026-12-01` → `2026-12-01T00:00:00Z`; anything else as given (the service names it if bad).
fn day_start(v: String) -> String {
    if v.len() == 10 {
        format!("{v}T00:00:00Z")
    } else {
        v
    }
}

#[derive(Template)]
#[template(path = "timeline.html")]
struct TimelinePage {
    c: Chrome,
    f: TimelineFilter,
    rows: TimelineRows,
}

/// `GET /timeline` (the rows alone for htmx).
pub async fn show(mut page: Page, Query(f): Query<TimelineFilter>) -> PageResult {
    page.require("timeline.view").await?;
    let q = f.query();
    let found = match f.client_id.as_deref().filter(|c| !c.is_empty()) {
        Some(client) => {
            let id = parse_id(client)?;
            services::timeline::client_events(&mut page.ctx, id, &q).await?
        }
        None => services::timeline::tenant_events(&mut page.ctx, &q).await?,
    };
    let rows = TimelineRows {
        more: found.next_cursor.as_deref().map(|c| f.next_url(c)),
        events: found.data,
        empty: page.locale.t("timeline-none"),
        load_more: page.locale.t("load-more"),
    };
    if page.htmx {
        page.ctx.done();
        return Ok(html(&rows));
    }
    let body = TimelinePage {
        c: Chrome::new(&page, "timeline", "timeline-title"),
        f,
        rows,
    };
    page.ctx.done();
    Ok(html(&body))
}
