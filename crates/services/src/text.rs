//! The rules of free-text fields, the same in every module: text is trimmed, a required text
//! holds 1 to `max` characters, and an optional one left blank is none.

use crate::InvalidField;

/// Trimmed text of 1 to `max` characters, given at `pointer`.
pub fn required(
    pointer: &str,
    given: &str,
    max: usize,
    problems: &mut Vec<InvalidField>,
) -> String {
    let text = given.trim().to_owned();
    if text.is_empty() || text.chars().count() > max {
        problems.push(InvalidField::at(
            pointer,
            format!("must be 1-{max} characters"),
        ));
    }
    text
}

/// The text given (trimmed, 1 to `max` characters) or, when none is given, the current one;
/// required when there is no current one (on create).
pub fn required_or_current(
    pointer: &str,
    given: Option<String>,
    current: Option<&str>,
    max: usize,
    problems: &mut Vec<InvalidField>,
) -> String {
    match (given, current) {
        (Some(text), _) => required(pointer, &text, max, problems),
        (None, Some(current)) => current.to_owned(),
        (None, None) => {
            problems.push(InvalidField::at(pointer, "is required"));
            String::new()
        }
    }
}

/// Trimmed text of at most `max` characters; blank is none.
pub fn optional(
    pointer: &str,
    given: Option<String>,
    max: usize,
    problems: &mut Vec<InvalidField>,
) -> Option<String> {
    let text = given
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())?;
    if text.chars().count() > max {
        problems.push(InvalidField::at(
            pointer,
            format!("must be at most {max} characters"),
        ));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_trimmed_and_bounded() {
        let mut problems = Vec::new();
        assert_eq!(required("/name", "  Acme  ", 10, &mut problems), "Acme");
        assert!(problems.is_empty());
        required("/name", "   ", 10, &mut problems);
        required("/name", "abcdefghijk", 10, &mut problems);
        assert_eq!(problems.len(), 2);
        assert!(
            problems
                .iter()
                .all(|p| p.detail == "must be 1-10 characters")
        );
    }

    #[test]
    fn missing_text_keeps_the_current_one_or_is_required() {
        let mut problems = Vec::new();
        let kept = required_or_current("/name", None, Some("Old"), 10, &mut problems);
        assert_eq!(kept, "Old");
        assert!(problems.is_empty());
        required_or_current("/name", None, None, 10, &mut problems);
        assert_eq!(problems, vec![InvalidField::at("/name", "is required")]);
    }

    #[test]
    fn blank_optional_text_is_none_and_long_text_is_refused() {
        let mut problems = Vec::new();
        assert_eq!(
            optional("/sector", Some("  ".into()), 5, &mut problems),
            None
        );
        assert_eq!(optional("/sector", None, 5, &mut problems), None);
        assert!(problems.is_empty());
        optional("/sector", Some("toolong".into()), 5, &mut problems);
        assert_eq!(problems[0].detail, "must be at most 5 characters");
    }
}
