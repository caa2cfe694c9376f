//! CSV import from the console: the upload form (console.js sends the file as `text/csv` to
//! the API's own import handler, mounted at `/clients/import`), then the import's page with a
//! live progress bar (htmx polls it while the worker runs it) and the per-row error report.

use askama::Template;
use axum::extract::Path;
use services::import::ImportOut;

use crate::page::{Page, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html};

#[derive(Template)]
#[template(path = "import_new.html")]
struct NewImport {
    c: Chrome,
}

/// `GET /clients/import`
pub async fn new(page: Page) -> PageResult {
    page.require("clients.import").await?;
    let body = NewImport {
        c: Chrome::new(&page, "clients", "import-title"),
    };
    page.ctx.done();
    Ok(html(&body))
}

/// One row's problem in the report.
pub struct RowError {
    pub line: String,
    pub column: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "import_progress.html")]
struct Progress {
    import: ImportOut,
    percent: i64,
    running: bool,
    errors: Vec<RowError>,
    labels: Labels,
}

/// The progress section's words, in the page's language.
struct Labels {
    status: String,
    rows: String,
    errors: String,
    line: String,
    column: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "import_page.html")]
struct ImportPage {
    c: Chrome,
    progress: Progress,
}

/// `GET /imports/{id}` (the progress section alone for htmx's polling).
pub async fn show(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("clients.import").await?;
    let id = parse_id(&id)?;
    let import = services::import::get(&mut page.ctx, id).await?;
    let locale = page.locale;
    let percent = if import.total_rows > 0 {
        i64::from(import.processed_rows) * 100 / i64::from(import.total_rows)
    } else if import.status == "done" {
        100
    } else {
        0
    };
    let errors = import
        .errors
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| RowError {
            line: e["line"].to_string(),
            column: e["column"].as_str().unwrap_or_default().to_owned(),
            detail: e["detail"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    let progress = Progress {
        running: matches!(import.status.as_str(), "queued" | "running"),
        labels: Labels {
            status: locale.t(&format!("import-status-{}", import.status)),
            rows: locale.t_with(
                "import-rows",
                &[
                    (
                        "processed",
                        crate::i18n::Arg::Number(import.processed_rows.into()),
                    ),
                    ("total", crate::i18n::Arg::Number(import.total_rows.into())),
                    (
                        "imported",
                        crate::i18n::Arg::Number(import.imported_rows.into()),
                    ),
                ],
            ),
            errors: locale.t("import-errors"),
            line: locale.t("import-line"),
            column: locale.t("import-column"),
            detail: locale.t("import-detail"),
        },
        import,
        percent,
        errors,
    };
    if page.htmx {
        page.ctx.done();
        return Ok(html(&progress));
    }
    let body = ImportPage {
        c: Chrome::new(&page, "clients", "import-title"),
        progress,
    };
    page.ctx.done();
    Ok(html(&body))
}
