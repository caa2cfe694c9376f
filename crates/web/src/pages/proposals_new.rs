//! `/proposals/new`: drafting a proposal for a client (`?client_id=`, `?opportunity_id=`,
//! `?template_id=` preselect them) from one of the tenant's templates, in the editor
//! (`proposals_editor`). Choosing another client or template redraws the opportunity or the
//! variables with htmx (the same page, only that part taken); the form posts, and the draft is
//! shown (post/redirect/get), or the form again with each problem at its field.

use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use services::proposals::templates::TemplateOut;
use services::{Error, PageRequest};
use uuid::Uuid;

use super::pipeline_opportunity::currency_choices;
use super::proposals_editor::{Editor, editor, opportunity_choices, specs_of};
use super::proposals_form::{ProposalForm, VariableSpec};
use super::proposals_view::refusal;
use super::tickets_new::{Choice, client_choices};
use crate::form::{Posted, Refusal};
use crate::page::{Page, PageError, PageResult};
use crate::render::{Chrome, html, html_with};

/// Most templates the picker offers.
const TEMPLATES: u32 = 100;

#[derive(Template)]
#[template(path = "proposal_new.html")]
struct NewPage {
    c: Chrome,
    ed: Editor,
    clients: Vec<Choice>,
    templates: Vec<Choice>,
}

/// What `/proposals/new` may be given.
#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    client_id: Option<String>,
    opportunity_id: Option<String>,
    template_id: Option<String>,
}

fn id(raw: &str) -> Option<Uuid> {
    Uuid::try_parse(raw.trim()).ok()
}

/// The tenant's templates by name, each at its newest version.
async fn templates(page: &mut Page) -> Result<Vec<TemplateOut>, PageError> {
    let all = PageRequest {
        limit: TEMPLATES,
        after: None,
    };
    Ok(services::proposals::templates::list(&mut page.ctx, &all)
        .await?
        .data)
}

/// The declared variables of the template chosen in `form` (none for a template that is not
/// the tenant's: the service refuses it at `/template_id`).
async fn chosen_specs(
    page: &mut Page,
    form: &ProposalForm,
) -> Result<Vec<VariableSpec>, PageError> {
    let Some(template) = id(&form.template_id) else {
        return Ok(Vec::new());
    };
    match services::proposals::templates::get(&mut page.ctx, template).await {
        Ok(t) => Ok(specs_of(&t.value)),
        Err(Error::NotFound) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// The new page with `form`'s values; the template chosen is the form's, else the first.
async fn new_page(
    page: &mut Page,
    mut form: ProposalForm,
    refused: Option<Refusal>,
) -> Result<NewPage, PageError> {
    let all = templates(page).await?;
    let chosen = all
        .iter()
        .find(|t| Some(t.id) == id(&form.template_id))
        .or_else(|| all.first());
    let specs = chosen.map(specs_of).unwrap_or_default();
    if let Some(t) = chosen {
        form.template_id = t.id.to_string();
    }
    let templates = all
        .iter()
        .map(|t| Choice {
            selected: t.id.to_string() == form.template_id,
            value: t.id.to_string(),
            label: format!("{} (v{})", t.name, t.version),
        })
        .collect();
    let client = id(&form.client_id);
    let clients = client_choices(page, client).await?;
    let opportunities = opportunity_choices(page, client, &form.opportunity_id).await?;
    let currencies = currency_choices(form.currency.trim());
    Ok(NewPage {
        c: Chrome::new(page, "proposals", "proposal-new-title"),
        ed: editor(
            page.locale,
            form,
            &specs,
            opportunities,
            currencies,
            refused,
        ),
        clients,
        templates,
    })
}

/// `GET /proposals/new`
pub async fn new(mut page: Page, Query(q): Query<NewQuery>) -> PageResult {
    page.require("proposals.create").await?;
    let form = ProposalForm {
        client_id: q.client_id.unwrap_or_default(),
        opportunity_id: q.opportunity_id.unwrap_or_default(),
        template_id: q.template_id.unwrap_or_default(),
        currency: page.me.tenant.currency.clone(),
        ..ProposalForm::default()
    }
    .with_blank_rows();
    let body = new_page(&mut page, form, None).await?;
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /proposals/new`: drafts the proposal, then shows it.
pub async fn create(mut page: Page, Form(posted): Form<Posted>) -> PageResult {
    page.require("proposals.create").await?;
    let mut form = ProposalForm::posted(&posted);
    let specs = chosen_specs(&mut page, &form).await?;
    let created = match form.new_input(&specs) {
        Ok(input) => services::proposals::create(&mut page.ctx, input).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(made) => {
            page.ctx.commit().await?;
            let to = format!("/proposals/{}?notice=created", made.value.id);
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let refused = refusal(page.locale, e)?;
            let status = refused.status();
            // A client refused (another tenant's, or gone) is not offered again.
            if refused.field("/client_id").is_some() {
                form.client_id.clear();
                form.opportunity_id.clear();
            }
            let body = new_page(&mut page, form.with_blank_rows(), Some(refused)).await?;
            page.ctx.done();
            Ok(html_with(status, &body))
        }
    }
}
