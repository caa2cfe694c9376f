//! `/proposals/{id}`: a proposal. Its status, client, opportunity, figures and items; for a
//! draft, the editor at the version shown (`proposals_editor`), its preview and PDF, the send
//! form (`proposals_send`) and the delete button; for a sent or answered one, what was sent,
//! its PDF, its public link to copy and the button that revises it into a new draft. The
//! revisions of the same proposal are listed. Every form posts, then redirects to the page
//! that shows the result; a refusal is shown on its form.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use services::proposals::{ProposalOut, ProposalQuery};
use services::{Error, Versioned};
use uuid::Uuid;

use super::pipeline_opportunity::currency_choices;
use super::pipeline_view::date;
use super::proposals::{ProposalLine, lines};
use super::proposals_editor::{Editor, editor, opportunity_choices, specs_of};
use super::proposals_form::{ProposalForm, VariableSpec};
use super::proposals_send::{SendForm, SendPart, send_part};
use super::proposals_view::{amount, decimal_mark, refusal, status_class, status_label};
use crate::form::{Posted, Refusal};
use crate::page::{Page, PageError, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html, html_with};

/// Most revisions of a proposal listed.
const REVISIONS: &str = "100";

/// A line item as shown.
pub struct ItemLine {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub discount: String,
    pub tax_rate: String,
    pub net: String,
}

/// One line of the totals: label and amount.
pub struct TotalLine {
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "proposal.html")]
pub struct DetailPage {
    pub c: Chrome,
    pub p: ProposalOut,
    pub client_name: String,
    pub template_name: String,
    pub status_label: String,
    pub status_class: &'static str,
    pub total: String,
    pub valid_until: String,
    pub items: Vec<ItemLine>,
    pub totals: Vec<TotalLine>,
    pub sent_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The draft's editor, for a user who may change it.
    pub ed: Option<Editor>,
    /// The send form, for a draft and a user who may send it.
    pub send: Option<SendPart>,
    /// The public link, for a sent one and a user who may send.
    pub link: Option<String>,
    pub can_edit: bool,
    pub can_revise: bool,
    pub revisions: Vec<ProposalLine>,
    pub notice: Option<String>,
    /// Why an action was refused whose form is not shown.
    pub alert: Option<Refusal>,
}

impl DetailPage {
    fn is_draft(&self) -> bool {
        self.p.status == "draft"
    }
}

/// The figures of a proposal as shown.
fn figures(page: &Page, p: &ProposalOut) -> (Vec<ItemLine>, Vec<TotalLine>) {
    let locale = page.locale;
    let money = |v: &str| amount(locale, v, &p.currency);
    let items = p
        .items
        .iter()
        .map(|i| ItemLine {
            description: i.description.clone(),
            quantity: decimal_mark(locale, &i.quantity),
            unit_price: money(&i.unit_price),
            discount: format!("{} %", decimal_mark(locale, &i.discount_percentage)),
            tax_rate: format!("{} %", decimal_mark(locale, &i.tax_rate)),
            net: money(&i.net),
        })
        .collect();
    let mut totals = vec![TotalLine {
        label: locale.t("proposal-subtotal"),
        value: money(&p.subtotal),
    }];
    totals.extend(p.taxes.iter().map(|t| TotalLine {
        label: format!(
            "{} {} %",
            locale.t("proposal-tax"),
            decimal_mark(locale, &t.rate)
        ),
        value: money(&t.tax),
    }));
    totals.push(TotalLine {
        label: locale.t("proposal-total"),
        value: money(&p.total),
    });
    (items, totals)
}

/// The name and declared variables of the proposal's template version.
async fn template_of(
    page: &mut Page,
    p: &ProposalOut,
) -> Result<(String, Vec<VariableSpec>), PageError> {
    match services::proposals::templates::get_version(
        &mut page.ctx,
        p.template_id,
        p.template_version,
    )
    .await
    {
        Ok(t) => Ok((
            format!("{} (v{})", t.value.name, p.template_version),
            specs_of(&t.value),
        )),
        Err(Error::NotFound) => Ok(("–".to_owned(), Vec::new())),
        Err(e) => Err(e.into()),
    }
}

/// The revisions of the proposal (the same first revision), newest first.
async fn revisions(page: &mut Page, p: &ProposalOut) -> Result<Vec<ProposalLine>, PageError> {
    let q = ProposalQuery {
        client_id: Some(p.client_id.to_string()),
        limit: Some(REVISIONS.into()),
        ..ProposalQuery::default()
    };
    let (filter, request) = q.parse()?;
    let found = services::proposals::list(&mut page.ctx, &filter, &request).await?;
    let same: Vec<ProposalOut> = found
        .data
        .into_iter()
        .filter(|r| r.first_id == p.first_id && r.id != p.id)
        .collect();
    lines(page, same).await
}

/// The public link of a sent proposal, for a user who may send it.
async fn public_link(
    page: &mut Page,
    headers: &HeaderMap,
    p: &ProposalOut,
) -> Result<Option<String>, PageError> {
    if p.status == "draft" || !page.can("proposals.edit") {
        return Ok(None);
    }
    let cipher = page.cipher().await?;
    let base = api::http::public_base(&page.app, headers);
    let link = services::proposals::public_link(&mut page.ctx, &cipher, &base, p.id).await?;
    Ok(Some(link.url))
}

/// What the page is shown with besides the proposal: the editor's form and refusal, and the
/// send form's.
#[derive(Default)]
pub struct Forms {
    pub edit: Option<(ProposalForm, Option<Refusal>)>,
    pub send: Option<(SendForm, Option<Refusal>)>,
}

/// The draft's editor, for a user who may change it.
async fn draft_editor(
    page: &mut Page,
    p: &ProposalOut,
    specs: &[VariableSpec],
    edit: Option<(ProposalForm, Option<Refusal>)>,
) -> Result<Option<Editor>, PageError> {
    if p.status != "draft" || !page.can("proposals.edit") {
        return Ok(None);
    }
    let (form, refused) = edit.unwrap_or_else(|| (ProposalForm::of(p, page.locale), None));
    let form = form.with_blank_rows();
    let opportunities = opportunity_choices(page, Some(p.client_id), &form.opportunity_id).await?;
    let currencies = currency_choices(form.currency.trim());
    Ok(Some(editor(
        page.locale,
        form,
        specs,
        opportunities,
        currencies,
        refused,
    )))
}

/// The page of a proposal as it now stands, with the forms as given.
pub async fn detail_page(
    page: &mut Page,
    headers: &HeaderMap,
    found: Versioned<ProposalOut>,
    forms: Forms,
) -> Result<DetailPage, PageError> {
    let p = found.value;
    let locale = page.locale;
    let names = super::tickets::client_names(page, [p.client_id]).await?;
    let (template_name, specs) = template_of(page, &p).await?;
    // A refusal of a form the page no longer shows (the draft was sent meanwhile) is shown
    // above the page.
    let (edit, send, alert) = if p.status == "draft" && page.can("proposals.edit") {
        (forms.edit, forms.send, None)
    } else {
        let alert = forms.edit.and_then(|(_, r)| r);
        (None, None, alert.or(forms.send.and_then(|(_, r)| r)))
    };
    let ed = draft_editor(page, &p, &specs, edit).await?;
    let send = match ed {
        Some(_) => Some(send_part(page, &p, send).await?),
        None => None,
    };
    let (items, totals) = figures(page, &p);
    Ok(DetailPage {
        c: Chrome::new(page, "proposals", "proposal-title"),
        client_name: names.get(&p.client_id).cloned().unwrap_or_default(),
        template_name,
        status_label: status_label(locale, &p.status),
        status_class: status_class(&p.status),
        total: amount(locale, &p.total, &p.currency),
        valid_until: date(locale, p.valid_until),
        items,
        totals,
        sent_at: p.sent_at,
        decided_at: p.decided_at,
        ed,
        send,
        link: public_link(page, headers, &p).await?,
        can_edit: page.can("proposals.edit"),
        can_revise: page.can("proposals.create"),
        revisions: revisions(page, &p).await?,
        notice: None,
        alert,
        p,
    })
}

/// What the page says about the last change.
#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

/// The proposal's page after a change.
pub fn see(id: Uuid, notice: &str) -> Response {
    Redirect::to(&format!("/proposals/{id}?notice={notice}")).into_response()
}

/// `GET /proposals/{id}`
pub async fn show(
    mut page: Page,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
    headers: HeaderMap,
) -> PageResult {
    page.require("proposals.view").await?;
    let id = parse_id(&id)?;
    let found = services::proposals::get(&mut page.ctx, id).await?;
    let mut body = detail_page(&mut page, &headers, found, Forms::default()).await?;
    body.notice = notice
        .notice
        .as_deref()
        .filter(|n| ["created", "saved", "sent", "revised"].contains(n))
        .map(|n| page.locale.t(&format!("proposal-notice-{n}")));
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /proposals/{id}`: changes the draft at the version shown.
pub async fn update(
    mut page: Page,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(posted): Form<Posted>,
) -> PageResult {
    page.require("proposals.edit").await?;
    let id = parse_id(&id)?;
    let current = services::proposals::get(&mut page.ctx, id).await?;
    let form = ProposalForm::posted(&posted);
    let (_, specs) = template_of(&mut page, &current.value).await?;
    let changed = match form.patch(&specs) {
        Ok(patch) => services::proposals::update(&mut page.ctx, id, patch, &form.expected()).await,
        Err(e) => Err(e),
    };
    match changed {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(see(id, "saved"))
        }
        Err(e) => {
            let refused = refusal(page.locale, e)?;
            let status = refused.status();
            let found = services::proposals::get(&mut page.ctx, id).await?;
            let forms = Forms {
                edit: Some((form, Some(refused))),
                send: None,
            };
            let body = detail_page(&mut page, &headers, found, forms).await?;
            page.ctx.done();
            Ok(html_with(status, &body))
        }
    }
}

/// `POST /proposals/{id}/revise`: makes the next revision, a new draft, and shows it.
pub async fn revise(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("proposals.create").await?;
    let id = parse_id(&id)?;
    let revised = services::proposals::revise(&mut page.ctx, id).await?;
    page.ctx.commit().await?;
    Ok(see(revised.value.id, "revised"))
}

/// `POST /proposals/{id}/delete`: deletes a draft, then shows the list.
pub async fn delete(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("proposals.edit").await?;
    let id = parse_id(&id)?;
    services::proposals::delete(&mut page.ctx, id).await?;
    page.ctx.commit().await?;
    Ok(Redirect::to("/proposals?notice=deleted").into_response())
}
