//! `/tickets`: the support queue with filters (status, priority, category, mine, breached, at
//! risk, one client's), keyset "load more", and for each ticket its SLA countdown ticking in
//! the browser and its breach risk. The other ticket pages live beside it: a new ticket
//! (`tickets_new`), a ticket with its thread and SLA panel (`tickets_detail`), and the
//! administration of categories and business calendars (`tickets_categories`,
//! `tickets_calendars`).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::Query;
use axum::routing::{get, post};
use chrono::Utc;
use services::clients::ClientQuery;
use services::tickets::{TicketOut, TicketQuery};
use uuid::Uuid;

use super::tickets_view::{
    Countdown, priorities, priority_class, priority_label, risk, status_class, status_label,
    statuses,
};
use super::{tickets_calendars, tickets_categories, tickets_detail, tickets_new};
use crate::page::{Page, PageError, PageResult};
use crate::render::{Chrome, html};
use crate::state::WebState;

/// The tickets routes (each page checks its own permission).
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/tickets", get(list))
        .route(
            "/tickets/new",
            get(tickets_new::new).post(tickets_new::create),
        )
        .route("/tickets/new/contacts", get(tickets_new::contacts))
        .route(
            "/tickets/{id}",
            get(tickets_detail::show).post(tickets_detail::update),
        )
        .route("/tickets/{id}/comments", post(tickets_detail::comment))
        .route(
            "/admin/ticket-categories",
            get(tickets_categories::list).post(tickets_categories::create),
        )
        .route("/admin/ticket-categories/new", get(tickets_categories::new))
        .route(
            "/admin/ticket-categories/{id}",
            get(tickets_categories::show).post(tickets_categories::update),
        )
        .route(
            "/admin/business-calendars",
            get(tickets_calendars::list).post(tickets_calendars::create),
        )
        .route("/admin/business-calendars/new", get(tickets_calendars::new))
        .route(
            "/admin/business-calendars/{id}",
            get(tickets_calendars::show).post(tickets_calendars::update),
        )
        .route(
            "/admin/business-calendars/{id}/holidays",
            post(tickets_calendars::import),
        )
}

/// One ticket of the queue, as its row shows it.
pub struct QueueRow {
    pub id: Uuid,
    pub title: String,
    pub client_id: Uuid,
    pub client: String,
    pub status: String,
    pub status_label: String,
    pub status_class: &'static str,
    pub priority_label: String,
    pub priority_class: &'static str,
    pub assignee: Option<String>,
    pub countdown: Countdown,
    pub breached: bool,
    pub at_risk: bool,
    pub risk: Option<String>,
    pub risk_reason: Option<String>,
}

/// The rows of one page of the queue and the link to the next.
#[derive(Template)]
#[template(path = "tickets_rows.html")]
pub struct TicketRows {
    pub tickets: Vec<QueueRow>,
    pub more: Option<String>,
    pub empty: String,
    pub load_more: String,
    pub unassigned: String,
    pub breached: String,
    pub at_risk: String,
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct TicketsPage {
    c: Chrome,
    q: TicketQuery,
    rows: TicketRows,
    statuses: Vec<(&'static str, String)>,
    priorities: Vec<(&'static str, String)>,
    categories: Vec<(Uuid, String)>,
    /// The client whose tickets alone are shown, `(id, name)`.
    client: Option<(Uuid, String)>,
    can_create: bool,
}

impl TicketsPage {
    fn is(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref() == Some(option)
    }

    /// The queue's checkboxes: (parameter, ticked, label key).
    fn flags(&self) -> [(&'static str, bool, &'static str); 4] {
        let on = |flag: &Option<String>| flag.as_deref() == Some("true");
        [
            ("open", on(&self.q.open), "tickets-open"),
            ("mine", on(&self.q.mine), "tickets-mine"),
            ("breached", on(&self.q.breached), "tickets-breached"),
            ("at_risk", on(&self.q.at_risk), "tickets-at-risk"),
        ]
    }

    /// Where "new ticket" goes: for the client shown, when there is one.
    fn new_url(&self) -> String {
        match &self.client {
            Some((id, _)) => format!("/tickets/new?client_id={id}"),
            None => "/tickets/new".to_owned(),
        }
    }
}

/// The query as the filter form sends it: a filter left blank is no filter.
fn without_blanks(mut q: TicketQuery) -> TicketQuery {
    for field in [
        &mut q.status,
        &mut q.open,
        &mut q.priority,
        &mut q.assignee_id,
        &mut q.client_id,
        &mut q.category_id,
        &mut q.team,
        &mut q.mine,
        &mut q.breached,
        &mut q.at_risk,
        &mut q.sort,
        &mut q.limit,
        &mut q.cursor,
    ] {
        if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
            *field = None;
        }
    }
    q
}

/// The queue's URL for the page after `cursor`, keeping the filters.
fn next_page_url(q: &TicketQuery, cursor: &str) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("status", q.status.as_deref()),
        ("open", q.open.as_deref()),
        ("priority", q.priority.as_deref()),
        ("assignee_id", q.assignee_id.as_deref()),
        ("client_id", q.client_id.as_deref()),
        ("category_id", q.category_id.as_deref()),
        ("team", q.team.as_deref()),
        ("mine", q.mine.as_deref()),
        ("breached", q.breached.as_deref()),
        ("at_risk", q.at_risk.as_deref()),
        ("sort", q.sort.as_deref()),
        ("cursor", Some(cursor)),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    format!(
        "/tickets?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

/// The company names of `ids`, for showing (a client gone from the list shows as its id).
pub async fn client_names(
    page: &mut Page,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, PageError> {
    let mut ids: Vec<String> = ids.into_iter().map(|id| id.to_string()).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let cipher = page.cipher().await?;
    let q = ClientQuery {
        ids: Some(ids.join(",")),
        limit: Some(ids.len().to_string()),
        ..ClientQuery::default()
    };
    let (filter, request) = q.parse()?;
    let found = services::clients::list(&mut page.ctx, &cipher, &filter, &request).await?;
    Ok(found
        .data
        .into_iter()
        .map(|c| (c.id, c.company_name))
        .collect())
}

/// The queue rows of `tickets`, with their clients' and assignees' names.
pub async fn queue_rows(
    page: &mut Page,
    tickets: Vec<TicketOut>,
) -> Result<Vec<QueueRow>, PageError> {
    let clients = client_names(page, tickets.iter().map(|t| t.client_id)).await?;
    let users: HashMap<Uuid, String> = services::users::owners(&mut page.ctx)
        .await?
        .into_iter()
        .collect();
    let locale = page.locale;
    let now = Utc::now();
    Ok(tickets
        .into_iter()
        .map(|t| QueueRow {
            client: clients
                .get(&t.client_id)
                .cloned()
                .unwrap_or_else(|| t.client_id.to_string()),
            // A disabled user is no longer among the users offered: still assigned.
            assignee: t.assignee_id.map(|a| {
                users
                    .get(&a)
                    .cloned()
                    .unwrap_or_else(|| locale.t("ticket-agent"))
            }),
            status_label: status_label(locale, &t.status),
            status_class: status_class(&t.status),
            priority_label: priority_label(locale, &t.priority),
            priority_class: priority_class(&t.priority),
            countdown: Countdown::of(locale, &t.sla, now),
            breached: t.sla.breached,
            at_risk: t.sla.at_risk,
            risk: risk(locale, t.breach_risk),
            risk_reason: t.breach_risk_reason,
            id: t.id,
            title: t.title,
            client_id: t.client_id,
            status: t.status,
        })
        .collect())
}

/// `GET /tickets` (the rows alone for htmx: filters and "load more").
pub async fn list(mut page: Page, Query(q): Query<TicketQuery>) -> PageResult {
    page.require("tickets.view").await?;
    let q = without_blanks(q);
    let (filter, request) = q.parse()?;
    let found = services::tickets::list(&mut page.ctx, &filter, &request).await?;
    let more = found.next_cursor.as_deref().map(|c| next_page_url(&q, c));
    let locale = page.locale;
    let rows = TicketRows {
        tickets: queue_rows(&mut page, found.data).await?,
        more,
        empty: locale.t("tickets-none"),
        load_more: locale.t("load-more"),
        unassigned: locale.t("tickets-unassigned"),
        breached: locale.t("sla-breached"),
        at_risk: locale.t("risk-at-risk"),
    };
    if page.htmx {
        page.ctx.done();
        return Ok(html(&rows));
    }
    let client = match filter.client_id {
        Some(id) => {
            let names = client_names(&mut page, [id]).await?;
            let name = names.get(&id).cloned().ok_or(services::Error::NotFound)?;
            Some((id, name))
        }
        None => None,
    };
    let categories = services::tickets::categories::list(&mut page.ctx)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let body = TicketsPage {
        c: Chrome::new(&page, "tickets", "tickets-title"),
        statuses: statuses(locale),
        priorities: priorities(locale),
        categories,
        client,
        can_create: page.can("tickets.create"),
        q,
        rows,
    };
    page.ctx.done();
    Ok(html(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_keeps_the_filters() {
        let q = without_blanks(TicketQuery {
            status: Some(String::new()),
            priority: Some("high".into()),
            mine: Some("true".into()),
            ..TicketQuery::default()
        });
        assert_eq!(q.status, None);
        assert_eq!(
            next_page_url(&q, "abc"),
            "/tickets?priority=high&mine=true&cursor=abc"
        );
    }
}
