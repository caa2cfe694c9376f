//! `/clients`: the list with search as you type (the API's typo-tolerant search), filters,
//! sort and keyset "load more"; `/clients/{id}`: the profile, contacts and the client's
//! timeline with type filters and live new events, and the tab strip later modules fill.

use askama::Template;
use axum::extract::{Path, Query};
use services::Versioned;
use services::clients::{ClientOut, ClientQuery};
use services::contacts::ContactOut;
use services::timeline::{EventQuery, TimelineEvent};
use uuid::Uuid;

use crate::page::{Page, PageError, PageResult};
use crate::render::{Chrome, html};

#[derive(Template)]
#[template(path = "clients.html")]
struct ClientsPage {
    c: Chrome,
    q: ClientQuery,
    rows: ClientRows,
    statuses: Vec<(&'static str, String)>,
    /// Users to filter by owner, `(id, name)`.
    owners: Vec<(Uuid, String)>,
    /// The tenant's custom fields to filter by, `(key, label)`.
    fields: Vec<(String, String)>,
    /// The custom field filtered by and its value (blank when none).
    field_key: String,
    field_value: String,
    me: Uuid,
    can_create: bool,
    can_export: bool,
    can_import: bool,
    /// The export of exactly what the filters keep.
    export_url: String,
    /// The client just deleted, offered for restoring.
    deleted: Option<Uuid>,
}

/// What the list shows besides its filters.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListNotice {
    deleted: Option<String>,
}

/// The filter form's custom field: the key chosen and the value typed, which the list reads as
/// the API's `custom_field=key:value`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct FieldFilter {
    field: Option<String>,
    field_value: Option<String>,
}

impl FieldFilter {
    /// The form's choice over the query's `custom_field` (a link's); both blank is none.
    fn apply(self, q: &mut ClientQuery) {
        if self.field.is_none() && self.field_value.is_none() {
            return;
        }
        let key = self.field.unwrap_or_default();
        let value = self.field_value.unwrap_or_default();
        q.custom_field = (!key.trim().is_empty() && !value.trim().is_empty())
            .then(|| format!("{}:{}", key.trim(), value.trim()));
    }
}

/// The rows of one page and the link to the next.
#[derive(Template)]
#[template(path = "clients_rows.html")]
struct ClientRows {
    clients: Vec<ClientOut>,
    more: Option<String>,
    empty: String,
    load_more: String,
    status_names: Vec<(&'static str, String)>,
    /// Rows can be picked for export; the label of a row's box.
    pick: Option<String>,
}

impl ClientRows {
    /// The table's columns: the client's five, and the pick box.
    fn columns(&self) -> usize {
        5 + usize::from(self.pick.is_some())
    }

    fn status_label(&self, status: &str) -> String {
        self.status_names
            .iter()
            .find(|(s, _)| *s == status)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| status.to_owned())
    }
}

const STATUSES: [&str; 4] = ["lead", "client", "inactive", "lost"];

/// The list's query string for the page after `cursor`, keeping the filters.
fn next_page_url(q: &ClientQuery, cursor: &str) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("q", q.q.as_deref()),
        ("status", q.status.as_deref()),
        ("sector", q.sector.as_deref()),
        ("tag", q.tag.as_deref()),
        ("owner_id", q.owner_id.as_deref()),
        ("custom_field", q.custom_field.as_deref()),
        ("sort", q.sort.as_deref()),
        ("cursor", Some(cursor)),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
    .collect();
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    format!("/clients?{query}")
}

/// The query as the filter form sends it: a filter left blank is no filter.
fn without_blanks(mut q: ClientQuery) -> ClientQuery {
    for field in [
        &mut q.q,
        &mut q.status,
        &mut q.sector,
        &mut q.owner_id,
        &mut q.tag,
        &mut q.custom_field,
        &mut q.ids,
        &mut q.sort,
        &mut q.cursor,
    ] {
        if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
            *field = None;
        }
    }
    q
}

/// `GET /clients` (the rows alone for htmx: search, filters and "load more").
pub async fn list(
    mut page: Page,
    Query(mut q): Query<ClientQuery>,
    Query(notice): Query<ListNotice>,
    Query(field): Query<FieldFilter>,
) -> PageResult {
    page.require("clients.view").await?;
    field.apply(&mut q);
    let q = without_blanks(q);
    let cipher = page.cipher().await?;
    let (filter, request) = q.parse()?;
    let found = services::clients::list(&mut page.ctx, &cipher, &filter, &request).await?;
    let locale = page.locale;
    let status_names: Vec<_> = STATUSES
        .iter()
        .map(|s| (*s, locale.t(&format!("status-{s}"))))
        .collect();
    let rows = ClientRows {
        more: found.next_cursor.as_deref().map(|c| next_page_url(&q, c)),
        clients: found.data,
        empty: locale.t("clients-none"),
        load_more: locale.t("load-more"),
        status_names: status_names.clone(),
        pick: page.can("clients.export").then(|| locale.t("clients-pick")),
    };
    if page.htmx {
        page.ctx.done();
        return Ok(html(&rows));
    }
    let owners = services::users::owners(&mut page.ctx).await?;
    let fields = services::custom_fields::list(&mut page.ctx)
        .await?
        .into_iter()
        .map(|d| (d.key, d.label))
        .collect();
    let (field_key, field_value) = q
        .custom_field
        .as_deref()
        .and_then(|f| f.split_once(':'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .unwrap_or_default();
    let body = ClientsPage {
        c: Chrome::new(&page, "clients", "clients-title"),
        owners,
        fields,
        field_key,
        field_value,
        me: page.me.id,
        can_create: page.can("clients.create"),
        can_export: page.can("clients.export"),
        can_import: page.can("clients.import"),
        export_url: next_page_url(&q, "").replacen("/clients?", "/clients/export.csv?", 1),
        deleted: notice
            .deleted
            .as_deref()
            .and_then(|d| Uuid::try_parse(d).ok()),
        q,
        rows,
        statuses: status_names,
    };
    page.ctx.done();
    Ok(html(&body))
}

#[derive(Template)]
#[template(path = "client.html")]
struct ClientPage {
    c: Chrome,
    client: ClientOut,
    version: i32,
    status_label: String,
    contacts: Vec<ContactOut>,
    events: TimelineRows,
    can_edit: bool,
    can_delete: bool,
    can_merge: bool,
    /// The merge just made into this client, offered for undoing.
    merged: Option<Uuid>,
    can_timeline: bool,
    /// The later modules' tabs: label, and where it leads once the module exists.
    tabs: Vec<(String, Option<String>)>,
    /// The client's opportunities, for a user who may see the pipeline.
    opportunities: Option<super::pipeline_client::ClientOpportunities>,
    /// The client's proposals, for a user who may see them.
    proposals: Option<super::proposals_client::ClientProposals>,
    /// The client's activities, for a user who may see the calendar.
    activities: Option<super::calendar_lines::ClientActivities>,
}

/// A client's events and the link to the next page.
#[derive(Template)]
#[template(path = "timeline_rows.html")]
pub struct TimelineRows {
    pub events: Vec<TimelineEvent>,
    pub more: Option<String>,
    pub empty: String,
    pub load_more: String,
}

/// What the client page shows besides the client.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ClientNotice {
    merged: Option<String>,
}

/// The id in a console path; a malformed one is simply not found.
pub fn parse_id(raw: &str) -> Result<Uuid, PageError> {
    Uuid::try_parse(raw).map_err(|_| api::http::ApiError::not_found().into())
}

/// `GET /clients/{id}`
pub async fn show(
    mut page: Page,
    Path(id): Path<String>,
    Query(notice): Query<ClientNotice>,
) -> PageResult {
    page.require("clients.view").await?;
    let id = parse_id(&id)?;
    let cipher = page.cipher().await?;
    let Versioned {
        value: client,
        version,
    } = services::clients::get(&mut page.ctx, &cipher, id).await?;
    let contacts = super::contacts::of_client(&mut page, id).await?;
    let can_timeline = page.can("timeline.view");
    let events = if can_timeline {
        client_timeline(&mut page, id, EventQuery::default()).await?
    } else {
        empty_timeline(&page)
    };
    let opportunities = if page.can("pipeline.view") {
        Some(super::pipeline_client::of_client(&mut page, id).await?)
    } else {
        None
    };
    let proposals = if page.can("proposals.view") {
        Some(super::proposals_client::of_client(&mut page, id).await?)
    } else {
        None
    };
    let activities = if page.can("calendar.view") {
        Some(super::calendar_lines::of_client(&mut page, id).await?)
    } else {
        None
    };
    let locale = page.locale;
    let body = ClientPage {
        c: Chrome::new(&page, "clients", "client-title"),
        status_label: locale.t(&format!("status-{}", client.status)),
        client,
        version,
        contacts,
        events,
        can_edit: page.can("clients.edit"),
        can_delete: page.can("clients.delete"),
        can_merge: page.can("clients.merge"),
        merged: notice
            .merged
            .as_deref()
            .and_then(|m| Uuid::try_parse(m).ok()),
        can_timeline,
        tabs: [
            "communications",
            "proposals",
            "opportunities",
            "tickets",
            "activities",
            "assistant",
        ]
        .iter()
        .filter(|t| !(**t == "opportunities" && opportunities.is_some()))
        .filter(|t| !(**t == "proposals" && proposals.is_some()))
        .filter(|t| !(**t == "activities" && activities.is_some()))
        .map(|t| {
            let link = match *t {
                "tickets" if page.can("tickets.view") => Some(format!("/tickets?client_id={id}")),
                "communications" if page.can("communications.view") => {
                    Some(format!("/clients/{id}/communications"))
                }
                _ => None,
            };
            (locale.t(&format!("tab-{t}")), link)
        })
        .collect(),
        opportunities,
        proposals,
        activities,
    };
    page.ctx.done();
    Ok(html(&body))
}

fn empty_timeline(page: &Page) -> TimelineRows {
    TimelineRows {
        events: Vec::new(),
        more: None,
        empty: page.locale.t("timeline-none"),
        load_more: page.locale.t("load-more"),
    }
}

async fn client_timeline(
    page: &mut Page,
    id: Uuid,
    q: EventQuery,
) -> Result<TimelineRows, PageError> {
    let found = services::timeline::client_events(&mut page.ctx, id, &q).await?;
    let more = found.next_cursor.as_deref().map(|c| {
        let pairs: Vec<(&str, &str)> = [("type", q.types.as_deref()), ("cursor", Some(c))]
            .into_iter()
            .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
            .collect();
        format!(
            "/clients/{id}/timeline?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    });
    Ok(TimelineRows {
        events: found.data,
        more,
        ..empty_timeline(page)
    })
}

#[derive(Debug, serde::Deserialize)]
pub struct TimelineFilter {
    #[serde(rename = "type")]
    types: Option<String>,
    cursor: Option<String>,
}

/// `GET /clients/{id}/timeline`: the client's events (htmx: type filter, "load more").
pub async fn timeline(
    mut page: Page,
    Path(id): Path<String>,
    Query(f): Query<TimelineFilter>,
) -> PageResult {
    page.require("timeline.view").await?;
    let id = parse_id(&id)?;
    let q = EventQuery {
        types: f.types,
        cursor: f.cursor,
        ..Default::default()
    };
    let rows = client_timeline(&mut page, id, q).await?;
    page.ctx.done();
    Ok(html(&rows))
}
