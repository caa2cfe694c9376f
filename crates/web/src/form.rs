//! How a form shows the services' refusal, the one way for every console form: the answer's
//! status, a message above the form in the page's language, the service's own explanation
//! where it has one, and each invalid field's detail next to that field.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use services::{Error, InvalidField};

use crate::i18n::{Arg, Locale};
use crate::page::PageError;

/// Why the services refused a form, in the page's language: the answer's status, a message
/// above the form, the service's own explanation, and each invalid field.
pub struct Refusal {
    pub status: u16,
    pub message: String,
    pub detail: Option<String>,
    pub fields: Vec<InvalidField>,
}

impl Refusal {
    /// The refusal a form shows; any other error becomes the console's error page.
    pub fn of(locale: Locale, error: Error) -> Result<Self, PageError> {
        let (status, message, detail, fields) = match error {
            Error::Invalid(fields) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                locale.t("form-has-errors"),
                None,
                fields,
            ),
            Error::Forbidden(detail) => (
                StatusCode::FORBIDDEN,
                locale.t("admin-refused-escalation"),
                Some(detail),
                Vec::new(),
            ),
            Error::Conflict { code, detail, .. } => (
                StatusCode::CONFLICT,
                conflict(locale, code, &detail),
                None,
                Vec::new(),
            ),
            Error::Stale => (
                StatusCode::PRECONDITION_FAILED,
                locale.t("admin-stale"),
                None,
                Vec::new(),
            ),
            other => return Err(other.into()),
        };
        Ok(Self {
            status: status.as_u16(),
            message,
            detail,
            fields,
        })
    }

    /// What is wrong with the field at `pointer` (or an item of it, `pointer/i`).
    pub fn field(&self, pointer: &str) -> Option<String> {
        detail_at(&self.fields, pointer)
    }

    /// The answer's status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
    }
}

/// What is wrong with the field at `pointer`, if a refusal says.
pub fn field_error(refusal: &Option<Refusal>, pointer: &str) -> Option<String> {
    refusal.as_ref().and_then(|r| r.field(pointer))
}

/// A conflict's message: the known codes in the page's language, others as the service said.
fn conflict(locale: Locale, code: &str, detail: &str) -> String {
    match code {
        "email-taken" | "last-owner" | "cannot-disable-self" | "role-exists" | "built-in-role" => {
            locale.t(&format!("admin-conflict-{code}"))
        }
        _ => locale.t_with(
            "admin-conflict",
            &[("detail", Arg::Text(detail.to_owned()))],
        ),
    }
}

/// Each field's problems, by the first segment of its pointer (`/emails/2` → `emails`).
pub fn fields_by_name(fields: &[services::InvalidField]) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for f in fields {
        let name = f
            .pointer
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        let entry = out.entry(name.to_owned()).or_default();
        if !entry.is_empty() {
            entry.push_str("; ");
        }
        entry.push_str(&f.detail);
    }
    out
}

/// What `fields` say is wrong with the member at `pointer` (or an item of it, `pointer/i`).
pub fn detail_at(fields: &[InvalidField], pointer: &str) -> Option<String> {
    let details: Vec<&str> = fields
        .iter()
        .filter(|f| {
            f.pointer == pointer
                || f.pointer
                    .strip_prefix(pointer)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .map(|f| f.detail.as_str())
        .collect();
    (!details.is_empty()).then(|| details.join("; "))
}

/// Text typed as a list (one per line, or separated by commas or semicolons) as its items.
pub fn items(text: &str) -> Vec<String> {
    text.split([',', '\n', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_split_on_commas_lines_and_semicolons() {
        assert_eq!(
            items(" a@x.es, b@y.es\nc@z.es;; "),
            vec!["a@x.es", "b@y.es", "c@z.es"]
        );
    }

    #[test]
    fn problems_are_grouped_by_field() {
        let errors = fields_by_name(&[
            InvalidField::at("/emails/1", "is not an e-mail address"),
            InvalidField::at("/emails/3", "is not an e-mail address"),
            InvalidField::at("/company_name", "is required"),
        ]);
        assert_eq!(
            errors["emails"],
            "is not an e-mail address; is not an e-mail address"
        );
        assert_eq!(errors["company_name"], "is required");
    }

    #[test]
    fn a_field_collects_its_items_problems() {
        let refusal = Refusal::of(
            Locale::En,
            Error::Invalid(vec![
                InvalidField::at("/emails/1", "is not an e-mail address"),
                InvalidField::at("/emails/3", "is not an e-mail address"),
                InvalidField::at("/emailsx", "other"),
                InvalidField::at("/company_name", "is required"),
            ]),
        )
        .ok()
        .expect("a form refusal");
        assert_eq!(refusal.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            refusal.field("/emails").as_deref(),
            Some("is not an e-mail address; is not an e-mail address")
        );
        assert_eq!(
            refusal.field("/company_name").as_deref(),
            Some("is required")
        );
        assert!(Refusal::of(Locale::En, Error::NotFound).is_err());
    }
}

/// A posted form's fields by name, for forms whose field names are made at run time (a table of
/// inputs).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Posted(pub std::collections::HashMap<String, String>);

impl Posted {
    /// The field's value, trimmed; blank when it was not sent.
    pub fn one(&self, name: &str) -> String {
        self.0
            .get(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    }
}
