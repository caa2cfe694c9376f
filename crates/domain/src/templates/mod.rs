//! The one template renderer, shared by communications, proposals and automations.
//!
//! A template is text with `{{variable}}` placeholders; spaces inside the braces are allowed
//! (`{{ clientName }}`). The variables are [`STANDARD_VARIABLES`] and `custom.<key>` for each
//! of the tenant's custom fields. Parsing is strict, so a typo is caught when the template is
//! saved rather than when a client receives it:
//!
//! - `{{` must be closed by `}}` on the same line; a placeholder never spans lines.
//! - `{{}}`, a name with spaces or signs (`{{client name}}`) and three braces (`{{{x}}}`,
//!   `{{x}}}`) are malformed.
//! - An unknown name, or a custom key the tenant has not defined, is an error naming it.
//! - A lone `}}` or a single `{` is ordinary text: HTML e-mail bodies carry CSS, whose nested
//!   rules end in `}}`.
//! - There is no way to write a literal `{{`; no message has needed one.
//!
//! Errors give the placeholder and its 1-based character position (line and column in
//! multi-line text); the caller says which part (subject, body) it was.
//!
//! Values are written in the tenant's [`Locale`]: `today` and date fields as a long date
//! ("5 de diciembre de 2026", "December 5, 2026"), numbers and money with the locale's
//! separators, booleans as sí/no or yes/no. A value that is absent (no contact, no owner, a
//! custom field the client has no value for) renders as empty text.

mod html;
mod locale;
mod parse;
mod values;

pub use html::html_escape;
pub use locale::Locale;
pub use parse::{TemplateError, TemplateErrorKind};
pub use values::{CustomValue, TemplateValues};

/// The names a template may use besides the standard variables: the tenant's custom field
/// keys (`custom.<key>`) and, in a proposal template, the proposal's own variables
/// ([`PROPOSAL_VARIABLES`] and those the template declares), written bare.
#[derive(Debug, Clone, Copy, Default)]
pub struct Names<'a> {
    pub custom_keys: &'a [&'a str],
    pub proposal: &'a [&'a str],
}

/// The variables every template may use, besides the tenant's `custom.<key>` fields.
pub const STANDARD_VARIABLES: &[&str] = &[
    "clientName",
    "companyName",
    "contactName",
    "ownerName",
    "today",
];

/// The variables of every proposal, besides those its template declares.
pub const PROPOSAL_VARIABLES: &[&str] =
    &["proposalDate", "validUntil", "total", "discountPercentage"];

/// A variable a placeholder names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Variable {
    ClientName,
    CompanyName,
    ContactName,
    OwnerName,
    Today,
    /// A tenant's custom field, by its key.
    Custom(String),
    /// A proposal's variable (one of [`PROPOSAL_VARIABLES`] or declared by its template).
    Proposal(String),
}

impl Variable {
    /// The standard variable spelled `name`, if any.
    fn standard(name: &str) -> Option<Self> {
        Some(match name {
            "clientName" => Self::ClientName,
            "companyName" => Self::CompanyName,
            "contactName" => Self::ContactName,
            "ownerName" => Self::OwnerName,
            "today" => Self::Today,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Variable {
    /// The name as written between the braces.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ClientName => f.write_str("clientName"),
            Self::CompanyName => f.write_str("companyName"),
            Self::ContactName => f.write_str("contactName"),
            Self::OwnerName => f.write_str("ownerName"),
            Self::Today => f.write_str("today"),
            Self::Custom(key) => write!(f, "custom.{key}"),
            Self::Proposal(name) => f.write_str(name),
        }
    }
}

/// How substituted values are written into the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// As they are: subjects, SMS, WhatsApp.
    Text,
    /// HTML-escaped (the template's own markup is left alone): e-mail bodies, proposals.
    Html,
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Value(Variable),
}

/// A template whose every placeholder names a known variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text` and checks every placeholder against the standard variables and the
    /// tenant's custom field keys.
    pub fn parse(text: &str, custom_keys: &[&str]) -> Result<Template, TemplateError> {
        Self::parse_with(
            text,
            Names {
                custom_keys,
                proposal: &[],
            },
        )
    }

    /// Parses `text` allowing the standard variables and `names`.
    pub fn parse_with(text: &str, names: Names<'_>) -> Result<Template, TemplateError> {
        parse::parts(text, names).map(|parts| Template { parts })
    }

    /// Every variable used, in order of first use.
    pub fn variables(&self) -> Vec<Variable> {
        let mut used: Vec<Variable> = Vec::new();
        for part in &self.parts {
            if let Part::Value(v) = part
                && !used.contains(v)
            {
                used.push(v.clone());
            }
        }
        used
    }

    /// The text with every placeholder replaced by its value.
    pub fn render(&self, values: &TemplateValues, escape: Escape) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Value(v) => {
                    let value = values.text_of(v);
                    match escape {
                        Escape::Text => out.push_str(&value),
                        Escape::Html => html::push_escaped(&mut out, &value),
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
