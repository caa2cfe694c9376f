//! A proposal's input and output: what a salesperson gives to draft or change one, and what
//! they read back. Every number is a decimal string both ways; the figures are computed here,
//! once, by `domain::proposals::lines`.

use chrono::{DateTime, NaiveDate, Utc};
use db::proposals::{ProposalData, ProposalRow};
use domain::proposals::{Line, LineInput, Totals, line, totals};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::patch::present;
use crate::{Error, InvalidField, Versioned};

/// Most characters of a proposal's title.
pub const TITLE_CHARS: usize = 200;
/// Most line items of a proposal.
pub const MAX_ITEMS: usize = 200;
/// Most characters of a decision note (a rejection's reason).
pub const NOTE_CHARS: usize = 1000;

/// A line item as given.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    /// 1-500 characters.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 500))]
    pub description: String,
    /// More than 0, at most three decimals, such as `"2"` or `"1.5"`.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9]{1,10}(\.[0-9]{1,3})?$"))]
    pub quantity: String,
    /// At most three decimals, such as `"99.995"`.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9]{1,10}(\.[0-9]{1,3})?$"))]
    pub unit_price: String,
    /// 0 to 100, at most two decimals (default `"0"`).
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9]{1,3}(\.[0-9]{1,2})?$"))]
    pub discount_percentage: Option<String>,
    /// 0 to 100, at most two decimals, such as `"21"` for IVA 21 (default `"0"`).
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9]{1,3}(\.[0-9]{1,2})?$"))]
    pub tax_rate: Option<String>,
}

/// A new proposal: a draft made from a template's newest version (or the version named).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewProposal {
    pub client_id: Uuid,
    /// An opportunity of the same client; sending moves it, accepting wins it.
    pub opportunity_id: Option<Uuid>,
    pub template_id: Uuid,
    /// A version of the template (default: its newest).
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    #[serde(default, deserialize_with = "crate::number::whole_opt")]
    pub template_version: Option<i32>,
    /// 1-200 characters.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 200))]
    pub title: String,
    /// ISO 4217 code (default: the tenant's currency).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$"))]
    pub currency: Option<String>,
    /// 0-200 line items.
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    #[serde(default)]
    pub items: Vec<ItemInput>,
    /// The last day the offer holds (default: 30 days from today); not in the past.
    pub valid_until: Option<NaiveDate>,
    /// Values of the template's declared variables, by name, each of its type.
    #[serde(default)]
    pub variables: Map<String, Value>,
    /// The salesperson in charge (default: whoever drafts it).
    pub owner_id: Option<Uuid>,
}

/// A change of a draft; an absent member keeps its value. `items` and `variables` replace the
/// whole list or map.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProposalPatch {
    #[serde(default, deserialize_with = "present")]
    pub opportunity_id: Option<Option<Uuid>>,
    /// Moves the draft to another version of its template.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    #[serde(default, deserialize_with = "crate::number::whole_opt")]
    pub template_version: Option<i32>,
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 200))]
    pub title: Option<String>,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$"))]
    pub currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub items: Option<Vec<ItemInput>>,
    pub valid_until: Option<NaiveDate>,
    pub variables: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "present")]
    pub owner_id: Option<Option<Uuid>>,
}

/// A line item with its computed figures.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemOut {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub discount_percentage: String,
    pub tax_rate: String,
    /// After the discount, before tax, rounded to the cent.
    pub net: String,
    pub tax: String,
    pub total: String,
}

/// The tax of the items at one rate.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaxOut {
    pub rate: String,
    pub base: String,
    pub tax: String,
}

/// A proposal.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposalOut {
    pub id: Uuid,
    pub client_id: Uuid,
    pub opportunity_id: Option<Uuid>,
    pub template_id: Uuid,
    pub template_version: i32,
    /// The first revision's id, shared by every revision of this proposal.
    pub first_id: Uuid,
    /// 1 for the first version; each revision adds one.
    pub revision: i32,
    pub title: String,
    pub currency: String,
    pub items: Vec<ItemOut>,
    /// Sum of the items' net amounts (decimal string).
    pub subtotal: String,
    pub tax_total: String,
    pub total: String,
    /// The tax per rate.
    pub taxes: Vec<TaxOut>,
    /// The whole proposal's discount against list prices, in percent.
    pub discount_percentage: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub variables: Map<String, Value>,
    /// Every variable's text as rendered when the proposal was sent (null while a draft).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub variables_used: Option<Value>,
    pub valid_until: NaiveDate,
    /// `draft`, `sent`, `accepted`, `rejected` or `expired`.
    pub status: String,
    pub owner_id: Option<Uuid>,
    pub sent_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The client's reason when rejecting.
    pub decision_note: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The items checked and computed, each bad member one problem at `/items/<i>/<member>`.
pub fn priced(items: &[ItemInput], problems: &mut Vec<InvalidField>) -> Vec<Line> {
    if items.len() > MAX_ITEMS {
        problems.push(InvalidField::at(
            "/items",
            format!("must hold at most {MAX_ITEMS} items"),
        ));
        return Vec::new();
    }
    let mut lines = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let input = LineInput {
            description: item.description.clone(),
            quantity: item.quantity.clone(),
            unit_price: item.unit_price.clone(),
            discount_percentage: item.discount_percentage.clone(),
            tax_rate: item.tax_rate.clone(),
        };
        match line(&input) {
            Ok(l) => lines.push(l),
            Err(found) => problems.extend(
                found
                    .into_iter()
                    .map(|p| InvalidField::at(&format!("/items/{i}/{}", p.member), p.reason)),
            ),
        }
    }
    lines
}

/// How a computed line is stored and read back.
pub fn item_out(l: &Line) -> ItemOut {
    ItemOut {
        description: l.description.clone(),
        quantity: l.quantity.normalize().to_string(),
        unit_price: l.unit_price.to_string(),
        discount_percentage: l.discount_percentage.normalize().to_string(),
        tax_rate: l.tax_rate.normalize().to_string(),
        net: money(l.net),
        tax: money(l.tax),
        total: money(l.total),
    }
}

/// An amount as a decimal string with exactly two decimals (`"100.00"`).
pub fn money(d: Decimal) -> String {
    format!("{d:.2}")
}

/// The stored items as computed lines.
pub fn lines_of(row: &ProposalRow) -> Result<Vec<Line>, Error> {
    let items: Vec<ItemOut> = serde_json::from_value(row.items.clone())
        .map_err(|e| Error::Corrupt(format!("proposal items: {e}")))?;
    let decimal = |s: &str| {
        s.parse::<Decimal>()
            .map_err(|e| Error::Corrupt(format!("proposal item figure {s}: {e}")))
    };
    items
        .iter()
        .map(|i| {
            Ok(Line {
                description: i.description.clone(),
                quantity: decimal(&i.quantity)?,
                unit_price: decimal(&i.unit_price)?,
                discount_percentage: decimal(&i.discount_percentage)?,
                tax_rate: decimal(&i.tax_rate)?,
                net: decimal(&i.net)?,
                tax: decimal(&i.tax)?,
                total: decimal(&i.total)?,
            })
        })
        .collect()
}

/// The stored items and totals of `lines`.
pub fn priced_data(lines: &[Line]) -> (Value, Totals) {
    let items: Vec<ItemOut> = lines.iter().map(item_out).collect();
    (json!(items), totals(lines))
}

/// The output of a stored proposal.
pub fn proposal_out(row: ProposalRow) -> Result<Versioned<ProposalOut>, Error> {
    let lines = lines_of(&row)?;
    let sums = totals(&lines);
    let variables = match row.variables {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    Ok(Versioned {
        version: row.version,
        value: ProposalOut {
            id: row.id,
            client_id: row.client_id,
            opportunity_id: row.opportunity_id,
            template_id: row.template_id,
            template_version: row.template_version,
            first_id: row.first_id,
            revision: row.revision,
            title: row.title,
            currency: row.currency,
            items: lines.iter().map(item_out).collect(),
            subtotal: money(row.subtotal),
            tax_total: money(row.tax_total),
            total: money(row.total),
            taxes: sums
                .taxes
                .iter()
                .map(|t| TaxOut {
                    rate: t.rate.normalize().to_string(),
                    base: money(t.base),
                    tax: money(t.tax),
                })
                .collect(),
            discount_percentage: domain::proposals::overall_discount(&lines).to_string(),
            variables,
            variables_used: row.variables_used,
            valid_until: row.valid_until,
            status: row.status,
            owner_id: row.owner_id,
            sent_at: row.sent_at,
            decided_at: row.decided_at,
            decision_note: row.decision_note,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
    })
}

/// What the audit trail keeps of a draft.
pub fn snapshot(d: &ProposalData) -> Value {
    json!({
        "title": d.title,
        "opportunity_id": d.opportunity_id,
        "template_id": d.template_id,
        "template_version": d.template_version,
        "currency": d.currency,
        "items": d.items,
        "total": d.total.to_string(),
        "variables": d.variables,
        "valid_until": d.valid_until,
        "owner_id": d.owner_id,
    })
}

/// A stored proposal's content, to change.
pub fn data_of(row: &ProposalRow) -> ProposalData {
    ProposalData {
        opportunity_id: row.opportunity_id,
        template_id: row.template_id,
        template_version: row.template_version,
        title: row.title.clone(),
        currency: row.currency.clone(),
        items: row.items.clone(),
        subtotal: row.subtotal,
        tax_total: row.tax_total,
        total: row.total,
        variables: row.variables.clone(),
        valid_until: row.valid_until,
        owner_id: row.owner_id,
    }
}
