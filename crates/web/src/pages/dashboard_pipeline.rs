//! The dashboard's pipeline row (issue 16), for holders of `pipeline.view`: the default
//! pipeline's value per stage in the tenant's currency (and its weighted value) as a chart, and
//! the cards of the open pipeline and its weighted forecast, from the same service as the board
//! (`services::pipeline::board`, which counts every card in its totals).

use serde_json::json;
use services::pipeline::{BoardOut, BoardQuery};

use super::dashboard::KpiCard;
use super::pipeline_view::{chart_number, money, total_lines, value_in};
use crate::i18n::Locale;
use crate::page::{Page, PageError};

/// The pipeline row: the value per stage as a chart, its cards, and the open value in other
/// currencies.
pub(super) struct PipelineRow {
    pub(super) name: String,
    pub(super) per_stage: String,
    pub(super) cards: Vec<KpiCard>,
    /// The open value in currencies other than the tenant's, written out.
    pub(super) other_currencies: Vec<String>,
}

/// The default pipeline's board with its totals (the cards themselves are not shown).
pub(super) async fn default_board(page: &mut Page) -> Result<BoardOut, PageError> {
    let pipeline = services::pipeline::pipelines::default_pipeline(&mut page.ctx)
        .await?
        .value;
    let q = BoardQuery {
        per_stage: Some(1),
        ..BoardQuery::default()
    };
    Ok(services::pipeline::board(&mut page.ctx, pipeline.id, &q).await?)
}

pub(super) fn pipeline_row(board: &BoardOut, locale: Locale, currency: &str) -> PipelineRow {
    let labels: Vec<&str> = board.stages.iter().map(|s| s.stage.name.as_str()).collect();
    let values: Vec<(f64, f64)> = board
        .stages
        .iter()
        .map(|s| {
            let (value, weighted) = value_in(&s.totals, currency);
            (chart_number(value), chart_number(weighted))
        })
        .collect();
    let per_stage = json!({
        "labels": labels,
        "series": [
            { "label": locale.t_with("pipeline-chart-value", &[("currency", crate::i18n::Arg::Text(currency.to_owned()))]),
              "values": values.iter().map(|v| v.0).collect::<Vec<_>>() },
            { "label": locale.t("pipeline-weighted"),
              "values": values.iter().map(|v| v.1).collect::<Vec<_>>() },
        ],
    });
    let (open, weighted) = value_in(&board.open_totals, currency);
    let open_count: i64 = board
        .stages
        .iter()
        .filter(|s| s.stage.kind == "open")
        .map(|s| s.count)
        .sum();
    let card = |key: &'static str, label: &str, value: String| KpiCard {
        key,
        label: locale.t(label),
        value,
    };
    PipelineRow {
        name: board.name.clone(),
        per_stage: per_stage.to_string(),
        cards: vec![
            card(
                "open_value",
                "pipeline-open-value",
                money(locale, open, currency),
            ),
            card(
                "weighted_forecast",
                "pipeline-weighted-forecast",
                money(locale, weighted, currency),
            ),
            card("open_count", "pipeline-open-count", locale.int(open_count)),
        ],
        other_currencies: total_lines(locale, &board.open_totals, currency)
            .into_iter()
            .filter(|l| !l.main)
            .map(|l| {
                format!(
                    "{} ({} {})",
                    l.value,
                    locale.t("pipeline-weighted"),
                    l.weighted
                )
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::Utc;
    use rust_decimal::Decimal;
    use services::pipeline::{BoardStage, MoneyTotal, StageOut};
    use uuid::Uuid;

    use super::*;

    fn total(currency: &str, value: &str, weighted: &str) -> MoneyTotal {
        MoneyTotal {
            currency: currency.into(),
            count: 1,
            value: Decimal::from_str(value).expect("decimal"),
            weighted_value: Decimal::from_str(weighted).expect("decimal"),
        }
    }

    fn stage(name: &str, kind: &str, count: i64, totals: Vec<MoneyTotal>) -> BoardStage {
        BoardStage {
            stage: StageOut {
                id: Uuid::now_v7(),
                name: name.into(),
                position: 0,
                probability: 50,
                kind: kind.into(),
                rot_days: None,
                on_proposal_sent: false,
            },
            count,
            totals,
            cards: Vec::new(),
            has_more: count > 0,
        }
    }

    #[test]
    fn the_chart_has_one_bar_per_stage_in_the_tenant_currency() {
        let board = BoardOut {
            pipeline_id: Uuid::now_v7(),
            name: "Ventas".into(),
            stages: vec![
                stage(
                    "Nuevo",
                    "open",
                    2,
                    vec![total("EUR", "1000", "500"), total("USD", "40", "20")],
                ),
                stage("Ganado", "won", 1, vec![total("EUR", "300", "300")]),
                stage("Perdido", "lost", 0, Vec::new()),
            ],
            open_totals: vec![total("EUR", "1000", "500"), total("USD", "40", "20")],
            closed_since: Utc::now(),
        };
        let row = pipeline_row(&board, Locale::En, "EUR");
        let chart: serde_json::Value = serde_json::from_str(&row.per_stage).expect("json");
        assert_eq!(chart["labels"], json!(["Nuevo", "Ganado", "Perdido"]));
        assert_eq!(chart["series"][0]["values"], json!([1000.0, 300.0, 0.0]));
        assert_eq!(chart["series"][1]["values"], json!([500.0, 300.0, 0.0]));
        let values: Vec<&str> = row.cards.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(values, ["1,000 EUR", "500 EUR", "2"]);
        assert_eq!(row.other_currencies, ["40 USD (Weighted 20 USD)"]);
    }
}
