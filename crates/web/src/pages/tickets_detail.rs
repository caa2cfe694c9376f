//! `/tickets/{id}`: a ticket with its thread (public replies, internal notes and the
//! customer's messages, told apart), the reply form, the change form (status with its reason,
//! priority with its reason, assignee) at the version shown (a stale change shows what differs,
//! never a silent overwrite), and the SLA panel (each target: due, business time left, met or
//! breached). The same service flows as the API (`services::tickets`).

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::{DateTime, Utc};
use domain::tickets::TicketStatus;
use serde::Deserialize;
use services::tickets::{CommentInput, PauseOut, TicketOut, TicketPatch};
use services::{Expected, PageRequest, Versioned};
use uuid::Uuid;

use super::tickets::{QueueRow, queue_rows};
use super::tickets_new::Choice;
use super::tickets_view::{TargetRow, priorities, priority_label, status_label, target_rows};
use crate::form::fields_by_name;
use crate::page::{Page, PageError, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html_with};

/// Most comments a ticket page shows: every one a real thread has.
const THREAD_SHOWN: u32 = 1_000;

/// The change form as typed: the ticket's values when first shown.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    status_reason: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    priority_reason: String,
    /// Blank: unassigned.
    #[serde(default)]
    assignee_id: String,
    /// The version the form was filled from.
    version: Option<i32>,
}

fn text(raw: &str) -> Option<String> {
    Some(raw.trim().to_owned()).filter(|t| !t.is_empty())
}

impl ChangeForm {
    fn of(t: &TicketOut, version: i32) -> Self {
        Self {
            status: t.status.clone(),
            priority: t.priority.clone(),
            assignee_id: t.assignee_id.map(|a| a.to_string()).unwrap_or_default(),
            version: Some(version),
            ..Self::default()
        }
    }

    /// The change asked for: status, priority and assignee as chosen, reasons when typed.
    fn patch(&self) -> TicketPatch {
        TicketPatch {
            status: text(&self.status),
            status_reason: text(&self.status_reason),
            priority: text(&self.priority),
            priority_reason: text(&self.priority_reason),
            assignee_id: Some(Uuid::try_parse(self.assignee_id.trim()).ok()),
            ..TicketPatch::default()
        }
    }

    /// The fields whose chosen value differs from the ticket's: (field, mine, current).
    fn differences(&self, current: &TicketOut) -> Vec<(&'static str, String, String)> {
        let theirs = Self::of(current, 0);
        [
            ("status", &self.status, &theirs.status),
            ("priority", &self.priority, &theirs.priority),
            ("assignee_id", &self.assignee_id, &theirs.assignee_id),
        ]
        .into_iter()
        .filter(|(_, mine, current)| mine.trim() != current.trim())
        .map(|(f, mine, current)| (f, mine.clone(), current.clone()))
        .collect()
    }

    /// Each field with its value, as the conflict page posts them again.
    fn values(&self) -> [(&'static str, &str); 5] {
        [
            ("status", &self.status),
            ("status_reason", &self.status_reason),
            ("priority", &self.priority),
            ("priority_reason", &self.priority_reason),
            ("assignee_id", &self.assignee_id),
        ]
    }
}

/// The reply form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    body: String,
    /// `public` (a reply the client sees) or `note` (internal).
    #[serde(default)]
    kind: String,
}

impl ReplyForm {
    fn is_note(&self) -> bool {
        self.kind == "note"
    }
}

/// One message of the thread.
pub struct ThreadItem {
    pub id: Uuid,
    /// `public`, `note` or `customer`.
    pub kind: &'static str,
    pub kind_label: String,
    pub author: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

/// A pause of the SLA clock, as the panel lists it.
pub struct PauseRow {
    pub reason: String,
    pub note: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    c: Chrome,
    ticket: TicketOut,
    /// The queue's view of the ticket: names, labels, countdown, risk.
    t: QueueRow,
    contact: Option<String>,
    category: Option<String>,
    targets: Vec<TargetRow>,
    pauses: Vec<PauseRow>,
    thread: Vec<ThreadItem>,
    can_reply: bool,
    can_edit: bool,
    reply: ReplyForm,
    change: ChangeForm,
    statuses: Vec<(&'static str, String)>,
    priorities: Vec<(&'static str, String)>,
    assignees: Vec<Choice>,
    /// Problems of the reply form and of the change form.
    reply_errors: BTreeMap<String, String>,
    change_errors: BTreeMap<String, String>,
    notice: Option<String>,
}

impl TicketPage {
    fn reply_error(&self, field: &str) -> Option<&String> {
        self.reply_errors.get(field)
    }

    fn change_error(&self, field: &str) -> Option<&String> {
        self.change_errors.get(field)
    }
}

/// What the page says about the last change.
#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

/// The statuses the ticket may move to from `current` (itself included), as the domain allows.
fn reachable(page: &Page, current: &str) -> Vec<(&'static str, String)> {
    let Ok(from) = TicketStatus::parse(current) else {
        return Vec::new();
    };
    TicketStatus::ALL
        .into_iter()
        .filter(|to| TicketStatus::can_change(from, *to).is_ok())
        .map(|s| (s.as_str(), status_label(page.locale, s.as_str())))
        .collect()
}

/// The thread of a ticket, with its authors' names.
async fn thread(
    page: &mut Page,
    ticket: &TicketOut,
    contact: Option<&str>,
    users: &HashMap<Uuid, String>,
) -> Result<Vec<ThreadItem>, PageError> {
    let all = PageRequest {
        limit: THREAD_SHOWN,
        after: None,
    };
    let comments = services::tickets::comments::list(&mut page.ctx, ticket.id, &all).await?;
    let locale = page.locale;
    Ok(comments
        .data
        .into_iter()
        .map(|c| {
            let (kind, label) = match (c.author_kind.as_str(), c.public) {
                ("customer", _) => ("customer", "ticket-customer-message"),
                (_, true) => ("public", "ticket-public-reply"),
                _ => ("note", "ticket-internal-note"),
            };
            let author = match kind {
                "customer" => contact.map_or_else(|| locale.t(label), str::to_owned),
                _ => c
                    .author_id
                    .and_then(|a| users.get(&a).cloned())
                    .unwrap_or_else(|| locale.t("ticket-agent")),
            };
            ThreadItem {
                id: c.id,
                kind,
                kind_label: locale.t(label),
                author,
                body: c.body,
                at: c.created_at,
            }
        })
        .collect())
}

/// The page of a ticket as it now stands, with the forms as given.
async fn ticket_page(
    page: &mut Page,
    found: Versioned<TicketOut>,
    reply: ReplyForm,
    change: Option<ChangeForm>,
) -> Result<TicketPage, PageError> {
    let Versioned {
        value: ticket,
        version,
    } = found;
    let locale = page.locale;
    let t = queue_rows(page, vec![ticket.clone()])
        .await?
        .pop()
        .ok_or(services::Error::NotFound)?;
    let contact = match ticket.contact_id {
        Some(contact) => {
            let cipher = page.cipher().await?;
            let c =
                services::contacts::get(&mut page.ctx, &cipher, ticket.client_id, contact).await?;
            Some(c.value.name)
        }
        None => None,
    };
    let category = match ticket.category_id {
        Some(id) => Some(
            services::tickets::categories::get(&mut page.ctx, id)
                .await?
                .value
                .name,
        ),
        None => None,
    };
    let owners = services::users::owners(&mut page.ctx).await?;
    let users: HashMap<Uuid, String> = owners.iter().cloned().collect();
    let thread = thread(page, &ticket, contact.as_deref(), &users).await?;
    let change = change.unwrap_or_else(|| ChangeForm::of(&ticket, version));
    let mut assignees: Vec<Choice> = owners
        .into_iter()
        .map(|(id, name)| Choice {
            selected: id.to_string() == change.assignee_id,
            value: id.to_string(),
            label: name,
        })
        .collect();
    // A disabled assignee is not offered, yet stays chosen unless someone changes it.
    if !change.assignee_id.is_empty() && !assignees.iter().any(|a| a.selected) {
        assignees.insert(
            0,
            Choice {
                value: change.assignee_id.clone(),
                label: t
                    .assignee
                    .clone()
                    .unwrap_or_else(|| locale.t("ticket-agent")),
                selected: true,
            },
        );
    }
    Ok(TicketPage {
        c: Chrome::new(page, "tickets", "ticket-title"),
        targets: target_rows(locale, &ticket.sla),
        pauses: ticket
            .pauses
            .iter()
            .map(|p: &PauseOut| PauseRow {
                reason: status_label(locale, &p.reason),
                note: p.note.clone(),
                started_at: p.started_at,
                ended_at: p.ended_at,
            })
            .collect(),
        statuses: reachable(page, &ticket.status),
        priorities: priorities(locale),
        can_reply: page.can("tickets.create"),
        can_edit: page.can("tickets.edit"),
        t,
        contact,
        category,
        thread,
        reply,
        change,
        assignees,
        reply_errors: BTreeMap::new(),
        change_errors: BTreeMap::new(),
        notice: None,
        ticket,
    })
}

/// `GET /tickets/{id}`
pub async fn show(
    mut page: Page,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> PageResult {
    page.require("tickets.view").await?;
    let id = parse_id(&id)?;
    let found = services::tickets::get(&mut page.ctx, id).await?;
    let mut body = ticket_page(&mut page, found, ReplyForm::default(), None).await?;
    body.notice = match notice.notice.as_deref() {
        Some("reply") => Some(page.locale.t("ticket-reply-sent")),
        Some("note") => Some(page.locale.t("ticket-note-sent")),
        Some("saved") => Some(page.locale.t("ticket-changed")),
        _ => None,
    };
    page.ctx.done();
    Ok(html_with(StatusCode::OK, &body))
}

fn see(id: Uuid, notice: &str) -> axum::response::Response {
    Redirect::to(&format!("/tickets/{id}?notice={notice}")).into_response()
}

/// `POST /tickets/{id}/comments`: a public reply or an internal note.
pub async fn comment(
    mut page: Page,
    Path(id): Path<String>,
    Form(reply): Form<ReplyForm>,
) -> PageResult {
    page.require("tickets.create").await?;
    let id = parse_id(&id)?;
    let input = CommentInput {
        body: reply.body.clone(),
        public: !reply.is_note(),
        author_kind: None,
    };
    match services::tickets::comments::add(&mut page.ctx, id, input).await {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(see(id, if reply.is_note() { "note" } else { "reply" }))
        }
        Err(services::Error::Invalid(fields)) => {
            let found = services::tickets::get(&mut page.ctx, id).await?;
            let mut body = ticket_page(&mut page, found, reply, None).await?;
            body.reply_errors = fields_by_name(&fields);
            page.ctx.done();
            Ok(html_with(StatusCode::UNPROCESSABLE_ENTITY, &body))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /tickets/{id}`: status, priority and assignee, at the version the form was filled
/// from.
pub async fn update(
    mut page: Page,
    Path(id): Path<String>,
    Form(form): Form<ChangeForm>,
) -> PageResult {
    page.require("tickets.edit").await?;
    let id = parse_id(&id)?;
    let expected = form
        .version
        .map(|v| Expected::OneOf(vec![v]))
        .unwrap_or_default();
    match services::tickets::update(&mut page.ctx, id, form.patch(), &expected).await {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(see(id, "saved"))
        }
        Err(services::Error::Invalid(fields)) => {
            let found = services::tickets::get(&mut page.ctx, id).await?;
            let mut body = ticket_page(&mut page, found, ReplyForm::default(), Some(form)).await?;
            body.change_errors = fields_by_name(&fields);
            page.ctx.done();
            Ok(html_with(StatusCode::UNPROCESSABLE_ENTITY, &body))
        }
        Err(services::Error::Stale) => conflict(page, id, form).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "ticket_conflict.html")]
struct ConflictPage {
    c: Chrome,
    id: Uuid,
    title: String,
    form: ChangeForm,
    current_version: i32,
    changed_at: DateTime<Utc>,
    /// (field label, mine, current), in words.
    differences: Vec<(String, String, String)>,
}

/// The change went stale: how the values chosen differ from the current ones; the user
/// applies theirs on top of the current version or keeps it.
async fn conflict(mut page: Page, id: Uuid, form: ChangeForm) -> PageResult {
    let current = services::tickets::get(&mut page.ctx, id).await?;
    let users: HashMap<String, String> = services::users::owners(&mut page.ctx)
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    let locale = page.locale;
    let words = |field: &str, value: &str| match field {
        "status" => status_label(locale, value),
        "priority" => priority_label(locale, value),
        _ => users
            .get(value)
            .cloned()
            .unwrap_or_else(|| locale.t("tickets-unassigned")),
    };
    let differences = form
        .differences(&current.value)
        .into_iter()
        .map(|(field, mine, theirs)| {
            let label = match field {
                "status" => "ticket-field-status",
                "priority" => "ticket-field-priority",
                _ => "ticket-field-assignee",
            };
            (locale.t(label), words(field, &mine), words(field, &theirs))
        })
        .collect();
    let body = ConflictPage {
        c: Chrome::new(&page, "tickets", "ticket-conflict-title"),
        id,
        title: current.value.title.clone(),
        form: ChangeForm {
            version: Some(current.version),
            ..form
        },
        current_version: current.version,
        changed_at: current.value.updated_at,
        differences,
    };
    page.ctx.done();
    Ok(html_with(StatusCode::CONFLICT, &body))
}
