//! Line items and their totals, in exact decimal arithmetic. The rounding rule, stated once:
//!
//! - a line's net amount is quantity × unit price × (1 − discount % / 100), rounded to the
//!   cent;
//! - its tax is that net amount × tax rate % / 100, rounded to the cent;
//! - the proposal's subtotal, tax total and total are the sums of the lines' rounded figures
//!   (so every figure printed adds up), and its tax breakdown groups the lines by rate.
//!
//! Rounding is half a cent away from zero (commercial rounding). Inputs are decimal strings:
//! quantities and unit prices with at most three decimals, percentages with at most two.

use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;

/// A line as given, every number a decimal string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    /// Absent: no discount.
    pub discount_percentage: Option<String>,
    /// Absent: no tax (IVA 21 is `"21"`).
    pub tax_rate: Option<String>,
}

/// A checked line with its computed figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub discount_percentage: Decimal,
    pub tax_rate: Decimal,
    /// After the discount, before tax, to the cent.
    pub net: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
}

/// One bad member of a line: its name and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub member: &'static str,
    pub reason: String,
}

/// Most characters of a line's description.
pub const DESCRIPTION_CHARS: usize = 500;
/// The largest quantity or unit price.
const MAX_AMOUNT: i64 = 1_000_000_000;

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A decimal string: digits, an optional point and at most `decimals` decimals, within
/// `[min, max]`.
fn decimal(raw: &str, decimals: usize, min: Decimal, max: Decimal) -> Result<Decimal, String> {
    let shape =
        || format!("must be a decimal string such as \"12.5\" (at most {decimals} decimals)");
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || fraction.len() > decimals
        || raw.ends_with('.')
        || whole.len() > 12
    {
        return Err(shape());
    }
    let value = Decimal::from_str(raw).map_err(|_| shape())?;
    if value < min || value > max {
        return Err(format!("must be from {min} to {max}"));
    }
    Ok(value)
}

/// Checks a line and computes its figures; each bad member is one problem.
pub fn line(input: &LineInput) -> Result<Line, Vec<LineProblem>> {
    let mut problems = Vec::new();
    let mut take = |member: &'static str, r: Result<Decimal, String>| {
        r.unwrap_or_else(|reason| {
            problems.push(LineProblem { member, reason });
            Decimal::ZERO
        })
    };
    let max = Decimal::from(MAX_AMOUNT);
    let hundred = Decimal::ONE_HUNDRED;
    let quantity = take("quantity", decimal(&input.quantity, 3, Decimal::ZERO, max));
    let unit_price = take(
        "unit_price",
        decimal(&input.unit_price, 3, Decimal::ZERO, max),
    );
    let discount = take(
        "discount_percentage",
        input
            .discount_percentage
            .as_deref()
            .map_or(Ok(Decimal::ZERO), |d| decimal(d, 2, Decimal::ZERO, hundred)),
    );
    let tax_rate = take(
        "tax_rate",
        input
            .tax_rate
            .as_deref()
            .map_or(Ok(Decimal::ZERO), |d| decimal(d, 2, Decimal::ZERO, hundred)),
    );
    let description = input.description.trim().to_owned();
    if description.is_empty() || description.chars().count() > DESCRIPTION_CHARS {
        problems.push(LineProblem {
            member: "description",
            reason: format!("must be 1-{DESCRIPTION_CHARS} characters"),
        });
    }
    if quantity.is_zero() && !problems.iter().any(|p| p.member == "quantity") {
        problems.push(LineProblem {
            member: "quantity",
            reason: "must be more than 0".into(),
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let net = cents(quantity * unit_price * (hundred - discount) / hundred);
    let tax = cents(net * tax_rate / hundred);
    Ok(Line {
        description,
        quantity,
        unit_price,
        discount_percentage: discount,
        tax_rate,
        net,
        tax,
        total: net + tax,
    })
}

/// The tax of the lines at one rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxBreakdown {
    pub rate: Decimal,
    pub base: Decimal,
    pub tax: Decimal,
}

/// A proposal's totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub subtotal: Decimal,
    pub tax_total: Decimal,
    pub total: Decimal,
    /// By rate, the lowest first.
    pub taxes: Vec<TaxBreakdown>,
}

/// The sums of the lines' rounded figures.
pub fn totals(lines: &[Line]) -> Totals {
    let mut taxes: Vec<TaxBreakdown> = Vec::new();
    for l in lines {
        match taxes.iter_mut().find(|t| t.rate == l.tax_rate) {
            Some(t) => {
                t.base += l.net;
                t.tax += l.tax;
            }
            None => taxes.push(TaxBreakdown {
                rate: l.tax_rate,
                base: l.net,
                tax: l.tax,
            }),
        }
    }
    taxes.sort_by_key(|t| t.rate);
    let subtotal: Decimal = lines.iter().map(|l| l.net).sum();
    let tax_total: Decimal = lines.iter().map(|l| l.tax).sum();
    Totals {
        subtotal,
        tax_total,
        total: subtotal + tax_total,
        taxes,
    }
}

/// The discount of the whole proposal in percent, to two decimals: how much less its subtotal
/// is than its lines at list price (quantity × unit price). Zero for an empty proposal.
pub fn overall_discount(lines: &[Line]) -> Decimal {
    let list: Decimal = lines.iter().map(|l| cents(l.quantity * l.unit_price)).sum();
    if list.is_zero() {
        return Decimal::ZERO;
    }
    let net: Decimal = lines.iter().map(|l| l.net).sum();
    ((list - net) * Decimal::ONE_HUNDRED / list)
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    fn input(q: &str, p: &str, disc: Option<&str>, tax: Option<&str>) -> LineInput {
        LineInput {
            description: "Servicio".into(),
            quantity: q.into(),
            unit_price: p.into(),
            discount_percentage: disc.map(Into::into),
            tax_rate: tax.map(Into::into),
        }
    }

    #[test]
    fn three_decimal_prices_round_per_line() {
        // 3 × 0.335 = 1.005 → 1.01 (half away from zero); IVA 21 % of 1.01 = 0.2121 → 0.21.
        let l = line(&input("3", "0.335", None, Some("21"))).expect("line");
        assert_eq!((l.net, l.tax, l.total), (d("1.01"), d("0.21"), d("1.22")));
        // Two such lines: each rounded, then added (2.02, not round(2.010) = 2.01).
        let t = totals(&[l.clone(), l]);
        assert_eq!(
            (t.subtotal, t.tax_total, t.total),
            (d("2.02"), d("0.42"), d("2.44"))
        );
    }

    #[test]
    fn a_full_discount_is_free_and_untaxed() {
        let l = line(&input("2.5", "199.999", Some("100"), Some("21"))).expect("line");
        assert_eq!((l.net, l.tax, l.total), (d("0"), d("0"), d("0")));
    }

    #[test]
    fn mixed_rates_are_broken_down() {
        let lines = [
            line(&input("1", "100", Some("10"), Some("21"))).expect("a"),
            line(&input("2", "50.005", None, Some("10"))).expect("b"),
            line(&input("1", "30", None, None)).expect("c"),
            line(&input("1", "10", None, Some("21"))).expect("d"),
        ];
        let t = totals(&lines);
        // a: 90.00 + 18.90; b: 100.01 + 10.00 (10.001); c: 30.00; d: 10.00 + 2.10.
        assert_eq!(t.subtotal, d("230.01"));
        assert_eq!(t.tax_total, d("31.00"));
        assert_eq!(t.total, d("261.01"));
        let by_rate: Vec<(Decimal, Decimal, Decimal)> =
            t.taxes.iter().map(|x| (x.rate, x.base, x.tax)).collect();
        assert_eq!(
            by_rate,
            [
                (d("0"), d("30.00"), d("0")),
                (d("10"), d("100.01"), d("10.00")),
                (d("21"), d("100.00"), d("21.00")),
            ]
        );
    }

    #[test]
    fn each_bad_member_is_named() {
        let bad = LineInput {
            description: "  ".into(),
            quantity: "0".into(),
            unit_price: "1.2345".into(),
            discount_percentage: Some("100.5".into()),
            tax_rate: Some("-21".into()),
        };
        let members: Vec<&str> = line(&bad)
            .expect_err("bad")
            .iter()
            .map(|p| p.member)
            .collect();
        assert_eq!(
            members,
            [
                "unit_price",
                "discount_percentage",
                "tax_rate",
                "description",
                "quantity"
            ]
        );
        for q in ["1e2", "1,5", "", ".5", "5.", "-1", "10000000000000"] {
            assert!(line(&input(q, "1", None, None)).is_err(), "{q:?}");
        }
    }

    #[test]
    fn the_overall_discount_weighs_lines_by_list_price() {
        let lines: Vec<Line> = [
            input("1", "1000", Some("10"), None),
            input("2", "500", None, Some("21")),
        ]
        .iter()
        .map(|i| line(i).expect("valid"))
        .collect();
        assert_eq!(overall_discount(&lines), d("5"));
        assert_eq!(overall_discount(&[]), Decimal::ZERO);
        let free = [line(&input("3", "9.999", Some("100"), None)).expect("valid")];
        assert_eq!(overall_discount(&free), d("100"));
    }
}
