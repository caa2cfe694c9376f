//! `GET /api/v1/clients/export.csv`: every client that matches the list filters, streamed in
//! keyset batches (each its own tenant-scoped transaction), as UTF-8 CSV with a BOM so
//! spreadsheets read accents. Every text cell is neutralised against spreadsheet formulas
//! (`domain::csv_cell`); only custom fields of type number are written as bare numbers.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use db::audit::Actor;
use db::crypto::TenantCipher;
use domain::csv_cell;
use domain::{FieldDefinition, FieldType};
use futures::StreamExt;
use services::clients::{ClientFilter, ClientOut, ClientQuery, ListKey};
use services::{Page, PageRequest, Scope};
use utoipa::IntoParams;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::clients::cipher;
use crate::auth::Ctx;
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiQuery, InvalidField, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_clients))
}

/// Clients per page read (each page in a transaction of its own).
const BATCH: u32 = 1_000;
const COLUMNS: &[&str] = &[
    "id",
    "company_name",
    "tax_id",
    "tax_id_country",
    "emails",
    "phones",
    "sector",
    "status",
    "owner_id",
    "source",
    "tags",
    "website",
    "street",
    "city",
    "postal_code",
    "region",
    "country",
    "created_at",
];

/// An export under way: what it reads, the page it reads next, and how it writes.
struct Export {
    state: AppState,
    tenant: Uuid,
    actor: Actor,
    cipher: Arc<TenantCipher>,
    filter: ClientFilter,
    page: PageRequest<ListKey>,
    custom: Vec<CustomColumn>,
    sep: char,
    done: bool,
}

/// A custom field's column: its key, and whether its values are numbers by type.
struct CustomColumn {
    key: String,
    numeric: bool,
}

impl CustomColumn {
    fn of(definition: FieldDefinition) -> Self {
        Self {
            numeric: definition.field_type == FieldType::Number,
            key: definition.key,
        }
    }

    /// The cell of one client: a number field's number bare, anything else as text.
    fn cell(&self, c: &ClientOut, sep: char) -> String {
        match c.custom_fields.get(&self.key) {
            Some(serde_json::Value::Number(n)) if self.numeric => csv_cell::number(n),
            Some(serde_json::Value::String(s)) => csv_cell::text(s, sep),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => csv_cell::text(&other.to_string(), sep),
        }
    }
}

/// One client's row: every column is text but the custom fields that are numbers.
fn row_cells(c: &ClientOut, custom: &[CustomColumn], sep: char) -> Vec<String> {
    let addr = |k: &str| {
        c.address
            .as_ref()
            .and_then(|a| a.get(k))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    let texts = [
        c.id.to_string(),
        c.company_name.clone(),
        c.tax_id.clone().unwrap_or_default(),
        c.tax_id_country.clone().unwrap_or_default(),
        c.emails.join(" "),
        c.phones.join(" "),
        c.sector.clone().unwrap_or_default(),
        c.status.clone(),
        c.owner_id.map(|o| o.to_string()).unwrap_or_default(),
        c.source.clone().unwrap_or_default(),
        c.tags.join(" "),
        c.website.clone().unwrap_or_default(),
        addr("street"),
        addr("city"),
        addr("postal_code"),
        addr("region"),
        addr("country"),
        c.created_at.to_rfc3339(),
    ];
    let mut cells: Vec<String> = texts.iter().map(|v| csv_cell::text(v, sep)).collect();
    cells.extend(custom.iter().map(|col| col.cell(c, sep)));
    cells
}

fn line(cells: Vec<String>, sep: char) -> String {
    let mut out = cells.join(&sep.to_string());
    out.push_str("\r\n");
    out
}

/// One page of the export, read in a tenant transaction of its own.
async fn read_page(ex: &Export) -> services::Result<Page<ClientOut>> {
    let tx = db::TenantTx::begin(&ex.state.db, ex.tenant).await?;
    let mut scope = Scope::new(tx, ex.actor.clone());
    let page = services::clients::list(&mut scope, &ex.cipher, &ex.filter, &ex.page).await?;
    scope.done();
    Ok(page)
}

/// The CSV lines of the next page, following the list's cursors to the last page.
async fn next_batch(mut ex: Export) -> Option<(Result<String, std::io::Error>, Export)> {
    if ex.done {
        return None;
    }
    let page = match read_page(&ex).await {
        Ok(page) => page,
        Err(e) => {
            tracing::error!(error = %e, "client export failed mid-stream");
            ex.done = true;
            return Some((Err(std::io::Error::other("export failed")), ex));
        }
    };
    ex.page.after = page.next_cursor.as_deref().and_then(services::page::decode);
    ex.done = ex.page.after.is_none();
    let out = page
        .data
        .iter()
        .map(|c| line(row_cells(c, &ex.custom, ex.sep), ex.sep))
        .collect();
    Some((Ok(out), ex))
}

#[derive(Debug, serde::Deserialize)]
pub struct ExportQuery {
    pub separator: Option<String>,
    #[serde(flatten)]
    pub filters: ClientQuery,
}

/// Documented as the list's search, filters and sort, and the separator: every client matching
/// is exported, so the list's paging parameters do not apply.
impl IntoParams for ExportQuery {
    fn into_params(parameter_in: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let separator = ParameterBuilder::new()
            .name("separator")
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(
                "`comma` (default) or `semicolon`, as Spanish spreadsheets expect.",
            ))
            .schema(Some(
                schemas::one_of(["comma", "semicolon"]).default(Some("comma".into())),
            ))
            .build();
        let mut params = vec![separator];
        params.extend(
            ClientQuery::into_params(parameter_in)
                .into_iter()
                .filter(|p| p.name != "limit" && p.name != "cursor"),
        );
        params
    }
}

/// Exports the clients matching the list filters as CSV (streamed), UTF-8 with a BOM; the
/// columns are the client's, then `cf_<key>` for each custom field.
#[utoipa::path(get, path = "/clients/export.csv", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.export"))),
    params(ExportQuery),
    responses((status = 200, description = "The CSV file, streamed", content_type = "text/csv", body = String)))]
pub async fn export_clients(
    State(state): State<AppState>,
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    ctx.require("clients.export").await?;
    let sep = match q.separator.as_deref() {
        None | Some("comma") => ',',
        Some("semicolon") => ';',
        Some(_) => {
            return Err(ApiError::validation(vec![InvalidField::query(
                "separator",
                "must be comma or semicolon",
            )]));
        }
    };
    let cipher = cipher(&state, &mut ctx).await?;
    // Every client matching is exported: the list's paging parameters are checked, not used.
    let (filter, _) = q.filters.parse()?;
    let custom: Vec<CustomColumn> = services::custom_fields::list(&mut ctx)
        .await?
        .into_iter()
        .map(CustomColumn::of)
        .collect();
    let (tenant, actor) = (ctx.tenant(), ctx.actor.clone());
    ctx.done();
    let mut header_cells: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    header_cells.extend(
        custom
            .iter()
            .map(|c| csv_cell::text(&format!("cf_{}", c.key), sep)),
    );
    let head = format!("\u{feff}{}", line(header_cells, sep));
    let export = Export {
        state,
        tenant,
        actor,
        cipher,
        filter,
        page: PageRequest {
            limit: BATCH,
            after: None,
        },
        custom,
        sep,
        done: false,
    };
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(head) })
        .chain(futures::stream::unfold(export, next_batch));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"clients.csv\"",
            ),
        ],
        Body::from_stream(body),
    )
        .into_response())
}
