//! The dashboard's proposals card (issue 16), for holders of `proposals.view`: the proposals
//! sent and awaiting the client's answer, how many and their value in the tenant's currency
//! (other currencies written out below), from `services::proposals::pending`, with the way to
//! the list of them.

use db::proposals::Pending;
use rust_decimal::Decimal;

use super::dashboard::KpiCard;
use super::pipeline_view::money;
use crate::i18n::Locale;

/// The proposals card: its figures, and the pending value in other currencies.
pub(super) struct ProposalsRow {
    pub(super) cards: Vec<KpiCard>,
    pub(super) other_currencies: Vec<String>,
    pub(super) list_url: &'static str,
}

pub(super) fn proposals_row(pending: &[Pending], locale: Locale, currency: &str) -> ProposalsRow {
    let count: i64 = pending.iter().map(|p| p.count).sum();
    let value = pending
        .iter()
        .find(|p| p.currency == currency)
        .map_or(Decimal::ZERO, |p| p.value);
    let mut others: Vec<&Pending> = pending.iter().filter(|p| p.currency != currency).collect();
    others.sort_by(|a, b| a.currency.cmp(&b.currency));
    let card = |key: &'static str, label: &str, value: String| KpiCard {
        key,
        label: locale.t(label),
        value,
    };
    ProposalsRow {
        cards: vec![
            card(
                "pending_count",
                "proposals-pending-count",
                locale.int(count),
            ),
            card(
                "pending_value",
                "proposals-pending-value",
                money(locale, value, currency),
            ),
        ],
        other_currencies: others
            .into_iter()
            .map(|p| money(locale, p.value, &p.currency))
            .collect(),
        list_url: "/proposals?status=sent",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(currency: &str, count: i64, value: i64) -> Pending {
        Pending {
            currency: currency.into(),
            count,
            value: Decimal::from(value),
        }
    }

    #[test]
    fn the_count_is_every_currency_and_the_value_the_tenants() {
        let row = proposals_row(
            &[
                pending("USD", 3, 900),
                pending("EUR", 2, 12500),
                pending("CHF", 1, 40),
            ],
            Locale::Es,
            "EUR",
        );
        let values: Vec<&str> = row.cards.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(values, ["6", "12.500 EUR"]);
        assert_eq!(row.other_currencies, ["40 CHF", "900 USD"]);
        let none = proposals_row(&[], Locale::En, "EUR");
        assert_eq!(none.cards[1].value, "0 EUR");
    }
}
