//! A client's contacts in the console: add, edit (optimistic concurrency: a stale edit shows
//! the current values beside the typed ones) and erase for GDPR after an explicit
//! confirmation. The same service flows and permissions as the JSON API
//! (`api::routes::contacts`). htmx swaps the contacts tab (`#client-contacts`) in place; a
//! browser without it posts the forms and is sent back to the client page (303).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use services::contacts::{ContactInput, ContactOut};
use services::{Expected, PageRequest, Versioned};
use uuid::Uuid;

use crate::form::{fields_by_name, items};
use crate::i18n::Arg;
use crate::page::{Page, PageError, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html_with};
use crate::state::WebState;

/// The contacts routes (each handler checks its own permission).
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/clients/{id}/contacts", get(list).post(add))
        .route(
            "/clients/{id}/contacts/{contact}/edit",
            get(edit).post(update),
        )
        .route(
            "/clients/{id}/contacts/{contact}/erase",
            get(confirm_erase).post(erase),
        )
}

/// The contact form's fields as typed (e-mails and phones separated by commas).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub emails: String,
    #[serde(default)]
    pub phones: String,
    /// The version the edit form was filled from.
    pub version: Option<i32>,
}

impl ContactForm {
    fn of(contact: &ContactOut, version: i32) -> Self {
        Self {
            name: contact.name.clone(),
            role: contact.role.clone().unwrap_or_default(),
            emails: contact.emails.join(", "),
            phones: contact.phones.join(", "),
            version: Some(version),
        }
    }

    /// Every field is sent: a blank role clears it, blank lists empty them.
    fn input(&self) -> ContactInput {
        ContactInput {
            name: Some(self.name.clone()),
            role: Some(self.role.clone()),
            emails: Some(items(&self.emails)),
            phones: Some(items(&self.phones)),
        }
    }

    /// Each field with its value, in the form's order.
    pub fn values(&self) -> [(&'static str, &str); 4] {
        [
            ("name", &self.name),
            ("role", &self.role),
            ("emails", &self.emails),
            ("phones", &self.phones),
        ]
    }

    /// The stored values that differ from the typed ones, by field.
    fn differences(&self, current: &ContactOut) -> BTreeMap<String, String> {
        let theirs = Self::of(current, 0);
        self.values()
            .into_iter()
            .zip(theirs.values())
            .filter(|((_, mine), (_, stored))| mine.trim() != stored.trim())
            .map(|((field, _), (_, stored))| (field.to_owned(), stored.to_owned()))
            .collect()
    }
}

/// What the contacts tab shows besides the list: the add form, or one contact's edit form or
/// erase confirmation in its row, with the problems of the last attempt and a notice of the
/// last change. `Step::default()` is the plain list with an empty add form (what the client
/// page includes).
#[derive(Debug, Default)]
pub struct Step {
    /// The contact whose edit form shows in its row (no add form meanwhile).
    pub editing: Option<Uuid>,
    /// The contact whose erasure awaits confirmation in its row.
    pub erasing: Option<Uuid>,
    /// The values of the add or edit form.
    pub form: ContactForm,
    /// Each field's problems (`confirm` for the erase confirmation).
    pub errors: BTreeMap<String, String>,
    /// The edit went stale: the current stored values that differ from the typed ones.
    pub stale: Option<BTreeMap<String, String>>,
    /// What just changed, announced to screen readers.
    pub notice: Option<String>,
    /// A page of its own (no JavaScript) rather than a swap of `#client-contacts`.
    pub standalone: bool,
}

impl Step {
    pub fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    /// Whether the add or edit form was refused (not the erase confirmation).
    pub fn form_refused(&self) -> bool {
        self.erasing.is_none() && !self.errors.is_empty()
    }

    /// The stored value of `field` when an edit went stale and it differs from the typed one.
    pub fn current(&self, field: &str) -> Option<&String> {
        self.stale.as_ref()?.get(field)
    }

    pub fn is_editing(&self, contact: &Uuid) -> bool {
        self.editing.as_ref() == Some(contact)
    }

    pub fn is_erasing(&self, contact: &Uuid) -> bool {
        self.erasing.as_ref() == Some(contact)
    }

    /// Where the form posts: the edited contact, or a new one of `client`.
    pub fn action(&self, client: &Uuid) -> String {
        match self.editing {
            Some(contact) => format!("/clients/{client}/contacts/{contact}/edit"),
            None => format!("/clients/{client}/contacts"),
        }
    }

    /// The prefix of the form's element ids (both forms never show at once).
    pub fn prefix(&self) -> &'static str {
        if self.editing.is_some() {
            "contact-edit"
        } else {
            "contact-new"
        }
    }

    /// The ids describing a field's input: its problem and its current value.
    pub fn described_by(&self, field: &str) -> String {
        let prefix = self.prefix();
        let mut ids = Vec::new();
        if self.error(field).is_some() {
            ids.push(format!("{prefix}-{field}-error"));
        }
        if self.current(field).is_some() {
            ids.push(format!("{prefix}-{field}-current"));
        }
        ids.join(" ")
    }
}

/// The client a contacts template links back to.
pub struct ClientRef {
    pub id: Uuid,
}

/// The contacts tab (`#client-contacts`), the fragment htmx swaps in.
#[derive(Template)]
#[template(path = "client_contacts.html")]
struct ContactsPart {
    c: Chrome,
    client: ClientRef,
    contacts: Vec<ContactOut>,
    can_edit: bool,
    can_delete: bool,
    step: Step,
}

/// A contact form or erase confirmation as a page of its own, for a browser without htmx.
#[derive(Template)]
#[template(path = "client_contacts_page.html")]
struct ContactPage {
    c: Chrome,
    client: ClientRef,
    heading: String,
    /// The contact to erase (an erase confirmation) or none (a contact form).
    contact: Option<ContactOut>,
    step: Step,
}

/// The client and contact ids of a path; anything malformed is not found.
fn ids(client: &str, contact: &str) -> Result<(Uuid, Uuid), PageError> {
    Ok((parse_id(client)?, parse_id(contact)?))
}

/// Most contacts a client page shows: every one a real company has.
const CONTACTS_SHOWN: u32 = 1_000;

/// The contacts of `client` a page shows, oldest first.
pub async fn of_client(page: &mut Page, client: Uuid) -> Result<Vec<ContactOut>, PageError> {
    let cipher = page.cipher().await?;
    let all = PageRequest {
        limit: CONTACTS_SHOWN,
        after: None,
    };
    Ok(
        services::contacts::list(&mut page.ctx, &cipher, client, &all)
            .await?
            .data,
    )
}

/// The contacts tab of `client` as it is now in the request's transaction.
async fn part(page: &mut Page, client: Uuid, step: Step) -> Result<ContactsPart, PageError> {
    let contacts = of_client(page, client).await?;
    Ok(ContactsPart {
        c: Chrome::new(page, "clients", "client-title"),
        client: ClientRef { id: client },
        contacts,
        can_edit: page.can("clients.edit"),
        can_delete: page.can("clients.delete"),
        step,
    })
}

/// A change was made: htmx gets the contacts tab as changed, a browser a 303 to the client.
async fn changed(mut page: Page, client: Uuid, notice: String) -> PageResult {
    if !page.htmx {
        page.ctx.commit().await?;
        return Ok(Redirect::to(&format!("/clients/{client}")).into_response());
    }
    let step = Step {
        notice: Some(notice),
        ..Default::default()
    };
    let body = part(&mut page, client, step).await?;
    page.ctx.commit().await?;
    Ok(html_with(StatusCode::OK, &body))
}

/// Shows a step (a form, a confirmation, their problems): in the contacts tab for htmx, as a
/// page of its own otherwise.
async fn show(
    mut page: Page,
    client: Uuid,
    contact: Option<ContactOut>,
    mut step: Step,
    status: StatusCode,
) -> PageResult {
    if page.htmx {
        let body = part(&mut page, client, step).await?;
        page.ctx.done();
        return Ok(html_with(status, &body));
    }
    step.standalone = true;
    let title = match (&contact, step.editing) {
        (Some(_), _) => "contact-erase-title",
        (None, Some(_)) => "contact-edit-title",
        (None, None) => "contact-add-heading",
    };
    let body = ContactPage {
        c: Chrome::new(&page, "clients", title),
        client: ClientRef { id: client },
        heading: page.locale.t(title),
        contact,
        step,
    };
    page.ctx.done();
    Ok(html_with(status, &body))
}

/// `GET /clients/{id}/contacts`: the contacts tab (htmx, e.g. a cancelled form); a browser
/// goes to the client page.
async fn list(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("clients.view").await?;
    let id = parse_id(&id)?;
    if !page.htmx {
        page.ctx.done();
        return Ok(Redirect::to(&format!("/clients/{id}")).into_response());
    }
    let body = part(&mut page, id, Step::default()).await?;
    page.ctx.done();
    Ok(html_with(StatusCode::OK, &body))
}

/// `POST /clients/{id}/contacts`: adds a contact.
async fn add(mut page: Page, Path(id): Path<String>, Form(form): Form<ContactForm>) -> PageResult {
    page.require("clients.edit").await?;
    let id = parse_id(&id)?;
    let cipher = page.cipher().await?;
    match services::contacts::create(&mut page.ctx, &cipher, id, form.input()).await {
        Ok(created) => {
            let notice = page
                .locale
                .t_with("contact-added", &[("name", Arg::Text(created.value.name))]);
            changed(page, id, notice).await
        }
        Err(services::Error::Invalid(fields)) => {
            let step = Step {
                form,
                errors: fields_by_name(&fields),
                ..Default::default()
            };
            show(page, id, None, step, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /clients/{id}/contacts/{contact}/edit`: the contact's values in a form.
async fn edit(mut page: Page, Path((id, contact)): Path<(String, String)>) -> PageResult {
    page.require("clients.edit").await?;
    let (id, contact) = ids(&id, &contact)?;
    let cipher = page.cipher().await?;
    let Versioned { value, version } =
        services::contacts::get(&mut page.ctx, &cipher, id, contact).await?;
    let step = Step {
        editing: Some(contact),
        form: ContactForm::of(&value, version),
        ..Default::default()
    };
    show(page, id, None, step, StatusCode::OK).await
}

/// `POST /clients/{id}/contacts/{contact}/edit`: applies the change to the version the form
/// was filled from; a stale one shows the form again with the current values beside.
async fn update(
    mut page: Page,
    Path((id, contact)): Path<(String, String)>,
    Form(form): Form<ContactForm>,
) -> PageResult {
    page.require("clients.edit").await?;
    let (id, contact) = ids(&id, &contact)?;
    let cipher = page.cipher().await?;
    let expected = form
        .version
        .map(|v| Expected::OneOf(vec![v]))
        .unwrap_or_default();
    let input = form.input();
    match services::contacts::update(&mut page.ctx, &cipher, id, contact, &expected, input).await {
        Ok(saved) => {
            let notice = page
                .locale
                .t_with("contact-updated", &[("name", Arg::Text(saved.value.name))]);
            changed(page, id, notice).await
        }
        Err(services::Error::Invalid(fields)) => {
            let step = Step {
                editing: Some(contact),
                form,
                errors: fields_by_name(&fields),
                ..Default::default()
            };
            show(page, id, None, step, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(services::Error::Stale) => {
            let current = services::contacts::get(&mut page.ctx, &cipher, id, contact).await?;
            let step = Step {
                editing: Some(contact),
                stale: Some(form.differences(&current.value)),
                form: ContactForm {
                    version: Some(current.version),
                    ..form
                },
                ..Default::default()
            };
            show(page, id, None, step, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The erase confirmation as posted: the box ticked or not.
#[derive(Debug, Default, Deserialize)]
pub struct EraseForm {
    confirm: Option<String>,
}

/// `GET /clients/{id}/contacts/{contact}/erase`: what erasing means, and a box to tick.
async fn confirm_erase(mut page: Page, Path((id, contact)): Path<(String, String)>) -> PageResult {
    page.require("clients.delete").await?;
    let (id, contact) = ids(&id, &contact)?;
    let cipher = page.cipher().await?;
    let found = services::contacts::get(&mut page.ctx, &cipher, id, contact).await?;
    let step = Step {
        erasing: Some(contact),
        ..Default::default()
    };
    show(page, id, Some(found.value), step, StatusCode::OK).await
}

/// `POST /clients/{id}/contacts/{contact}/erase`: erases the person's data once confirmed.
async fn erase(
    mut page: Page,
    Path((id, contact)): Path<(String, String)>,
    Form(confirmation): Form<EraseForm>,
) -> PageResult {
    page.require("clients.delete").await?;
    let (id, contact) = ids(&id, &contact)?;
    let cipher = page.cipher().await?;
    // The erasure goes by the contact alone: it must be one of this client's.
    let found = services::contacts::get(&mut page.ctx, &cipher, id, contact).await?;
    if confirmation.confirm.as_deref() != Some("yes") {
        let step = Step {
            erasing: Some(contact),
            errors: BTreeMap::from([(
                "confirm".to_owned(),
                page.locale.t("contact-erase-confirm-required"),
            )]),
            ..Default::default()
        };
        return show(
            page,
            id,
            Some(found.value),
            step,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    services::contacts::erase(&mut page.ctx, contact).await?;
    let notice = page.locale.t("contact-erased-notice");
    changed(page, id, notice).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact() -> ContactOut {
        let now = chrono::Utc::now();
        ContactOut {
            id: Uuid::now_v7(),
            client_id: Uuid::now_v7(),
            name: "Ana Ruiz".into(),
            role: Some("Compras".into()),
            emails: vec!["ana@ruiz.example".into(), "a@r.example".into()],
            phones: vec![],
            created_at: now,
            updated_at: now,
            erased_at: None,
        }
    }

    #[test]
    fn the_form_sends_every_field_so_blanks_clear() {
        let form = ContactForm {
            name: " Ana ".into(),
            emails: "a@x.es; b@y.es,\n".into(),
            ..Default::default()
        };
        let input = form.input();
        assert_eq!(input.name.as_deref(), Some(" Ana "));
        assert_eq!(input.role.as_deref(), Some(""));
        assert_eq!(input.emails, Some(vec!["a@x.es".into(), "b@y.es".into()]));
        assert_eq!(input.phones, Some(vec![]));
    }

    #[test]
    fn a_stale_edit_lists_only_the_fields_that_differ() {
        let stored = contact();
        let mut mine = ContactForm::of(&stored, 3);
        mine.role = "Dirección".into();
        mine.emails = " ana@ruiz.example, a@r.example ".into();
        let differences = mine.differences(&stored);
        assert_eq!(
            differences,
            BTreeMap::from([("role".to_owned(), "Compras".to_owned())])
        );
    }

    #[test]
    fn the_form_posts_to_the_contact_it_edits() {
        let client = Uuid::now_v7();
        let contact = Uuid::now_v7();
        let adding = Step::default();
        assert_eq!(
            adding.action(&client),
            format!("/clients/{client}/contacts")
        );
        assert_eq!(adding.prefix(), "contact-new");
        let editing = Step {
            editing: Some(contact),
            errors: BTreeMap::from([("name".to_owned(), "is required".to_owned())]),
            stale: Some(BTreeMap::from([("name".to_owned(), "Ana".to_owned())])),
            ..Default::default()
        };
        assert_eq!(
            editing.action(&client),
            format!("/clients/{client}/contacts/{contact}/edit")
        );
        assert!(editing.is_editing(&contact) && !editing.is_erasing(&contact));
        assert_eq!(
            editing.described_by("name"),
            "contact-edit-name-error contact-edit-name-current"
        );
        assert_eq!(editing.described_by("role"), "");
        assert!(editing.form_refused());
        let erasing = Step {
            erasing: Some(contact),
            errors: BTreeMap::from([("confirm".to_owned(), "tick it".to_owned())]),
            ..Default::default()
        };
        assert!(!erasing.form_refused(), "the add form shows no alert");
    }
}
