//! `/templates`: the tenant's message templates, and the editor of one (name, channel, subject
//! for an e-mail, body, and for WhatsApp the approved template it stands for), with the
//! variables the tenant's templates may use, each inserted at the cursor by a click. Reading
//! needs `communications.view`, writing `communications.templates`, as in the API; the same
//! service flows (`services::communications::templates`), so an unknown variable is refused
//! next to the subject or body it is in.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use services::communications::templates::{TemplateInput, TemplateOut};
use services::{Expected, Versioned};
use uuid::Uuid;

use super::communications_view::{channel_icon, message_channels};
use crate::form::{Refusal, field_error};
use crate::page::{Page, PageError, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html, html_with};

/// The editor's form as typed (the template's values when first shown).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    provider_name: String,
    #[serde(default)]
    provider_language: String,
    /// The version the form was filled from.
    #[serde(default)]
    version: String,
}

impl TemplateForm {
    fn of(t: &TemplateOut, version: i32) -> Self {
        Self {
            name: t.name.clone(),
            channel: t.channel.clone(),
            subject: t.subject.clone(),
            body: t.body.clone(),
            provider_name: t.provider_name.clone().unwrap_or_default(),
            provider_language: t.provider_language.clone().unwrap_or_default(),
            version: version.to_string(),
        }
    }

    fn empty() -> Self {
        Self {
            channel: "email".into(),
            ..Self::default()
        }
    }

    /// Every member is sent: a blank subject or approved template clears it.
    fn input(&self) -> TemplateInput {
        TemplateInput {
            name: Some(self.name.clone()),
            channel: Some(self.channel.trim().to_owned()),
            subject: Some(self.subject.clone()),
            body: Some(self.body.clone()),
            provider_name: Some(self.provider_name.clone()),
            provider_language: Some(self.provider_language.clone()),
        }
    }

    /// The version the form was filled in at; a form without one matches no version.
    fn expected(&self) -> Expected {
        Expected::OneOf(self.version.trim().parse().into_iter().collect())
    }
}

/// A template as the list shows it.
pub struct TemplateRow {
    id: Uuid,
    name: String,
    channel_icon: &'static str,
    channel_label: String,
    subject: String,
    variables: Vec<String>,
    provider_name: Option<String>,
    updated_at: DateTime<Utc>,
}

#[derive(Template)]
#[template(path = "message_templates.html")]
struct TemplatesPage {
    c: Chrome,
    templates: Vec<TemplateRow>,
    can_write: bool,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "message_template.html")]
struct TemplatePage {
    c: Chrome,
    /// None while creating.
    id: Option<Uuid>,
    form: TemplateForm,
    channels: Vec<(&'static str, String)>,
    /// The variables the tenant's templates may use: `(name, placeholder)`.
    variables: Vec<(String, String)>,
    can_write: bool,
    refusal: Option<Refusal>,
    notice: Option<String>,
}

impl TemplatePage {
    fn error(&self, pointer: &str) -> Option<String> {
        field_error(&self.refusal, pointer)
    }

    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/templates/{id}"),
            None => "/templates".to_owned(),
        }
    }
}

/// What a page says after a change.
#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

impl Notice {
    fn text(&self, page: &Page) -> Option<String> {
        match self.notice.as_deref() {
            Some("saved") => Some(page.locale.t("template-notice-saved")),
            Some("deleted") => Some(page.locale.t("template-notice-deleted")),
            _ => None,
        }
    }
}

/// `GET /templates`
pub async fn list(mut page: Page, Query(notice): Query<Notice>) -> PageResult {
    page.require("communications.view").await?;
    let locale = page.locale;
    let templates = services::communications::templates::list(&mut page.ctx, None)
        .await?
        .into_iter()
        .map(|t| TemplateRow {
            channel_icon: channel_icon(&t.channel),
            channel_label: locale.t(&format!("comm-channel-{}", t.channel)),
            id: t.id,
            name: t.name,
            subject: t.subject,
            variables: t.variables,
            provider_name: t.provider_name,
            updated_at: t.updated_at,
        })
        .collect();
    let body = TemplatesPage {
        c: Chrome::new(&page, "templates", "templates-title"),
        templates,
        can_write: page.can("communications.templates"),
        notice: notice.text(&page),
    };
    page.ctx.done();
    Ok(html(&body))
}

async fn editor(
    page: &mut Page,
    id: Option<Uuid>,
    form: TemplateForm,
    refusal: Option<Refusal>,
) -> Result<TemplatePage, PageError> {
    let variables = services::communications::templates::available_variables(&mut page.ctx)
        .await?
        .into_iter()
        .map(|v| {
            let placeholder = format!("{{{{{v}}}}}");
            (v, placeholder)
        })
        .collect();
    let title = if id.is_some() {
        "template-edit-title"
    } else {
        "template-new-title"
    };
    Ok(TemplatePage {
        c: Chrome::new(page, "templates", title),
        channels: message_channels(page.locale),
        can_write: page.can("communications.templates"),
        variables,
        id,
        form,
        refusal,
        notice: None,
    })
}

/// The editor again with the services' refusal.
async fn refused(
    mut page: Page,
    id: Option<Uuid>,
    form: TemplateForm,
    error: services::Error,
) -> PageResult {
    let refusal = Refusal::of(page.locale, error)?;
    let status = refusal.status();
    let body = editor(&mut page, id, form, Some(refusal)).await?;
    page.ctx.done();
    Ok(html_with(status, &body))
}

fn saved(id: Uuid) -> Response {
    Redirect::to(&format!("/templates/{id}?notice=saved")).into_response()
}

/// `GET /templates/new`
pub async fn new(mut page: Page) -> PageResult {
    page.require("communications.templates").await?;
    let body = editor(&mut page, None, TemplateForm::empty(), None).await?;
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /templates`: creates a template, then shows it.
pub async fn create(mut page: Page, Form(form): Form<TemplateForm>) -> PageResult {
    page.require("communications.templates").await?;
    match services::communications::templates::create(&mut page.ctx, form.input()).await {
        Ok(created) => {
            page.ctx.commit().await?;
            Ok(saved(created.value.id))
        }
        Err(e) => refused(page, None, form, e).await,
    }
}

/// `GET /templates/{id}`: the editor (read-only without `communications.templates`).
pub async fn show(
    mut page: Page,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> PageResult {
    page.require("communications.view").await?;
    let id = parse_id(&id)?;
    let Versioned { value, version } =
        services::communications::templates::get(&mut page.ctx, id).await?;
    let mut body = editor(&mut page, Some(id), TemplateForm::of(&value, version), None).await?;
    body.notice = notice.text(&page);
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /templates/{id}`: changes the template at the version shown.
pub async fn update(
    mut page: Page,
    Path(id): Path<String>,
    Form(form): Form<TemplateForm>,
) -> PageResult {
    page.require("communications.templates").await?;
    let id = parse_id(&id)?;
    let expected = form.expected();
    match services::communications::templates::update(&mut page.ctx, id, form.input(), &expected)
        .await
    {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(saved(id))
        }
        Err(e) => refused(page, Some(id), form, e).await,
    }
}

/// `POST /templates/{id}/delete`: deletes the template at the version shown.
pub async fn delete(
    mut page: Page,
    Path(id): Path<String>,
    Form(form): Form<TemplateForm>,
) -> PageResult {
    page.require("communications.templates").await?;
    let id = parse_id(&id)?;
    match services::communications::templates::delete(&mut page.ctx, id, &form.expected()).await {
        Ok(()) => {
            page.ctx.commit().await?;
            Ok(Redirect::to("/templates?notice=deleted").into_response())
        }
        Err(e) => {
            let current = services::communications::templates::get(&mut page.ctx, id).await?;
            let form = TemplateForm::of(&current.value, current.version);
            refused(page, Some(id), form, e).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_is_sent_and_the_version_is_expected() {
        let form = TemplateForm {
            name: "Bienvenida".into(),
            channel: " sms ".into(),
            body: "Hola {{clientName}}".into(),
            version: "3".into(),
            ..TemplateForm::default()
        };
        let input = form.input();
        assert_eq!(input.channel.as_deref(), Some("sms"));
        assert_eq!(
            input.subject.as_deref(),
            Some(""),
            "a blank subject clears it"
        );
        assert_eq!(input.provider_name.as_deref(), Some(""));
        assert!(matches!(form.expected(), Expected::OneOf(v) if v == [3]));
        assert!(matches!(TemplateForm::empty().expected(), Expected::OneOf(v) if v.is_empty()));
    }
}
