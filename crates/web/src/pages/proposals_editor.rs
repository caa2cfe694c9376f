//! The proposal editor as the new page and a draft's page show it
//! (`templates/proposal_editor.html`): title, currency, validity, the opportunity, the
//! template's declared variables as typed fields, and the item rows with each line's net
//! amount and the totals, as the server computes them (`domain::proposals`). The browser
//! keeps the figures current as the user types (`static/proposals.js`, by the same rule);
//! the server's are authoritative once saved.

use domain::proposals::{Line, LineInput, line, totals};
use services::pipeline::OpportunityQuery;
use uuid::Uuid;

use super::pipeline_view::money;
use super::proposals_form::{ProposalForm, VariableSpec};
use super::proposals_view::unplaced;
use super::tickets_new::Choice;
use crate::form::{Refusal, field_error};
use crate::i18n::Locale;
use crate::page::{Page, PageError};

/// Most opportunities of a client the editor offers.
const OPPORTUNITIES: &str = "100";

/// The fields the editor places; any other problem is listed under its message.
const PLACED: [&str; 9] = [
    "/title",
    "/currency",
    "/valid_until",
    "/opportunity_id",
    "/client_id",
    "/template_id",
    "/items",
    "/variables",
    "/version",
];

/// A declared variable's field.
pub struct VariableField {
    pub name: String,
    pub label: String,
    pub kind: String,
    /// The input's type: `text`, `number` or `date`.
    pub input: &'static str,
    pub value: String,
    pub error: Option<String>,
}

/// The members of an item row: name, the message key of its label, and its input mode.
const MEMBERS: [(&str, &str, &str); 5] = [
    ("description", "proposal-item-description", "text"),
    ("quantity", "proposal-item-quantity", "decimal"),
    ("unit_price", "proposal-item-unit-price", "decimal"),
    ("discount_percentage", "proposal-item-discount", "decimal"),
    ("tax_rate", "proposal-item-tax", "decimal"),
];

/// One field of an item row.
pub struct Cell {
    pub member: &'static str,
    pub label: String,
    pub mode: &'static str,
    pub value: String,
    pub error: Option<String>,
}

/// One item row: its fields, and its net amount as computed now (a dash while the row is
/// not complete).
pub struct RowView {
    /// The row's index in the form's field names.
    pub index: usize,
    /// 1-based, for the labels.
    pub number: usize,
    pub cells: Vec<Cell>,
    pub net: String,
}

/// The editor's data.
pub struct Editor {
    pub form: ProposalForm,
    pub currencies: Vec<Choice>,
    pub opportunities: Vec<Choice>,
    pub variables: Vec<VariableField>,
    pub rows: Vec<RowView>,
    pub subtotal: String,
    pub tax_total: String,
    pub total: String,
    pub refusal: Option<Refusal>,
    /// Problems the form has no field for.
    pub others: Vec<String>,
    pub locale: Locale,
}

impl Editor {
    /// What is wrong with the field at `pointer`.
    pub fn error(&self, pointer: &str) -> Option<String> {
        field_error(&self.refusal, pointer)
    }

    /// What is wrong with the items as a whole (not one of them).
    pub fn items_error(&self) -> Option<String> {
        let fields = self.refusal.as_ref()?.fields.iter();
        let details: Vec<&str> = fields
            .filter(|f| f.pointer == "/items")
            .map(|f| f.detail.as_str())
            .collect();
        (!details.is_empty()).then(|| details.join("; "))
    }

    /// The `rows` count the form posts.
    pub fn row_count(&self) -> usize {
        self.form.rows.len()
    }
}

/// The input type of a variable's type.
fn input_of(kind: &str) -> &'static str {
    match kind {
        "number" | "percentage" => "number",
        "date" => "date",
        _ => "text",
    }
}

/// The computed line of a row, when it is complete and valid.
fn line_of(row: &super::proposals_form::ItemRow) -> Option<Line> {
    let typed = super::proposals_form::typed_decimal;
    let optional = |raw: &str| Some(typed(raw)).filter(|s| !s.is_empty());
    line(&LineInput {
        description: row.description.clone(),
        quantity: typed(&row.quantity),
        unit_price: typed(&row.unit_price),
        discount_percentage: optional(&row.discount_percentage),
        tax_rate: optional(&row.tax_rate),
    })
    .ok()
}

/// The fields of item row `i` of `form`, with the problems `fields` name for them.
fn cells(
    locale: Locale,
    form: &ProposalForm,
    fields: &[services::InvalidField],
    i: usize,
) -> Vec<Cell> {
    let row = &form.rows[i];
    let values = [
        &row.description,
        &row.quantity,
        &row.unit_price,
        &row.discount_percentage,
        &row.tax_rate,
    ];
    MEMBERS
        .iter()
        .zip(values)
        .map(|((member, key, mode), value)| Cell {
            member,
            label: locale.t(key),
            mode,
            value: value.clone(),
            error: form.row_error(fields, i, member),
        })
        .collect()
}

/// The editor of `form`, with the template's `specs`, the client's `opportunities` and the
/// currencies offered.
pub fn editor(
    locale: Locale,
    form: ProposalForm,
    specs: &[VariableSpec],
    opportunities: Vec<Choice>,
    currencies: Vec<Choice>,
    refusal: Option<Refusal>,
) -> Editor {
    let lines: Vec<Option<Line>> = form.rows.iter().map(line_of).collect();
    let counted: Vec<Line> = lines.iter().flatten().cloned().collect();
    let sums = totals(&counted);
    let currency = form.currency.trim().to_owned();
    let fields = refusal.as_ref().map_or(&[][..], |r| &r.fields[..]);
    let rows = lines
        .iter()
        .enumerate()
        .map(|(i, l)| RowView {
            index: i,
            number: i + 1,
            cells: cells(locale, &form, fields, i),
            net: l
                .as_ref()
                .map_or_else(|| "–".to_owned(), |l| money(locale, l.net, &currency)),
        })
        .collect();
    let variables = specs
        .iter()
        .map(|s| VariableField {
            value: form.variables.get(&s.name).cloned().unwrap_or_default(),
            error: field_error(&refusal, &format!("/variables/{}", s.name)),
            input: input_of(&s.kind),
            name: s.name.clone(),
            label: s.label.clone(),
            kind: s.kind.clone(),
        })
        .collect();
    Editor {
        others: unplaced(&refusal, &PLACED),
        subtotal: money(locale, sums.subtotal, &currency),
        tax_total: money(locale, sums.tax_total, &currency),
        total: money(locale, sums.total, &currency),
        form,
        currencies,
        opportunities,
        variables,
        rows,
        refusal,
        locale,
    }
}

/// The opportunities of `client` to link a proposal to, `chosen` selected.
pub async fn opportunity_choices(
    page: &mut Page,
    client: Option<Uuid>,
    chosen: &str,
) -> Result<Vec<Choice>, PageError> {
    let Some(client) = client else {
        return Ok(Vec::new());
    };
    let q = OpportunityQuery {
        client_id: Some(client.to_string()),
        limit: Some(OPPORTUNITIES.into()),
        ..OpportunityQuery::default()
    };
    let (filter, request) = q.parse()?;
    let found = services::pipeline::list(&mut page.ctx, &filter, &request).await?;
    let locale = page.locale;
    Ok(found
        .data
        .into_iter()
        .map(|o| Choice {
            selected: o.id.to_string() == chosen.trim(),
            label: format!(
                "{} ({})",
                o.title,
                money(locale, o.estimated_value, &o.currency)
            ),
            value: o.id.to_string(),
        })
        .collect())
}

/// The variables a template version declares, for the editor.
pub fn specs_of(template: &services::proposals::templates::TemplateOut) -> Vec<VariableSpec> {
    template
        .variables
        .iter()
        .map(|v| VariableSpec {
            name: v.name.clone(),
            kind: v.kind.clone(),
            label: v.label.clone().unwrap_or_else(|| v.name.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::proposals_form::ItemRow;

    #[test]
    fn the_figures_follow_the_rounding_rule_and_skip_incomplete_rows() {
        let form = ProposalForm {
            currency: "EUR".into(),
            rows: vec![
                ItemRow {
                    description: "Licencias".into(),
                    quantity: "3".into(),
                    unit_price: "9,995".into(),
                    tax_rate: "21".into(),
                    ..ItemRow::default()
                },
                ItemRow {
                    description: "A medias".into(),
                    ..ItemRow::default()
                },
            ],
            ..ProposalForm::default()
        };
        let e = editor(Locale::Es, form, &[], Vec::new(), Vec::new(), None);
        assert_eq!(e.rows[0].net, "29,99 EUR");
        assert_eq!(e.rows[1].net, "–");
        assert_eq!(e.rows[1].cells[0].value, "A medias");
        assert_eq!(e.subtotal, "29,99 EUR");
        assert_eq!(e.tax_total, "6,30 EUR");
        assert_eq!(e.total, "36,29 EUR");
    }
}
