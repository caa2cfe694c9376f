//! The languages the product speaks, and how each writes dates, numbers, money and booleans.

use chrono::{Datelike, NaiveDate};

use crate::Invalid;

/// A tenant's locale: the language of its console and of values written into its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    Es,
    En,
}

const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Decimals shown by [`Locale::number`]; more would print binary noise (0.30000000000000004).
const NUMBER_DECIMALS: usize = 6;

impl Locale {
    /// The tenant setting's spelling: `es` or `en`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Es => "es",
            Self::En => "en",
        }
    }

    /// The locale spelled `raw` (`es` or `en`).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw.trim() {
            "es" => Ok(Self::Es),
            "en" => Ok(Self::En),
            _ => Err(Invalid::new("must be one of: es, en")),
        }
    }

    /// A date written out in full: "5 de diciembre de 2026", "December 5, 2026".
    pub fn long_date(self, date: NaiveDate) -> String {
        let month = date.month0() as usize;
        match self {
            Self::Es => format!("{} de {} de {}", date.day(), MONTHS_ES[month], date.year()),
            Self::En => format!("{} {}, {}", MONTHS_EN[month], date.day(), date.year()),
        }
    }

    /// A number with grouped thousands and at most six decimals: "1.234,5", "1,234.5".
    pub fn number(self, value: f64) -> String {
        if !value.is_finite() {
            return value.to_string();
        }
        let fixed = format!("{:.*}", NUMBER_DECIMALS, value.abs());
        let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
        let frac = frac.trim_end_matches('0');
        let sign = if value < 0.0 && !is_zero(int, frac) {
            "-"
        } else {
            ""
        };
        format!("{sign}{}", self.decimal(int, frac))
    }

    /// An amount (a decimal string such as `1234.5`) in an ISO currency, with at least the
    /// currency's minor digits: "1.234,50 €", "€1,234.50"; codes other than EUR, USD and GBP
    /// are written out ("1.234,50 MXN", "MXN 1,234.50"). An amount that is not a decimal is
    /// shown as given.
    pub fn money(self, amount: &str, currency: &str) -> String {
        let code = currency.trim().to_ascii_uppercase();
        let Some((negative, int, frac)) = split_decimal(amount) else {
            return format!("{} {code}", amount.trim());
        };
        let frac = format!("{frac:0<width$}", width = minor_digits(&code));
        let sign = if negative && !is_zero(int, &frac) {
            "-"
        } else {
            ""
        };
        let number = self.decimal(int, &frac);
        match (self, symbol(&code)) {
            (Self::Es, Some(s)) => format!("{sign}{number} {s}"),
            (Self::Es, None) => format!("{sign}{number} {code}"),
            (Self::En, Some(s)) => format!("{sign}{s}{number}"),
            (Self::En, None) => format!("{sign}{code} {number}"),
        }
    }

    /// A boolean as a word: "sí" / "no", "yes" / "no".
    pub const fn yes_no(self, value: bool) -> &'static str {
        match (self, value) {
            (Self::Es, true) => "sí",
            (Self::En, true) => "yes",
            (_, false) => "no",
        }
    }

    /// Unsigned digits with this locale's group and decimal separators.
    fn decimal(self, int: &str, frac: &str) -> String {
        let (group, point) = match self {
            Self::Es => ('.', ','),
            Self::En => (',', '.'),
        };
        let int = int.trim_start_matches('0');
        let int = if int.is_empty() { "0" } else { int };
        let mut out = String::with_capacity(int.len() * 4 / 3 + frac.len() + 1);
        for (i, digit) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(group);
            }
            out.push(digit);
        }
        if !frac.is_empty() {
            out.push(point);
            out.push_str(frac);
        }
        out
    }
}

/// `[+-]digits[.digits]` split into its sign, whole digits and fraction digits.
fn split_decimal(raw: &str) -> Option<(bool, &str, &str)> {
    let raw = raw.trim();
    let (negative, unsigned) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw.strip_prefix('+').unwrap_or(raw)),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok = !(int.is_empty() && frac.is_empty()) && digits(int) && digits(frac);
    ok.then_some((negative, int, frac))
}

fn is_zero(int: &str, frac: &str) -> bool {
    int.chars().chain(frac.chars()).all(|c| c == '0')
}

/// The symbol written for a currency, for the three the product's tenants mostly bill in.
fn symbol(code: &str) -> Option<&'static str> {
    match code {
        "EUR" => Some("€"),
        "USD" => Some("$"),
        "GBP" => Some("£"),
        _ => None,
    }
}

/// Digits after the decimal point in a currency's amounts (ISO 4217 minor units).
fn minor_digits(code: &str) -> usize {
    match code {
        "JPY" | "KRW" | "CLP" | "ISK" | "VND" | "PYG" | "UGX" | "XAF" | "XOF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn locales_are_spelled_as_the_tenant_setting() {
        assert_eq!(Locale::parse("es"), Ok(Locale::Es));
        assert_eq!(Locale::parse(" en "), Ok(Locale::En));
        assert!(Locale::parse("fr").is_err());
        assert_eq!(Locale::En.as_str(), "en");
        assert_eq!(
            serde_json::to_string(&Locale::Es).expect("serialise"),
            "\"es\""
        );
    }

    #[test]
    fn dates_are_written_in_full() {
        assert_eq!(
            Locale::Es.long_date(date(2026, 12, 5)),
            "5 de diciembre de 2026"
        );
        assert_eq!(Locale::En.long_date(date(2026, 12, 5)), "December 5, 2026");
        assert_eq!(
            Locale::Es.long_date(date(2027, 1, 31)),
            "31 de enero de 2027"
        );
    }

    #[test]
    fn numbers_group_thousands_with_the_locales_separators() {
        assert_eq!(Locale::Es.number(1234.5), "1.234,5");
        assert_eq!(Locale::En.number(1234.5), "1,234.5");
        assert_eq!(Locale::Es.number(-1_234_567.0), "-1.234.567");
        assert_eq!(Locale::En.number(999.0), "999");
        assert_eq!(Locale::En.number(0.1 + 0.2), "0.3");
        assert_eq!(Locale::Es.number(0.0), "0");
        assert_eq!(Locale::Es.number(-0.000_000_1), "0");
        assert_eq!(Locale::En.number(100_000.25), "100,000.25");
    }

    #[test]
    fn money_places_the_symbol_as_each_locale_does() {
        assert_eq!(Locale::Es.money("1234.5", "EUR"), "1.234,50 €");
        assert_eq!(Locale::En.money("1234.5", "EUR"), "€1,234.50");
        assert_eq!(Locale::En.money("-20", "usd"), "-$20.00");
        assert_eq!(Locale::Es.money("0.5", "GBP"), "0,50 £");
        assert_eq!(Locale::Es.money("1500", "MXN"), "1.500,00 MXN");
        assert_eq!(Locale::En.money("1500", "MXN"), "MXN 1,500.00");
        assert_eq!(Locale::En.money("1234", "JPY"), "JPY 1,234");
        assert_eq!(Locale::En.money("1.2345", "EUR"), "€1.2345");
        assert_eq!(Locale::Es.money("-0.00", "EUR"), "0,00 €");
        assert_eq!(Locale::Es.money("12,5", "EUR"), "12,5 EUR");
    }

    #[test]
    fn booleans_are_words() {
        assert_eq!(Locale::Es.yes_no(true), "sí");
        assert_eq!(Locale::Es.yes_no(false), "no");
        assert_eq!(Locale::En.yes_no(true), "yes");
    }
}
