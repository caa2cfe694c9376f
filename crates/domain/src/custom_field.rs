//! Custom fields a tenant defines for its clients, and the values filled in for them.

use serde_json::{Map, Value};

use crate::Invalid;

/// Most characters a text value may have, whatever its definition says.
pub const TEXT_LIMIT: u32 = 10_000;
/// Most options a select field may offer.
pub const OPTIONS_LIMIT: usize = 500;
/// Most characters of a label or of one option.
const LABEL_LIMIT: usize = 100;

/// What kind of value a custom field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Number,
    Date,
    Select,
    Boolean,
}

impl FieldType {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Date => "date",
            Self::Select => "select",
            Self::Boolean => "boolean",
        }
    }
}

/// One custom field of a tenant, as its administrators defined it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDefinition {
    /// The name values are stored under: `[a-z][a-z0-9_]{0,39}`.
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    #[serde(default)]
    pub required: bool,
    /// The choices of a select field, in display order.
    #[serde(default)]
    pub options: Vec<String>,
    /// Most characters of a text field; [`TEXT_LIMIT`] when absent.
    #[serde(default)]
    pub max_length: Option<u32>,
}

/// What is wrong with a definition: the member at fault, by JSON pointer (`/options/2`), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    pub pointer: String,
    pub reason: Invalid,
}

fn at(pointer: impl Into<String>, reason: impl Into<String>) -> DefinitionError {
    DefinitionError {
        pointer: pointer.into(),
        reason: Invalid::new(reason),
    }
}

impl FieldDefinition {
    /// The first thing wrong with this definition, if any.
    pub fn validate_definition(&self) -> Result<(), DefinitionError> {
        let key_ok = (1..=40).contains(&self.key.len())
            && self.key.starts_with(|c: char| c.is_ascii_lowercase())
            && self
                .key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            return Err(at(
                "/key",
                "the key must be 1-40 lower-case letters, digits or '_', starting with a letter",
            ));
        }
        let label = self.label.trim();
        if label.is_empty() || label.chars().count() > LABEL_LIMIT {
            return Err(at(
                "/label",
                format!("the label must have 1-{LABEL_LIMIT} characters"),
            ));
        }
        if self.field_type == FieldType::Select {
            self.validate_options()?;
        } else if !self.options.is_empty() {
            return Err(at("/options", "only select fields have options"));
        }
        match self.max_length {
            Some(_) if self.field_type != FieldType::Text => {
                Err(at("/max_length", "only text fields have a maximum length"))
            }
            Some(n) if n == 0 || n > TEXT_LIMIT => Err(at(
                "/max_length",
                format!("the maximum length must be 1-{TEXT_LIMIT} characters"),
            )),
            _ => Ok(()),
        }
    }

    fn validate_options(&self) -> Result<(), DefinitionError> {
        if self.options.is_empty() {
            return Err(at("/options", "a select field needs at least one option"));
        }
        if self.options.len() > OPTIONS_LIMIT {
            return Err(at(
                "/options",
                format!("a select field may have at most {OPTIONS_LIMIT} options"),
            ));
        }
        for (i, option) in self.options.iter().enumerate() {
            let ok = !option.is_empty()
                && option.trim() == option
                && option.chars().count() <= LABEL_LIMIT;
            if !ok {
                return Err(at(
                    format!("/options/{i}"),
                    format!(
                        "option '{option}' must have 1-{LABEL_LIMIT} characters and no spaces around it"
                    ),
                ));
            }
            // Options differing only in case would make typed values ambiguous.
            let lower = option.to_lowercase();
            if self.options[..i].iter().any(|o| o.to_lowercase() == lower) {
                return Err(at(
                    format!("/options/{i}"),
                    format!("option '{option}' appears twice"),
                ));
            }
        }
        Ok(())
    }

    /// The value in its stored form (text trimmed, select spelled as its option), or
    /// `Value::Null` when an optional field is left empty (`null` or blank text).
    pub fn validate_value(&self, value: &Value) -> Result<Value, Invalid> {
        let blank = match value {
            Value::Null => true,
            Value::String(s) => s.trim().is_empty(),
            _ => false,
        };
        if blank {
            return if self.required {
                Err(Invalid::new("is required"))
            } else {
                Ok(Value::Null)
            };
        }
        match self.field_type {
            FieldType::Text => self.text(value),
            FieldType::Number => number(value),
            FieldType::Date => date(value),
            FieldType::Select => self.select(value),
            FieldType::Boolean => match value {
                Value::Bool(_) => Ok(value.clone()),
                _ => Err(Invalid::new("must be true or false")),
            },
        }
    }

    fn text(&self, value: &Value) -> Result<Value, Invalid> {
        let Value::String(s) = value else {
            return Err(Invalid::new("must be text"));
        };
        let s = s.trim();
        let limit = self.max_length.unwrap_or(TEXT_LIMIT).min(TEXT_LIMIT);
        if s.chars().count() > limit as usize {
            return Err(Invalid::new(format!("must be at most {limit} characters")));
        }
        // Postgres cannot store U+0000 in text or jsonb.
        if s.contains('\0') {
            return Err(Invalid::new("must not contain NUL characters"));
        }
        Ok(Value::String(s.to_owned()))
    }

    fn select(&self, value: &Value) -> Result<Value, Invalid> {
        let Value::String(s) = value else {
            return Err(Invalid::new("must be one of the field's options"));
        };
        let s = s.trim();
        let lower = s.to_lowercase();
        let found = self
            .options
            .iter()
            .find(|o| o.as_str() == s)
            .or_else(|| self.options.iter().find(|o| o.to_lowercase() == lower));
        match found {
            Some(option) => Ok(Value::String(option.clone())),
            None if self.options.len() <= 10 => Err(Invalid::new(format!(
                "must be one of: {}",
                self.options.join(", ")
            ))),
            None => Err(Invalid::new("must be one of the field's options")),
        }
    }
}

fn number(value: &Value) -> Result<Value, Invalid> {
    match value {
        Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => Ok(value.clone()),
        _ => Err(Invalid::new("must be a number")),
    }
}

/// A real calendar date written `YYYY-MM-DD`.
fn date(value: &Value) -> Result<Value, Invalid> {
    let reason = || Invalid::new("must be a real date written YYYY-MM-DD");
    let Value::String(s) = value else {
        return Err(reason());
    };
    let s = s.trim();
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape_ok {
        return Err(reason());
    }
    let part = |r: std::ops::Range<usize>| s[r].parse::<u32>().map_err(|_| reason());
    let year = i32::try_from(part(0..4)?).map_err(|_| reason())?;
    chrono::NaiveDate::from_ymd_opt(year, part(5..7)?, part(8..10)?)
        .filter(|_| year >= 1)
        .map(|_| Value::String(s.to_owned()))
        .ok_or_else(reason)
}

/// The values to store for a client, or every problem found as `(key, reason)`: unknown keys,
/// missing required fields and invalid values. Empty optional fields are left out.
pub fn validate_values(
    definitions: &[FieldDefinition],
    values: &Map<String, Value>,
) -> Result<Map<String, Value>, Vec<(String, String)>> {
    let mut problems: Vec<(String, String)> = values
        .keys()
        .filter(|k| !definitions.iter().any(|d| &d.key == *k))
        .map(|k| (k.clone(), "is not a defined custom field".to_owned()))
        .collect();
    let mut valid = Map::new();
    for definition in definitions {
        let value = values.get(&definition.key).unwrap_or(&Value::Null);
        match definition.validate_value(value) {
            Ok(Value::Null) => {}
            Ok(v) => {
                valid.insert(definition.key.clone(), v);
            }
            Err(e) => problems.push((definition.key.clone(), e.0)),
        }
    }
    if problems.is_empty() {
        Ok(valid)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(key: &str, field_type: FieldType) -> FieldDefinition {
        FieldDefinition {
            key: key.to_owned(),
            label: "Label".to_owned(),
            field_type,
            required: false,
            options: Vec::new(),
            max_length: None,
        }
    }

    fn select(options: &[&str]) -> FieldDefinition {
        FieldDefinition {
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            ..field("tier", FieldType::Select)
        }
    }

    #[test]
    fn field_type_serde_is_snake_case() {
        let f: FieldDefinition = serde_json::from_value(json!({
            "key": "employees", "label": "Employees", "field_type": "number"
        }))
        .expect("deserialise with defaults");
        assert_eq!(f.field_type, FieldType::Number);
        assert!(!f.required && f.options.is_empty() && f.max_length.is_none());
        assert_eq!(
            serde_json::to_value(FieldType::Boolean).expect("serialise"),
            json!("boolean")
        );
        assert_eq!(FieldType::Select.as_str(), "select");
        assert!(serde_json::from_value::<FieldType>(json!("Text")).is_err());
    }

    #[test]
    fn good_definitions() {
        assert!(field("a", FieldType::Text).validate_definition().is_ok());
        assert!(
            field("annual_revenue_2024", FieldType::Number)
                .validate_definition()
                .is_ok()
        );
        assert!(
            field(&"k".repeat(40), FieldType::Date)
                .validate_definition()
                .is_ok()
        );
        assert!(select(&["Gold", "Silver"]).validate_definition().is_ok());
        let text = FieldDefinition {
            max_length: Some(200),
            ..field("notes", FieldType::Text)
        };
        assert!(text.validate_definition().is_ok());
    }

    #[test]
    fn bad_keys() {
        for key in [
            "",
            "1st",
            "_x",
            "Sector",
            "sector-name",
            "sector name",
            "año",
            &"k".repeat(41),
        ] {
            assert!(
                field(key, FieldType::Text).validate_definition().is_err(),
                "{key:?}"
            );
        }
    }

    #[test]
    fn bad_definitions() {
        let blank_label = FieldDefinition {
            label: "  ".to_owned(),
            ..field("x", FieldType::Text)
        };
        let options_on_text = FieldDefinition {
            options: vec!["a".to_owned()],
            ..field("x", FieldType::Text)
        };
        let length_on_number = FieldDefinition {
            max_length: Some(10),
            ..field("x", FieldType::Number)
        };
        let zero_length = FieldDefinition {
            max_length: Some(0),
            ..field("x", FieldType::Text)
        };
        let huge_length = FieldDefinition {
            max_length: Some(TEXT_LIMIT + 1),
            ..field("x", FieldType::Text)
        };
        let many: Vec<String> = (0..=OPTIONS_LIMIT).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        for (name, def) in [
            ("blank label", blank_label),
            ("options on text", options_on_text),
            ("length on number", length_on_number),
            ("zero length", zero_length),
            ("huge length", huge_length),
            ("no options", select(&[])),
            ("blank option", select(&["Gold", ""])),
            ("padded option", select(&["Gold "])),
            ("repeated option", select(&["Gold", "Silver", "Gold"])),
            ("repeated in other case", select(&["Gold", "GOLD"])),
            ("too many options", select(&many)),
        ] {
            assert!(def.validate_definition().is_err(), "{name}");
        }
        let at = |def: FieldDefinition| def.validate_definition().map_err(|e| e.pointer);
        assert_eq!(at(select(&many)), Err("/options".to_owned()));
        assert_eq!(at(select(&many[..OPTIONS_LIMIT])), Ok(()));
        assert_eq!(at(select(&["a", "b", "A"])), Err("/options/2".to_owned()));
        assert_eq!(at(field("X", FieldType::Text)), Err("/key".to_owned()));
    }

    #[test]
    fn text_values_are_trimmed_and_limited() {
        let notes = FieldDefinition {
            max_length: Some(5),
            ..field("notes", FieldType::Text)
        };
        assert_eq!(notes.validate_value(&json!("  Hola ")), Ok(json!("Hola")));
        assert_eq!(notes.validate_value(&json!("ñandú")), Ok(json!("ñandú")));
        assert!(notes.validate_value(&json!("abcdef")).is_err());
        assert!(notes.validate_value(&json!(12)).is_err());
        assert!(notes.validate_value(&json!("a\u{0}b")).is_err());
        let unlimited = field("notes", FieldType::Text);
        let long = "x".repeat(TEXT_LIMIT as usize);
        assert!(unlimited.validate_value(&json!(long)).is_ok());
        assert!(
            unlimited
                .validate_value(&json!(format!("{long}x")))
                .is_err()
        );
    }

    #[test]
    fn number_values() {
        let f = field("employees", FieldType::Number);
        assert_eq!(f.validate_value(&json!(42)), Ok(json!(42)));
        assert_eq!(f.validate_value(&json!(-1.5)), Ok(json!(-1.5)));
        assert_eq!(f.validate_value(&json!(u64::MAX)), Ok(json!(u64::MAX)));
        for bad in [json!("42"), json!(true), json!([1]), json!({"n": 1})] {
            assert!(f.validate_value(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn date_values() {
        let f = field("founded", FieldType::Date);
        assert_eq!(
            f.validate_value(&json!("2024-02-29")),
            Ok(json!("2024-02-29"))
        );
        assert_eq!(
            f.validate_value(&json!(" 1999-12-31 ")),
            Ok(json!("1999-12-31"))
        );
        for bad in [
            "2023-02-29", // not a leap year
            "1900-02-29", // nor was 1900
            "2024-13-01",
            "2024-04-31",
            "2024-00-10",
            "0000-01-01",
            "2024-1-05",
            "24-01-05",
            "05/01/2024",
            "2024-01-05T10:00:00Z",
            "+2024-01-05",
            "2024-01-0x",
        ] {
            assert!(f.validate_value(&json!(bad)).is_err(), "{bad}");
        }
        assert!(f.validate_value(&json!(20240105)).is_err());
    }

    #[test]
    fn select_values_take_the_option_spelling() {
        let f = select(&["Gold", "Silver"]);
        assert_eq!(f.validate_value(&json!("Gold")), Ok(json!("Gold")));
        assert_eq!(f.validate_value(&json!(" silver ")), Ok(json!("Silver")));
        let err = f
            .validate_value(&json!("Bronze"))
            .expect_err("not an option");
        assert_eq!(err.0, "must be one of: Gold, Silver");
        assert!(f.validate_value(&json!(1)).is_err());
    }

    #[test]
    fn boolean_values() {
        let f = field("vip", FieldType::Boolean);
        assert_eq!(f.validate_value(&json!(false)), Ok(json!(false)));
        assert!(f.validate_value(&json!("true")).is_err());
        assert!(f.validate_value(&json!(1)).is_err());
    }

    #[test]
    fn empty_values() {
        let optional = field("founded", FieldType::Date);
        assert_eq!(optional.validate_value(&Value::Null), Ok(Value::Null));
        assert_eq!(optional.validate_value(&json!("  ")), Ok(Value::Null));
        let required = FieldDefinition {
            required: true,
            ..field("vip", FieldType::Boolean)
        };
        assert!(required.validate_value(&Value::Null).is_err());
        assert!(required.validate_value(&json!("")).is_err());
        assert_eq!(required.validate_value(&json!(false)), Ok(json!(false)));
    }

    #[test]
    fn values_of_a_client() {
        let defs = [
            FieldDefinition {
                required: true,
                ..field("sector", FieldType::Text)
            },
            field("employees", FieldType::Number),
            field("founded", FieldType::Date),
        ];
        let values = json!({"sector": " Retail ", "employees": 12, "founded": null});
        let Value::Object(values) = values else {
            panic!("an object")
        };
        let valid = validate_values(&defs, &values).expect("valid");
        assert_eq!(
            Value::Object(valid),
            json!({"sector": "Retail", "employees": 12})
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let defs = [
            FieldDefinition {
                required: true,
                ..field("sector", FieldType::Text)
            },
            field("employees", FieldType::Number),
            field("founded", FieldType::Date),
        ];
        let values = json!({"employees": "many", "founded": "2023-02-29", "colour": "red"});
        let Value::Object(values) = values else {
            panic!("an object")
        };
        let mut problems = validate_values(&defs, &values).expect_err("invalid");
        problems.sort();
        let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["colour", "employees", "founded", "sector"]);
        assert!(problems.contains(&("sector".to_owned(), "is required".to_owned())));
    }

    #[test]
    fn no_definitions_no_values() {
        assert_eq!(validate_values(&[], &Map::new()), Ok(Map::new()));
    }
}
