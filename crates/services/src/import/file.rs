//! Reading a CSV file of clients, as Spanish spreadsheets write them: comma or semicolon
//! separated, UTF-8 with or without a BOM. Columns are named as in the export; `id` and
//! `created_at` are ignored so an export imports back as it is.

use domain::csv_cell;
use serde_json::{Map, Value};

use crate::InvalidField;
use crate::clients::{Address, ClientInput};

/// The most rows one import takes.
pub const MAX_ROWS: usize = 100_000;
/// The most columns a file may have: the known columns and a generous number of custom fields.
/// Everything read from a file is bounded, and the header is read whole before any check.
pub const MAX_COLUMNS: usize = 100;
/// The largest file an import takes (100,000 rows of a few hundred bytes).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// What a column of the file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Ignore,
    CompanyName,
    TaxId,
    TaxIdCountry,
    Emails,
    Phones,
    Sector,
    Status,
    OwnerId,
    Source,
    Tags,
    Website,
    Address(&'static str),
    Custom(String),
}

fn column(name: &str) -> Option<Column> {
    Some(match name {
        "id" | "created_at" => Column::Ignore,
        "company_name" => Column::CompanyName,
        "tax_id" => Column::TaxId,
        "tax_id_country" => Column::TaxIdCountry,
        "emails" | "email" => Column::Emails,
        "phones" | "phone" => Column::Phones,
        "sector" => Column::Sector,
        "status" => Column::Status,
        "owner_id" => Column::OwnerId,
        "source" => Column::Source,
        "tags" => Column::Tags,
        "website" => Column::Website,
        "street" => Column::Address("street"),
        "city" => Column::Address("city"),
        "postal_code" => Column::Address("postal_code"),
        "region" => Column::Address("region"),
        "country" => Column::Address("country"),
        // A NUL would reach every row's custom fields, where Postgres refuses it.
        other => Column::Custom(
            other
                .strip_prefix("cf_")
                .filter(|key| refused_text(key).is_none())?
                .to_owned(),
        ),
    })
}

/// A file's layout: its separator and what each column holds.
#[derive(Debug, Clone)]
pub struct Layout {
    pub delimiter: u8,
    pub columns: Vec<Column>,
    pub names: Vec<String>,
}

/// The file without its byte order mark, if it has one.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes)
}

/// Reads the header line: the separator is whichever of `;` and `,` it uses more.
pub fn layout(bytes: &[u8]) -> Result<Layout, Vec<InvalidField>> {
    let bytes = strip_bom(bytes);
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |c: u8| first.iter().filter(|b| **b == c).count();
    let delimiter = if count(b';') > count(b',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| {
            vec![InvalidField::at(
                "line 1",
                format!("the header line cannot be read: {e}"),
            )]
        })?
        .clone();
    if headers.len() > MAX_COLUMNS {
        return Err(vec![InvalidField::at(
            "",
            format!(
                "the header line has {} columns; an import takes at most {MAX_COLUMNS}",
                headers.len()
            ),
        )]);
    }
    let mut problems = Vec::new();
    let mut columns = Vec::new();
    let mut names = Vec::new();
    for h in &headers {
        let name = h.trim().to_lowercase();
        match column(&name) {
            Some(c) => columns.push(c),
            None => problems.push(InvalidField::at(&name, "is not a column this import knows")),
        }
        names.push(name);
    }
    if !columns.contains(&Column::CompanyName) {
        problems.push(InvalidField::at(
            "company_name",
            "the file needs a company_name column",
        ));
    }
    if problems.is_empty() {
        Ok(Layout {
            delimiter,
            columns,
            names,
        })
    } else {
        Err(problems)
    }
}

/// How many data rows the file has (a malformed row counts as one, to be reported later).
pub fn count_rows(bytes: &[u8], layout: &Layout) -> usize {
    csv::ReaderBuilder::new()
        .delimiter(layout.delimiter)
        .flexible(true)
        .from_reader(strip_bom(bytes))
        .byte_records()
        .count()
}

/// A cell's value: trimmed, and the export's formula neutralising (`'=x`) undone.
fn cell(raw: &str) -> String {
    csv_cell::restore(raw.trim()).to_owned()
}

fn list(raw: &str) -> Vec<String> {
    raw.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '|'))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn optional(raw: &str) -> Option<Option<String>> {
    let v = cell(raw);
    Some((!v.is_empty()).then_some(v))
}

/// One data row: its line in the file and what it asks for.
#[derive(Debug)]
pub struct Row {
    pub line: u64,
    pub input: ClientInput,
}

/// A row that cannot become a client whatever it says: the CSV reader could not read it, it
/// has more cells than the header, or a cell holds what Postgres refuses in text. `column` is
/// empty when the whole row is at fault.
#[derive(Debug)]
pub struct Unreadable {
    pub line: u64,
    pub column: String,
    pub detail: String,
}

/// The data rows, in order.
pub fn rows<'a>(
    bytes: &'a [u8],
    layout: &'a Layout,
) -> impl Iterator<Item = Result<Row, Unreadable>> + 'a {
    let reader = csv::ReaderBuilder::new()
        .delimiter(layout.delimiter)
        .flexible(true)
        .from_reader(strip_bom(bytes));
    // Line numbers as a spreadsheet shows them: the header is line 1, and a quoted cell that
    // spans lines pushes the following rows down.
    let mut next_line: u64 = 2;
    reader.into_records().map(move |record| {
        let line = next_line;
        let record = record.map_err(|e| {
            next_line += 1;
            Unreadable {
                line,
                column: String::new(),
                detail: format!("the row cannot be read: {e}"),
            }
        })?;
        next_line += 1 + record
            .iter()
            .map(|f| f.matches('\n').count() as u64)
            .sum::<u64>();
        read_row(&record, layout, line)
    })
}

/// What one record asks for, or why it cannot ask for anything.
fn read_row(record: &csv::StringRecord, layout: &Layout, line: u64) -> Result<Row, Unreadable> {
    let unreadable = |column: &str, detail: String| Unreadable {
        line,
        column: column.to_owned(),
        detail,
    };
    let surplus = record.iter().skip(layout.columns.len());
    if surplus.clone().any(|cell| !cell.trim().is_empty()) {
        // Fewer cells are fine (spreadsheets drop empty trailing ones), and so are empty ones
        // past the last column (a trailing separator); anything more would be dropped
        // silently, and it usually means the row is shifted.
        let detail = format!(
            "the row has {} cells but the header has {} columns",
            record.len(),
            layout.columns.len()
        );
        return Err(unreadable("", detail));
    }
    let mut draft = Draft::default();
    for ((column, name), raw) in layout.columns.iter().zip(&layout.names).zip(record) {
        if *column == Column::Ignore {
            continue;
        }
        if let Some(detail) = refused_text(raw) {
            return Err(unreadable(name, detail.to_owned()));
        }
        draft.set(column, raw);
    }
    Ok(Row {
        line,
        input: draft.finish(),
    })
}

/// Why Postgres would refuse a cell as text, if it would. The file is UTF-8 (checked at upload),
/// and a UTF-8 database takes every character of it but NUL, in `text` and in `jsonb` alike. A
/// refused value would abort the whole batch's transaction, so it must be caught per row.
fn refused_text(raw: &str) -> Option<&'static str> {
    raw.contains('\0')
        .then_some("holds a NUL character (\\0), which text cannot hold")
}

/// A client's input being filled in from one row's cells.
#[derive(Default)]
struct Draft {
    input: ClientInput,
    address: Option<Address>,
    custom: Map<String, Value>,
}

impl Draft {
    fn set(&mut self, column: &Column, raw: &str) {
        let input = &mut self.input;
        match column {
            Column::Ignore => {}
            Column::CompanyName => input.company_name = Some(cell(raw)),
            Column::TaxId => input.tax_id = optional(raw),
            Column::TaxIdCountry => {
                input.tax_id_country = Some(cell(raw)).filter(|v| !v.is_empty())
            }
            Column::Emails => input.emails = Some(list(raw)),
            Column::Phones => input.phones = Some(phones(raw)),
            Column::Sector => input.sector = optional(raw),
            Column::Status => input.status = Some(cell(raw)).filter(|v| !v.is_empty()),
            Column::OwnerId => input.owner_id = Some(owner(raw)),
            Column::Source => input.source = optional(raw),
            Column::Tags => input.tags = Some(list(raw)),
            Column::Website => input.website = optional(raw),
            Column::Address(part) => self.set_address(part, raw),
            Column::Custom(key) => {
                let v = cell(raw);
                if !v.is_empty() {
                    // Numbers and booleans arrive as text: give them their JSON type.
                    let typed = serde_json::from_str::<Value>(&v)
                        .ok()
                        .filter(|j| j.is_number() || j.is_boolean())
                        .unwrap_or(Value::String(v));
                    self.custom.insert(key.clone(), typed);
                }
            }
        }
    }

    fn set_address(&mut self, part: &str, raw: &str) {
        let Some(v) = Some(cell(raw)).filter(|v| !v.is_empty()) else {
            return;
        };
        let address = self.address.get_or_insert_with(Address::default);
        match part {
            "street" => address.street = Some(v),
            "city" => address.city = Some(v),
            "postal_code" => address.postal_code = Some(v),
            "region" => address.region = Some(v),
            _ => address.country = Some(v),
        }
    }

    fn finish(mut self) -> ClientInput {
        if let Some(address) = self.address {
            self.input.address = Some(Some(address));
        }
        self.input.custom_fields = Some(self.custom);
        self.input
    }
}

/// Phones hold spaces themselves: split on separators only.
fn phones(raw: &str) -> Vec<String> {
    cell(raw)
        .split([',', ';', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .flat_map(|s| {
            // An exported cell joins E.164 numbers with spaces.
            if s.split(' ').all(|p| p.starts_with('+')) {
                s.split(' ').map(str::to_owned).collect::<Vec<_>>()
            } else {
                vec![s.to_owned()]
            }
        })
        .collect()
}

/// An owner id; one that is not a UUID becomes the nil id, which validation reports.
fn owner(raw: &str) -> Option<uuid::Uuid> {
    let v = cell(raw);
    if v.is_empty() {
        None
    } else {
        v.parse().ok().or(Some(uuid::Uuid::nil()))
    }
}

/// The column a problem's pointer names (`/emails/1` → `emails`, `/custom_fields/x` → `cf_x`).
pub fn column_of(pointer: &str) -> String {
    let mut parts = pointer.trim_start_matches('/').split('/');
    match (parts.next(), parts.next()) {
        (Some("custom_fields"), Some(key)) => format!("cf_{key}"),
        (Some(first), _) => first.to_owned(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_bom_and_columns() {
        let file = "\u{feff}Company_Name;tax_id;emails;phones;tags;cf_tier;id\r\nAcme, S.L.;B12345674;a@x.example b@x.example;+34600111222 +34600111333;vip north;gold;whatever\r\n";
        let l = layout(file.as_bytes()).expect("layout");
        assert_eq!(l.delimiter, b';');
        assert_eq!(count_rows(file.as_bytes(), &l), 1);
        let row = rows(file.as_bytes(), &l)
            .next()
            .expect("row")
            .expect("readable");
        assert_eq!(row.line, 2);
        assert_eq!(row.input.company_name.as_deref(), Some("Acme, S.L."));
        assert_eq!(
            row.input.emails,
            Some(vec!["a@x.example".to_owned(), "b@x.example".to_owned()])
        );
        assert_eq!(row.input.phones.as_ref().map(Vec::len), Some(2));
        assert_eq!(
            row.input
                .custom_fields
                .as_ref()
                .and_then(|c| c.get("tier"))
                .and_then(|v| v.as_str()),
            Some("gold")
        );
    }

    #[test]
    fn line_numbers_count_multi_line_cells() {
        let file = "company_name,sector\n\"Two\nLines\",a\nNext,b\n";
        let l = layout(file.as_bytes()).expect("layout");
        let lines: Vec<u64> = rows(file.as_bytes(), &l)
            .map(|r| r.expect("row").line)
            .collect();
        assert_eq!(lines, [2, 4]);
    }

    #[test]
    fn unknown_columns_and_missing_name_are_reported() {
        let problems = layout(b"name,colour\nAcme,red\n").expect_err("bad header");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, ["name", "colour", "company_name"]);
    }

    #[test]
    fn a_nul_in_any_used_cell_is_that_rows_error() {
        let file =
            "id;company_name;cf_note;city\n\0;Fine;a;b\n1;Bad\0;y;z\n2;Ok;n\0te;\n3;Ok;;Ma\0drid\n";
        let l = layout(file.as_bytes()).expect("layout");
        let read: Vec<Result<Row, Unreadable>> = rows(file.as_bytes(), &l).collect();
        // A NUL in an ignored column harms nothing.
        assert!(read[0].is_ok(), "{:?}", read[0]);
        let bad: Vec<(u64, &str)> = read
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|u| (u.line, u.column.as_str()))
            .collect();
        assert_eq!(bad, [(3, "company_name"), (4, "cf_note"), (5, "city")]);
    }

    #[test]
    fn more_filled_cells_than_the_header_is_an_error_and_fewer_or_empty_ones_are_fine() {
        let file = "company_name,sector\nA,b\nB,c,extra\nC\nD,e,, \n";
        let l = layout(file.as_bytes()).expect("layout");
        let read: Vec<Result<Row, Unreadable>> = rows(file.as_bytes(), &l).collect();
        assert!(
            read[0].is_ok() && read[2].is_ok() && read[3].is_ok(),
            "{read:?}"
        );
        let err = read[1].as_ref().expect_err("three cells under two columns");
        assert_eq!((err.line, err.column.as_str()), (3, ""));
        assert!(err.detail.contains("3 cells"), "{}", err.detail);
    }

    #[test]
    fn the_number_of_columns_is_bounded() {
        let header = |n: usize| {
            let mut cols = vec!["company_name".to_owned()];
            cols.extend((1..n).map(|i| format!("cf_c{i}")));
            format!("{}\nAcme\n", cols.join(","))
        };
        assert!(layout(header(MAX_COLUMNS).as_bytes()).is_ok());
        let problems = layout(header(MAX_COLUMNS + 1).as_bytes()).expect_err("too wide");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].detail.contains("101 columns"), "{problems:?}");
    }

    #[test]
    fn defused_cells_and_columns_of_pointers() {
        assert_eq!(cell("'=1+1"), "=1+1");
        assert_eq!(cell("'hello"), "'hello");
        assert_eq!(column_of("/emails/1"), "emails");
        assert_eq!(column_of("/custom_fields/tier"), "cf_tier");
        assert_eq!(column_of("/company_name"), "company_name");
    }
}
