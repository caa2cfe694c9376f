//! A pipeline's figures over a period: count and value per stage, the weighted forecast by
//! expected close month, stage-to-stage conversion, the average days in each stage (velocity),
//! the win rate, and the rotting deals.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use db::opportunities::BoardFilter;
use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use super::board::{MoneyTotal, stage_totals};
use super::pipelines;
use crate::{Error, InvalidField, Result, Scope};

/// The default period: the last 90 days.
pub const DEFAULT_DAYS: i64 = 90;
/// Rotting opportunities listed (all are counted).
pub const ROTTING_LISTED: i64 = 20;

/// One stage's figures.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageMetrics {
    pub stage_id: Uuid,
    pub name: String,
    /// `open`, `won` or `lost`.
    pub kind: String,
    /// Cards in the stage now (won and lost ones: closed in the period).
    pub count: i64,
    pub totals: Vec<MoneyTotal>,
    /// Opportunities created in the period that reached this stage or a later one (not lost);
    /// `null` for a lost stage.
    pub reached: Option<i64>,
    /// The share of those that went on to the next stage that is not a lost one (0-1);
    /// `null` for the last such stage or when none reached this one.
    pub conversion_to_next: Option<f64>,
    /// Stays in the stage that ended in the period, and their average length in days.
    pub stays_ended: i64,
    pub average_days: Option<f64>,
}

/// The weighted value expected to close in one month (or with no date: `month` is `null`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForecastMonth {
    /// The first day of the month.
    pub month: Option<NaiveDate>,
    pub currency: String,
    pub count: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub value: Decimal,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub weighted_value: Decimal,
}

/// What closed in the period with one outcome, per currency.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outcome {
    pub count: i64,
    pub totals: Vec<MoneyTotal>,
}

/// A rotting opportunity.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RottingDeal {
    pub id: Uuid,
    pub title: String,
    pub client_id: Uuid,
    pub stage_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub estimated_value: Decimal,
    pub currency: String,
    pub days_in_stage: i64,
}

/// The open opportunities past their stage's rot days: how many, and the longest-standing.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rotting {
    pub count: i64,
    pub opportunities: Vec<RottingDeal>,
}

/// A pipeline's figures over `[from, to)`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricsOut {
    pub pipeline_id: Uuid,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub stages: Vec<StageMetrics>,
    pub forecast: Vec<ForecastMonth>,
    pub won: Outcome,
    pub lost: Outcome,
    /// Won ÷ (won + lost) closed in the period; `null` when none closed.
    pub win_rate: Option<f64>,
    pub rotting: Rotting,
}

/// The period asked for: both ends or the last [`DEFAULT_DAYS`] days.
pub fn period(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let to = to.unwrap_or(now);
    let from = from.unwrap_or(to - Duration::days(DEFAULT_DAYS));
    if from >= to {
        return Err(Error::Invalid(vec![InvalidField::query(
            "from",
            "must be before `to`",
        )]));
    }
    Ok((from, to))
}

fn outcome(rows: &[db::pipeline_metrics::OutcomeRow], kind: &str) -> Outcome {
    let totals: Vec<MoneyTotal> = rows
        .iter()
        .filter(|r| r.kind == kind)
        .map(|r| MoneyTotal {
            currency: r.currency.clone(),
            count: r.count,
            value: r.value,
            weighted_value: if kind == "won" {
                r.value
            } else {
                Decimal::ZERO
            },
        })
        .collect();
    Outcome {
        count: totals.iter().map(|t| t.count).sum(),
        totals,
    }
}

/// The share `part / whole`, none of nothing.
fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The figures of pipeline `id` over `[from, to)`.
pub async fn metrics(
    scope: &mut Scope,
    id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<MetricsOut> {
    let pipeline = pipelines::get(scope, id).await?.value;
    let now = Utc::now();
    let filter = BoardFilter {
        pipeline_id: id,
        owner_id: None,
        client_id: None,
        closed_since: from,
    };
    let totals = db::opportunities::board_totals(&mut scope.tx, &filter).await?;
    let reach = db::pipeline_metrics::reach(&mut scope.tx, id, from, to).await?;
    let velocity = db::pipeline_metrics::velocity(&mut scope.tx, id, from, to).await?;
    let outcomes = db::pipeline_metrics::outcomes(&mut scope.tx, id, from, to).await?;
    let forecast = db::pipeline_metrics::forecast(&mut scope.tx, id).await?;
    let (rotting, rotting_count) =
        db::pipeline_metrics::rotting(&mut scope.tx, id, now, ROTTING_LISTED).await?;
    let mut stages = Vec::new();
    for stage in &pipeline.stages {
        let totals = stage_totals(&totals, stage);
        let reached = reach.iter().position(|r| r.stage_id == stage.id);
        let next = reached.and_then(|i| reach.get(i + 1));
        let v = velocity.iter().find(|v| v.stage_id == stage.id);
        stages.push(StageMetrics {
            stage_id: stage.id,
            name: stage.name.clone(),
            kind: stage.kind.clone(),
            count: totals.iter().map(|t| t.count).sum(),
            totals,
            reached: reached.map(|i| reach[i].reached),
            conversion_to_next: match (reached, next) {
                (Some(i), Some(n)) => share(n.reached, reach[i].reached),
                _ => None,
            },
            stays_ended: v.map_or(0, |v| v.stays),
            average_days: v.map(|v| v.average_days),
        });
    }
    let (won, lost) = (outcome(&outcomes, "won"), outcome(&outcomes, "lost"));
    Ok(MetricsOut {
        pipeline_id: id,
        from,
        to,
        stages,
        forecast: forecast
            .into_iter()
            .map(|f| ForecastMonth {
                month: f.month,
                currency: f.currency,
                count: f.count,
                value: f.value,
                weighted_value: f.weighted,
            })
            .collect(),
        win_rate: share(won.count, won.count + lost.count),
        won,
        lost,
        rotting: Rotting {
            count: rotting_count,
            opportunities: rotting
                .into_iter()
                .map(|r| RottingDeal {
                    id: r.id,
                    title: r.title,
                    client_id: r.client_id,
                    stage_id: r.stage_id,
                    estimated_value: r.estimated_value,
                    currency: r.currency,
                    days_in_stage: (now - r.stage_entered_at).num_days(),
                })
                .collect(),
        },
    })
}
