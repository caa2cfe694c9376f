//! `/tickets/new`: opening a ticket for a client (chosen from a searchable list, or given by
//! `?client_id=` from the client's page), with its contact, category, title, description and
//! a priority given with its reason or left to the automatic rules. The one service flow is
//! the API's own (`services::tickets::create`); a refused form comes back with each field's
//! problem next to it (422).

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use services::clients::ClientQuery;
use services::tickets::NewTicket;
use uuid::Uuid;

use super::tickets_view::priorities;
use crate::form::fields_by_name;
use crate::page::{Page, PageError, PageResult};
use crate::render::{Chrome, html, html_with};

/// Most clients the list offers at first (the API's largest page); the select searches them.
const CLIENTS_OFFERED: &str = "100";

/// The form as typed; blank means none.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct TicketForm {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    category_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    /// Blank: the automatic rules decide.
    #[serde(default)]
    priority: String,
    #[serde(default)]
    priority_reason: String,
    #[serde(default)]
    assignee_id: String,
}

/// A blank or malformed id is none.
fn id(raw: &str) -> Option<Uuid> {
    Uuid::try_parse(raw.trim()).ok()
}

fn text(raw: &str) -> Option<String> {
    Some(raw.trim().to_owned()).filter(|t| !t.is_empty())
}

impl TicketForm {
    /// The service's input. No client chosen is the nil id, which the service refuses at
    /// `/client_id` together with every other field's problem.
    fn input(&self) -> NewTicket {
        NewTicket {
            client_id: id(&self.client_id).unwrap_or_else(Uuid::nil),
            contact_id: id(&self.contact_id),
            category_id: id(&self.category_id),
            title: self.title.clone(),
            description: text(&self.description),
            priority: text(&self.priority),
            priority_reason: text(&self.priority_reason),
            assignee_id: id(&self.assignee_id),
            team: None,
        }
    }
}

/// One option of a select: value, label, chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices(options: Vec<(Uuid, String)>, chosen: &str) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(id, label)| Choice {
            selected: id.to_string() == chosen.trim(),
            value: id.to_string(),
            label,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "ticket_new.html")]
struct NewTicketPage {
    c: Chrome,
    form: TicketForm,
    clients: Vec<Choice>,
    contacts: ContactOptions,
    categories: Vec<Choice>,
    assignees: Vec<Choice>,
    priorities: Vec<(&'static str, String)>,
    errors: BTreeMap<String, String>,
}

impl NewTicketPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// The contact options of the chosen client (the fragment the client select asks for).
#[derive(Template)]
#[template(path = "ticket_contacts.html")]
struct ContactOptions {
    none: String,
    contacts: Vec<Choice>,
}

/// The contacts of `client` (not erased) as options, `chosen` selected.
async fn contact_options(
    page: &mut Page,
    client: Option<Uuid>,
    chosen: &str,
) -> Result<ContactOptions, PageError> {
    let contacts = match client {
        Some(client) => super::contacts::of_client(page, client)
            .await?
            .into_iter()
            .filter(|c| c.erased_at.is_none())
            .map(|c| (c.id, c.name))
            .collect(),
        None => Vec::new(),
    };
    Ok(ContactOptions {
        none: page.locale.t("ticket-field-no-contact"),
        contacts: choices(contacts, chosen),
    })
}

/// The first clients by name, and the chosen one when it is not among them.
pub(super) async fn client_choices(
    page: &mut Page,
    chosen: Option<Uuid>,
) -> Result<Vec<Choice>, PageError> {
    let cipher = page.cipher().await?;
    let q = ClientQuery {
        sort: Some("name".into()),
        limit: Some(CLIENTS_OFFERED.into()),
        ..ClientQuery::default()
    };
    let (filter, request) = q.parse()?;
    let mut clients: Vec<(Uuid, String)> =
        services::clients::list(&mut page.ctx, &cipher, &filter, &request)
            .await?
            .data
            .into_iter()
            .map(|c| (c.id, c.company_name))
            .collect();
    if let Some(id) = chosen
        && !clients.iter().any(|(c, _)| *c == id)
    {
        let client = services::clients::get(&mut page.ctx, &cipher, id).await?;
        clients.insert(0, (id, client.value.company_name));
    }
    let chosen = chosen.map(|c| c.to_string()).unwrap_or_default();
    Ok(choices(clients, &chosen))
}

/// The form page with `form`'s values.
async fn form_page(page: &mut Page, form: TicketForm) -> Result<NewTicketPage, PageError> {
    let client = id(&form.client_id);
    let clients = client_choices(page, client).await?;
    let contacts = contact_options(page, client, &form.contact_id).await?;
    let categories = services::tickets::categories::list(&mut page.ctx)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let assignees = services::users::owners(&mut page.ctx).await?;
    Ok(NewTicketPage {
        c: Chrome::new(page, "tickets", "ticket-new-title"),
        clients,
        contacts,
        categories: choices(categories, &form.category_id),
        assignees: choices(assignees, &form.assignee_id),
        priorities: priorities(page.locale),
        errors: BTreeMap::new(),
        form,
    })
}

/// What `/tickets/new` may be given.
#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    client_id: Option<String>,
}

/// `GET /tickets/new` (`?client_id=`: for that client).
pub async fn new(mut page: Page, Query(q): Query<NewQuery>) -> PageResult {
    page.require("tickets.create").await?;
    let form = TicketForm {
        client_id: q.client_id.unwrap_or_default(),
        ..TicketForm::default()
    };
    let body = form_page(&mut page, form).await?;
    page.ctx.done();
    Ok(html(&body))
}

/// `GET /tickets/new/contacts?client_id=`: the contact options of a client (htmx, when the
/// client chosen changes).
pub async fn contacts(mut page: Page, Query(q): Query<NewQuery>) -> PageResult {
    page.require("tickets.create").await?;
    let client = q.client_id.as_deref().and_then(id);
    let body = contact_options(&mut page, client, "").await?;
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /tickets/new`: opens the ticket, then shows it.
pub async fn create(mut page: Page, Form(form): Form<TicketForm>) -> PageResult {
    page.require("tickets.create").await?;
    match services::tickets::create(&mut page.ctx, form.input()).await {
        Ok(created) => {
            page.ctx.commit().await?;
            Ok(Redirect::to(&format!("/tickets/{}", created.value.id)).into_response())
        }
        Err(services::Error::Invalid(fields)) => {
            let mut body = form_page(&mut page, form).await?;
            body.errors = fields_by_name(&fields);
            page.ctx.done();
            Ok(html_with(StatusCode::UNPROCESSABLE_ENTITY, &body))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_are_none_and_no_client_is_refused_by_the_service() {
        let form = TicketForm {
            title: "Printer jammed".into(),
            priority: " ".into(),
            contact_id: "not-an-id".into(),
            ..TicketForm::default()
        };
        let input = form.input();
        assert_eq!(input.client_id, Uuid::nil());
        assert_eq!(input.contact_id, None);
        assert_eq!(input.priority, None);
        assert_eq!(input.description, None);
    }
}
