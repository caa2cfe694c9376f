//! Cells of the CSV files the CRM writes, and the inverse for the files it reads back.
//!
//! Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula (and a leading tab
//! or carriage return can hide such a start), so a client's name may not reach one as written
//! (CSV injection). Every text cell is neutralised with a leading `'`, which spreadsheets show
//! as text and hide; only values that are numbers by type are written bare.

/// The first characters that make a spreadsheet read a cell as a formula.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell: neutralised when it starts like a formula, then quoted when `sep`, a quote, a
/// line break or edge spaces require it.
pub fn text(value: &str, sep: char) -> String {
    let neutralised = if value.starts_with(FORMULA_STARTS) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    let needs_quotes = neutralised.contains([sep, '"', '\n', '\r'])
        || neutralised.starts_with(' ')
        || neutralised.ends_with(' ');
    if needs_quotes {
        format!("\"{}\"", neutralised.replace('"', "\"\""))
    } else {
        neutralised
    }
}

/// A cell for a value that is a number by type (never text a user typed): written bare, so
/// spreadsheets compute with it. Numbers never hold a separator, a quote or a formula.
pub fn number(value: impl std::fmt::Display) -> String {
    value.to_string()
}

/// The value of a cell as [`text`] wrote it: the neutralising `'` taken off again. A `'`
/// before anything else is the value's own.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names that run a command in a spreadsheet that reads them as formulas.
    const ATTACKS: [&str; 4] = [
        "-1+cmd|' /C calc'!A0",
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "+1-1",
    ];

    #[test]
    fn every_formula_start_is_neutralised_with_either_separator() {
        for sep in [',', ';'] {
            for first in FORMULA_STARTS {
                let value = format!("{first}1+1");
                let cell = text(&value, sep);
                let unquoted = cell
                    .strip_prefix('"')
                    .and_then(|c| c.strip_suffix('"'))
                    .unwrap_or(&cell);
                assert_eq!(unquoted, format!("'{value}"), "{first:?} with {sep:?}");
            }
            for attack in ATTACKS {
                assert_eq!(
                    text(attack, sep),
                    format!("'{attack}"),
                    "{attack} with {sep:?}"
                );
            }
        }
    }

    #[test]
    fn a_carriage_return_start_is_neutralised_inside_quotes() {
        assert_eq!(text("\r=1+1", ','), "\"'\r=1+1\"");
        assert_eq!(text("\t=1+1", ';'), "'\t=1+1");
    }

    #[test]
    fn a_neutralised_cell_is_still_quoted_for_its_separator() {
        assert_eq!(text("=1,2", ','), "\"'=1,2\"");
        assert_eq!(text("=1,2", ';'), "'=1,2");
        assert_eq!(text("-1;2", ';'), "\"'-1;2\"");
        assert_eq!(text("@x \"y\"", ','), "\"'@x \"\"y\"\"\"");
    }

    #[test]
    fn plain_text_is_quoted_only_when_needed() {
        assert_eq!(text("Acme", ','), "Acme");
        assert_eq!(text("Acme, S.L.", ','), "\"Acme, S.L.\"");
        assert_eq!(text("Acme, S.L.", ';'), "Acme, S.L.");
        assert_eq!(text("say \"hi\"", ','), "\"say \"\"hi\"\"\"");
        assert_eq!(text("two\nlines", ','), "\"two\nlines\"");
        assert_eq!(text(" padded", ';'), "\" padded\"");
        assert_eq!(text("", ','), "");
    }

    #[test]
    fn numbers_by_type_are_bare() {
        assert_eq!(number(-5), "-5");
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(serde_json::json!(-2.25)), "-2.25");
    }

    #[test]
    fn restore_takes_off_only_the_neutralising_quote() {
        for attack in ATTACKS {
            assert_eq!(restore(&text(attack, ',')), attack);
        }
        assert_eq!(restore("'=1+1"), "=1+1");
        assert_eq!(restore("'\t=1"), "\t=1");
        assert_eq!(restore("'hello"), "'hello");
        assert_eq!(restore("plain"), "plain");
    }
}
