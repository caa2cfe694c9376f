//! An opportunity's input and output: what a client gives to open or change one, and what it
//! reads back. Money is a decimal string both ways.

use chrono::{DateTime, NaiveDate, Utc};
use db::opportunities::{OpportunityData, OpportunityRow};
use domain::pipeline::{StageKind, parse_amount};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::patch::present;
use crate::{InvalidField, Versioned, text};

/// Most characters of an opportunity's title.
pub const TITLE_CHARS: usize = 200;
/// Most characters of a lost reason.
pub const LOST_REASON_CHARS: usize = 500;

/// A new opportunity. Without `stage_id` it starts in the first stage of the default pipeline.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOpportunity {
    pub client_id: Uuid,
    /// 1-200 characters.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 200))]
    pub title: String,
    /// A decimal string with at most two decimals, such as `"12500.00"` (default `"0"`).
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9]{1,14}(\.[0-9]{1,2})?$"))]
    pub estimated_value: Option<String>,
    /// ISO 4217 code (default: the tenant's currency).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$"))]
    pub currency: Option<String>,
    /// The stage to start in (its pipeline is the opportunity's).
    pub stage_id: Option<Uuid>,
    pub expected_close_date: Option<NaiveDate>,
    /// The salesperson in charge (default: whoever creates it).
    pub owner_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    #[serde(default, deserialize_with = "crate::number::whole_opt")]
    pub completion_percentage: Option<i16>,
}

/// A change of an opportunity's details; an absent member keeps its value, `null` clears an
/// optional one. Its stage and place change by a move.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpportunityPatch {
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 200))]
    pub title: Option<String>,
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9]{1,14}(\.[0-9]{1,2})?$"))]
    pub estimated_value: Option<String>,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$"))]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub expected_close_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    pub owner_id: Option<Option<Uuid>>,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    #[serde(default, deserialize_with = "crate::number::whole_opt")]
    pub completion_percentage: Option<i16>,
    /// Why it was lost (1-500 characters); `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub lost_reason: Option<Option<String>>,
}

/// An opportunity.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpportunityOut {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
    /// 0-based place within its stage.
    pub position: i64,
    pub client_id: Uuid,
    pub title: String,
    /// A decimal string.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "12500.00"))]
    pub estimated_value: Decimal,
    pub currency: String,
    pub expected_close_date: Option<NaiveDate>,
    pub owner_id: Option<Uuid>,
    pub completion_percentage: i16,
    pub lost_reason: Option<String>,
    /// `open`, `won` or `lost`: the kind of its stage.
    pub state: String,
    pub stage_entered_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The concurrency token a move sends back (also the `ETag`).
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The output of a stored opportunity standing `position`-th in a stage of `kind`.
pub fn opportunity_out(
    row: OpportunityRow,
    position: i64,
    kind: StageKind,
) -> Versioned<OpportunityOut> {
    Versioned {
        version: row.version,
        value: OpportunityOut {
            id: row.id,
            pipeline_id: row.pipeline_id,
            stage_id: row.stage_id,
            position,
            client_id: row.client_id,
            title: row.title,
            estimated_value: row.estimated_value,
            currency: row.currency,
            expected_close_date: row.expected_close_date,
            owner_id: row.owner_id,
            completion_percentage: row.completion_percentage,
            lost_reason: row.lost_reason,
            state: kind.as_str().to_owned(),
            stage_entered_at: row.stage_entered_at,
            closed_at: row.closed_at,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
    }
}

/// What the audit trail keeps of an opportunity's details.
pub(super) fn snapshot(d: &OpportunityData) -> Value {
    json!({
        "title": d.title,
        "estimated_value": d.estimated_value.to_string(),
        "currency": d.currency,
        "expected_close_date": d.expected_close_date,
        "owner_id": d.owner_id,
        "completion_percentage": d.completion_percentage,
        "lost_reason": d.lost_reason,
    })
}

/// The details of a stored opportunity, to change.
pub(super) fn data_of(row: &OpportunityRow) -> OpportunityData {
    OpportunityData {
        title: row.title.clone(),
        estimated_value: row.estimated_value,
        currency: row.currency.clone(),
        expected_close_date: row.expected_close_date,
        owner_id: row.owner_id,
        completion_percentage: row.completion_percentage,
        lost_reason: row.lost_reason.clone(),
    }
}

/// Applies a change onto `d`, each bad member one problem.
pub(super) fn apply(
    d: &mut OpportunityData,
    p: OpportunityPatch,
    problems: &mut Vec<InvalidField>,
) {
    if let Some(title) = p.title {
        d.title = text::required("/title", &title, TITLE_CHARS, problems);
    }
    if let Some(v) = p.estimated_value {
        d.estimated_value = amount("/estimated_value", &v, problems);
    }
    if let Some(c) = p.currency {
        d.currency = currency("/currency", &c, problems);
    }
    if let Some(v) = p.expected_close_date {
        d.expected_close_date = v;
    }
    if let Some(v) = p.owner_id {
        d.owner_id = v;
    }
    if let Some(v) = p.completion_percentage {
        d.completion_percentage = percentage("/completion_percentage", v, problems);
    }
    if let Some(v) = p.lost_reason {
        d.lost_reason = text::optional("/lost_reason", v, LOST_REASON_CHARS, problems);
    }
}

pub(super) fn amount(pointer: &str, raw: &str, problems: &mut Vec<InvalidField>) -> Decimal {
    parse_amount(raw).unwrap_or_else(|e| {
        problems.push(InvalidField::at(pointer, e.0));
        Decimal::ZERO
    })
}

pub(super) fn currency(pointer: &str, raw: &str, problems: &mut Vec<InvalidField>) -> String {
    domain::tenant::parse_currency(raw).unwrap_or_else(|e| {
        problems.push(InvalidField::at(pointer, e.0));
        raw.to_owned()
    })
}

pub(super) fn percentage(pointer: &str, v: i16, problems: &mut Vec<InvalidField>) -> i16 {
    if !(0..=100).contains(&v) {
        problems.push(InvalidField::at(pointer, "must be from 0 to 100"));
    }
    v
}
