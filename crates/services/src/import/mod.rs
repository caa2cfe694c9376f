//! CSV imports of clients: reading the file (`file`), starting an import and showing its
//! progress (`flows`), and taking its rows into clients (`rows`), which the import job does
//! batch by batch.

mod file;
mod flows;
mod rows;

pub use file::{
    Column, Layout, MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, Row, Unreadable, column_of, count_rows,
    layout, rows, strip_bom,
};
pub use flows::{ImportOut, get, start};
pub use rows::{Importer, Taken, row_error};
