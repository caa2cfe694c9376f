//! A proposal template's typed variables: the ones every proposal has ([`PROPOSAL_VARIABLES`]:
//! `proposalDate` and `validUntil` dates, `total` money, `discountPercentage` a percentage) and
//! those a template declares with a type. A value given for a declared variable is checked
//! against its type when the proposal is saved and again when it is rendered (the template may
//! have gained a version since).

use chrono::NaiveDate;
use serde_json::Value;

use crate::Invalid;
use crate::templates::{CustomValue, PROPOSAL_VARIABLES, STANDARD_VARIABLES};

/// Most variables a template declares.
pub const MAX_DECLARED: usize = 30;
/// Most characters of a text value.
pub const TEXT_CHARS: usize = 1000;

/// The type of a declared variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableType {
    Text,
    Number,
    /// A number from 0 to 100.
    Percentage,
    /// `YYYY-MM-DD`.
    Date,
    /// A decimal string in the proposal's currency.
    Money,
}

impl VariableType {
    pub const ALL: [VariableType; 5] = [
        Self::Text,
        Self::Number,
        Self::Percentage,
        Self::Date,
        Self::Money,
    ];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == raw)
            .ok_or_else(|| Invalid::new("must be one of text, number, percentage, date, money"))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Percentage => "percentage",
            Self::Date => "date",
            Self::Money => "money",
        }
    }

    /// The value `raw` holds for a variable of this type, or why it cannot.
    pub fn value_of(self, raw: &Value, currency: &str) -> Result<CustomValue, Invalid> {
        match (self, raw) {
            (Self::Text, Value::String(s)) if s.chars().count() <= TEXT_CHARS => {
                Ok(CustomValue::Text(s.clone()))
            }
            (Self::Text, _) => Err(Invalid::new(format!(
                "must be a text of at most {TEXT_CHARS} characters"
            ))),
            (Self::Number, Value::Number(n)) => n
                .as_f64()
                .filter(|f| f.is_finite())
                .map(CustomValue::Number)
                .ok_or_else(|| Invalid::new("must be a number")),
            (Self::Number, _) => Err(Invalid::new("must be a number")),
            (Self::Percentage, Value::Number(n)) => match n.as_f64() {
                Some(f) if (0.0..=100.0).contains(&f) => Ok(CustomValue::Number(f)),
                _ => Err(Invalid::new("must be a percentage: a number from 0 to 100")),
            },
            (Self::Percentage, _) => {
                Err(Invalid::new("must be a percentage: a number from 0 to 100"))
            }
            (Self::Date, Value::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(CustomValue::Date)
                .map_err(|_| Invalid::new("must be a date as YYYY-MM-DD")),
            (Self::Date, _) => Err(Invalid::new("must be a date as YYYY-MM-DD")),
            (Self::Money, Value::String(s)) => crate::pipeline::parse_amount(s)
                .map(|d| CustomValue::Money {
                    amount: d.to_string(),
                    currency: currency.to_owned(),
                })
                .map_err(|e| Invalid::new(format!("must be an amount: {}", e.0))),
            (Self::Money, _) => Err(Invalid::new(
                "must be an amount as a decimal string such as \"1500.00\"",
            )),
        }
    }
}

/// A variable a template declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub name: String,
    pub kind: VariableType,
    /// What the editor shows next to its field.
    pub label: String,
}

/// Whether `name` may be declared: `[a-zA-Z][a-zA-Z0-9_]{0,39}` and not a variable every
/// template already has.
pub fn check_name(name: &str) -> Result<(), Invalid> {
    let shape = (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !shape {
        return Err(Invalid::new(
            "must be 1-40 letters, digits or _, starting with a letter",
        ));
    }
    let taken = STANDARD_VARIABLES
        .iter()
        .chain(PROPOSAL_VARIABLES)
        .any(|s| s.eq_ignore_ascii_case(name));
    if taken {
        return Err(Invalid::new("is a variable every proposal already has"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::VariableType::*;
    use super::*;

    #[test]
    fn a_percentage_is_a_number_from_0_to_100() {
        assert_eq!(
            Percentage.value_of(&json!(12.5), "EUR"),
            Ok(CustomValue::Number(12.5))
        );
        assert!(Percentage.value_of(&json!(0), "EUR").is_ok());
        assert!(Percentage.value_of(&json!(100), "EUR").is_ok());
        for bad in [json!(100.01), json!(-1), json!("12"), json!(null)] {
            let e = Percentage.value_of(&bad, "EUR").expect_err("refused");
            assert!(e.0.contains("0 to 100"), "{bad}: {}", e.0);
        }
    }

    #[test]
    fn each_type_takes_its_own_shape_only() {
        assert_eq!(
            Date.value_of(&json!("2026-12-31"), "EUR"),
            Ok(CustomValue::Date(
                NaiveDate::from_ymd_opt(2026, 12, 31).expect("a date")
            ))
        );
        assert!(Date.value_of(&json!("31/12/2026"), "EUR").is_err());
        assert_eq!(
            Money.value_of(&json!("1500.5"), "USD"),
            Ok(CustomValue::Money {
                amount: "1500.5".into(),
                currency: "USD".into()
            })
        );
        assert!(Money.value_of(&json!(1500), "USD").is_err());
        assert!(Money.value_of(&json!("15.001"), "USD").is_err());
        assert!(Number.value_of(&json!(-3.5), "EUR").is_ok());
        assert!(Number.value_of(&json!("3"), "EUR").is_err());
        assert!(Text.value_of(&json!("30 días"), "EUR").is_ok());
        assert!(Text.value_of(&json!("x".repeat(1001)), "EUR").is_err());
        assert!(Text.value_of(&json!(3), "EUR").is_err());
    }

    #[test]
    fn declared_names_are_identifiers_not_taken_by_every_proposal() {
        assert!(check_name("paymentTerms").is_ok());
        assert!(check_name("deposit_2").is_ok());
        for bad in ["", "2fast", "payment terms", "custom.tier", &"x".repeat(41)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(check_name("total").is_err());
        assert!(check_name("ClientName").is_err());
        assert_eq!(VariableType::parse("percentage"), Ok(Percentage));
        assert!(VariableType::parse("bool").is_err());
    }
}
