//! Checking a draft as a whole, on create and on every change: its template version exists,
//! its opportunity is the client's, its owner is a user, it is valid from today on, its items
//! price, and each value given for a declared variable has the variable's type.

use chrono::{Duration, NaiveDate, Utc};
use db::proposals::ProposalData;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::content::TemplateContent;
use super::proposal::{ItemInput, priced, priced_data};
use crate::{Error, InvalidField, Result, Scope};

/// Days a new proposal holds when no validity is given.
pub const DEFAULT_VALID_DAYS: i64 = 30;

/// The tenant's date today, its currency and its time zone.
pub struct TenantDay {
    pub today: NaiveDate,
    pub currency: String,
    pub locale: domain::templates::Locale,
}

pub async fn tenant_day(scope: &mut Scope) -> Result<TenantDay> {
    let tenant = crate::tenants::settings(scope).await?;
    let zone: chrono_tz::Tz = tenant.time_zone.parse().unwrap_or(chrono_tz::UTC);
    Ok(TenantDay {
        today: Utc::now().with_timezone(&zone).date_naive(),
        currency: tenant.currency.clone(),
        locale: domain::templates::Locale::parse(&tenant.locale)
            .unwrap_or(domain::templates::Locale::Es),
    })
}

/// The default validity of a proposal drafted on `today`.
pub fn default_validity(today: NaiveDate) -> NaiveDate {
    today + Duration::days(DEFAULT_VALID_DAYS)
}

/// A template version's content; a problem at `/template_version` (or `/template_id`) when
/// there is none.
pub async fn template_content(
    scope: &mut Scope,
    template_id: Uuid,
    version: Option<i32>,
    problems: &mut Vec<InvalidField>,
) -> Result<Option<(i32, TemplateContent)>> {
    let Some(template) = db::proposal_templates::get(&mut scope.tx, template_id).await? else {
        problems.push(InvalidField::at(
            "/template_id",
            "is not a proposal template of this tenant",
        ));
        return Ok(None);
    };
    let version = version.unwrap_or(template.version);
    let Some(row) =
        db::proposal_templates::get_version(&mut scope.tx, template_id, version).await?
    else {
        problems.push(InvalidField::at(
            "/template_version",
            format!("the template has versions 1 to {}", template.version),
        ));
        return Ok(None);
    };
    let content = TemplateContent::from_json(&row.sections, &row.variables)?;
    Ok(Some((version, content)))
}

/// Checks each value given against the variable the template declares by that name.
pub fn check_variables(
    given: &Map<String, Value>,
    content: &TemplateContent,
    currency: &str,
    problems: &mut Vec<InvalidField>,
) {
    for (name, value) in given {
        let at = format!("/variables/{name}");
        match content.variables.iter().find(|d| &d.name == name) {
            None => problems.push(InvalidField::at(
                &at,
                "is not a variable the template declares",
            )),
            Some(d) => {
                if let Err(e) = d.kind.value_of(value, currency) {
                    problems.push(InvalidField::at(&at, e.0));
                }
            }
        }
    }
}

/// Checks that an opportunity is one of the client's.
pub async fn check_opportunity(
    scope: &mut Scope,
    client_id: Uuid,
    opportunity_id: Option<Uuid>,
    problems: &mut Vec<InvalidField>,
) -> Result<()> {
    if let Some(id) = opportunity_id {
        let found = db::opportunities::get(&mut scope.tx, id).await?;
        if found.is_none_or(|o| o.client_id != client_id) {
            problems.push(InvalidField::at(
                "/opportunity_id",
                "is not an opportunity of the proposal's client",
            ));
        }
    }
    Ok(())
}

/// Checks a validity date against the tenant's today.
pub fn check_validity(valid_until: NaiveDate, today: NaiveDate, problems: &mut Vec<InvalidField>) {
    if valid_until < today {
        problems.push(InvalidField::at(
            "/valid_until",
            format!("must be today ({today}) or later"),
        ));
    }
}

/// Prices `items` into `data` (its items and totals).
pub fn price_into(data: &mut ProposalData, items: &[ItemInput], problems: &mut Vec<InvalidField>) {
    let lines = priced(items, problems);
    let (stored, sums) = priced_data(&lines);
    data.items = stored;
    data.subtotal = sums.subtotal;
    data.tax_total = sums.tax_total;
    data.total = sums.total;
}

/// A checked currency code.
pub fn currency(raw: &str, problems: &mut Vec<InvalidField>) -> String {
    domain::tenant::parse_currency(raw).unwrap_or_else(|e| {
        problems.push(InvalidField::at("/currency", e.0));
        raw.to_owned()
    })
}

/// Fails unless the proposal is a draft: a sent one changes only as a new revision.
pub fn must_be_draft(status: &str) -> Result<()> {
    if status == "draft" {
        return Ok(());
    }
    Err(Error::conflict(
        "proposal-not-draft",
        format!("the proposal is {status}: only a draft changes; revise it to make a new draft"),
    ))
}
