//! Proposal KPIs for `GET /api/v1/kpis/proposals`: over the proposals sent in a period, how
//! many were accepted, rejected or expired, the conversion rate, the average value, the days to
//! close, the value still pending, and the return of each template version (won value ÷
//! proposals sent).
//!
//! The cohort is the proposals whose `sent_at` falls in the period, whatever happened to them
//! since: every sent row counts as one proposal sent, each revision of a proposal included, and
//! `pending` and `pending_value` are those of the cohort still waiting for an answer. Money is
//! never added across currencies: values are per currency, and the template figures are per
//! template version and currency.

use chrono::{DateTime, Utc};
use db::proposal_kpis::{CurrencyFigures, TemplateVersionFigures};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use uuid::Uuid;

use crate::kpis::KpiParams;
use crate::{Result, Scope};

const SECONDS_PER_DAY: i64 = 86_400;

/// One currency's figures over the period's sent proposals.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurrencyKpis {
    pub currency: String,
    pub sent: i64,
    pub accepted: i64,
    /// The mean total of the sent proposals.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "4250.00"))]
    pub average_value: Decimal,
    /// Σ total of those still waiting for an answer.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "12000.00"))]
    pub pending_value: Decimal,
    /// Σ total of the accepted ones.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "8500.00"))]
    pub won_value: Decimal,
}

/// What one template version's proposals in one currency brought.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateVersionKpis {
    pub template_id: Uuid,
    pub template_name: String,
    pub template_version: i32,
    pub currency: String,
    pub sent: i64,
    pub accepted: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "8500.00"))]
    pub won_value: Decimal,
    /// `won_value ÷ sent`, to the cent (half a cent away from zero).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "2833.33"))]
    pub won_value_per_sent: Decimal,
}

/// The proposal KPIs of a period.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposalKpis {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Proposals sent in the period (every revision sent counts).
    pub sent: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub expired: i64,
    /// Still waiting for an answer.
    pub pending: i64,
    /// `accepted ÷ (accepted + rejected + expired)`, from 0 to 1; null when none was decided.
    pub conversion_rate: Option<f64>,
    /// Mean days from sending to acceptance, to a tenth; null when none was accepted.
    pub average_days_to_close: Option<f64>,
    /// The values, per currency, by currency code.
    pub by_currency: Vec<CurrencyKpis>,
    /// Per template version and currency, by template name, version and currency.
    pub by_template_version: Vec<TemplateVersionKpis>,
}

/// Money as shown: to the cent, always with two decimals.
fn cents(mut d: Decimal) -> Decimal {
    d = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    d.rescale(2);
    d
}

fn currency_kpis(f: &CurrencyFigures) -> CurrencyKpis {
    CurrencyKpis {
        currency: f.currency.clone(),
        sent: f.sent,
        accepted: f.accepted,
        average_value: cents(f.average_value),
        pending_value: cents(f.pending_value),
        won_value: cents(f.won_value),
    }
}

fn template_kpis(f: TemplateVersionFigures) -> TemplateVersionKpis {
    // `sent` is a count of a group, so at least 1.
    let per_sent = f.won_value / Decimal::from(f.sent.max(1));
    TemplateVersionKpis {
        template_id: f.template_id,
        template_name: f.template_name,
        template_version: f.template_version,
        currency: f.currency,
        sent: f.sent,
        accepted: f.accepted,
        won_value: cents(f.won_value),
        won_value_per_sent: cents(per_sent),
    }
}

/// The figures of the whole cohort, from its per-currency ones.
fn totals(rows: &[CurrencyFigures], from: DateTime<Utc>, to: DateTime<Utc>) -> ProposalKpis {
    let sum = |f: fn(&CurrencyFigures) -> i64| rows.iter().map(f).sum::<i64>();
    let (accepted, rejected, expired) =
        (sum(|r| r.accepted), sum(|r| r.rejected), sum(|r| r.expired));
    let decided = accepted + rejected + expired;
    let seconds: Decimal = rows.iter().map(|r| r.seconds_to_accept).sum();
    let days = (accepted > 0).then(|| {
        (seconds / Decimal::from(accepted) / Decimal::from(SECONDS_PER_DAY))
            .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
    });
    ProposalKpis {
        from,
        to,
        sent: sum(|r| r.sent),
        accepted,
        rejected,
        expired,
        pending: sum(|r| r.pending),
        conversion_rate: (decided > 0).then(|| accepted as f64 / decided as f64),
        average_days_to_close: days.and_then(|d| d.to_f64()),
        by_currency: rows.iter().map(currency_kpis).collect(),
        by_template_version: Vec::new(),
    }
}

/// The proposal KPIs of the period `params` gives (its `active_days` is not used).
pub async fn proposal_kpis(scope: &mut Scope, params: &KpiParams) -> Result<ProposalKpis> {
    let (from, to) = (params.from, params.to);
    let rows = db::proposal_kpis::per_currency(&mut scope.tx, from, to).await?;
    let mut kpis = totals(&rows, from, to);
    kpis.by_template_version = db::proposal_kpis::per_template_version(&mut scope.tx, from, to)
        .await?
        .into_iter()
        .map(template_kpis)
        .collect();
    Ok(kpis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(currency: &str, counts: [i64; 5], values: [&str; 4]) -> CurrencyFigures {
        let d = |s: &str| s.parse::<Decimal>().expect("decimal");
        CurrencyFigures {
            currency: currency.into(),
            sent: counts[0],
            accepted: counts[1],
            rejected: counts[2],
            expired: counts[3],
            pending: counts[4],
            average_value: d(values[0]),
            pending_value: d(values[1]),
            won_value: d(values[2]),
            seconds_to_accept: d(values[3]),
        }
    }

    #[test]
    fn totals_add_counts_across_currencies_but_never_money() {
        let now = Utc::now();
        let rows = [
            // Two accepted after 1 and 2 days, one rejected, one pending.
            figures("EUR", [4, 2, 1, 0, 1], ["150.5", "100", "300", "259200"]),
            // One accepted after 0.5 days, one expired.
            figures("USD", [2, 1, 0, 1, 0], ["70", "0", "90", "43200"]),
        ];
        let k = totals(&rows, now, now);
        assert_eq!(
            (k.sent, k.accepted, k.rejected, k.expired, k.pending),
            (6, 3, 1, 1, 1)
        );
        assert_eq!(k.conversion_rate, Some(0.6));
        // (1 + 2 + 0.5) / 3 = 1.1666… days.
        assert_eq!(k.average_days_to_close, Some(1.2));
        let eur = serde_json::to_value(&k.by_currency[0]).expect("json");
        assert_eq!(eur["average_value"], "150.50");
        assert_eq!(eur["pending_value"], "100.00");
        assert_eq!(eur["won_value"], "300.00");
        assert_eq!(k.by_currency[1].pending_value.to_string(), "0.00");
    }

    #[test]
    fn nothing_decided_has_no_rate_and_no_time_to_close() {
        let now = Utc::now();
        let k = totals(
            &[figures("EUR", [1, 0, 0, 0, 1], ["10", "10", "0", "0"])],
            now,
            now,
        );
        assert_eq!((k.conversion_rate, k.average_days_to_close), (None, None));
        assert!(totals(&[], now, now).by_currency.is_empty());
    }

    #[test]
    fn a_template_versions_return_is_won_value_per_proposal_sent() {
        let t = template_kpis(TemplateVersionFigures {
            template_id: Uuid::now_v7(),
            template_name: "Oferta".into(),
            template_version: 2,
            currency: "EUR".into(),
            sent: 3,
            accepted: 1,
            won_value: "100.00".parse().expect("decimal"),
        });
        assert_eq!(t.won_value_per_sent.to_string(), "33.33");
        assert_eq!(t.won_value.to_string(), "100.00");
        let half = template_kpis(TemplateVersionFigures {
            sent: 8,
            won_value: "0.20".parse().expect("decimal"),
            ..TemplateVersionFigures {
                template_id: t.template_id,
                template_name: t.template_name.clone(),
                template_version: 1,
                currency: "EUR".into(),
                sent: 0,
                accepted: 0,
                won_value: Decimal::ZERO,
            }
        });
        assert_eq!(
            half.won_value_per_sent.to_string(),
            "0.03",
            "0.025 rounds away from zero"
        );
    }
}
