//! Proposal templates: a name and versioned content (titled sections with `{{variables}}` and
//! the typed variables the template declares). Saving new content adds a version and keeps the
//! old ones, so a proposal always renders from the version it was made from. Templates are not
//! about a client: their changes go to the audit trail only.
//!
//! The `ETag` of a template is its newest version's number. A rename alone makes no version:
//! it changes the name and `updated_at` and keeps the number, so `If-Match` guards the content,
//! and two renames at once are settled by the last.

use chrono::{DateTime, Utc};
use db::proposal_templates::{TemplateRow, TemplateVersionRow};
use domain::EventType;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::content::{self, Section, TemplateContent, VariableSpec};
use crate::{Change, Error, Expected, Page, PageRequest, Result, Scope, Versioned, text};

/// Most characters of a template's name.
pub const NAME_CHARS: usize = 100;

/// A template as given: on create `name` and `sections` are required and `variables` defaults
/// to none; on update an absent member keeps its value.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ProposalTemplateInput))]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// 1-100 characters, unique in the tenant ignoring case.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 100))]
    pub name: Option<String>,
    /// The sections in order (1-50).
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 50))]
    pub sections: Option<Vec<Section>>,
    /// The variables the sections may use besides the standard ones (`clientName` ...), the
    /// proposal's (`proposalDate`, `validUntil`, `total`, `discountPercentage`) and
    /// `custom.<key>`: at most 30, names unique ignoring case.
    #[cfg_attr(feature = "openapi", schema(max_items = 30))]
    pub variables: Option<Vec<VariableSpec>>,
}

/// A template at one version (the newest unless one was asked for).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ProposalTemplateOut))]
pub struct TemplateOut {
    pub id: Uuid,
    pub name: String,
    /// The version shown; versions count from 1.
    pub version: i32,
    pub sections: Vec<Section>,
    pub variables: Vec<VariableSpec>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The list's sort key: the name ignoring case, then the id.
pub type TemplateKey = (String, Uuid);

fn template_out(row: &TemplateRow, version: TemplateVersionRow) -> Result<Versioned<TemplateOut>> {
    let content = TemplateContent::from_json(&version.sections, &version.variables)?;
    Ok(Versioned {
        version: version.version,
        value: TemplateOut {
            id: row.id,
            name: row.name.clone(),
            version: version.version,
            sections: content.sections,
            variables: content.variables.iter().map(content::spec_of).collect(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
    })
}

/// What the audit trail keeps of a template.
fn snapshot(t: &TemplateOut) -> Value {
    json!({ "name": t.name, "version": t.version, "sections": t.sections, "variables": t.variables })
}

fn name_taken() -> Error {
    Error::conflict(
        "template-name-taken",
        "A proposal template with this name already exists.",
    )
}

/// Maps the name's unique index to its conflict.
fn named<T>(result: std::result::Result<T, sqlx::Error>) -> Result<T> {
    match result {
        Err(e) if db::constraint_of(&e) == Some("proposal_templates_name") => Err(name_taken()),
        other => Ok(other?),
    }
}

/// The tenant's custom field keys (`{{custom.<key>}}`).
async fn custom_keys(scope: &mut Scope) -> Result<Vec<String>> {
    Ok(crate::custom_fields::list(scope)
        .await?
        .into_iter()
        .map(|d| d.key)
        .collect())
}

/// Checks content as given against the tenant's custom fields.
async fn checked(
    scope: &mut Scope,
    sections: Vec<Section>,
    specs: Vec<VariableSpec>,
) -> Result<TemplateContent> {
    let keys = custom_keys(scope).await?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    content::check(sections, specs, &keys)
}

/// The newest version of a template.
pub async fn get(scope: &mut Scope, id: Uuid) -> Result<Versioned<TemplateOut>> {
    let row = db::proposal_templates::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    get_version(scope, id, row.version).await
}

/// Version `version` of a template; [`Error::NotFound`] when it has no such version.
pub async fn get_version(
    scope: &mut Scope,
    id: Uuid,
    version: i32,
) -> Result<Versioned<TemplateOut>> {
    let row = db::proposal_templates::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    let content = db::proposal_templates::get_version(&mut scope.tx, id, version)
        .await?
        .ok_or(Error::NotFound)?;
    template_out(&row, content)
}

/// The content of version `version` of a template, checked as stored (for rendering a proposal).
pub async fn content_of(
    scope: &mut Scope,
    template_id: Uuid,
    version: i32,
) -> Result<Option<TemplateContent>> {
    db::proposal_templates::get_version(&mut scope.tx, template_id, version)
        .await?
        .map(|v| TemplateContent::from_json(&v.sections, &v.variables))
        .transpose()
}

/// A template's newest version: its number and content (for a new proposal).
pub async fn newest(
    scope: &mut Scope,
    template_id: Uuid,
) -> Result<Option<(i32, TemplateContent)>> {
    let Some(row) = db::proposal_templates::get(&mut scope.tx, template_id).await? else {
        return Ok(None);
    };
    Ok(content_of(scope, template_id, row.version)
        .await?
        .map(|c| (row.version, c)))
}

/// One page of the tenant's templates by name, each at its newest version.
pub async fn list(scope: &mut Scope, page: &PageRequest<TemplateKey>) -> Result<Page<TemplateOut>> {
    let rows =
        db::proposal_templates::list(&mut scope.tx, page.after.clone(), page.fetch_limit()).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut versions = db::proposal_templates::newest_versions(&mut scope.tx, &ids).await?;
    Page::from_rows(
        rows,
        page.limit,
        |r| (r.name.to_lowercase(), r.id),
        |r| {
            let at = versions
                .iter()
                .position(|v| v.template_id == r.id)
                .ok_or_else(|| Error::Corrupt(format!("template {} has no content", r.id)))?;
            template_out(&r, versions.swap_remove(at)).map(|t| t.value)
        },
    )
}

/// Writes a template as its version 1; an unknown variable or a bad declaration is a 422
/// naming its member.
pub async fn create(scope: &mut Scope, input: TemplateInput) -> Result<Versioned<TemplateOut>> {
    let mut problems = Vec::new();
    let name = text::required_or_current("/name", input.name, None, NAME_CHARS, &mut problems);
    let Some(sections) = input.sections else {
        problems.push(crate::InvalidField::at("/sections", "is required"));
        return Err(Error::Invalid(problems));
    };
    let content = match checked(scope, sections, input.variables.unwrap_or_default()).await {
        Err(Error::Invalid(found)) => {
            problems.extend(found);
            return Err(Error::Invalid(problems));
        }
        other => other?,
    };
    Error::check(problems)?;
    let id = Uuid::now_v7();
    let row = named(db::proposal_templates::insert(&mut scope.tx, id, &name).await)?;
    let (sections, variables) = content.to_json();
    let by = scope.user_id();
    let version =
        db::proposal_templates::insert_version(&mut scope.tx, id, 1, &sections, &variables, by)
            .await?;
    let created = template_out(&row, version)?;
    scope
        .record(
            Change::of(EventType::ProposalTemplateCreated, "proposal_template", id)
                .after(snapshot(&created.value)),
        )
        .await?;
    Ok(created)
}

/// Changes a template at a version `expected` allows. New sections or variables (differing from
/// the newest version's) add a version, checked as a whole: the sections given or kept against
/// the variables given or kept. A name alone renames the template and keeps its version (its
/// `updated_at` moves). A change that changes nothing writes and records nothing.
pub async fn update(
    scope: &mut Scope,
    id: Uuid,
    input: TemplateInput,
    expected: &Expected,
) -> Result<Versioned<TemplateOut>> {
    let row = db::proposal_templates::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(row.version)?;
    let before = get_version(scope, id, row.version).await?.value;
    let mut problems = Vec::new();
    let name = text::required_or_current(
        "/name",
        input.name,
        Some(&before.name),
        NAME_CHARS,
        &mut problems,
    );
    let mut content = None;
    if input.sections.is_some() || input.variables.is_some() {
        let sections = input.sections.unwrap_or_else(|| before.sections.clone());
        let specs = input.variables.unwrap_or_else(|| before.variables.clone());
        match checked(scope, sections, specs).await {
            Err(Error::Invalid(found)) => problems.extend(found),
            other => content = Some(other?),
        }
    }
    Error::check(problems)?;
    let changed = content.filter(|c| {
        let (sections, variables) = c.to_json();
        json!(before.sections) != sections || json!(before.variables) != variables
    });
    if changed.is_none() && name == before.name {
        return get_version(scope, id, row.version).await;
    }
    let version = row.version + i32::from(changed.is_some());
    let row = named(db::proposal_templates::update(&mut scope.tx, id, &name, version).await)?;
    if let Some(c) = changed {
        let (sections, variables) = c.to_json();
        let by = scope.user_id();
        db::proposal_templates::insert_version(
            &mut scope.tx,
            id,
            version,
            &sections,
            &variables,
            by,
        )
        .await?;
    }
    let after = get_version(scope, id, row.version).await?;
    scope
        .record(
            Change::of(EventType::ProposalTemplateUpdated, "proposal_template", id)
                .before(snapshot(&before))
                .after(snapshot(&after.value)),
        )
        .await?;
    Ok(after)
}

/// Deletes a template with every version; one a proposal was made from stays
/// (`template-in-use`).
pub async fn delete(scope: &mut Scope, id: Uuid, expected: &Expected) -> Result<()> {
    let row = db::proposal_templates::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(row.version)?;
    let before = get_version(scope, id, row.version).await?.value;
    match db::proposal_templates::delete(&mut scope.tx, id).await {
        Err(e) if db::constraint_of(&e).is_some_and(|c| c.starts_with("proposals_")) => {
            return Err(Error::conflict(
                "template-in-use",
                "Proposals were made from this template; it stays for them.",
            ));
        }
        other => other?,
    };
    scope
        .record(
            Change::of(EventType::ProposalTemplateDeleted, "proposal_template", id)
                .before(snapshot(&before)),
        )
        .await
}
