//! A proposal template's content: titled sections whose bodies are plain text with
//! `{{variables}}` (paragraphs separated by blank lines), and the variables it declares with a
//! type. Checked when a version is saved: every placeholder names a standard variable, a
//! proposal variable, a declared one or a custom field of the tenant.

use domain::proposals::variables::{self, Declared, MAX_DECLARED, VariableType};
use domain::templates::{Names, PROPOSAL_VARIABLES, Template};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Error, InvalidField, Result, text};

/// Most sections of a template.
pub const MAX_SECTIONS: usize = 50;
/// Most characters of a section's title.
pub const SECTION_TITLE_CHARS: usize = 200;
/// Most characters of a section's body.
pub const SECTION_BODY_CHARS: usize = 20_000;
/// Most characters of a variable's label.
pub const LABEL_CHARS: usize = 100;

/// A section of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// 1-200 characters, plain text with `{{variables}}`.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 200))]
    pub title: String,
    /// Plain text with `{{variables}}`, at most 20,000 characters; a blank line starts a new
    /// paragraph.
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    pub body: String,
}

/// A variable a template declares, as given and read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VariableSpec {
    /// Used as `{{name}}`: 1-40 letters, digits or _, starting with a letter.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z][A-Za-z0-9_]{0,39}$"))]
    pub name: String,
    /// `text`, `number`, `percentage` (0 to 100), `date` or `money`.
    #[serde(rename = "type")]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(text|number|percentage|date|money)$")
    )]
    pub kind: String,
    /// What the editor shows next to its field (default: the name).
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub label: Option<String>,
}

/// A checked version's content.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateContent {
    pub sections: Vec<Section>,
    pub variables: Vec<Declared>,
}

impl TemplateContent {
    /// The names a section may use besides the standard ones and custom fields.
    pub fn proposal_names(&self) -> Vec<&str> {
        PROPOSAL_VARIABLES
            .iter()
            .copied()
            .chain(self.variables.iter().map(|v| v.name.as_str()))
            .collect()
    }

    /// The sections parsed (title, body); fails only on content stored before a custom field
    /// it used was deleted.
    pub fn parsed(&self, custom_keys: &[&str]) -> Result<Vec<(Template, Template)>> {
        let proposal = self.proposal_names();
        let names = Names {
            custom_keys,
            proposal: &proposal,
        };
        self.sections
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let title = Template::parse_with(&s.title, names)
                    .map_err(|e| Error::field(&format!("/sections/{i}/title"), e.to_string()))?;
                let body = Template::parse_with(&s.body, names)
                    .map_err(|e| Error::field(&format!("/sections/{i}/body"), e.to_string()))?;
                Ok((title, body))
            })
            .collect()
    }

    /// What is stored: the sections and the variables as JSON.
    pub fn to_json(&self) -> (Value, Value) {
        let variables: Vec<VariableSpec> = self.variables.iter().map(spec_of).collect();
        (
            serde_json::to_value(&self.sections).unwrap_or(Value::Null),
            serde_json::to_value(variables).unwrap_or(Value::Null),
        )
    }

    /// A stored version's content.
    pub fn from_json(sections: &Value, variables: &Value) -> Result<Self> {
        let sections: Vec<Section> = serde_json::from_value(sections.clone())
            .map_err(|e| Error::Corrupt(format!("template sections: {e}")))?;
        let specs: Vec<VariableSpec> = serde_json::from_value(variables.clone())
            .map_err(|e| Error::Corrupt(format!("template variables: {e}")))?;
        let variables = specs
            .into_iter()
            .map(|s| {
                Ok(Declared {
                    kind: VariableType::parse(&s.kind).map_err(|e| Error::Corrupt(e.0))?,
                    label: s.label.unwrap_or_else(|| s.name.clone()),
                    name: s.name,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            sections,
            variables,
        })
    }
}

/// How a declared variable reads back.
pub fn spec_of(d: &Declared) -> VariableSpec {
    VariableSpec {
        name: d.name.clone(),
        kind: d.kind.as_str().to_owned(),
        label: Some(d.label.clone()),
    }
}

/// Checks a version's content as given: 1-50 sections, their texts, the declared variables
/// (unique names, known types) and every placeholder against them and the tenant's custom
/// field keys. Each problem names its member.
pub fn check(
    sections: Vec<Section>,
    specs: Vec<VariableSpec>,
    custom_keys: &[&str],
) -> Result<TemplateContent> {
    let mut problems = Vec::new();
    if sections.is_empty() || sections.len() > MAX_SECTIONS {
        problems.push(InvalidField::at(
            "/sections",
            format!("must hold 1-{MAX_SECTIONS} sections"),
        ));
    }
    if specs.len() > MAX_DECLARED {
        problems.push(InvalidField::at(
            "/variables",
            format!("must hold at most {MAX_DECLARED} variables"),
        ));
    }
    let variables = declared(specs, &mut problems);
    let sections: Vec<Section> = sections
        .into_iter()
        .enumerate()
        .map(|(i, s)| Section {
            title: text::required(
                &format!("/sections/{i}/title"),
                &s.title,
                SECTION_TITLE_CHARS,
                &mut problems,
            ),
            body: body(i, s.body, &mut problems),
        })
        .collect();
    let content = TemplateContent {
        sections,
        variables,
    };
    if problems.is_empty()
        && let Err(Error::Invalid(found)) = content.parsed(custom_keys)
    {
        problems.extend(found);
    }
    Error::check(problems)?;
    Ok(content)
}

fn body(i: usize, body: String, problems: &mut Vec<InvalidField>) -> String {
    if body.chars().count() > SECTION_BODY_CHARS {
        problems.push(InvalidField::at(
            &format!("/sections/{i}/body"),
            format!("must be at most {SECTION_BODY_CHARS} characters"),
        ));
    }
    body
}

fn declared(specs: Vec<VariableSpec>, problems: &mut Vec<InvalidField>) -> Vec<Declared> {
    let mut out: Vec<Declared> = Vec::new();
    for (i, s) in specs.into_iter().enumerate() {
        let at = |m: &str| format!("/variables/{i}/{m}");
        if let Err(e) = variables::check_name(&s.name) {
            problems.push(InvalidField::at(&at("name"), e.0));
        } else if out.iter().any(|d| d.name.eq_ignore_ascii_case(&s.name)) {
            problems.push(InvalidField::at(&at("name"), "is declared twice"));
        }
        let kind = VariableType::parse(&s.kind).unwrap_or_else(|e| {
            problems.push(InvalidField::at(&at("type"), e.0));
            VariableType::Text
        });
        let label = text::optional(&at("label"), s.label, LABEL_CHARS, problems)
            .unwrap_or_else(|| s.name.clone());
        out.push(Declared {
            name: s.name,
            kind,
            label,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(title: &str, body: &str) -> Section {
        Section {
            title: title.into(),
            body: body.into(),
        }
    }

    fn spec(name: &str, kind: &str) -> VariableSpec {
        VariableSpec {
            name: name.into(),
            kind: kind.into(),
            label: None,
        }
    }

    fn pointers(e: Error) -> Vec<String> {
        match e {
            Error::Invalid(found) => found.into_iter().map(|f| f.pointer).collect(),
            other => panic!("not invalid: {other:?}"),
        }
    }

    #[test]
    fn placeholders_name_known_or_declared_variables() {
        let ok = check(
            vec![section(
                "Propuesta para {{clientName}}",
                "Total {{total}}, {{discountPercentage}} % dto.\n\nPago: {{paymentTerms}} ({{custom.tier}})",
            )],
            vec![spec("paymentTerms", "text")],
            &["tier"],
        )
        .expect("valid");
        assert_eq!(ok.variables[0].label, "paymentTerms");
        let e = check(
            vec![
                section("Hola", "{{paymentTerms}}"),
                section("{{Total}}", "x"),
            ],
            vec![],
            &[],
        )
        .expect_err("unknown variables");
        assert_eq!(pointers(e), vec!["/sections/0/body"]);
    }

    #[test]
    fn declared_variables_are_checked_with_their_members() {
        let e = check(
            vec![section("T", "b")],
            vec![
                spec("deposit", "percentage"),
                spec("Deposit", "money"),
                spec("total", "money"),
                spec("x", "bool"),
            ],
            &[],
        )
        .expect_err("bad declarations");
        assert_eq!(
            pointers(e),
            vec![
                "/variables/1/name",
                "/variables/2/name",
                "/variables/3/type"
            ]
        );
        assert!(check(vec![], vec![], &[]).is_err());
    }

    #[test]
    fn content_round_trips_through_its_stored_json() {
        let content = check(
            vec![section("T", "{{deposit}}")],
            vec![spec("deposit", "percentage")],
            &[],
        )
        .expect("valid");
        let (sections, variables) = content.to_json();
        assert_eq!(
            TemplateContent::from_json(&sections, &variables).expect("read back"),
            content
        );
    }
}
