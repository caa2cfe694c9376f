//! Pipelines as configured: a name and ordered stages (name, win probability, kind, rot days).
//! Each tenant has a default pipeline, made with the tenant (`create_default`). A change of the
//! stages is written as a whole under the pipeline's lock, which every move also takes (shared),
//! so a board never sees half a change.

use chrono::{DateTime, Utc};
use db::pipelines::{PipelineRow, StageRow};
use domain::EventType;
use domain::pipeline::{StageKind, StageSpec, check_stages, default_pipeline_name, default_stages};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{Change, Error, Expected, InvalidField, Result, Scope, Versioned, text};

/// Most characters of a pipeline's name.
pub const NAME_CHARS: usize = 100;

/// A stage as given. `id` keeps an existing stage (and the opportunities in it); a stage
/// without one is new.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    /// An existing stage of this pipeline to keep; absent for a new stage.
    pub id: Option<Uuid>,
    /// 1-100 characters, unique in the pipeline ignoring case.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 100))]
    pub name: String,
    /// Win probability in percent (the forecast's weight).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    #[serde(deserialize_with = "crate::number::whole")]
    pub probability: i16,
    /// `open`, `won` or `lost`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(open|won|lost)$"))]
    pub kind: String,
    /// An open opportunity this many days in the stage is rotting (open stages only).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3650))]
    #[serde(default, deserialize_with = "crate::number::whole_opt")]
    pub rot_days: Option<i32>,
    /// Where an opportunity moves when a proposal for it is sent (one open stage at most;
    /// default false).
    pub on_proposal_sent: Option<bool>,
}

/// A pipeline as given: on create `name` and `stages` are required; on update an absent member
/// keeps its value, and `stages` replaces the whole list (in board order).
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PipelineInput {
    /// 1-100 characters, unique in the tenant ignoring case.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 100))]
    pub name: Option<String>,
    /// The stages in board order: 1-30, at least one open, one won and one lost.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 30))]
    pub stages: Option<Vec<StageInput>>,
    /// Makes this the pipeline new opportunities go to when none is named (`true` only).
    pub is_default: Option<bool>,
}

/// A stage of a pipeline.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageOut {
    pub id: Uuid,
    pub name: String,
    /// 0-based place on the board.
    pub position: i32,
    pub probability: i16,
    /// `open`, `won` or `lost`.
    pub kind: String,
    pub rot_days: Option<i32>,
    /// Where an opportunity moves when a proposal for it is sent.
    pub on_proposal_sent: bool,
}

/// A pipeline with its stages in board order.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineOut {
    pub id: Uuid,
    pub name: String,
    pub is_default: bool,
    pub stages: Vec<StageOut>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StageOut {
    fn of(row: StageRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            position: row.position,
            probability: row.probability,
            kind: row.kind,
            rot_days: row.rot_days,
            on_proposal_sent: row.on_proposal_sent,
        }
    }

    /// The stage's kind.
    pub fn stage_kind(&self) -> Result<StageKind> {
        StageKind::parse(&self.kind).map_err(|e| Error::Corrupt(e.0))
    }
}

impl PipelineOut {
    /// The ids of its open stages, in board order.
    pub fn open_stage_ids(&self) -> Vec<Uuid> {
        self.stages
            .iter()
            .filter(|s| s.kind == StageKind::Open.as_str())
            .map(|s| s.id)
            .collect()
    }
}

fn pipeline_out(row: PipelineRow, stages: Vec<StageRow>) -> Versioned<PipelineOut> {
    Versioned {
        version: row.version,
        value: PipelineOut {
            id: row.id,
            name: row.name,
            is_default: row.is_default,
            stages: stages.into_iter().map(StageOut::of).collect(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
    }
}

/// Every pipeline of the tenant with its stages, the default first.
pub async fn list(scope: &mut Scope) -> Result<Vec<PipelineOut>> {
    let rows = db::pipelines::list(&mut scope.tx).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut stages = db::pipelines::stages_of(&mut scope.tx, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (mine, rest) = stages.drain(..).partition(|s| s.pipeline_id == row.id);
            stages = rest;
            pipeline_out(row, mine).value
        })
        .collect())
}

/// One pipeline with its stages and version.
pub async fn get(scope: &mut Scope, id: Uuid) -> Result<Versioned<PipelineOut>> {
    let row = db::pipelines::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    let stages = db::pipelines::stages_of(&mut scope.tx, &[id]).await?;
    Ok(pipeline_out(row, stages))
}

/// The tenant's default pipeline (every tenant has one from its creation).
pub async fn default_pipeline(scope: &mut Scope) -> Result<Versioned<PipelineOut>> {
    let id = db::pipelines::default_id(&mut scope.tx)
        .await?
        .ok_or_else(|| Error::Corrupt("the tenant has no default pipeline".into()))?;
    get(scope, id).await
}

/// The stages given, checked: each problem is one field of the answer.
fn checked_stages(
    given: &[StageInput],
    current: &[StageOut],
    problems: &mut Vec<InvalidField>,
) -> Vec<(Option<Uuid>, StageSpec)> {
    let mut specs = Vec::new();
    for (i, s) in given.iter().enumerate() {
        let kind = StageKind::parse(&s.kind).unwrap_or_else(|e| {
            problems.push(InvalidField::at(&format!("/stages/{i}/kind"), e.0));
            StageKind::Open
        });
        if let Some(id) = s.id
            && !current.iter().any(|c| c.id == id)
        {
            problems.push(InvalidField::at(
                &format!("/stages/{i}/id"),
                "is not a stage of this pipeline",
            ));
        }
        specs.push((
            s.id,
            StageSpec {
                name: s.name.trim().to_owned(),
                probability: s.probability,
                kind,
                rot_days: s.rot_days,
                on_proposal_sent: s.on_proposal_sent.unwrap_or(false),
            },
        ));
    }
    let only: Vec<StageSpec> = specs.iter().map(|(_, s)| s.clone()).collect();
    for (index, member, reason) in check_stages(&only) {
        let pointer = match index {
            Some(i) => format!("/stages/{i}/{member}"),
            None => "/stages".to_owned(),
        };
        problems.push(InvalidField::at(&pointer, reason));
    }
    specs
}

/// Writes the stages of `pipeline` in order, keeping the ids given; a stage left out that
/// opportunities stand in is the `stage-in-use` conflict.
async fn write_stages(
    scope: &mut Scope,
    pipeline: Uuid,
    stages: Vec<(Option<Uuid>, StageSpec)>,
) -> Result<()> {
    let keep: Vec<Uuid> = stages.iter().filter_map(|(id, _)| *id).collect();
    match db::pipelines::delete_stages_except(&mut scope.tx, pipeline, &keep).await {
        Err(e) if db::constraint_of(&e).is_some_and(|c| c.starts_with("opportunit")) => {
            return Err(Error::conflict(
                "stage-in-use",
                "Opportunities stand in a stage left out; move them to another stage first.",
            ));
        }
        other => other?,
    }
    db::pipelines::clear_proposal_stage(&mut scope.tx, pipeline).await?;
    for (position, (id, spec)) in stages.into_iter().enumerate() {
        let row = StageRow {
            id: id.unwrap_or_else(Uuid::now_v7),
            pipeline_id: pipeline,
            name: spec.name,
            position: i32::try_from(position).unwrap_or(i32::MAX),
            probability: spec.probability,
            kind: spec.kind.as_str().to_owned(),
            rot_days: spec.rot_days,
            on_proposal_sent: spec.on_proposal_sent,
        };
        db::pipelines::upsert_stage(&mut scope.tx, &row).await?;
    }
    Ok(())
}

/// What the audit trail keeps of a pipeline.
fn snapshot(p: &PipelineOut) -> Value {
    json!({ "name": p.name, "is_default": p.is_default, "stages": p.stages.iter().map(|s| json!({
        "id": s.id, "name": s.name, "probability": s.probability, "kind": s.kind, "rot_days": s.rot_days,
        "on_proposal_sent": s.on_proposal_sent,
    })).collect::<Vec<_>>() })
}

fn name_taken() -> Error {
    Error::conflict(
        "pipeline-exists",
        "A pipeline with this name already exists.",
    )
}

async fn insert(scope: &mut Scope, name: &str, is_default: bool) -> Result<Uuid> {
    let id = Uuid::now_v7();
    match db::pipelines::insert(&mut scope.tx, id, name, is_default).await {
        Err(e) if db::constraint_of(&e) == Some("pipelines_name") => Err(name_taken()),
        other => other.map(|_| id).map_err(Error::from),
    }
}

/// Defines a pipeline with its stages.
pub async fn create(scope: &mut Scope, input: PipelineInput) -> Result<Versioned<PipelineOut>> {
    let mut problems = Vec::new();
    let name = text::required_or_current("/name", input.name, None, NAME_CHARS, &mut problems);
    let stages = match &input.stages {
        Some(given) => checked_stages(given, &[], &mut problems),
        None => {
            problems.push(InvalidField::at("/stages", "is required"));
            Vec::new()
        }
    };
    if input.is_default == Some(false) {
        problems.push(InvalidField::at(
            "/is_default",
            "may only be true: make another pipeline the default instead",
        ));
    }
    Error::check(problems)?;
    let id = insert(scope, &name, false).await?;
    if input.is_default == Some(true) {
        db::pipelines::make_default(&mut scope.tx, id).await?;
    }
    write_stages(scope, id, stages).await?;
    let created = get(scope, id).await?;
    scope
        .record(
            Change::of(EventType::PipelineCreated, "pipeline", id).after(snapshot(&created.value)),
        )
        .await?;
    Ok(created)
}

/// The default pipeline of a tenant being set up, in its language.
pub async fn create_default(scope: &mut Scope, locale: &str) -> Result<Uuid> {
    let id = insert(scope, default_pipeline_name(locale), true).await?;
    let stages = default_stages(locale)
        .into_iter()
        .map(|s| (None, s))
        .collect();
    write_stages(scope, id, stages).await?;
    Ok(id)
}

/// Changes a pipeline at a version `expected` allows: its name, its stages (the whole list),
/// or makes it the default.
pub async fn update(
    scope: &mut Scope,
    id: Uuid,
    input: PipelineInput,
    expected: &Expected,
) -> Result<Versioned<PipelineOut>> {
    let row = db::pipelines::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(row.version)?;
    let before = get(scope, id).await?.value;
    let mut problems = Vec::new();
    let name = text::required_or_current(
        "/name",
        input.name,
        Some(&before.name),
        NAME_CHARS,
        &mut problems,
    );
    let stages = input
        .stages
        .as_ref()
        .map(|given| checked_stages(given, &before.stages, &mut problems));
    if input.is_default == Some(false) {
        problems.push(InvalidField::at(
            "/is_default",
            "may only be true: make another pipeline the default instead",
        ));
    }
    Error::check(problems)?;
    match db::pipelines::rename(&mut scope.tx, id, &name).await {
        Err(e) if db::constraint_of(&e) == Some("pipelines_name") => return Err(name_taken()),
        other => other?,
    };
    if input.is_default == Some(true) {
        db::pipelines::make_default(&mut scope.tx, id).await?;
    }
    if let Some(stages) = stages {
        write_stages(scope, id, stages).await?;
    }
    let after = get(scope, id).await?;
    scope
        .record(
            Change::of(EventType::PipelineUpdated, "pipeline", id)
                .before(snapshot(&before))
                .after(snapshot(&after.value)),
        )
        .await?;
    Ok(after)
}

/// Deletes a pipeline without opportunities that is not the default.
pub async fn delete(scope: &mut Scope, id: Uuid) -> Result<()> {
    db::pipelines::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    let before = get(scope, id).await?.value;
    if before.is_default {
        return Err(Error::conflict(
            "default-pipeline",
            "The default pipeline stays; make another pipeline the default first.",
        ));
    }
    match db::pipelines::delete(&mut scope.tx, id).await {
        Err(e) if db::constraint_of(&e).is_some_and(|c| c.starts_with("opportunit")) => {
            return Err(Error::conflict(
                "pipeline-in-use",
                "Opportunities stand in this pipeline; move or delete them first.",
            ));
        }
        other => other?,
    }
    scope
        .record(Change::of(EventType::PipelineDeleted, "pipeline", id).before(snapshot(&before)))
        .await
}
