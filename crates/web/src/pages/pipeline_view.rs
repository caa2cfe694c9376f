//! What the pipeline pages show of money and stages, the same way on every page: amounts in the
//! page's language with their currency, the labels of the stage kinds, a date without time,
//! and totals per currency with the tenant's own currency first.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use services::pipeline::MoneyTotal;

use crate::i18n::Locale;

/// The stage kinds, in the order the forms offer them.
pub const KINDS: [&str; 3] = ["open", "won", "lost"];

/// An amount (never negative) as the locale writes it, with its currency: `12.500,50 EUR`,
/// `12,500.50 EUR` (whole amounts without decimals: `12.500 EUR`).
pub fn money(locale: Locale, value: Decimal, currency: &str) -> String {
    let value = value.round_dp(2);
    let whole = value.trunc();
    let cents = ((value - whole).abs() * Decimal::from(100))
        .to_i64()
        .unwrap_or(0);
    let mut text = match whole.to_i64() {
        Some(n) => locale.int(n),
        None => whole.to_string(),
    };
    if cents > 0 {
        let point = match locale {
            Locale::Es => ',',
            Locale::En => '.',
        };
        text.push(point);
        text.push_str(&format!("{cents:02}"));
    }
    format!("{text} {currency}")
}

/// An amount as a chart's number.
pub fn chart_number(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(0.0)
}

/// A calendar date as the locale writes it: `15/02/2027`, `15 Feb 2027`.
pub fn date(locale: Locale, day: NaiveDate) -> String {
    match locale {
        Locale::Es => day.format("%d/%m/%Y").to_string(),
        Locale::En => day.format("%-d %b %Y").to_string(),
    }
}

/// The label of a stage kind (`open`, `won`, `lost`).
pub fn kind_label(locale: Locale, kind: &str) -> String {
    locale.t(&format!("pipeline-kind-{kind}"))
}

/// The badge colour of a stage kind.
pub fn kind_class(kind: &str) -> &'static str {
    match kind {
        "won" => "text-bg-success",
        "lost" => "text-bg-secondary",
        _ => "text-bg-primary",
    }
}

/// One currency's line of a total, written out.
pub struct TotalLine {
    pub currency: String,
    pub count: i64,
    pub value: String,
    pub weighted: String,
    /// The tenant's own currency (shown first and larger).
    pub main: bool,
}

/// `totals` per currency, the tenant's currency first (zero when nothing is in it), then the
/// others by code.
pub fn total_lines(locale: Locale, totals: &[MoneyTotal], tenant_currency: &str) -> Vec<TotalLine> {
    let line = |t: &MoneyTotal| TotalLine {
        currency: t.currency.clone(),
        count: t.count,
        value: money(locale, t.value, &t.currency),
        weighted: money(locale, t.weighted_value, &t.currency),
        main: t.currency == tenant_currency,
    };
    let mut out: Vec<TotalLine> = Vec::with_capacity(totals.len() + 1);
    match totals.iter().find(|t| t.currency == tenant_currency) {
        Some(t) => out.push(line(t)),
        None => out.push(line(&MoneyTotal {
            currency: tenant_currency.to_owned(),
            count: 0,
            value: Decimal::ZERO,
            weighted_value: Decimal::ZERO,
        })),
    }
    let mut others: Vec<&MoneyTotal> = totals
        .iter()
        .filter(|t| t.currency != tenant_currency)
        .collect();
    others.sort_by(|a, b| a.currency.cmp(&b.currency));
    out.extend(others.into_iter().map(line));
    out
}

/// The value of `totals` in `currency` (zero when none).
pub fn value_in(totals: &[MoneyTotal], currency: &str) -> (Decimal, Decimal) {
    totals
        .iter()
        .find(|t| t.currency == currency)
        .map_or((Decimal::ZERO, Decimal::ZERO), |t| {
            (t.value, t.weighted_value)
        })
}

/// An amount as typed in a form, for the service: blank is zero, and a decimal comma (how
/// Spanish is typed) is a point. Anything else goes as typed, for the service to refuse.
pub fn typed_amount(raw: &str) -> String {
    let raw = raw.trim();
    if raw.is_empty() {
        return "0".to_owned();
    }
    if raw.contains(',') && !raw.contains('.') && raw.matches(',').count() == 1 {
        return raw.replace(',', ".");
    }
    raw.to_owned()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn amounts_are_written_per_locale() {
        assert_eq!(money(Locale::Es, d("12500.5"), "EUR"), "12.500,50 EUR");
        assert_eq!(money(Locale::En, d("12500.5"), "EUR"), "12,500.50 EUR");
        assert_eq!(money(Locale::Es, d("1250"), "USD"), "1250 USD");
        assert_eq!(money(Locale::En, d("0.01"), "EUR"), "0.01 EUR");
        assert_eq!(money(Locale::En, d("0"), "EUR"), "0 EUR");
    }

    #[test]
    fn the_tenant_currency_comes_first_even_when_empty() {
        let t = |c: &str, v: &str| MoneyTotal {
            currency: c.into(),
            count: 1,
            value: d(v),
            weighted_value: d(v),
        };
        let lines = total_lines(Locale::En, &[t("USD", "10"), t("CHF", "5")], "EUR");
        let codes: Vec<&str> = lines.iter().map(|l| l.currency.as_str()).collect();
        assert_eq!(codes, ["EUR", "CHF", "USD"]);
        assert!(lines[0].main && lines[0].count == 0);
        assert_eq!(lines[2].value, "10 USD");
    }

    #[test]
    fn typed_amounts_accept_a_decimal_comma() {
        assert_eq!(typed_amount(" 1250,5 "), "1250.5");
        assert_eq!(typed_amount(""), "0");
        assert_eq!(typed_amount("1.250,50"), "1.250,50");
        assert_eq!(typed_amount("abc"), "abc");
    }

    #[test]
    fn dates_have_no_time() {
        let day = NaiveDate::from_ymd_opt(2027, 2, 5).expect("date");
        assert_eq!(date(Locale::Es, day), "05/02/2027");
        assert_eq!(date(Locale::En, day), "5 Feb 2027");
    }
}
