//! What the proposal pages show of a proposal, the same way on every page: its status as a
//! badge in the page's language, its amounts (decimal strings) as the locale writes money, a
//! refusal's conflicts in the page's language, and the problems a form has no field for.

use rust_decimal::Decimal;
use services::{Error, InvalidField};

use super::pipeline_view::money;
use crate::form::Refusal;
use crate::i18n::Locale;
use crate::page::PageError;

/// The statuses, in the order the filters offer them.
pub const STATUSES: [&str; 5] = ["draft", "sent", "accepted", "rejected", "expired"];

/// The conflicts of the proposal flows said in the page's language.
const CONFLICTS: [&str; 4] = [
    "proposal-not-draft",
    "proposal-is-draft",
    "proposal-answered",
    "proposal-expired",
];

/// The label of a status.
pub fn status_label(locale: Locale, status: &str) -> String {
    locale.t(&format!("proposal-status-{status}"))
}

/// The badge colour of a status.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "sent" => "text-bg-primary",
        "accepted" => "text-bg-success",
        "rejected" => "text-bg-danger",
        "expired" => "text-bg-warning",
        _ => "text-bg-secondary",
    }
}

/// An amount as the services write it (a decimal string) in the locale's way, with its
/// currency; what is not a number is shown as given.
pub fn amount(locale: Locale, value: &str, currency: &str) -> String {
    match value.parse::<Decimal>() {
        Ok(d) => money(locale, d, currency),
        Err(_) => format!("{value} {currency}"),
    }
}

/// A decimal string written with the locale's decimal mark (`1.5` → `1,5` in Spanish), for a
/// form's field.
pub fn decimal_mark(locale: Locale, value: &str) -> String {
    match locale {
        Locale::Es => value.replace('.', ","),
        Locale::En => value.to_owned(),
    }
}

/// The refusal a proposal form shows: [`Refusal::of`], with the proposal flows' conflicts in
/// the page's language.
pub fn refusal(locale: Locale, error: Error) -> Result<Refusal, PageError> {
    let known = match &error {
        Error::Conflict { code, .. } => CONFLICTS.iter().find(|c| *c == code).copied(),
        _ => None,
    };
    let mut refusal = Refusal::of(locale, error)?;
    if let Some(code) = known {
        refusal.message = locale.t(&format!("proposal-conflict-{code}"));
    }
    Ok(refusal)
}

/// The problems of `refusal` whose pointer is none of `placed` (nor under one): shown as a
/// list under the form's message, as `pointer: detail`.
pub fn unplaced(refusal: &Option<Refusal>, placed: &[&str]) -> Vec<String> {
    let Some(r) = refusal else {
        return Vec::new();
    };
    r.fields
        .iter()
        .filter(|f| !placed.iter().any(|p| is_at(f, p)))
        .map(|f| format!("{}: {}", f.pointer, f.detail))
        .collect()
}

fn is_at(field: &InvalidField, pointer: &str) -> bool {
    field.pointer == pointer
        || field
            .pointer
            .strip_prefix(pointer)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_per_locale() {
        assert_eq!(amount(Locale::Es, "36.29", "EUR"), "36,29 EUR");
        assert_eq!(amount(Locale::En, "1250.00", "USD"), "1,250 USD");
        assert_eq!(amount(Locale::En, "n/a", "USD"), "n/a USD");
        assert_eq!(decimal_mark(Locale::Es, "9.995"), "9,995");
    }

    #[test]
    fn known_conflicts_are_translated_and_other_problems_listed() {
        let r = refusal(
            Locale::En,
            Error::conflict("proposal-not-draft", "the proposal is sent"),
        )
        .ok()
        .expect("a refusal");
        assert_eq!(
            r.message,
            Locale::En.t("proposal-conflict-proposal-not-draft")
        );
        let r = refusal(
            Locale::En,
            Error::Invalid(vec![
                InvalidField::at("/items/0/quantity", "must be more than 0"),
                InvalidField::at("/channel", "is not set up"),
            ]),
        )
        .ok();
        assert_eq!(
            unplaced(&r, &["/items", "/title"]),
            ["/channel: is not set up"]
        );
    }
}
