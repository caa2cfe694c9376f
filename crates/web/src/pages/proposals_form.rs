//! The proposal editor's form as typed, both ways: read from a posted form (a table of item
//! rows named `item-<i>-<member>`, the template's variables named `var-<name>`), written from
//! a stored proposal, and turned into the service's input. Blank rows are left out; a
//! problem the service finds at `/items/<k>/<member>` is shown on the row it came from.
//! Numbers may be typed with a decimal comma, the way Spanish writes them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{Map, Number, Value};
use services::proposals::{ItemInput, MAX_ITEMS, NewProposal, ProposalOut, ProposalPatch};
use services::{Error, Expected, InvalidField};
use uuid::Uuid;

use super::proposals_view::decimal_mark;
use crate::form::{Posted, detail_at};
use crate::i18n::Locale;

/// Blank rows the editor offers after the items (room for new ones without JavaScript).
pub const BLANK_ROWS: usize = 2;

/// One item row as typed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ItemRow {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub discount_percentage: String,
    pub tax_rate: String,
}

/// A declared variable of the template, as the editor needs it: its name, type and label.
#[derive(Debug, Clone)]
pub struct VariableSpec {
    pub name: String,
    pub kind: String,
    pub label: String,
}

/// The editor's form.
#[derive(Debug, Default, Clone)]
pub struct ProposalForm {
    /// New only.
    pub client_id: String,
    /// New only.
    pub template_id: String,
    pub title: String,
    pub currency: String,
    /// `YYYY-MM-DD`; blank is the service's default (new) or the stored date (a change).
    pub valid_until: String,
    pub opportunity_id: String,
    pub rows: Vec<ItemRow>,
    /// The variables' values by name, as typed.
    pub variables: BTreeMap<String, String>,
    /// The version the form was filled from (a draft's change).
    pub version: String,
}

/// A decimal as typed: a single decimal comma is a point (`9,995` → `9.995`); the rest goes
/// as typed, for the service to check.
pub fn typed_decimal(raw: &str) -> String {
    let raw = raw.trim();
    if raw.contains(',') && !raw.contains('.') && raw.matches(',').count() == 1 {
        return raw.replace(',', ".");
    }
    raw.to_owned()
}

fn optional(raw: &str) -> Option<String> {
    Some(typed_decimal(raw)).filter(|s| !s.is_empty())
}

fn id(raw: &str) -> Option<Uuid> {
    Uuid::try_parse(raw.trim()).ok()
}

impl ItemRow {
    fn is_blank(&self) -> bool {
        [
            &self.description,
            &self.quantity,
            &self.unit_price,
            &self.discount_percentage,
            &self.tax_rate,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }

    fn input(&self) -> ItemInput {
        ItemInput {
            description: self.description.trim().to_owned(),
            quantity: typed_decimal(&self.quantity),
            unit_price: typed_decimal(&self.unit_price),
            discount_percentage: optional(&self.discount_percentage),
            tax_rate: optional(&self.tax_rate),
        }
    }
}

impl ProposalForm {
    /// The form as posted.
    pub fn posted(p: &Posted) -> Self {
        let count = p
            .one("rows")
            .parse::<usize>()
            .unwrap_or(0)
            .min(MAX_ITEMS + BLANK_ROWS);
        let rows = (0..count)
            .map(|i| {
                let one = |m: &str| {
                    p.0.get(&format!("item-{i}-{m}"))
                        .cloned()
                        .unwrap_or_default()
                };
                ItemRow {
                    description: one("description"),
                    quantity: one("quantity"),
                    unit_price: one("unit_price"),
                    discount_percentage: one("discount_percentage"),
                    tax_rate: one("tax_rate"),
                }
            })
            .collect();
        let variables =
            p.0.iter()
                .filter_map(|(k, v)| k.strip_prefix("var-").map(|n| (n.to_owned(), v.clone())))
                .collect();
        Self {
            client_id: p.one("client_id"),
            template_id: p.one("template_id"),
            title: p.0.get("title").cloned().unwrap_or_default(),
            currency: p.one("currency"),
            valid_until: p.one("valid_until"),
            opportunity_id: p.one("opportunity_id"),
            rows,
            variables,
            version: p.one("version"),
        }
    }

    /// The form of a stored proposal, numbers written with the locale's decimal mark.
    pub fn of(p: &ProposalOut, locale: Locale) -> Self {
        let rows = p
            .items
            .iter()
            .map(|i| ItemRow {
                description: i.description.clone(),
                quantity: decimal_mark(locale, &i.quantity),
                unit_price: decimal_mark(locale, &i.unit_price),
                discount_percentage: decimal_mark(locale, &i.discount_percentage),
                tax_rate: decimal_mark(locale, &i.tax_rate),
            })
            .collect();
        let variables = p
            .variables
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    // A number field takes a point whatever the language.
                    Value::Number(n) => n.to_string(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect();
        Self {
            client_id: p.client_id.to_string(),
            template_id: p.template_id.to_string(),
            title: p.title.clone(),
            currency: p.currency.clone(),
            valid_until: p.valid_until.format("%Y-%m-%d").to_string(),
            opportunity_id: p.opportunity_id.map(|o| o.to_string()).unwrap_or_default(),
            rows,
            variables,
            version: p.version.to_string(),
        }
    }

    /// Adds the blank rows the editor offers after the items.
    pub fn with_blank_rows(mut self) -> Self {
        self.rows.retain(|r| !r.is_blank());
        self.rows
            .extend(std::iter::repeat_n(ItemRow::default(), BLANK_ROWS));
        self
    }

    /// The indexes of the rows sent to the service (the blank ones are left out).
    pub fn sent_rows(&self) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|i| !self.rows[*i].is_blank())
            .collect()
    }

    fn items(&self) -> Vec<ItemInput> {
        self.sent_rows()
            .into_iter()
            .map(|i| self.rows[i].input())
            .collect()
    }

    /// What the service says is wrong with `member` of row `row`.
    pub fn row_error(&self, fields: &[InvalidField], row: usize, member: &str) -> Option<String> {
        let k = self.sent_rows().iter().position(|i| *i == row)?;
        detail_at(fields, &format!("/items/{k}/{member}"))
    }

    /// The values of the declared variables, each of its type (blank is no value); a number
    /// that is not one is a problem of the form.
    fn values(
        &self,
        specs: &[VariableSpec],
        problems: &mut Vec<InvalidField>,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for spec in specs {
            let raw = self.variables.get(&spec.name).map_or("", |v| v.trim());
            if raw.is_empty() {
                continue;
            }
            let value = match spec.kind.as_str() {
                "number" | "percentage" => match typed_decimal(raw)
                    .parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                {
                    Some(n) => Value::Number(n),
                    None => {
                        problems.push(InvalidField::at(
                            &format!("/variables/{}", spec.name),
                            "must be a number",
                        ));
                        continue;
                    }
                },
                "money" => Value::String(typed_decimal(raw)),
                _ => Value::String(raw.to_owned()),
            };
            out.insert(spec.name.clone(), value);
        }
        out
    }

    /// The validity as typed: blank is none; anything but a date is a problem of the form.
    fn valid_until(&self, problems: &mut Vec<InvalidField>) -> Option<NaiveDate> {
        let raw = self.valid_until.trim();
        if raw.is_empty() {
            return None;
        }
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| {
                problems.push(InvalidField::at(
                    "/valid_until",
                    "must be a date such as 2027-03-31",
                ))
            })
            .ok()
    }

    /// A new proposal's input. No client or template chosen is the nil id, which the service
    /// refuses at its pointer with every other problem.
    pub fn new_input(&self, specs: &[VariableSpec]) -> Result<NewProposal, Error> {
        let mut problems = Vec::new();
        let valid_until = self.valid_until(&mut problems);
        let variables = self.values(specs, &mut problems);
        Error::check(problems)?;
        Ok(NewProposal {
            client_id: id(&self.client_id).unwrap_or_else(Uuid::nil),
            opportunity_id: id(&self.opportunity_id),
            template_id: id(&self.template_id).unwrap_or_else(Uuid::nil),
            template_version: None,
            title: self.title.clone(),
            currency: Some(self.currency.trim().to_owned()).filter(|c| !c.is_empty()),
            items: self.items(),
            valid_until,
            variables,
            owner_id: None,
        })
    }

    /// A draft's change: every field as shown (the items and variables replace the stored; a
    /// blank validity keeps the stored one).
    pub fn patch(&self, specs: &[VariableSpec]) -> Result<ProposalPatch, Error> {
        let mut problems = Vec::new();
        let valid_until = self.valid_until(&mut problems);
        let variables = self.values(specs, &mut problems);
        Error::check(problems)?;
        Ok(ProposalPatch {
            opportunity_id: Some(id(&self.opportunity_id)),
            title: Some(self.title.clone()),
            currency: Some(self.currency.trim().to_owned()),
            items: Some(self.items()),
            valid_until,
            variables: Some(variables),
            ..ProposalPatch::default()
        })
    }

    /// The version the form was filled in at; a form without one matches no version.
    pub fn expected(&self) -> Expected {
        Expected::OneOf(self.version.trim().parse().into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> Posted {
        Posted(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>(),
        )
    }

    fn spec(name: &str, kind: &str) -> VariableSpec {
        VariableSpec {
            name: name.into(),
            kind: kind.into(),
            label: name.into(),
        }
    }

    #[test]
    fn blank_rows_are_left_out_and_problems_found_on_their_row() {
        let form = ProposalForm::posted(&posted(&[
            ("rows", "3"),
            ("title", "Renovación"),
            ("item-0-description", " "),
            ("item-1-description", "Licencias"),
            ("item-1-quantity", "3"),
            ("item-1-unit_price", "9,995"),
            ("item-1-tax_rate", "21"),
            ("item-2-description", "Soporte"),
            ("item-2-quantity", "0"),
        ]));
        let input = form.new_input(&[]).expect("an input");
        assert_eq!(input.items.len(), 2);
        assert_eq!(input.items[0].unit_price, "9.995");
        assert_eq!(input.items[0].discount_percentage, None);
        assert_eq!(input.items[0].tax_rate.as_deref(), Some("21"));
        assert_eq!(input.client_id, Uuid::nil(), "refused by the service");
        let fields = [InvalidField::at("/items/1/quantity", "must be more than 0")];
        assert_eq!(
            form.row_error(&fields, 2, "quantity").as_deref(),
            Some("must be more than 0")
        );
        assert_eq!(form.row_error(&fields, 1, "quantity"), None);
    }

    #[test]
    fn variables_take_their_type_and_a_bad_number_is_a_problem() {
        let specs = [
            spec("deposit", "percentage"),
            spec("terms", "text"),
            spec("fee", "money"),
        ];
        let form = ProposalForm::posted(&posted(&[
            ("var-deposit", "12,5"),
            ("var-terms", "30 días"),
            ("var-fee", ""),
            ("var-other", "ignored"),
        ]));
        let input = form.new_input(&specs).expect("an input");
        assert_eq!(input.variables["deposit"], serde_json::json!(12.5));
        assert_eq!(input.variables["terms"], "30 días");
        assert!(!input.variables.contains_key("fee") && !input.variables.contains_key("other"));
        let bad = ProposalForm::posted(&posted(&[
            ("var-deposit", "mucho"),
            ("valid_until", "31/12/2027"),
        ]));
        let Err(Error::Invalid(fields)) = bad.patch(&specs) else {
            panic!("refused");
        };
        let pointers: Vec<&str> = fields.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(pointers, ["/valid_until", "/variables/deposit"]);
        assert_eq!(bad.expected(), Expected::OneOf(Vec::new()));
    }
}
