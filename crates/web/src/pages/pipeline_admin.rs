//! `/admin/pipelines`: the tenant's sales pipelines; a pipeline's form with its name and its
//! stages as a table of plain rows (name, probability, kind, rot days, order; a box to remove a
//! stage; blank rows to add new ones), making one the default, and deleting one. The same
//! service flows and permission as the API (`services::pipeline::pipelines`,
//! `pipeline.config`); a refusal is shown on the form the one way (`crate::form::Refusal`),
//! each stage's problem in its row.

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use domain::pipeline::default_stages;
use services::pipeline::{PipelineInput, PipelineOut, StageInput};
use services::{Expected, Versioned};
use uuid::Uuid;

use super::pipeline_view::{KINDS, kind_label};
use crate::form::{Posted, Refusal, field_error};
use crate::page::{Page, PageError, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html, html_with};

/// Blank rows offered for new stages.
const BLANK_ROWS: usize = 3;
/// Most rows a posted form is read for (the service allows 30 stages).
const MOST_ROWS: usize = 60;

/// One row of the stages table, as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageRow {
    /// Blank for a new stage.
    id: String,
    name: String,
    probability: String,
    kind: String,
    rot_days: String,
    /// A sent proposal moves its opportunity to this stage.
    on_proposal_sent: bool,
    /// Where the stage goes (rows are sorted by it; blank keeps the row's place after the rest).
    order: String,
    remove: bool,
}

impl StageRow {
    fn blank() -> Self {
        Self {
            kind: "open".to_owned(),
            ..Self::default()
        }
    }

    /// A new row nobody typed in.
    fn is_blank(&self) -> bool {
        self.id.trim().is_empty()
            && self.name.trim().is_empty()
            && self.probability.trim().is_empty()
            && self.rot_days.trim().is_empty()
    }

    /// The service's stage. A number that is not one is sent out of range, for the service to
    /// refuse at its own pointer with its own words.
    fn input(&self) -> StageInput {
        let rot_days = self.rot_days.trim();
        StageInput {
            id: Uuid::try_parse(self.id.trim()).ok(),
            name: self.name.trim().to_owned(),
            probability: self.probability.trim().parse().unwrap_or(-1),
            kind: self.kind.trim().to_owned(),
            rot_days: (!rot_days.is_empty()).then(|| rot_days.parse().unwrap_or(0)),
            on_proposal_sent: Some(self.on_proposal_sent),
        }
    }
}

/// The pipeline form as typed (the pipeline's values when first shown).
pub struct PipelineForm {
    name: String,
    version: String,
    /// New pipelines only: make it the default.
    is_default: bool,
    rows: Vec<StageRow>,
}

impl PipelineForm {
    fn of(p: &PipelineOut, version: i32) -> Self {
        let mut rows: Vec<StageRow> = p
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| StageRow {
                id: s.id.to_string(),
                name: s.name.clone(),
                probability: s.probability.to_string(),
                kind: s.kind.clone(),
                rot_days: s.rot_days.map(|d| d.to_string()).unwrap_or_default(),
                on_proposal_sent: s.on_proposal_sent,
                order: (i + 1).to_string(),
                remove: false,
            })
            .collect();
        rows.extend((0..BLANK_ROWS).map(|_| StageRow::blank()));
        Self {
            name: p.name.clone(),
            version: version.to_string(),
            is_default: p.is_default,
            rows,
        }
    }

    /// A new pipeline's form: the default stages in the page's language, to change.
    fn empty(locale: &str) -> Self {
        let mut rows: Vec<StageRow> = default_stages(locale)
            .into_iter()
            .enumerate()
            .map(|(i, s)| StageRow {
                id: String::new(),
                name: s.name,
                probability: s.probability.to_string(),
                kind: s.kind.as_str().to_owned(),
                rot_days: s.rot_days.map(|d| d.to_string()).unwrap_or_default(),
                on_proposal_sent: s.on_proposal_sent,
                order: (i + 1).to_string(),
                remove: false,
            })
            .collect();
        rows.extend((0..BLANK_ROWS).map(|_| StageRow::blank()));
        Self {
            name: String::new(),
            version: String::new(),
            is_default: false,
            rows,
        }
    }

    fn posted(fields: &Posted) -> Self {
        let count = fields
            .one("rows")
            .parse::<usize>()
            .unwrap_or(0)
            .min(MOST_ROWS);
        let rows = (0..count)
            .map(|i| {
                let one = |member: &str| fields.one(&format!("stage-{i}-{member}"));
                StageRow {
                    id: one("id"),
                    name: one("name"),
                    probability: one("probability"),
                    kind: one("kind"),
                    rot_days: one("rot_days"),
                    on_proposal_sent: fields.one("proposal-stage") == i.to_string(),
                    order: one("order"),
                    remove: !one("remove").is_empty(),
                }
            })
            .collect();
        Self {
            name: fields.one("name"),
            version: fields.one("version"),
            is_default: !fields.one("is_default").is_empty(),
            rows,
        }
    }

    /// The rows sent to the service, by their order, as indexes of `rows`: removed and blank
    /// rows are left out.
    fn sent_rows(&self) -> Vec<usize> {
        let mut kept: Vec<(f64, usize)> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.remove && !r.is_blank())
            .map(|(i, r)| {
                (
                    r.order.trim().replace(',', ".").parse().unwrap_or(f64::MAX),
                    i,
                )
            })
            .collect();
        kept.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        kept.into_iter().map(|(_, i)| i).collect()
    }

    /// The whole stage list, in order; the name always (blank is refused by the service).
    fn input(&self, make_default: bool) -> PipelineInput {
        PipelineInput {
            name: Some(self.name.clone()),
            stages: Some(
                self.sent_rows()
                    .into_iter()
                    .map(|i| self.rows[i].input())
                    .collect(),
            ),
            is_default: make_default.then_some(true),
        }
    }

    /// The version the form was filled in at; a form without one matches no version.
    fn expected(&self) -> Expected {
        Expected::OneOf(self.version.trim().parse().into_iter().collect())
    }
}

/// A pipeline as the list shows it.
pub struct PipelineRow {
    id: Uuid,
    name: String,
    is_default: bool,
    /// The stages' names, in order.
    stages: Vec<String>,
}

#[derive(Template)]
#[template(path = "pipelines_admin.html")]
struct PipelinesPage {
    c: Chrome,
    pipelines: Vec<PipelineRow>,
}

/// `GET /admin/pipelines`
pub async fn list(mut page: Page) -> PageResult {
    page.require("pipeline.config").await?;
    let pipelines = services::pipeline::pipelines::list(&mut page.ctx)
        .await?
        .into_iter()
        .map(|p| PipelineRow {
            stages: p.stages.into_iter().map(|s| s.name).collect(),
            id: p.id,
            name: p.name,
            is_default: p.is_default,
        })
        .collect();
    let body = PipelinesPage {
        c: Chrome::new(&page, "pipelines", "pipelines-title"),
        pipelines,
    };
    page.ctx.done();
    Ok(html(&body))
}

#[derive(Template)]
#[template(path = "pipeline_admin.html")]
struct PipelinePage {
    c: Chrome,
    /// None while creating.
    id: Option<Uuid>,
    form: PipelineForm,
    kinds: Vec<(&'static str, String)>,
    refusal: Option<Refusal>,
    /// Which row each stage of the refused input came from.
    sent: Vec<usize>,
}

impl PipelinePage {
    fn error(&self, pointer: &str) -> Option<String> {
        field_error(&self.refusal, pointer)
    }

    /// What is wrong with the whole list of stages (not one of them).
    fn stages_error(&self) -> Option<String> {
        let r = self.refusal.as_ref()?;
        let details: Vec<&str> = r
            .fields
            .iter()
            .filter(|f| f.pointer == "/stages")
            .map(|f| f.detail.as_str())
            .collect();
        (!details.is_empty()).then(|| details.join("; "))
    }

    /// What is wrong with `member` of the stage typed in row `row`.
    fn row_error(&self, row: &usize, member: &str) -> Option<String> {
        let sent = self.sent.iter().position(|r| r == row)?;
        let mut details = Vec::new();
        if let Some(e) = self.error(&format!("/stages/{sent}/{member}")) {
            details.push(e);
        }
        // A stage that is not this pipeline's is told at its name.
        if member == "name"
            && let Some(e) = self.error(&format!("/stages/{sent}/id"))
        {
            details.push(e);
        }
        (!details.is_empty()).then(|| details.join("; "))
    }

    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/admin/pipelines/{id}"),
            None => "/admin/pipelines".to_owned(),
        }
    }
}

fn pipeline_page(
    page: &Page,
    id: Option<Uuid>,
    form: PipelineForm,
    refusal: Option<Refusal>,
) -> PipelinePage {
    let title = if id.is_some() {
        "pipeline-edit-title"
    } else {
        "pipeline-new-title"
    };
    PipelinePage {
        c: Chrome::new(page, "pipelines", title),
        kinds: KINDS
            .iter()
            .map(|k| (*k, kind_label(page.locale, k)))
            .collect(),
        sent: form.sent_rows(),
        id,
        form,
        refusal,
    }
}

/// The form again with the services' refusal.
fn refused(page: Page, id: Option<Uuid>, form: PipelineForm, error: services::Error) -> PageResult {
    let refusal = Refusal::of(page.locale, error)?;
    let status = refusal.status();
    let body = pipeline_page(&page, id, form, Some(refusal));
    page.ctx.done();
    Ok(html_with(status, &body))
}

fn see(id: Uuid) -> Response {
    Redirect::to(&format!("/admin/pipelines/{id}")).into_response()
}

/// `GET /admin/pipelines/new`
pub async fn new(page: Page) -> PageResult {
    page.require("pipeline.config").await?;
    let form = PipelineForm::empty(page.locale.tag());
    let body = pipeline_page(&page, None, form, None);
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /admin/pipelines`: creates a pipeline, then shows it.
pub async fn create(mut page: Page, Form(fields): Form<Posted>) -> PageResult {
    page.require("pipeline.config").await?;
    let form = PipelineForm::posted(&fields);
    let input = form.input(form.is_default);
    match services::pipeline::pipelines::create(&mut page.ctx, input).await {
        Ok(created) => {
            page.ctx.commit().await?;
            Ok(see(created.value.id))
        }
        Err(e) => refused(page, None, form, e),
    }
}

/// `GET /admin/pipelines/{id}`
pub async fn show(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("pipeline.config").await?;
    let id = parse_id(&id)?;
    let Versioned { value, version } =
        services::pipeline::pipelines::get(&mut page.ctx, id).await?;
    let form = PipelineForm::of(&value, version);
    let body = pipeline_page(&page, Some(id), form, None);
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /admin/pipelines/{id}`: changes the name and the stages at the version shown.
pub async fn update(
    mut page: Page,
    Path(id): Path<String>,
    Form(fields): Form<Posted>,
) -> PageResult {
    page.require("pipeline.config").await?;
    let id = parse_id(&id)?;
    let form = PipelineForm::posted(&fields);
    let expected = form.expected();
    let input = form.input(false);
    match services::pipeline::pipelines::update(&mut page.ctx, id, input, &expected).await {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(see(id))
        }
        Err(e) => refused(page, Some(id), form, e),
    }
}

/// The pipeline as stored before a button's change, to show its form again with the refusal
/// (read first: a refused write may leave the transaction unable to read).
async fn stored(page: &mut Page, id: Uuid) -> Result<PipelineForm, PageError> {
    let Versioned { value, version } =
        services::pipeline::pipelines::get(&mut page.ctx, id).await?;
    Ok(PipelineForm::of(&value, version))
}

/// `POST /admin/pipelines/{id}/default`: makes it the tenant's default pipeline.
pub async fn make_default(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("pipeline.config").await?;
    let id = parse_id(&id)?;
    let form = stored(&mut page, id).await?;
    let input = PipelineInput {
        is_default: Some(true),
        ..PipelineInput::default()
    };
    match services::pipeline::pipelines::update(&mut page.ctx, id, input, &Expected::Any).await {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(Redirect::to("/admin/pipelines").into_response())
        }
        Err(e) => refused(page, Some(id), form, e),
    }
}

/// `POST /admin/pipelines/{id}/delete`: deletes a pipeline without opportunities that is not
/// the default.
pub async fn delete(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("pipeline.config").await?;
    let id = parse_id(&id)?;
    let form = stored(&mut page, id).await?;
    match services::pipeline::pipelines::delete(&mut page.ctx, id).await {
        Ok(()) => {
            page.ctx.commit().await?;
            Ok(Redirect::to("/admin/pipelines").into_response())
        }
        Err(e) => refused(page, Some(id), form, e),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> Posted {
        Posted(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>(),
        )
    }

    #[test]
    fn rows_are_sorted_by_order_and_removed_or_blank_ones_left_out() {
        let id = Uuid::now_v7().to_string();
        let form = PipelineForm::posted(&posted(&[
            ("name", " Renovaciones "),
            ("rows", "5"),
            ("stage-0-id", &id),
            ("stage-0-name", "Ganado"),
            ("stage-0-probability", "100"),
            ("stage-0-kind", "won"),
            ("stage-0-order", "3"),
            ("stage-1-name", "Perdido"),
            ("stage-1-probability", "0"),
            ("stage-1-kind", "lost"),
            ("stage-1-order", "4"),
            ("stage-2-name", "Contacto"),
            ("stage-2-probability", "many"),
            ("stage-2-kind", "open"),
            ("stage-2-rot_days", "soon"),
            ("stage-2-order", "1,5"),
            ("stage-3-name", "Vieja"),
            ("stage-3-remove", "on"),
            ("stage-4-kind", "open"),
        ]));
        assert_eq!(form.sent_rows(), [2, 0, 1]);
        let input = form.input(false);
        assert_eq!(input.is_default, None);
        let stages = input.stages.expect("stages");
        let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Contacto", "Ganado", "Perdido"]);
        assert_eq!(stages[0].probability, -1, "refused by the service");
        assert_eq!(stages[0].rot_days, Some(0), "refused by the service");
        assert_eq!(stages[1].id.map(|i| i.to_string()), Some(id));
        assert_eq!(stages[2].rot_days, None);
    }

    #[test]
    fn a_new_pipeline_starts_from_the_default_stages_and_blank_rows() {
        let form = PipelineForm::empty("en");
        assert_eq!(form.rows.len(), 6 + BLANK_ROWS);
        assert_eq!(form.rows[0].name, "New");
        assert_eq!(form.sent_rows().len(), 6);
        assert_eq!(form.expected(), Expected::OneOf(Vec::new()));
    }
}
