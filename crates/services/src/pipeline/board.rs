//! The kanban in one call: a pipeline's stages in order, each with its totals and its first
//! cards. Open cards are all counted; won and lost ones only those closed in the last
//! [`CLOSED_DAYS`] days, so that the closed columns do not grow forever. Two statements, whatever
//! the number of stages: the cards (a lateral read per stage along its order) and the totals.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use db::opportunities::{BoardFilter, CardRow, StageTotalRow};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use uuid::Uuid;

use super::pipelines::{self, StageOut};
use crate::{Error, InvalidField, Result, Scope};

/// Won and lost cards on the board closed at most this many days ago.
pub const CLOSED_DAYS: i64 = 30;
/// Cards per stage unless asked otherwise, and the most that may be asked.
pub const DEFAULT_PER_STAGE: i64 = 50;
pub const MAX_PER_STAGE: i64 = 500;

/// Which board: an owner's or a client's cards only, and how many cards per stage.
#[derive(Debug, Clone, Default)]
pub struct BoardQuery {
    pub owner_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub per_stage: Option<i64>,
}

/// The value of some cards in one currency, and that value weighted by the stage's probability.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoneyTotal {
    pub currency: String,
    pub count: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "125000.00"))]
    pub value: Decimal,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "62500.00"))]
    pub weighted_value: Decimal,
}

/// A card on the board.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Card {
    pub id: Uuid,
    pub client_id: Uuid,
    pub client_name: String,
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "12500.00"))]
    pub estimated_value: Decimal,
    pub currency: String,
    pub expected_close_date: Option<NaiveDate>,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub completion_percentage: i16,
    pub stage_entered_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Whole days in its stage.
    pub days_in_stage: i64,
    /// Longer in an open stage than the stage's rot days.
    pub rotting: bool,
    pub version: i32,
}

/// A column of the board.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardStage {
    #[serde(flatten)]
    pub stage: StageOut,
    /// Every card the board's filter takes in this stage (not only those listed).
    pub count: i64,
    /// Their value per currency.
    pub totals: Vec<MoneyTotal>,
    /// The first cards, in order.
    pub cards: Vec<Card>,
    /// More cards stand in the stage than are listed.
    pub has_more: bool,
}

/// The board of a pipeline.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardOut {
    pub pipeline_id: Uuid,
    pub name: String,
    pub stages: Vec<BoardStage>,
    /// The open cards' value and weighted value per currency (the forecast).
    pub open_totals: Vec<MoneyTotal>,
    /// Won and lost cards closed since then are on the board.
    pub closed_since: DateTime<Utc>,
}

/// A value weighted by a probability in percent, to the cent, half a cent away from zero (as
/// Postgres' `round` does in the forecast).
pub(super) fn weighted(value: Decimal, probability: i16) -> Decimal {
    (value * Decimal::from(probability) / Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The totals of one stage from the rows of all.
pub(super) fn stage_totals(rows: &[StageTotalRow], stage: &StageOut) -> Vec<MoneyTotal> {
    rows.iter()
        .filter(|r| r.stage_id == stage.id)
        .map(|r| MoneyTotal {
            currency: r.currency.clone(),
            count: r.count,
            value: r.value,
            weighted_value: weighted(r.value, stage.probability),
        })
        .collect()
}

/// Adds `more` into `into`, currency by currency.
pub(super) fn add_totals(into: &mut Vec<MoneyTotal>, more: &[MoneyTotal]) {
    for m in more {
        match into.iter_mut().find(|t| t.currency == m.currency) {
            Some(t) => {
                t.count += m.count;
                t.value += m.value;
                t.weighted_value += m.weighted_value;
            }
            None => into.push(m.clone()),
        }
    }
    into.sort_by(|a, b| a.currency.cmp(&b.currency));
}

fn card(row: CardRow, stage: &StageOut, now: DateTime<Utc>) -> Card {
    let days_in_stage = (now - row.stage_entered_at).num_days();
    // As `db::pipeline_metrics::rotting` counts: longer in the stage than its rot days.
    let rotting = stage.kind == "open"
        && stage
            .rot_days
            .is_some_and(|d| now - row.stage_entered_at > Duration::days(i64::from(d)));
    Card {
        id: row.id,
        client_id: row.client_id,
        client_name: row.client_name,
        title: row.title,
        estimated_value: row.estimated_value,
        currency: row.currency,
        expected_close_date: row.expected_close_date,
        owner_id: row.owner_id,
        owner_name: row.owner_name,
        completion_percentage: row.completion_percentage,
        stage_entered_at: row.stage_entered_at,
        closed_at: row.closed_at,
        days_in_stage,
        rotting,
        version: row.version,
    }
}

/// The number of cards per stage asked for, checked.
fn per_stage(asked: Option<i64>) -> Result<i64> {
    match asked {
        None => Ok(DEFAULT_PER_STAGE),
        Some(n) if (1..=MAX_PER_STAGE).contains(&n) => Ok(n),
        Some(_) => Err(Error::Invalid(vec![InvalidField::query(
            "per_stage",
            format!("must be a whole number from 1 to {MAX_PER_STAGE}"),
        )])),
    }
}

/// The board of pipeline `id`.
pub async fn board(scope: &mut Scope, id: Uuid, q: &BoardQuery) -> Result<BoardOut> {
    let limit = per_stage(q.per_stage)?;
    let pipeline = pipelines::get(scope, id).await?.value;
    let now = Utc::now();
    let filter = BoardFilter {
        pipeline_id: id,
        owner_id: q.owner_id,
        client_id: q.client_id,
        closed_since: now - Duration::days(CLOSED_DAYS),
    };
    let mut cards = db::opportunities::board_cards(&mut scope.tx, &filter, limit).await?;
    let totals = db::opportunities::board_totals(&mut scope.tx, &filter).await?;
    let mut open_totals = Vec::new();
    let mut stages = Vec::with_capacity(pipeline.stages.len());
    for stage in pipeline.stages {
        let split = cards
            .iter()
            .position(|c| c.stage_id != stage.id)
            .unwrap_or(cards.len());
        let mine: Vec<CardRow> = cards.drain(..split).collect();
        let stage_totals = stage_totals(&totals, &stage);
        if stage.kind == "open" {
            add_totals(&mut open_totals, &stage_totals);
        }
        let count = stage_totals.iter().map(|t| t.count).sum();
        let listed = mine.len() as i64;
        stages.push(BoardStage {
            cards: mine.into_iter().map(|c| card(c, &stage, now)).collect(),
            has_more: count > listed,
            count,
            totals: stage_totals,
            stage,
        });
    }
    Ok(BoardOut {
        pipeline_id: pipeline.id,
        name: pipeline.name,
        stages,
        open_totals,
        closed_since: filter.closed_since,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn weights_round_to_the_cent() {
        assert_eq!(weighted(d("100.01"), 25), d("25.00"));
        assert_eq!(weighted(d("100.03"), 50), d("50.02"));
        assert_eq!(weighted(d("250.50"), 25), d("62.63"), "half a cent goes up");
        assert_eq!(weighted(d("999.99"), 100), d("999.99"));
        assert_eq!(weighted(d("999.99"), 0), d("0"));
    }

    #[test]
    fn totals_add_up_per_currency() {
        let t = |c: &str, n, v: &str| MoneyTotal {
            currency: c.into(),
            count: n,
            value: d(v),
            weighted_value: d(v),
        };
        let mut all = vec![t("EUR", 1, "10.50")];
        add_totals(&mut all, &[t("USD", 2, "3"), t("EUR", 3, "0.50")]);
        assert_eq!(all, vec![t("EUR", 4, "11.00"), t("USD", 2, "3")]);
    }
}
