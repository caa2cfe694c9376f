//! Changing clients from the console: new, edit (optimistic concurrency: a stale edit shows
//! who changed what, never a silent overwrite), convert a lead, delete and restore. Each form
//! posts to one service flow, the API's own (`services::clients`).

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use services::clients::{ClientInput, ClientOut};
use services::timeline::EventQuery;
use services::{Expected, Versioned};
use uuid::Uuid;

use crate::form::{fields_by_name, items};
use crate::page::{Page, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html, html_with};

const STATUSES: [&str; 4] = ["lead", "client", "inactive", "lost"];

/// The form's fields as typed (lists one per line or separated by commas).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ClientForm {
    #[serde(default)]
    company_name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    emails: String,
    #[serde(default)]
    phones: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    tax_id: String,
    #[serde(default)]
    tags: String,
    /// The version the form was filled from (edit only).
    version: Option<i32>,
}

/// Blank clears an optional field.
fn optional(text: &str) -> Option<Option<String>> {
    let t = text.trim();
    Some((!t.is_empty()).then(|| t.to_owned()))
}

impl ClientForm {
    fn from_client(c: &ClientOut, version: i32) -> Self {
        Self {
            company_name: c.company_name.clone(),
            status: c.status.clone(),
            emails: c.emails.join(", "),
            phones: c.phones.join(", "),
            sector: c.sector.clone().unwrap_or_default(),
            website: c.website.clone().unwrap_or_default(),
            tax_id: c.tax_id.clone().unwrap_or_default(),
            tags: c.tags.join(", "),
            version: Some(version),
        }
    }

    fn input(&self) -> ClientInput {
        ClientInput {
            company_name: Some(self.company_name.clone()),
            status: Some(self.status.clone()).filter(|s| !s.is_empty()),
            emails: Some(items(&self.emails)),
            phones: Some(items(&self.phones)),
            sector: optional(&self.sector),
            website: optional(&self.website),
            tax_id: optional(&self.tax_id),
            tags: Some(items(&self.tags)),
            ..Default::default()
        }
    }

    /// Each typed field with its value, in the form's order.
    fn values(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("company_name", &self.company_name),
            ("status", &self.status),
            ("emails", &self.emails),
            ("phones", &self.phones),
            ("tax_id", &self.tax_id),
            ("sector", &self.sector),
            ("website", &self.website),
            ("tags", &self.tags),
        ]
    }

    /// The fields whose value differs from the stored client's: (field, mine, current).
    fn differences(&self, current: &ClientOut) -> Vec<(String, String, String)> {
        let theirs = Self::from_client(current, 0);
        self.values()
            .into_iter()
            .zip(theirs.values())
            .filter(|((_, mine), (_, current))| mine.trim() != current.trim())
            .map(|((f, mine), (_, current))| (f.to_owned(), mine.to_owned(), current.to_owned()))
            .collect()
    }
}

#[derive(Template)]
#[template(path = "client_form.html")]
struct ClientFormPage {
    c: Chrome,
    action: String,
    heading: String,
    form: ClientForm,
    errors: BTreeMap<String, String>,
    statuses: Vec<(&'static str, String)>,
    cancel: String,
}

impl ClientFormPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    /// The text inputs: (name, input type, value, full width).
    fn inputs(&self) -> Vec<(&'static str, &'static str, &str, bool)> {
        self.form
            .values()
            .into_iter()
            .filter(|(name, _)| *name != "status")
            .map(|(name, value)| {
                let kind = if name == "website" { "url" } else { "text" };
                let wide = matches!(name, "company_name" | "emails" | "tags");
                (name, kind, value, wide)
            })
            .collect()
    }
}

fn form_page(
    page: &Page,
    action: String,
    heading: &str,
    form: ClientForm,
    cancel: String,
) -> ClientFormPage {
    let locale = page.locale;
    ClientFormPage {
        c: Chrome::new(page, "clients", heading),
        heading: locale.t(heading),
        action,
        form,
        errors: BTreeMap::new(),
        statuses: STATUSES
            .iter()
            .map(|s| (*s, locale.t(&format!("status-{s}"))))
            .collect(),
        cancel,
    }
}

/// `GET /clients/new`
pub async fn new(page: Page) -> PageResult {
    page.require("clients.create").await?;
    let form = ClientForm {
        status: "lead".into(),
        ..Default::default()
    };
    let body = form_page(
        &page,
        "/clients/new".into(),
        "client-new-title",
        form,
        "/clients".into(),
    );
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /clients/new`
pub async fn create(mut page: Page, Form(form): Form<ClientForm>) -> PageResult {
    page.require("clients.create").await?;
    let cipher = page.cipher().await?;
    match services::clients::create(&mut page.ctx, &cipher, form.input()).await {
        Ok(created) => {
            page.ctx.commit().await?;
            Ok(Redirect::to(&format!("/clients/{}", created.value.id)).into_response())
        }
        Err(services::Error::Invalid(fields)) => {
            let mut body = form_page(
                &page,
                "/clients/new".into(),
                "client-new-title",
                form,
                "/clients".into(),
            );
            body.errors = fields_by_name(&fields);
            Ok(html_with(StatusCode::UNPROCESSABLE_ENTITY, &body))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /clients/{id}/edit`
pub async fn edit(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("clients.edit").await?;
    let id = parse_id(&id)?;
    let cipher = page.cipher().await?;
    let Versioned { value, version } = services::clients::get(&mut page.ctx, &cipher, id).await?;
    let form = ClientForm::from_client(&value, version);
    let body = form_page(
        &page,
        format!("/clients/{id}/edit"),
        "client-edit-title",
        form,
        format!("/clients/{id}"),
    );
    page.ctx.done();
    Ok(html(&body))
}

#[derive(Template)]
#[template(path = "client_conflict.html")]
struct ConflictPage {
    c: Chrome,
    id: Uuid,
    form: ClientForm,
    current_version: i32,
    changed_by: String,
    changed_at: Option<chrono::DateTime<chrono::Utc>>,
    differences: Vec<(String, String, String)>,
}

/// `POST /clients/{id}/edit`: applies the change to the version the form was filled from.
pub async fn update(
    mut page: Page,
    Path(id): Path<String>,
    Form(form): Form<ClientForm>,
) -> PageResult {
    page.require("clients.edit").await?;
    let id = parse_id(&id)?;
    let cipher = page.cipher().await?;
    let expected = form
        .version
        .map(|v| Expected::OneOf(vec![v]))
        .unwrap_or_default();
    match services::clients::update(&mut page.ctx, &cipher, id, form.input(), &expected).await {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(Redirect::to(&format!("/clients/{id}")).into_response())
        }
        Err(services::Error::Invalid(fields)) => {
            let mut body = form_page(
                &page,
                format!("/clients/{id}/edit"),
                "client-edit-title",
                form,
                format!("/clients/{id}"),
            );
            body.errors = fields_by_name(&fields);
            Ok(html_with(StatusCode::UNPROCESSABLE_ENTITY, &body))
        }
        Err(services::Error::Stale) => conflict(page, id, form).await,
        Err(e) => Err(e.into()),
    }
}

/// The edit went stale: who changed the client since, and how their values differ from the
/// ones typed; the user applies theirs on top of the current version or drops them.
async fn conflict(mut page: Page, id: Uuid, form: ClientForm) -> PageResult {
    let cipher = page.cipher().await?;
    let current = services::clients::get(&mut page.ctx, &cipher, id).await?;
    let last_change = EventQuery {
        types: Some("client.*".into()),
        limit: Some("1".into()),
        ..Default::default()
    };
    let last = services::timeline::client_events(&mut page.ctx, id, &last_change)
        .await?
        .data
        .into_iter()
        .next();
    let mut changed_by = page.locale.t("client-conflict-someone");
    if let Some(user) = last
        .as_ref()
        .and_then(|e| e.actor_id.as_deref())
        .and_then(|a| Uuid::try_parse(a).ok())
        && let Some(u) = db::users::get(&mut page.ctx.tx, user)
            .await
            .map_err(api::http::ApiError::from)?
    {
        changed_by = u.display_name;
    }
    let body = ConflictPage {
        c: Chrome::new(&page, "clients", "client-conflict-title"),
        id,
        differences: form.differences(&current.value),
        form: ClientForm {
            version: Some(current.version),
            ..form
        },
        current_version: current.version,
        changed_by,
        changed_at: last.map(|e| e.event_date),
    };
    page.ctx.done();
    Ok(html_with(StatusCode::CONFLICT, &body))
}

/// `POST /clients/{id}/convert`: a lead becomes a client.
pub async fn convert(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("clients.edit").await?;
    let id = parse_id(&id)?;
    let cipher = page.cipher().await?;
    services::clients::convert(&mut page.ctx, &cipher, id).await?;
    page.ctx.commit().await?;
    Ok(Redirect::to(&format!("/clients/{id}")).into_response())
}

/// `POST /clients/{id}/delete`: a soft delete, undone by restore.
pub async fn delete(page: Page, Path(id): Path<String>) -> PageResult {
    set_deleted(page, &id, true).await
}

/// `POST /clients/{id}/restore`
pub async fn restore(page: Page, Path(id): Path<String>) -> PageResult {
    set_deleted(page, &id, false).await
}

async fn set_deleted(mut page: Page, id: &str, deleted: bool) -> PageResult {
    page.require("clients.delete").await?;
    let id = parse_id(id)?;
    let cipher = page.cipher().await?;
    services::clients::set_deleted(&mut page.ctx, &cipher, id, deleted, &Expected::Any).await?;
    page.ctx.commit().await?;
    let to = if deleted {
        format!("/clients?deleted={id}")
    } else {
        format!("/clients/{id}")
    };
    Ok(Redirect::to(&to).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_split_on_commas_lines_and_semicolons() {
        assert_eq!(
            items(" a@x.es, b@y.es\nc@z.es;; "),
            vec!["a@x.es", "b@y.es", "c@z.es"]
        );
        assert_eq!(optional("  "), Some(None));
        assert_eq!(optional(" Retail "), Some(Some("Retail".into())));
    }
}
