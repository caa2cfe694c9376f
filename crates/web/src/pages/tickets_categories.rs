//! `/admin/ticket-categories`: the tenant's ticket categories; a category's form with its
//! business calendar, default priority, warning share, team lead and SLA targets (a table of
//! minutes per priority and target). The same service flows and permission as the API
//! (`services::tickets::categories`, `tickets.config`); a refusal is shown on the form the
//! one way (`crate::form::Refusal`).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use domain::tickets::{Priority, SlaPolicy, SlaTargets};
use services::tickets::{CategoryInput, CategoryOut};
use services::{Expected, Versioned};
use uuid::Uuid;

use super::tickets_new::Choice;
use super::tickets_view::{duration, priorities, priority_label};
use crate::form::{Posted, Refusal, field_error};
use crate::page::{Page, PageError, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html, html_with};

/// The targets of a priority, by the name of their field.
const TARGETS: [&str; 3] = ["first_response", "next_response", "resolution"];

/// The category form as typed (the category's values when first shown).
pub struct CategoryForm {
    name: String,
    calendar_id: String,
    default_priority: String,
    warn_at_percent: String,
    team_lead_id: String,
    version: String,
    /// Minutes by `"{priority}-{target}"`.
    sla: HashMap<String, String>,
}

fn minutes(t: &SlaTargets, target: &str) -> Option<i64> {
    match target {
        "first_response" => t.first_response_minutes,
        "next_response" => t.next_response_minutes,
        _ => t.resolution_minutes,
    }
}

/// A typed number: blank is none (no target); a number the service checks; anything else is sent as
/// 0 so the service refuses it at its own pointer with its own words.
fn typed_number(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    (!raw.is_empty()).then(|| raw.parse().unwrap_or(0))
}

impl CategoryForm {
    fn of(c: &CategoryOut, version: i32) -> Self {
        let mut sla = HashMap::new();
        for p in Priority::ALL {
            for target in TARGETS {
                if let Some(m) = minutes(c.sla.targets(p), target) {
                    sla.insert(format!("{p}-{target}"), m.to_string());
                }
            }
        }
        Self {
            name: c.name.clone(),
            calendar_id: c.calendar_id.map(|id| id.to_string()).unwrap_or_default(),
            default_priority: c.default_priority.clone().unwrap_or_default(),
            warn_at_percent: c.warn_at_percent.to_string(),
            team_lead_id: c.team_lead_id.map(|id| id.to_string()).unwrap_or_default(),
            version: version.to_string(),
            sla,
        }
    }

    fn empty() -> Self {
        Self {
            name: String::new(),
            calendar_id: String::new(),
            default_priority: String::new(),
            warn_at_percent: services::tickets::categories::DEFAULT_WARN_AT_PERCENT.to_string(),
            team_lead_id: String::new(),
            version: String::new(),
            sla: HashMap::new(),
        }
    }

    fn posted(fields: &Posted) -> Self {
        let mut sla = HashMap::new();
        for p in Priority::ALL {
            for target in TARGETS {
                let key = format!("{p}-{target}");
                sla.insert(key.clone(), fields.one(&format!("sla-{key}")));
            }
        }
        Self {
            name: fields.one("name"),
            calendar_id: fields.one("calendar_id"),
            default_priority: fields.one("default_priority"),
            warn_at_percent: fields.one("warn_at_percent"),
            team_lead_id: fields.one("team_lead_id"),
            version: fields.one("version"),
            sla,
        }
    }

    fn minutes(&self, priority: &str, target: &str) -> &str {
        self.sla
            .get(&format!("{priority}-{target}"))
            .map_or("", String::as_str)
    }

    fn policy(&self) -> SlaPolicy {
        let targets = |p: Priority| SlaTargets {
            first_response_minutes: typed_number(self.minutes(p.as_str(), "first_response")),
            next_response_minutes: typed_number(self.minutes(p.as_str(), "next_response")),
            resolution_minutes: typed_number(self.minutes(p.as_str(), "resolution")),
        };
        SlaPolicy {
            urgent: targets(Priority::Urgent),
            high: targets(Priority::High),
            normal: targets(Priority::Normal),
            low: targets(Priority::Low),
        }
    }

    /// Every member is sent: blank clears the optional ones (a blank warning share keeps it).
    fn input(&self) -> CategoryInput {
        let id = |raw: &str| Uuid::try_parse(raw).ok();
        CategoryInput {
            name: Some(self.name.clone()),
            calendar_id: Some(id(&self.calendar_id)),
            sla: Some(self.policy()),
            default_priority: Some(Some(self.default_priority.clone()).filter(|p| !p.is_empty())),
            warn_at_percent: typed_number(&self.warn_at_percent)
                .map(|w| i32::try_from(w).unwrap_or(0)),
            team_lead_id: Some(id(&self.team_lead_id)),
        }
    }

    /// The version the form was filled in at; a form without one matches no version.
    fn expected(&self) -> Expected {
        Expected::OneOf(self.version.parse().into_iter().collect())
    }
}

/// A category as the list shows it.
pub struct CategoryRow {
    id: Uuid,
    name: String,
    calendar: Option<String>,
    default_priority: Option<String>,
    warn_at_percent: i32,
    /// Each priority with targets: its label and `first / next / resolution`.
    targets: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "ticket_categories.html")]
struct CategoriesPage {
    c: Chrome,
    categories: Vec<CategoryRow>,
}

/// The tenant's calendars, `(id, name)`.
async fn calendars(page: &mut Page) -> Result<Vec<(Uuid, String)>, PageError> {
    Ok(services::tickets::calendars::list(&mut page.ctx)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

fn summary(page: &Page, sla: &SlaPolicy) -> Vec<(String, String)> {
    Priority::ALL
        .into_iter()
        .filter(|p| *sla.targets(*p) != SlaTargets::default())
        .map(|p| {
            let t = sla.targets(p);
            let text = TARGETS
                .iter()
                .map(|target| minutes(t, target).map_or("–".to_owned(), duration))
                .collect::<Vec<_>>()
                .join(" / ");
            (priority_label(page.locale, p.as_str()), text)
        })
        .collect()
}

/// `GET /admin/ticket-categories`
pub async fn list(mut page: Page) -> PageResult {
    page.require("tickets.config").await?;
    let found = services::tickets::categories::list(&mut page.ctx).await?;
    let calendars: HashMap<Uuid, String> = calendars(&mut page).await?.into_iter().collect();
    let categories = found
        .into_iter()
        .map(|c| CategoryRow {
            targets: summary(&page, &c.sla),
            calendar: c.calendar_id.and_then(|id| calendars.get(&id).cloned()),
            default_priority: c
                .default_priority
                .as_deref()
                .map(|p| priority_label(page.locale, p)),
            id: c.id,
            name: c.name,
            warn_at_percent: c.warn_at_percent,
        })
        .collect();
    let body = CategoriesPage {
        c: Chrome::new(&page, "ticket-categories", "categories-title"),
        categories,
    };
    page.ctx.done();
    Ok(html(&body))
}

#[derive(Template)]
#[template(path = "ticket_category.html")]
struct CategoryPage {
    c: Chrome,
    /// None while creating.
    id: Option<Uuid>,
    form: CategoryForm,
    calendars: Vec<Choice>,
    leads: Vec<Choice>,
    priorities: Vec<(&'static str, String)>,
    /// `(target, label)` of the table's columns.
    targets: Vec<(&'static str, String)>,
    refusal: Option<Refusal>,
}

impl CategoryPage {
    fn error(&self, pointer: &str) -> Option<String> {
        field_error(&self.refusal, pointer)
    }

    fn sla_error(&self, priority: &str, target: &str) -> Option<String> {
        self.error(&format!("/sla/{priority}/{target}_minutes"))
    }

    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/admin/ticket-categories/{id}"),
            None => "/admin/ticket-categories".to_owned(),
        }
    }
}

fn choices(options: Vec<(Uuid, String)>, chosen: &str) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(id, label)| Choice {
            selected: id.to_string() == chosen,
            value: id.to_string(),
            label,
        })
        .collect()
}

async fn category_page(
    page: &mut Page,
    id: Option<Uuid>,
    form: CategoryForm,
    refusal: Option<Refusal>,
) -> Result<CategoryPage, PageError> {
    let calendars = calendars(page).await?;
    let leads = services::users::owners(&mut page.ctx).await?;
    let title = if id.is_some() {
        "category-edit-title"
    } else {
        "category-new-title"
    };
    Ok(CategoryPage {
        c: Chrome::new(page, "ticket-categories", title),
        calendars: choices(calendars, &form.calendar_id),
        leads: choices(leads, &form.team_lead_id),
        priorities: priorities(page.locale),
        targets: TARGETS
            .iter()
            .map(|t| (*t, page.locale.t(&format!("ticket-target-{t}"))))
            .collect(),
        id,
        form,
        refusal,
    })
}

/// The form again with the services' refusal.
async fn refused(
    mut page: Page,
    id: Option<Uuid>,
    form: CategoryForm,
    error: services::Error,
) -> PageResult {
    let refusal = Refusal::of(page.locale, error)?;
    let status = refusal.status();
    let body = category_page(&mut page, id, form, Some(refusal)).await?;
    page.ctx.done();
    Ok(html_with(status, &body))
}

fn see(id: Uuid) -> Response {
    Redirect::to(&format!("/admin/ticket-categories/{id}")).into_response()
}

/// `GET /admin/ticket-categories/new`
pub async fn new(mut page: Page) -> PageResult {
    page.require("tickets.config").await?;
    let body = category_page(&mut page, None, CategoryForm::empty(), None).await?;
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /admin/ticket-categories`: creates a category, then shows it.
pub async fn create(mut page: Page, Form(fields): Form<Posted>) -> PageResult {
    page.require("tickets.config").await?;
    let form = CategoryForm::posted(&fields);
    match services::tickets::categories::create(&mut page.ctx, form.input()).await {
        Ok(created) => {
            page.ctx.commit().await?;
            Ok(see(created.value.id))
        }
        Err(e) => refused(page, None, form, e).await,
    }
}

/// `GET /admin/ticket-categories/{id}`
pub async fn show(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("tickets.config").await?;
    let id = parse_id(&id)?;
    let Versioned { value, version } =
        services::tickets::categories::get(&mut page.ctx, id).await?;
    let form = CategoryForm::of(&value, version);
    let body = category_page(&mut page, Some(id), form, None).await?;
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /admin/ticket-categories/{id}`: changes the category at the version shown.
pub async fn update(
    mut page: Page,
    Path(id): Path<String>,
    Form(fields): Form<Posted>,
) -> PageResult {
    page.require("tickets.config").await?;
    let id = parse_id(&id)?;
    let form = CategoryForm::posted(&fields);
    let expected = form.expected();
    match services::tickets::categories::update(&mut page.ctx, id, form.input(), &expected).await {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(see(id))
        }
        Err(e) => refused(page, Some(id), form, e).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_targets_table_becomes_the_policy() {
        let fields = Posted(HashMap::from([
            ("name".to_owned(), " Hardware ".to_owned()),
            ("sla-urgent-first_response".to_owned(), "30".to_owned()),
            ("sla-urgent-resolution".to_owned(), " 240 ".to_owned()),
            ("sla-low-next_response".to_owned(), "soon".to_owned()),
            ("warn_at_percent".to_owned(), String::new()),
        ]));
        let input = CategoryForm::posted(&fields).input();
        let sla = input.sla.expect("a policy");
        assert_eq!(sla.urgent.first_response_minutes, Some(30));
        assert_eq!(sla.urgent.next_response_minutes, None);
        assert_eq!(sla.urgent.resolution_minutes, Some(240));
        assert_eq!(
            sla.low.next_response_minutes,
            Some(0),
            "refused by the service"
        );
        assert_eq!(input.name.as_deref(), Some("Hardware"));
        assert_eq!(input.warn_at_percent, None);
        assert_eq!(input.calendar_id, Some(None));
        assert_eq!(input.default_priority, Some(None));
    }
}
