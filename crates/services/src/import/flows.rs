//! Starting an import (the file's shape is checked at once, its rows by the job it queues) and
//! reading its progress and per-row errors.

use chrono::{DateTime, Utc};
use domain::EventType;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{MAX_ROWS, count_rows, layout, strip_bom};
use crate::jobs::{self, Job};
use crate::{Change, Error, InvalidField, Result, Scope};

/// An import: where it stands, and what went wrong with which rows.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportOut {
    pub id: Uuid,
    /// `queued`, `running`, `done` or `failed`.
    #[cfg_attr(feature = "openapi", schema(schema_with = status_schema))]
    pub status: String,
    pub dry_run: bool,
    pub total_rows: i32,
    pub processed_rows: i32,
    pub imported_rows: i32,
    pub error_rows: i32,
    /// `[{line, column, detail}]`, the first 1,000.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub errors: serde_json::Value,
    /// Why the import stopped, when it is `failed`.
    pub failure_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[cfg(feature = "openapi")]
fn status_schema() -> utoipa::openapi::schema::Object {
    crate::query::schema::one_of(["queued", "running", "done", "failed"]).build()
}

impl From<db::imports::Import> for ImportOut {
    fn from(i: db::imports::Import) -> Self {
        Self {
            id: i.id,
            status: i.status,
            dry_run: i.dry_run,
            total_rows: i.total_rows,
            processed_rows: i.processed_rows,
            imported_rows: i.imported_rows,
            error_rows: i.error_rows,
            errors: i.errors,
            failure_reason: i.failure_reason,
            created_at: i.created_at,
            finished_at: i.finished_at,
        }
    }
}

/// Where a header problem points: `/columns/<name>`, or `/columns` for the header as a whole.
fn columns_pointer(column: &str) -> String {
    if column.is_empty() {
        "/columns".to_owned()
    } else {
        format!("/columns/{column}")
    }
}

/// How many rows `file` has, when it is a file an import takes: UTF-8 text (a BOM allowed)
/// whose header names columns the import knows, with 1 to [`MAX_ROWS`] rows.
fn rows_of(file: &[u8]) -> Result<usize> {
    if std::str::from_utf8(strip_bom(file)).is_err() {
        return Err(Error::field(
            "",
            "the file is not UTF-8 text; save it as CSV UTF-8",
        ));
    }
    let layout = layout(file).map_err(|problems| {
        Error::Invalid(
            problems
                .into_iter()
                .map(|p| InvalidField::at(&columns_pointer(&p.pointer), p.detail))
                .collect(),
        )
    })?;
    match count_rows(file, &layout) {
        0 => Err(Error::field("", "the file has a header but no rows")),
        total if total > MAX_ROWS => Err(Error::field(
            "",
            format!("the file has {total} rows; an import takes at most {MAX_ROWS}"),
        )),
        total => Ok(total),
    }
}

/// Starts an import of `file` (a dry run only reports what it would do): checks the file's
/// shape, keeps the file, and queues the job that takes its rows, all in the caller's
/// transaction.
pub async fn start(scope: &mut Scope, file: &[u8], dry_run: bool) -> Result<ImportOut> {
    let total = rows_of(file)?;
    let id = Uuid::now_v7();
    let created_by = scope.user_id();
    let rows = i32::try_from(total).unwrap_or(i32::MAX);
    db::imports::insert(&mut scope.tx, id, dry_run, file, rows, created_by).await?;
    let job = Job::ImportClients {
        tenant_id: scope.tenant(),
        import_id: id,
    };
    jobs::enqueue(scope, &job, Some(format!("import-{id}"))).await?;
    scope
        .record(
            Change::of(EventType::ImportStarted, "client_import", id)
                .after(json!({ "rows": total, "dry_run": dry_run })),
        )
        .await?;
    get(scope, id).await
}

/// An import's progress and per-row errors.
pub async fn get(scope: &mut Scope, id: Uuid) -> Result<ImportOut> {
    let import = db::imports::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(import.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointers(err: Error) -> Vec<String> {
        match err {
            Error::Invalid(fields) => fields.into_iter().map(|f| f.pointer).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_file_is_checked_before_anything_is_kept() {
        assert_eq!(rows_of(b"company_name\nAcme\nBeta\n").expect("rows"), 2);
        assert_eq!(
            pointers(rows_of(b"company_name\n\xff\n").expect_err("not UTF-8")),
            [""]
        );
        assert_eq!(
            pointers(rows_of(b"company_name\n").expect_err("no rows")),
            [""]
        );
        assert_eq!(
            pointers(rows_of(b"name,colour\nAcme,red\n").expect_err("columns")),
            ["/columns/name", "/columns/colour", "/columns/company_name"]
        );
    }
}
