//! Reading a CSV file of clients, as Spanish spreadsheets write them: comma or semicolon
//! separated, UTF-8 with or without a BOM. Columns are named as in the export; `id` and
//! `created_at` are ignored so an export imports back as it is.

use serde_json::{Map, Value};

use crate::Problem;
use crate::clients::{Address, ClientInput};

/// The most rows one import takes.
pub const MAX_ROWS: usize = 100_000;

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
        other => Column::Custom(other.strip_prefix("cf_")?.to_owned()),
    })
}

/// A file's layout: its separator and what each column holds.
#[derive(Debug, Clone)]
pub struct Layout {
    pub delimiter: u8,
    pub columns: Vec<Column>,
    pub names: Vec<String>,
}

pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes)
}

/// Reads the header line: the separator is whichever of `;` and `,` it uses more.
pub fn layout(bytes: &[u8]) -> Result<Layout, Vec<Problem>> {
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
            vec![Problem::at(
                "line 1",
                format!("the header line cannot be read: {e}"),
            )]
        })?
        .clone();
    let mut problems = Vec::new();
    let mut columns = Vec::new();
    let mut names = Vec::new();
    for h in &headers {
        let name = h.trim().to_lowercase();
        match column(&name) {
            Some(c) => columns.push(c),
            None => problems.push(Problem::at(&name, "is not a column this import knows")),
        }
        names.push(name);
    }
    if !columns.contains(&Column::CompanyName) {
        problems.push(Problem::at(
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

/// Undoes the export's spreadsheet-formula defusing (`'=x` back to `=x`).
fn cell(raw: &str) -> String {
    let v = raw.trim();
    let mut chars = v.chars();
    match (chars.next(), chars.next()) {
        (Some('\''), Some('=' | '@' | '+' | '-' | '\t' | '\r')) => v[1..].to_owned(),
        _ => v.to_owned(),
    }
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

/// A row the CSV reader could not read, with its line.
#[derive(Debug)]
pub struct Unreadable {
    pub line: u64,
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
                detail: format!("the row cannot be read: {e}"),
            }
        })?;
        next_line += 1 + record
            .iter()
            .map(|f| f.matches('\n').count() as u64)
            .sum::<u64>();
        let mut input = ClientInput::default();
        let mut address = Address::default();
        let mut has_address = false;
        let mut custom = Map::new();
        for (col, raw) in layout.columns.iter().zip(record.iter()) {
            match col {
                Column::Ignore => {}
                Column::CompanyName => input.company_name = Some(cell(raw)),
                Column::TaxId => input.tax_id = optional(raw),
                Column::TaxIdCountry => {
                    input.tax_id_country = Some(cell(raw)).filter(|v| !v.is_empty())
                }
                Column::Emails => input.emails = Some(list(raw)),
                Column::Phones => {
                    // Phones hold spaces themselves: split on separators only.
                    let v = cell(raw);
                    input.phones = Some(
                        v.split([',', ';', '|'])
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
                            .collect(),
                    );
                }
                Column::Sector => input.sector = optional(raw),
                Column::Status => input.status = Some(cell(raw)).filter(|v| !v.is_empty()),
                Column::OwnerId => {
                    let v = cell(raw);
                    input.owner_id = Some(if v.is_empty() {
                        None
                    } else {
                        v.parse().ok().or(Some(uuid::Uuid::nil()))
                    });
                }
                Column::Source => input.source = optional(raw),
                Column::Tags => input.tags = Some(list(raw)),
                Column::Website => input.website = optional(raw),
                Column::Address(part) => {
                    let v = Some(cell(raw)).filter(|v| !v.is_empty());
                    has_address |= v.is_some();
                    match *part {
                        "street" => address.street = v,
                        "city" => address.city = v,
                        "postal_code" => address.postal_code = v,
                        "region" => address.region = v,
                        _ => address.country = v,
                    }
                }
                Column::Custom(key) => {
                    let v = cell(raw);
                    if !v.is_empty() {
                        // Numbers and booleans arrive as text: give them their JSON type.
                        let typed = serde_json::from_str::<Value>(&v)
                            .ok()
                            .filter(|j| j.is_number() || j.is_boolean())
                            .unwrap_or(Value::String(v));
                        custom.insert(key.clone(), typed);
                    }
                }
            }
        }
        if has_address {
            input.address = Some(Some(address));
        }
        input.custom_fields = Some(custom);
        Ok(Row { line, input })
    })
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
    fn defused_cells_and_columns_of_pointers() {
        assert_eq!(cell("'=1+1"), "=1+1");
        assert_eq!(cell("'hello"), "'hello");
        assert_eq!(column_of("/emails/1"), "emails");
        assert_eq!(column_of("/custom_fields/tier"), "cf_tier");
        assert_eq!(column_of("/company_name"), "company_name");
    }
}
