//! `/admin/audit`: the tenant's audit log, newest first, filtered by who acted, the action,
//! the object and a range of days, with keyset "load more" (the API's `GET /audit-events`).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::Query;
use chrono::NaiveDate;
use serde::Deserialize;
use services::audit::{AuditEventOut, AuditQuery};
use services::{Error, PageRequest};
use uuid::Uuid;

use super::{Refusal, field_error};
use crate::i18n::Locale;
use crate::page::{Page, PageError, PageResult};
use crate::render::{Chrome, html, html_with};

/// The filters as the form sends them; dates are days (`2026-12-01`), both included.
#[derive(Debug, Default, Deserialize)]
pub struct AuditFilter {
    actor_id: Option<String>,
    action: Option<String>,
    target_type: Option<String>,
    target_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

fn blank(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The start (UTC) of the day `v`, or of the day after it; anything else as given, for the
/// service to name.
fn day_start(v: String, days_after: u64) -> String {
    match NaiveDate::parse_from_str(&v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.checked_add_days(chrono::Days::new(days_after)))
    {
        Some(d) => format!("{}T00:00:00Z", d.format("%Y-%m-%d")),
        None => v,
    }
}

impl AuditFilter {
    fn query(&self) -> AuditQuery {
        AuditQuery {
            actor_id: blank(&self.actor_id),
            action: blank(&self.action),
            target_type: blank(&self.target_type),
            target_id: blank(&self.target_id),
            from: blank(&self.from).map(|d| day_start(d, 0)),
            // The service's `to` is exclusive: the end of the chosen day is the next one's start.
            to: blank(&self.to).map(|d| day_start(d, 1)),
            limit: None,
            cursor: blank(&self.cursor),
        }
    }

    fn next_url(&self, cursor: &str) -> String {
        let pairs: Vec<(&str, String)> = [
            ("actor_id", blank(&self.actor_id)),
            ("action", blank(&self.action)),
            ("target_type", blank(&self.target_type)),
            ("target_id", blank(&self.target_id)),
            ("from", blank(&self.from)),
            ("to", blank(&self.to)),
            ("cursor", Some(cursor.to_owned())),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        format!(
            "/admin/audit?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    }

    fn value(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or_default()
    }
}

/// One group of the action filter: `user.*` and each action of `user`.
pub struct ActionGroup {
    pub resource: &'static str,
    pub actions: Vec<&'static str>,
}

/// The actions of the catalogue, grouped by what they act on.
fn action_groups() -> Vec<ActionGroup> {
    let mut groups: Vec<ActionGroup> = Vec::new();
    for kind in domain::EventType::ALL {
        let name = kind.name();
        let resource = name.split('.').next().unwrap_or(name);
        match groups.iter_mut().find(|g| g.resource == resource) {
            Some(g) => g.actions.push(name),
            None => groups.push(ActionGroup {
                resource,
                actions: vec![name],
            }),
        }
    }
    groups
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    c: Chrome,
    f: AuditFilter,
    /// The users to filter by (when the admin may see users); otherwise an id is typed.
    actors: Option<Vec<(Uuid, String)>>,
    actions: Vec<ActionGroup>,
    rows: AuditRows,
    refusal: Option<Refusal>,
}

impl AuditPage {
    fn error(&self, pointer: &str) -> Option<String> {
        field_error(&self.refusal, pointer)
    }

    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        AuditFilter::value(v)
    }

    fn picked(&self, v: &Option<String>, option: &str) -> bool {
        v.as_deref() == Some(option)
    }
}

/// One page of entries and the link to the next.
#[derive(Template)]
#[template(path = "admin_audit_rows.html")]
struct AuditRows {
    l: Locale,
    events: Vec<AuditEventOut>,
    names: BTreeMap<Uuid, String>,
    more: Option<String>,
    /// Why no entries are listed (a filter is not right).
    notice: Option<String>,
}

impl AuditRows {
    /// Who acted: a user's name when known, else the kind and id.
    fn actor(&self, e: &AuditEventOut) -> String {
        match e.actor_id {
            Some(id) => match self.names.get(&id) {
                Some(name) => name.clone(),
                None => format!("{} {id}", e.actor_type),
            },
            None => e.actor_type.clone(),
        }
    }

    fn json(&self, v: &Option<serde_json::Value>) -> String {
        v.as_ref()
            .and_then(|v| serde_json::to_string(v).ok())
            .unwrap_or_default()
    }
}

/// The tenant's users by id (at most a page of 100), when the admin may see them.
async fn users_of(page: &mut Page) -> Result<Option<Vec<(Uuid, String)>>, PageError> {
    if !page.can("users.view") {
        return Ok(None);
    }
    let request = PageRequest {
        limit: services::page::MAX_LIMIT,
        after: None,
    };
    let users = services::users::list(&mut page.ctx, request).await?;
    Ok(Some(
        users
            .data
            .into_iter()
            .map(|u| (u.id, format!("{} <{}>", u.display_name, u.email)))
            .collect(),
    ))
}

/// `GET /admin/audit` (the rows alone for htmx: filters and "load more").
pub async fn list(mut page: Page, Query(f): Query<AuditFilter>) -> PageResult {
    page.require("audit.view").await?;
    let actors = users_of(&mut page).await?;
    let names: BTreeMap<Uuid, String> = actors.iter().flatten().cloned().collect();
    let (found, refusal) = match services::audit::list(&mut page.ctx, &f.query()).await {
        Ok(found) => (found, None),
        Err(e @ Error::Invalid(_)) => (
            services::Page {
                data: Vec::new(),
                next_cursor: None,
            },
            Some(Refusal::of(page.locale, e)?),
        ),
        Err(e) => return Err(e.into()),
    };
    let rows = AuditRows {
        l: page.locale,
        more: found.next_cursor.as_deref().map(|c| f.next_url(c)),
        events: found.data,
        names,
        notice: refusal.as_ref().map(|r| r.message.clone()),
    };
    if page.htmx {
        // htmx swaps only successful answers: the rows say what is wrong instead.
        page.ctx.done();
        return Ok(html(&rows));
    }
    let status = refusal
        .as_ref()
        .map_or(axum::http::StatusCode::OK, Refusal::status);
    let body = AuditPage {
        c: Chrome::new(&page, "audit", "admin-audit-title"),
        f,
        actors,
        actions: action_groups(),
        rows,
        refusal,
    };
    page.ctx.done();
    Ok(html_with(status, &body))
}
