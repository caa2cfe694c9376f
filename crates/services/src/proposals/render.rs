//! A proposal written out: its template version's sections with every variable replaced, its
//! items and totals, in the tenant's language, as an HTML page and as a PDF
//! ([`super::pdf`]). What a sent proposal said is kept (`sent_html`, `variables_used`); its
//! PDF is rendered again from the same stored values.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use db::proposals::ProposalRow;
use domain::proposals::{Line, overall_discount, totals};
use domain::templates::{CustomValue, Escape, Locale, TemplateValues, Variable, html_escape};
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value};

use super::content::TemplateContent;
use super::labels::Labels;
use super::pdf::{PdfDocument, PdfSection, render as pdf_render};
use super::proposal::lines_of;
use crate::{Error, InvalidField, Result, Scope};

/// How strictly declared variables are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// A preview: a variable without a value is empty text.
    Preview,
    /// Sending: every declared variable the template uses needs a value.
    Send,
}

/// A proposal written out.
pub struct Rendered {
    /// A whole HTML page.
    pub html: String,
    pub document: PdfDocument,
    /// Every variable the sections use, as the text it was replaced by.
    pub variables_used: Map<String, Value>,
}

impl Rendered {
    pub fn pdf(&self) -> Vec<u8> {
        pdf_render(&self.document)
    }
}

/// Renders `row` on `date` (its sending date).
pub async fn render(
    scope: &mut Scope,
    row: &ProposalRow,
    date: NaiveDate,
    strictness: Strictness,
) -> Result<Rendered> {
    let client = db::clients::get(&mut scope.tx, row.client_id, true)
        .await?
        .ok_or(Error::NotFound)?;
    let tenant = crate::tenants::settings(scope).await?;
    let version =
        db::proposal_templates::get_version(&mut scope.tx, row.template_id, row.template_version)
            .await?
            .ok_or_else(|| Error::Corrupt("a proposal's template version is gone".into()))?;
    let content = TemplateContent::from_json(&version.sections, &version.variables)?;
    let mut values = crate::communications::values_for(scope, &client, None).await?;
    let lines = lines_of(row)?;
    values.proposal = proposal_values(row, &lines, &content, date, strictness)?;
    let fields = crate::custom_fields::list(scope).await?;
    let keys: Vec<&str> = fields.iter().map(|f| f.key.as_str()).collect();
    let parsed = content.parsed(&keys)?;
    let mut variables_used = Map::new();
    let mut sections = Vec::new();
    for (title, body) in &parsed {
        for v in title.variables().iter().chain(body.variables().iter()) {
            variables_used.insert(v.to_string(), Value::String(values.text_of(v)));
        }
        sections.push(PdfSection {
            title: title.render(&values, Escape::Text),
            body: body.render(&values, Escape::Text),
        });
    }
    let labels = Labels::of(values.locale);
    let document = document(
        row,
        &tenant.name,
        &client.company_name,
        &values,
        &lines,
        sections,
        &labels,
    );
    let html = html_page(&document, values.locale);
    Ok(Rendered {
        html,
        document,
        variables_used,
    })
}

/// The values of the proposal's own variables and of those its template declares.
fn proposal_values(
    row: &ProposalRow,
    lines: &[Line],
    content: &TemplateContent,
    date: NaiveDate,
    strictness: Strictness,
) -> Result<BTreeMap<String, CustomValue>> {
    let mut out = BTreeMap::from([
        ("proposalDate".to_owned(), CustomValue::Date(date)),
        ("validUntil".to_owned(), CustomValue::Date(row.valid_until)),
        (
            "total".to_owned(),
            CustomValue::Money {
                amount: row.total.to_string(),
                currency: row.currency.clone(),
            },
        ),
        (
            "discountPercentage".to_owned(),
            CustomValue::Number(overall_discount(lines).to_f64().unwrap_or(0.0)),
        ),
    ]);
    let given = row.variables.as_object().cloned().unwrap_or_default();
    let mut problems = Vec::new();
    for d in &content.variables {
        let at = format!("/variables/{}", d.name);
        match given.get(&d.name) {
            Some(raw) => match d.kind.value_of(raw, &row.currency) {
                Ok(v) => {
                    out.insert(d.name.clone(), v);
                }
                Err(e) => problems.push(InvalidField::at(&at, e.0)),
            },
            None if strictness == Strictness::Send && uses(content, &d.name) => {
                problems.push(InvalidField::at(&at, "needs a value: the template uses it"))
            }
            None => {}
        }
    }
    Error::check(problems)?;
    Ok(out)
}

/// Whether any section of the template uses the declared variable `name`.
fn uses(content: &TemplateContent, name: &str) -> bool {
    let proposal = content.proposal_names();
    let names = domain::templates::Names {
        custom_keys: &[],
        proposal: &proposal,
    };
    let wanted = Variable::Proposal(name.to_owned());
    content.sections.iter().any(|s| {
        [&s.title, &s.body].iter().any(|text| {
            domain::templates::Template::parse_with(text, names)
                .is_ok_and(|t| t.variables().contains(&wanted))
        })
    })
}

/// What is printed, in the tenant's language.
fn document(
    row: &ProposalRow,
    issuer: &str,
    client: &str,
    values: &TemplateValues,
    lines: &[Line],
    sections: Vec<PdfSection>,
    labels: &Labels,
) -> PdfDocument {
    let locale = values.locale;
    let money = |d: &rust_decimal::Decimal| locale.money(&d.to_string(), &row.currency);
    let number = |d: &rust_decimal::Decimal| locale.number(d.to_f64().unwrap_or(0.0));
    let sums = totals(lines);
    let mut totals_out = vec![(labels.subtotal.to_owned(), money(&sums.subtotal))];
    for t in &sums.taxes {
        totals_out.push((
            format!("{} {} %", labels.tax, number(&t.rate)),
            money(&t.tax),
        ));
    }
    totals_out.push((labels.total.to_owned(), money(&sums.total)));
    let proposal_date = values.text_of(&Variable::Proposal("proposalDate".into()));
    PdfDocument {
        title: row.title.clone(),
        issuer: issuer.to_owned(),
        client: client.to_owned(),
        meta: vec![
            (labels.client.to_owned(), client.to_owned()),
            (labels.date.to_owned(), proposal_date),
            (
                labels.valid_until.to_owned(),
                locale.long_date(row.valid_until),
            ),
            (labels.reference.to_owned(), reference(row)),
        ],
        sections,
        columns: labels.columns.map(str::to_owned),
        lines: lines
            .iter()
            .map(|l| {
                [
                    l.description.clone(),
                    number(&l.quantity),
                    money(&l.unit_price),
                    number(&l.discount_percentage),
                    number(&l.tax_rate),
                    money(&l.net),
                ]
            })
            .collect(),
        totals: totals_out,
        footer: format!("{} · {}", issuer, reference(row)),
    }
}

/// The proposal's short reference: its first id's start and its revision.
pub fn reference(row: &ProposalRow) -> String {
    let id = row.first_id.simple().to_string();
    format!("P-{}-{}", &id[id.len() - 8..].to_uppercase(), row.revision)
}

/// The HTML page of a document.
pub fn html_page(doc: &PdfDocument, locale: Locale) -> String {
    let e = html_escape;
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>{STYLE}</style></head><body><main class=\"proposal\"><header><p class=\"issuer\">{}</p>\
         <h1>{}</h1><dl class=\"meta\">",
        locale.as_str(),
        e(&doc.title),
        e(&doc.issuer),
        e(&doc.title)
    );
    for (k, v) in &doc.meta {
        out.push_str(&format!("<dt>{}</dt><dd>{}</dd>", e(k), e(v)));
    }
    out.push_str("</dl></header>");
    for s in &doc.sections {
        out.push_str(&format!("<section><h2>{}</h2>", e(&s.title)));
        for paragraph in s.body.split("\n\n").filter(|p| !p.trim().is_empty()) {
            out.push_str(&format!(
                "<p>{}</p>",
                e(paragraph.trim()).replace('\n', "<br>")
            ));
        }
        out.push_str("</section>");
    }
    out.push_str("<table class=\"items\"><thead><tr>");
    for (i, c) in doc.columns.iter().enumerate() {
        let class = if i == 0 { "" } else { " class=\"num\"" };
        out.push_str(&format!("<th{class}>{}</th>", e(c)));
    }
    out.push_str("</tr></thead><tbody>");
    for l in &doc.lines {
        out.push_str("<tr>");
        for (i, c) in l.iter().enumerate() {
            let class = if i == 0 { "" } else { " class=\"num\"" };
            out.push_str(&format!("<td{class}>{}</td>", e(c)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table><table class=\"totals\">");
    for (k, v) in &doc.totals {
        out.push_str(&format!(
            "<tr><th>{}</th><td class=\"num\">{}</td></tr>",
            e(k),
            e(v)
        ));
    }
    out.push_str(&format!(
        "</table><footer>{}</footer></main></body></html>\n",
        e(&doc.footer)
    ));
    out
}

const STYLE: &str = "body{font-family:Helvetica,Arial,sans-serif;color:#222;margin:0;background:#f4f5f7}\
.proposal{max-width:820px;margin:2rem auto;background:#fff;padding:2.5rem;border-radius:6px}\
.issuer{color:#666;margin:0}h1{margin:.2rem 0 1rem}.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}\
.meta dt{color:#666}.meta dd{margin:0}section h2{font-size:1.1rem;margin-top:1.6rem}\
table{width:100%;border-collapse:collapse;margin-top:1.5rem}th,td{padding:.4rem;border-bottom:1px solid #ddd;text-align:left}\
.num{text-align:right;white-space:nowrap}.totals{width:auto;margin-left:auto}.totals tr:last-child{font-weight:bold}\
footer{margin-top:2rem;color:#666;font-size:.85rem}";
