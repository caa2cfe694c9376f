//! Money amounts as exact decimals: given as strings ("1234.50"), never as floats.

use rust_decimal::Decimal;
use std::str::FromStr;

use crate::Invalid;

/// The largest amount an opportunity may be worth (what `numeric(16, 2)` holds).
pub const MAX_AMOUNT: &str = "99999999999999.99";

/// An amount from its decimal string: digits with an optional point and at most two decimals,
/// not negative, at most [`MAX_AMOUNT`]. No exponent, no thousands separator, no sign.
pub fn parse_amount(raw: &str) -> Result<Decimal, Invalid> {
    let shape =
        || Invalid::new("must be a decimal string such as \"1250.00\" (at most two decimals)");
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 2 {
        return Err(shape());
    }
    if raw.ends_with('.') {
        return Err(shape());
    }
    let value = Decimal::from_str(raw).map_err(|_| shape())?;
    let max = Decimal::from_str(MAX_AMOUNT).map_err(|_| shape())?;
    if value > max {
        return Err(Invalid::new(format!("must be at most {MAX_AMOUNT}")));
    }
    Ok(value.round_dp(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_are_amounts() {
        assert_eq!(
            parse_amount("1250").map(|d| d.to_string()),
            Ok("1250".into())
        );
        assert_eq!(parse_amount("0.5").map(|d| d.to_string()), Ok("0.5".into()));
        assert_eq!(
            parse_amount("99999999999999.99").map(|d| d.to_string()),
            Ok(MAX_AMOUNT.into())
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "-1",
            "1e3",
            "1,5",
            "1.234",
            ".5",
            "5.",
            "１",
            " 1",
            "100000000000000",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad:?}");
        }
    }
}
