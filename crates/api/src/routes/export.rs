//! `GET /api/v1/clients/export.csv`: every client that matches the list filters, streamed in
//! keyset batches (each its own tenant-scoped transaction), as UTF-8 CSV with a BOM so
//! spreadsheets read accents. Every text cell is neutralised against spreadsheet formulas
//! (`domain::csv_cell`); only custom fields of type number are written as bare numbers.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use db::clients::Sort;
use db::crypto::TenantCipher;
use domain::csv_cell;
use domain::{FieldDefinition, FieldType};
use futures::StreamExt;
use utoipa::IntoParams;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::clients::{ClientOut, ClientQuery, cipher, client_filter, client_out};
use crate::auth::Ctx;
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiQuery, FieldError, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_clients))
}

const BATCH: i64 = 1_000;
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

struct Export {
    state: AppState,
    tenant: Uuid,
    cipher: std::sync::Arc<TenantCipher>,
    filter: db::clients::Filter,
    sort: Sort,
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
    fn of(definition: db::custom_fields::DefinitionRow) -> Self {
        let numeric = serde_json::from_value::<FieldDefinition>(definition.definition)
            .is_ok_and(|d| d.field_type == FieldType::Number);
        Self {
            key: definition.key,
            numeric,
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

async fn next_batch(mut ex: Export) -> Option<(Result<String, std::io::Error>, Export)> {
    if ex.done {
        return None;
    }
    let rows = async {
        let mut tx = db::TenantTx::begin(&ex.state.db, ex.tenant).await?;
        let rows = db::clients::list(&mut tx, &ex.filter).await?;
        tx.end_read_only();
        Ok::<_, sqlx::Error>(rows)
    }
    .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "client export failed mid-stream");
            ex.done = true;
            return Some((Err(std::io::Error::other("export failed")), ex));
        }
    };
    if (rows.len() as i64) < BATCH {
        ex.done = true;
    }
    if let Some(last) = rows.last() {
        let name = (ex.sort == Sort::Name).then(|| last.company_name.to_lowercase());
        ex.filter.after = Some((last.id, name));
    }
    let mut out = String::new();
    for row in rows {
        let Ok(c) = client_out(row, &ex.cipher) else {
            continue;
        };
        out.push_str(&line(row_cells(&c, &ex.custom, ex.sep), ex.sep));
    }
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
async fn export_clients(
    State(state): State<AppState>,
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    ctx.require("clients.export").await?;
    let sep = match q.separator.as_deref() {
        None | Some("comma") => ',',
        Some("semicolon") => ';',
        Some(_) => {
            return Err(ApiError::validation(vec![FieldError::query(
                "separator",
                "must be comma or semicolon",
            )]));
        }
    };
    let cipher = cipher(&state, &mut ctx).await?;
    let (mut filter, sort, _) = client_filter(&q.filters, &cipher)?;
    filter.after = None;
    filter.limit = BATCH;
    let custom: Vec<CustomColumn> = db::custom_fields::list(&mut ctx.tx)
        .await?
        .into_iter()
        .map(CustomColumn::of)
        .collect();
    let tenant = ctx.tenant();
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
        cipher,
        filter,
        sort,
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
