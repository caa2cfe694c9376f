//! The values a template is rendered with, and how each is written as text.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::Value;

use super::{Locale, Variable};
use crate::FieldType;

/// The value of one custom field for the client a message is about.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomValue {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    /// An amount as a decimal string (`1234.50`) in an ISO 4217 currency.
    Money {
        amount: String,
        currency: String,
    },
    /// The client has no value for the field: rendered as empty text.
    Missing,
}

impl CustomValue {
    /// The value of a custom field of type `field_type` as stored on a client (validated by
    /// [`crate::FieldDefinition::validate_value`]); absent or mismatched values are `Missing`.
    pub fn from_field(field_type: FieldType, stored: Option<&Value>) -> Self {
        match (field_type, stored) {
            (FieldType::Text | FieldType::Select, Some(Value::String(s))) => Self::Text(s.clone()),
            (FieldType::Number, Some(Value::Number(n))) => {
                n.as_f64().map_or(Self::Missing, Self::Number)
            }
            (FieldType::Date, Some(Value::String(s))) => {
                NaiveDate::parse_from_str(s, "%Y-%m-%d").map_or(Self::Missing, Self::Date)
            }
            (FieldType::Boolean, Some(Value::Bool(b))) => Self::Bool(*b),
            _ => Self::Missing,
        }
    }

    /// The value written in `locale`.
    pub fn text(&self, locale: Locale) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Number(n) => locale.number(*n),
            Self::Date(d) => locale.long_date(*d),
            Self::Bool(b) => locale.yes_no(*b).to_owned(),
            Self::Money { amount, currency } => locale.money(amount, currency),
            Self::Missing => String::new(),
        }
    }
}

/// Everything a template may refer to, for one client, in the tenant's locale.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateValues {
    /// The client's display name.
    pub client_name: String,
    /// The client's company (legal) name.
    pub company_name: String,
    /// The contact the message is addressed to, if any.
    pub contact_name: Option<String>,
    /// The user who owns the client, if any.
    pub owner_name: Option<String>,
    /// The date in the tenant's time zone.
    pub today: NaiveDate,
    /// The client's custom field values by key; a key not present renders as empty text.
    pub custom: BTreeMap<String, CustomValue>,
    /// A proposal's variables by name (empty outside proposals).
    pub proposal: BTreeMap<String, CustomValue>,
    pub locale: Locale,
}

impl TemplateValues {
    /// The text a variable is replaced by.
    pub fn text_of(&self, variable: &Variable) -> String {
        match variable {
            Variable::ClientName => self.client_name.clone(),
            Variable::CompanyName => self.company_name.clone(),
            Variable::ContactName => self.contact_name.clone().unwrap_or_default(),
            Variable::OwnerName => self.owner_name.clone().unwrap_or_default(),
            Variable::Today => self.locale.long_date(self.today),
            Variable::Custom(key) => self
                .custom
                .get(key)
                .map_or_else(String::new, |v| v.text(self.locale)),
            Variable::Proposal(name) => self
                .proposal
                .get(name)
                .map_or_else(String::new, |v| v.text(self.locale)),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn stored_custom_values_are_read_by_their_field_type() {
        let read = CustomValue::from_field;
        assert_eq!(
            read(FieldType::Text, Some(&json!("VIP"))),
            CustomValue::Text("VIP".into())
        );
        assert_eq!(
            read(FieldType::Select, Some(&json!("Gold"))),
            CustomValue::Text("Gold".into())
        );
        assert_eq!(
            read(FieldType::Number, Some(&json!(42.5))),
            CustomValue::Number(42.5)
        );
        assert_eq!(
            read(FieldType::Date, Some(&json!("2026-12-05"))),
            CustomValue::Date(NaiveDate::from_ymd_opt(2026, 12, 5).expect("a date"))
        );
        assert_eq!(
            read(FieldType::Boolean, Some(&json!(true))),
            CustomValue::Bool(true)
        );
        assert_eq!(read(FieldType::Number, None), CustomValue::Missing);
        assert_eq!(
            read(FieldType::Number, Some(&json!("42"))),
            CustomValue::Missing
        );
        assert_eq!(
            read(FieldType::Date, Some(&json!("5/12/2026"))),
            CustomValue::Missing
        );
    }
}
