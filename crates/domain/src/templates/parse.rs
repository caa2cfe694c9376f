//! Reading a template's text into text and placeholders, with errors a user can act on.

use super::{Names, Part, STANDARD_VARIABLES, Variable};

/// Most characters of an unclosed placeholder quoted back in its error.
const QUOTE_LIMIT: usize = 40;

/// What is wrong with a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateErrorKind {
    /// `{{` with no `}}` after it on the same line.
    Unclosed,
    /// `{{}}` or only spaces between the braces.
    Empty,
    /// Three braces on either side, as in `{{{x}}}`.
    TooManyBraces,
    /// A name with spaces or signs, as in `{{client name}}`.
    BadName,
    /// `custom.` followed by something that cannot be a custom field key.
    BadCustomKey,
    /// A well-formed name that is not a variable; `suggestion` is the likely intended one.
    UnknownVariable { suggestion: Option<String> },
    /// `custom.<key>` where the tenant has no custom field `key`.
    UnknownCustomField,
}

/// A placeholder that cannot be used, where it is and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct TemplateError {
    pub kind: TemplateErrorKind,
    /// The placeholder as written; for an unclosed one, the rest of its line (shortened).
    pub placeholder: String,
    /// 1-based position, in characters, of its first brace in the whole text.
    pub offset: usize,
    /// 1-based line of its first brace.
    pub line: usize,
    /// 1-based position, in characters, of its first brace within its line.
    pub column: usize,
}

impl TemplateError {
    fn describe(&self) -> String {
        let p = &self.placeholder;
        let at = if self.line == 1 {
            format!("character {}", self.offset)
        } else {
            format!("line {}, column {}", self.line, self.column)
        };
        match &self.kind {
            TemplateErrorKind::Unclosed => {
                format!("unclosed placeholder {p} at {at}: {{{{ needs }}}} on the same line")
            }
            TemplateErrorKind::Empty => format!("empty placeholder {p} at {at}"),
            TemplateErrorKind::TooManyBraces => format!(
                "malformed placeholder {p} at {at}: use two braces on each side, as in {{{{clientName}}}}"
            ),
            TemplateErrorKind::BadName => {
                format!("malformed placeholder {p} at {at}: a variable name has no spaces or signs")
            }
            TemplateErrorKind::BadCustomKey => format!(
                "malformed placeholder {p} at {at}: a custom field key is lower-case letters, digits and _, starting with a letter"
            ),
            TemplateErrorKind::UnknownVariable {
                suggestion: Some(s),
            } => {
                format!("unknown variable {p} at {at}: did you mean {{{{{s}}}}}?")
            }
            TemplateErrorKind::UnknownVariable { suggestion: None } => format!(
                "unknown variable {p} at {at}: the variables are {} and custom.<key>",
                STANDARD_VARIABLES.join(", ")
            ),
            TemplateErrorKind::UnknownCustomField => {
                format!("unknown custom field {p} at {at}")
            }
        }
    }
}

/// The parts of `text`, or the first placeholder that cannot be used.
pub(super) fn parts(text: &str, names: Names<'_>) -> Result<Vec<Part>, TemplateError> {
    let mut parts = Vec::new();
    let mut cursor = 0;
    while let Some(found) = text[cursor..].find("{{") {
        let open = cursor + found;
        if open > cursor {
            parts.push(Part::Text(text[cursor..open].to_owned()));
        }
        let (variable, after) = placeholder(text, open, names)?;
        parts.push(Part::Value(variable));
        cursor = after;
    }
    if cursor < text.len() {
        parts.push(Part::Text(text[cursor..].to_owned()));
    }
    Ok(parts)
}

/// The variable of the placeholder whose `{{` is at byte `open`, and the byte after its `}}`.
fn placeholder(
    text: &str,
    open: usize,
    names: Names<'_>,
) -> Result<(Variable, usize), TemplateError> {
    let inner_start = open + 2;
    let line_end = text[inner_start..]
        .find('\n')
        .map_or(text.len(), |n| inner_start + n);
    let rest_of_line = &text[inner_start..line_end];
    let fail = |kind, end: usize| Err(error(text, open, end, kind));
    if rest_of_line.starts_with('{') {
        let end = rest_of_line
            .find("}}")
            .map_or(line_end, |c| inner_start + c + 2);
        let end = end + usize::from(text[end..].starts_with('}'));
        return fail(TemplateErrorKind::TooManyBraces, end);
    }
    let close = match (rest_of_line.find("}}"), rest_of_line.find("{{")) {
        (Some(close), reopen) if reopen.is_none_or(|r| close < r) => close,
        _ => return fail(TemplateErrorKind::Unclosed, line_end),
    };
    let after = inner_start + close + 2;
    if text[after..].starts_with('}') {
        return fail(TemplateErrorKind::TooManyBraces, after + 1);
    }
    match variable(rest_of_line[..close].trim(), names) {
        Ok(v) => Ok((v, after)),
        Err(kind) => fail(kind, after),
    }
}

/// The variable a trimmed placeholder name stands for.
fn variable(name: &str, names: Names<'_>) -> Result<Variable, TemplateErrorKind> {
    let custom_keys = names.custom_keys;
    if name.is_empty() {
        return Err(TemplateErrorKind::Empty);
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err(TemplateErrorKind::BadName);
    }
    if let Some(v) = Variable::standard(name) {
        return Ok(v);
    }
    if names.proposal.contains(&name) {
        return Ok(Variable::Proposal(name.to_owned()));
    }
    if let Some(key) = name.strip_prefix("custom.") {
        return if !is_custom_key(key) {
            Err(TemplateErrorKind::BadCustomKey)
        } else if custom_keys.contains(&key) {
            Ok(Variable::Custom(key.to_owned()))
        } else {
            Err(TemplateErrorKind::UnknownCustomField)
        };
    }
    Err(TemplateErrorKind::UnknownVariable {
        suggestion: suggestion(name, names),
    })
}

/// The variable a user most likely meant by an unknown name: a standard one spelled in
/// another case, or a custom field written without its `custom.` prefix.
fn suggestion(name: &str, names: Names<'_>) -> Option<String> {
    let standard = STANDARD_VARIABLES
        .iter()
        .chain(names.proposal)
        .find(|s| s.eq_ignore_ascii_case(name))
        .map(|s| (*s).to_owned());
    standard.or_else(|| {
        names
            .custom_keys
            .iter()
            .find(|k| k.eq_ignore_ascii_case(name))
            .map(|k| format!("custom.{k}"))
    })
}

/// `[a-z][a-z0-9_]{0,39}`, the shape of a custom field key.
fn is_custom_key(key: &str) -> bool {
    (1..=40).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The error for the placeholder spanning bytes `open..end` of `text`.
fn error(text: &str, open: usize, end: usize, kind: TemplateErrorKind) -> TemplateError {
    let before = &text[..open];
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    let written = text[open..end].trim_end();
    let mut placeholder: String = written.chars().take(QUOTE_LIMIT).collect();
    if written.chars().count() > QUOTE_LIMIT {
        placeholder.push('…');
    }
    TemplateError {
        kind,
        placeholder,
        offset: before.chars().count() + 1,
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}
