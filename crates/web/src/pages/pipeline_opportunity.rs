//! An opportunity in the console: `/pipeline/opportunities/{id}` shows it (client, stage,
//! value and weighted value, dates, owner) with its edit form at the version shown (title,
//! value, currency, expected close date, owner, completion, lost reason), a stage form (the
//! board's drag and drop for the keyboard, and where a lost reason is given with the move) and
//! the delete button; `/pipeline/opportunities/new` opens one for a client (the searchable
//! client list of the other "new" pages) in a stage. Every form posts, then redirects to the
//! page that shows the result; a refusal is shown on the form the one way
//! (`crate::form::Refusal`). The same service flows as the API (`services::pipeline`).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use services::pipeline::{
    MoveInput, NewOpportunity, OpportunityOut, OpportunityPatch, PipelineOut,
};
use services::{Error, Expected, InvalidField, Versioned};
use uuid::Uuid;

use super::pipeline_view::{date, kind_class, kind_label, money, typed_amount};
use super::settings::CURRENCIES;
use super::tickets_new::{Choice, client_choices};
use crate::form::{Refusal, field_error};
use crate::i18n::Locale;
use crate::page::{Page, PageError, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html, html_with};

/// The place a card takes at the end of its new stage (past the last card is last).
const LAST: i64 = 1_000_000;

/// The opportunity form as typed; blank means none (or, for the value, zero).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct OpportunityForm {
    /// New only.
    #[serde(default)]
    client_id: String,
    /// New only.
    #[serde(default)]
    stage_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    estimated_value: String,
    #[serde(default)]
    currency: String,
    /// `YYYY-MM-DD`, as a date input sends it.
    #[serde(default)]
    expected_close_date: String,
    #[serde(default)]
    owner_id: String,
    #[serde(default)]
    completion_percentage: String,
    /// Edit only.
    #[serde(default)]
    lost_reason: String,
    /// The version the form was filled from (edit only).
    #[serde(default)]
    version: String,
}

fn id(raw: &str) -> Option<Uuid> {
    Uuid::try_parse(raw.trim()).ok()
}

/// A typed date: blank is none; anything but a date is a problem of the form.
fn typed_date(raw: &str, problems: &mut Vec<InvalidField>) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| {
            problems.push(InvalidField::at(
                "/expected_close_date",
                "must be a date such as 2027-03-31",
            ))
        })
        .ok()
}

/// A typed percentage: blank is none; a number the service checks; anything else a problem.
fn typed_percentage(raw: &str, problems: &mut Vec<InvalidField>) -> Option<i16> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    raw.parse::<i16>()
        .map_err(|_| {
            problems.push(InvalidField::at(
                "/completion_percentage",
                "must be a whole number from 0 to 100",
            ))
        })
        .ok()
}

impl OpportunityForm {
    /// The form of a stored opportunity, its value written with the locale's decimal mark.
    fn of(o: &OpportunityOut, version: i32, locale: Locale) -> Self {
        let value = o.estimated_value.to_string();
        Self {
            client_id: o.client_id.to_string(),
            stage_id: o.stage_id.to_string(),
            title: o.title.clone(),
            estimated_value: match locale {
                Locale::Es => value.replace('.', ","),
                Locale::En => value,
            },
            currency: o.currency.clone(),
            expected_close_date: o
                .expected_close_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            owner_id: o.owner_id.map(|o| o.to_string()).unwrap_or_default(),
            completion_percentage: o.completion_percentage.to_string(),
            lost_reason: o.lost_reason.clone().unwrap_or_default(),
            version: version.to_string(),
        }
    }

    /// A new opportunity's input, or the problems of fields not even of their type. No client
    /// chosen is the nil id, which the service refuses at `/client_id` with every other problem.
    fn new_input(&self) -> Result<NewOpportunity, Error> {
        let mut problems = Vec::new();
        let expected_close_date = typed_date(&self.expected_close_date, &mut problems);
        let completion_percentage = typed_percentage(&self.completion_percentage, &mut problems);
        Error::check(problems)?;
        Ok(NewOpportunity {
            client_id: id(&self.client_id).unwrap_or_else(Uuid::nil),
            title: self.title.clone(),
            estimated_value: Some(typed_amount(&self.estimated_value)),
            currency: Some(self.currency.trim().to_owned()).filter(|c| !c.is_empty()),
            stage_id: id(&self.stage_id),
            expected_close_date,
            owner_id: id(&self.owner_id),
            completion_percentage,
        })
    }

    /// The change: every field as shown (blank clears the optional ones).
    fn patch(&self) -> Result<OpportunityPatch, Error> {
        let mut problems = Vec::new();
        let expected_close_date = typed_date(&self.expected_close_date, &mut problems);
        let completion = typed_percentage(&self.completion_percentage, &mut problems);
        Error::check(problems)?;
        let reason = self.lost_reason.trim();
        Ok(OpportunityPatch {
            title: Some(self.title.clone()),
            estimated_value: Some(typed_amount(&self.estimated_value)),
            currency: Some(self.currency.trim().to_owned()),
            expected_close_date: Some(expected_close_date),
            owner_id: Some(id(&self.owner_id)),
            completion_percentage: Some(completion.unwrap_or(0)),
            lost_reason: Some((!reason.is_empty()).then(|| reason.to_owned())),
        })
    }

    /// The version the form was filled in at; a form without one matches no version.
    fn expected(&self) -> Expected {
        Expected::OneOf(self.version.trim().parse().into_iter().collect())
    }
}

/// The stage form: where the opportunity goes, at the version shown.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct StageForm {
    #[serde(default)]
    stage_id: String,
    #[serde(default)]
    lost_reason: String,
    #[serde(default)]
    version: String,
}

/// The options of a select from `(id, name)`, `chosen` selected.
fn choices(options: impl IntoIterator<Item = (Uuid, String)>, chosen: &str) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(id, label)| Choice {
            selected: id.to_string() == chosen.trim(),
            value: id.to_string(),
            label,
        })
        .collect()
}

/// The currencies offered, `chosen` selected (added when it is not one of them).
pub(super) fn currency_choices(chosen: &str) -> Vec<Choice> {
    let mut out: Vec<Choice> = CURRENCIES
        .iter()
        .map(|c| Choice {
            value: (*c).to_owned(),
            label: (*c).to_owned(),
            selected: *c == chosen,
        })
        .collect();
    if !chosen.is_empty() && !out.iter().any(|c| c.selected) {
        out.insert(
            0,
            Choice {
                value: chosen.to_owned(),
                label: chosen.to_owned(),
                selected: true,
            },
        );
    }
    out
}

/// A pipeline's stages for a `<select>`, grouped under the pipeline's name.
pub struct StageGroup {
    pub label: String,
    pub stages: Vec<Choice>,
}

fn stage_groups(pipelines: &[PipelineOut], chosen: &str) -> Vec<StageGroup> {
    pipelines
        .iter()
        .map(|p| StageGroup {
            label: p.name.clone(),
            stages: choices(p.stages.iter().map(|s| (s.id, s.name.clone())), chosen),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "opportunity_new.html")]
struct NewPage {
    c: Chrome,
    form: OpportunityForm,
    clients: Vec<Choice>,
    stages: Vec<StageGroup>,
    owners: Vec<Choice>,
    currencies: Vec<Choice>,
    refusal: Option<Refusal>,
}

impl NewPage {
    fn error(&self, pointer: &str) -> Option<String> {
        field_error(&self.refusal, pointer)
    }

    /// A new opportunity has an owner: whoever opens it unless another is chosen.
    fn edit(&self) -> bool {
        false
    }
}

/// What `/pipeline/opportunities/new` may be given.
#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    client_id: Option<String>,
    stage_id: Option<String>,
}

async fn new_page(
    page: &mut Page,
    form: OpportunityForm,
    refusal: Option<Refusal>,
) -> Result<NewPage, PageError> {
    let clients = client_choices(page, id(&form.client_id)).await?;
    let pipelines = services::pipeline::pipelines::list(&mut page.ctx).await?;
    let owners = services::users::owners(&mut page.ctx).await?;
    Ok(NewPage {
        c: Chrome::new(page, "pipeline", "opportunity-new-title"),
        clients,
        stages: stage_groups(&pipelines, &form.stage_id),
        owners: choices(owners, &form.owner_id),
        currencies: currency_choices(form.currency.trim()),
        refusal,
        form,
    })
}

/// `GET /pipeline/opportunities/new` (`?client_id=`, `?stage_id=`: preselected).
pub async fn new(mut page: Page, Query(q): Query<NewQuery>) -> PageResult {
    page.require("pipeline.edit").await?;
    let stage_id = match q.stage_id.filter(|s| !s.trim().is_empty()) {
        Some(stage) => stage,
        None => services::pipeline::pipelines::default_pipeline(&mut page.ctx)
            .await?
            .value
            .stages
            .first()
            .map(|s| s.id.to_string())
            .unwrap_or_default(),
    };
    let form = OpportunityForm {
        client_id: q.client_id.unwrap_or_default(),
        stage_id,
        currency: page.me.tenant.currency.clone(),
        owner_id: page.me.id.to_string(),
        completion_percentage: "0".to_owned(),
        ..OpportunityForm::default()
    };
    let body = new_page(&mut page, form, None).await?;
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /pipeline/opportunities/new`: opens the opportunity, then shows it.
pub async fn create(mut page: Page, Form(form): Form<OpportunityForm>) -> PageResult {
    page.require("pipeline.edit").await?;
    let created = match form.new_input() {
        Ok(input) => services::pipeline::create(&mut page.ctx, input).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(created) => {
            page.ctx.commit().await?;
            Ok(see(created.value.id, "created"))
        }
        Err(e) => {
            let refusal = Refusal::of(page.locale, e)?;
            let status = refusal.status();
            let mut form = form;
            // A client refused (another tenant's, or gone) is not offered again.
            if refusal.field("/client_id").is_some() {
                form.client_id.clear();
            }
            let body = new_page(&mut page, form, Some(refusal)).await?;
            page.ctx.done();
            Ok(html_with(status, &body))
        }
    }
}

#[derive(Template)]
#[template(path = "opportunity.html")]
struct OpportunityPage {
    c: Chrome,
    o: OpportunityOut,
    client_name: String,
    pipeline_name: String,
    stage_name: String,
    state_label: String,
    state_class: &'static str,
    owner_name: Option<String>,
    value: String,
    weighted: String,
    probability: i16,
    close_date: Option<String>,
    stage_entered_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    can_edit: bool,
    form: OpportunityForm,
    owners: Vec<Choice>,
    currencies: Vec<Choice>,
    /// The stages of its pipeline, for the stage form.
    stage_choices: Vec<Choice>,
    stage_form: StageForm,
    refusal: Option<Refusal>,
    stage_refusal: Option<Refusal>,
    notice: Option<String>,
}

impl OpportunityPage {
    fn error(&self, pointer: &str) -> Option<String> {
        field_error(&self.refusal, pointer)
    }

    fn stage_error(&self, pointer: &str) -> Option<String> {
        field_error(&self.stage_refusal, pointer)
    }

    /// The edit form may leave the opportunity without an owner.
    fn edit(&self) -> bool {
        true
    }
}

/// The page of an opportunity as it now stands, with the forms as given.
async fn opportunity_page(
    page: &mut Page,
    found: Versioned<OpportunityOut>,
    form: Option<OpportunityForm>,
    stage_form: Option<StageForm>,
) -> Result<OpportunityPage, PageError> {
    let Versioned { value: o, version } = found;
    let locale = page.locale;
    let pipeline = services::pipeline::pipelines::get(&mut page.ctx, o.pipeline_id)
        .await?
        .value;
    let stage = pipeline.stages.iter().find(|s| s.id == o.stage_id);
    let probability = stage.map_or(0, |s| s.probability);
    let clients = super::tickets::client_names(page, [o.client_id]).await?;
    let owners = services::users::owners(&mut page.ctx).await?;
    let names: HashMap<Uuid, String> = owners.iter().cloned().collect();
    let form = form.unwrap_or_else(|| OpportunityForm::of(&o, version, locale));
    let mut owner_choices = choices(owners, &form.owner_id);
    // A disabled owner is not offered, yet stays chosen unless someone changes it.
    if !form.owner_id.is_empty() && !owner_choices.iter().any(|c| c.selected) {
        owner_choices.insert(
            0,
            Choice {
                value: form.owner_id.clone(),
                label: locale.t("opportunity-owner-former"),
                selected: true,
            },
        );
    }
    let weighted = o.estimated_value * rust_decimal::Decimal::from(probability)
        / rust_decimal::Decimal::from(100);
    let stage_form = stage_form.unwrap_or_else(|| StageForm {
        stage_id: o.stage_id.to_string(),
        lost_reason: o.lost_reason.clone().unwrap_or_default(),
        version: version.to_string(),
    });
    Ok(OpportunityPage {
        c: Chrome::new(page, "pipeline", "opportunity-title"),
        client_name: clients
            .get(&o.client_id)
            .cloned()
            .unwrap_or_else(|| o.client_id.to_string()),
        pipeline_name: pipeline.name.clone(),
        stage_name: stage.map(|s| s.name.clone()).unwrap_or_default(),
        state_label: kind_label(locale, &o.state),
        state_class: kind_class(&o.state),
        owner_name: o.owner_id.map(|id| {
            names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| locale.t("opportunity-owner-former"))
        }),
        value: money(locale, o.estimated_value, &o.currency),
        weighted: money(locale, weighted, &o.currency),
        probability,
        close_date: o.expected_close_date.map(|d| date(locale, d)),
        stage_entered_at: o.stage_entered_at,
        closed_at: o.closed_at,
        can_edit: page.can("pipeline.edit"),
        owners: owner_choices,
        currencies: currency_choices(form.currency.trim()),
        stage_choices: choices(
            pipeline.stages.iter().map(|s| (s.id, s.name.clone())),
            &stage_form.stage_id,
        ),
        stage_form,
        form,
        refusal: None,
        stage_refusal: None,
        notice: None,
        o,
    })
}

/// What the page says about the last change.
#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

fn see(id: Uuid, notice: &str) -> Response {
    Redirect::to(&format!("/pipeline/opportunities/{id}?notice={notice}")).into_response()
}

/// `GET /pipeline/opportunities/{id}`
pub async fn show(
    mut page: Page,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> PageResult {
    page.require("pipeline.view").await?;
    let id = parse_id(&id)?;
    let found = services::pipeline::get(&mut page.ctx, id).await?;
    let mut body = opportunity_page(&mut page, found, None, None).await?;
    body.notice = match notice.notice.as_deref() {
        Some("created") => Some(page.locale.t("opportunity-created")),
        Some("saved") => Some(page.locale.t("opportunity-saved")),
        Some("moved") => Some(page.locale.t("opportunity-moved")),
        _ => None,
    };
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /pipeline/opportunities/{id}`: changes the details at the version shown.
pub async fn update(
    mut page: Page,
    Path(id): Path<String>,
    Form(form): Form<OpportunityForm>,
) -> PageResult {
    page.require("pipeline.edit").await?;
    let id = parse_id(&id)?;
    let changed = match form.patch() {
        Ok(patch) => services::pipeline::update(&mut page.ctx, id, patch, &form.expected()).await,
        Err(e) => Err(e),
    };
    match changed {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(see(id, "saved"))
        }
        Err(e) => {
            let refusal = Refusal::of(page.locale, e)?;
            let status = refusal.status();
            let found = services::pipeline::get(&mut page.ctx, id).await?;
            let mut body = opportunity_page(&mut page, found, Some(form), None).await?;
            body.refusal = Some(refusal);
            page.ctx.done();
            Ok(html_with(status, &body))
        }
    }
}

/// `POST /pipeline/opportunities/{id}/stage`: moves it to the end of another stage of its
/// pipeline (with the lost reason, for a lost stage), at the version shown.
pub async fn change_stage(
    mut page: Page,
    Path(id): Path<String>,
    Form(form): Form<StageForm>,
) -> PageResult {
    page.require("pipeline.edit").await?;
    let id = parse_id(&id)?;
    let current = services::pipeline::get(&mut page.ctx, id).await?;
    let stage = id_or_nil(&form.stage_id);
    if stage == current.value.stage_id && form.version.trim() == current.version.to_string() {
        page.ctx.done();
        return Ok(see(id, "moved"));
    }
    let input = MoveInput {
        stage_id: stage,
        position: LAST,
        // A form without a version matches none: the move is refused as stale.
        version: form.version.trim().parse().unwrap_or(-1),
        lost_reason: Some(form.lost_reason.trim().to_owned()).filter(|r| !r.is_empty()),
    };
    match services::pipeline::move_opportunity(&mut page.ctx, id, input).await {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(see(id, "moved"))
        }
        Err(e) => {
            let refusal = Refusal::of(page.locale, e)?;
            let status = refusal.status();
            // Shown as it stands now, so that trying again starts from the current version.
            let found = services::pipeline::get(&mut page.ctx, id).await?;
            let mut body = opportunity_page(&mut page, found, None, None).await?;
            body.stage_refusal = Some(refusal);
            page.ctx.done();
            Ok(html_with(status, &body))
        }
    }
}

/// A chosen id; none is the nil id, which the service refuses at its pointer.
fn id_or_nil(raw: &str) -> Uuid {
    id(raw).unwrap_or_else(Uuid::nil)
}

/// `POST /pipeline/opportunities/{id}/delete`: deletes it, then shows its pipeline's board.
pub async fn delete(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("pipeline.edit").await?;
    let id = parse_id(&id)?;
    let pipeline = services::pipeline::get(&mut page.ctx, id)
        .await?
        .value
        .pipeline_id;
    services::pipeline::delete(&mut page.ctx, id).await?;
    page.ctx.commit().await?;
    Ok(Redirect::to(&format!("/pipeline?pipeline_id={pipeline}&notice=deleted")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_the_service_input() {
        let form = OpportunityForm {
            title: "Renovación".into(),
            estimated_value: "1250,5".into(),
            currency: " ".into(),
            expected_close_date: "2027-03-31".into(),
            owner_id: "nobody".into(),
            ..OpportunityForm::default()
        };
        let input = form.new_input().expect("an input");
        assert_eq!(input.client_id, Uuid::nil(), "refused by the service");
        assert_eq!(input.estimated_value.as_deref(), Some("1250.5"));
        assert_eq!(input.currency, None);
        assert_eq!(
            input.expected_close_date,
            NaiveDate::from_ymd_opt(2027, 3, 31)
        );
        assert_eq!(input.owner_id, None);
        assert_eq!(input.completion_percentage, None);
        let patch = form.patch().expect("a patch");
        assert_eq!(patch.owner_id, Some(None), "blank clears the owner");
        assert_eq!(patch.lost_reason, Some(None));
        assert_eq!(patch.completion_percentage, Some(0));
    }

    #[test]
    fn a_bad_date_or_percentage_is_a_field_problem() {
        let form = OpportunityForm {
            expected_close_date: "31/03/2027".into(),
            completion_percentage: "half".into(),
            ..OpportunityForm::default()
        };
        let Err(Error::Invalid(fields)) = form.patch() else {
            panic!("refused");
        };
        let pointers: Vec<&str> = fields.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(pointers, ["/expected_close_date", "/completion_percentage"]);
        assert_eq!(form.expected(), Expected::OneOf(Vec::new()));
    }
}
