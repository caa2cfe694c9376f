//! `/admin/settings`: the tenant's name, time zone, locale and currency, and its custom field
//! definitions; `/settings/language`: the signed-in user's own language. The same service
//! calls as `PATCH /api/v1/tenant`, `/api/v1/custom-fields` and `PATCH /api/v1/me`.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::{FieldDefinition, FieldType};
use serde::Deserialize;
use services::tenants::TenantSettingsInput;
use services::{Error, InvalidField};

use crate::i18n::Locale;
use crate::page::{Page, PageError, PageResult, encode_component};
use crate::render::{Chrome, html_with};
use crate::state::WebState;

/// The settings routes (each page checks its own permission).
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/admin/settings", get(show).post(save))
        .route("/admin/settings/fields", post(create_field))
        .route("/admin/settings/fields/{key}/delete", post(delete_field))
        .route("/settings/language", post(set_language))
}

/// Time zones offered in the list (the tenant's own is added when it is not one of them).
pub(crate) const TIME_ZONES: &[&str] = &[
    "UTC",
    "Europe/Madrid",
    "Atlantic/Canary",
    "Europe/Lisbon",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/Amsterdam",
    "Europe/Berlin",
    "Europe/Zurich",
    "Europe/Rome",
    "Europe/Vienna",
    "Europe/Warsaw",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Istanbul",
    "Africa/Casablanca",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Mexico_City",
    "America/Guatemala",
    "America/Costa_Rica",
    "America/Panama",
    "America/Havana",
    "America/Santo_Domingo",
    "America/Puerto_Rico",
    "America/Bogota",
    "America/Caracas",
    "America/Guayaquil",
    "America/Lima",
    "America/La_Paz",
    "America/Santiago",
    "America/Asuncion",
    "America/Montevideo",
    "America/Argentina/Buenos_Aires",
    "America/Sao_Paulo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Manila",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
];

/// Currencies offered in the list (the tenant's own is added when it is not one of them).
pub(crate) const CURRENCIES: &[&str] = &[
    "EUR", "USD", "GBP", "CHF", "MXN", "COP", "ARS", "CLP", "PEN", "BRL", "UYU", "DOP", "GTQ",
    "CRC", "CAD", "AUD", "JPY", "CNY", "INR", "MAD",
];

/// The languages, each named in itself.
const LANGUAGES: [(&str, &str); 2] = [("es", "Español"), ("en", "English")];

const FIELD_TYPES: [FieldType; 5] = [
    FieldType::Text,
    FieldType::Number,
    FieldType::Date,
    FieldType::Select,
    FieldType::Boolean,
];

/// One option of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// `values` as choices, `current` selected (and added first when it is not among them).
fn choices<'a>(values: impl IntoIterator<Item = (&'a str, String)>, current: &str) -> Vec<Choice> {
    let mut out: Vec<Choice> = values
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == current,
            value: value.to_owned(),
            label,
        })
        .collect();
    if !current.is_empty() && !out.iter().any(|c| c.selected) {
        out.insert(
            0,
            Choice {
                value: current.to_owned(),
                label: current.to_owned(),
                selected: true,
            },
        );
    }
    out
}

/// The tenant form as posted; a member the browser did not send keeps its value.
#[derive(Debug, Default, Deserialize)]
pub struct TenantForm {
    name: Option<String>,
    time_zone: Option<String>,
    locale: Option<String>,
    currency: Option<String>,
}

/// The tenant form's values as shown.
pub struct TenantValues {
    pub slug: String,
    pub name: String,
    pub time_zones: Vec<Choice>,
    pub locales: Vec<Choice>,
    pub currencies: Vec<Choice>,
}

/// The custom field form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct FieldForm {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub field_type: String,
    pub required: Option<String>,
    /// A select field's options, one a line.
    #[serde(default)]
    pub options: String,
    #[serde(default)]
    pub max_length: String,
}

impl FieldForm {
    /// The definition the form describes; the services check it as they check the API's.
    fn definition(&self, locale: Locale) -> Result<FieldDefinition, Error> {
        let field_type = FIELD_TYPES
            .into_iter()
            .find(|t| t.as_str() == self.field_type);
        let max_length = match self.max_length.trim() {
            "" => Ok(None),
            n => n.parse::<u32>().map(Some),
        };
        let (Some(field_type), Ok(max_length)) = (field_type, max_length.clone()) else {
            let mut problems = Vec::new();
            if field_type.is_none() {
                problems.push(InvalidField::at(
                    "/field_type",
                    locale.t("settings-field-type-invalid"),
                ));
            }
            if max_length.is_err() {
                problems.push(InvalidField::at(
                    "/max_length",
                    locale.t("settings-field-max-length-invalid"),
                ));
            }
            return Err(Error::Invalid(problems));
        };
        Ok(FieldDefinition {
            key: self.key.trim().to_owned(),
            label: self.label.clone(),
            field_type,
            required: self.required.is_some(),
            options: self
                .options
                .lines()
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect(),
            max_length,
        })
    }
}

/// One custom field in the list.
pub struct FieldRow {
    pub key: String,
    pub label: String,
    pub type_label: String,
    pub required: bool,
    /// A select's options or a text's length limit.
    pub detail: String,
}

/// A form the services refused: the message above it and each field's problem.
#[derive(Default)]
pub struct Refused {
    pub message: Option<String>,
    pub fields: Vec<InvalidField>,
}

impl Refused {
    /// What is wrong with the member at `pointer` (or an item of it, `pointer/i`).
    fn at(&self, pointer: &str) -> Option<String> {
        crate::form::detail_at(&self.fields, pointer)
    }
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    c: Chrome,
    notice: Option<String>,
    /// The tenant form, for holders of `tenant.settings`.
    tenant: Option<TenantValues>,
    tenant_refused: Refused,
    /// The custom fields, for those who may see them (`clients.view`).
    fields: Option<Vec<FieldRow>>,
    /// Whether the user may define and delete fields (`custom_fields.manage`).
    can_manage_fields: bool,
    field_form: FieldForm,
    field_types: Vec<Choice>,
    field_refused: Refused,
}

impl SettingsPage {
    fn tenant_error(&self, member: &str) -> Option<String> {
        self.tenant_refused.at(&format!("/{member}"))
    }

    fn field_error(&self, member: &str) -> Option<String> {
        self.field_refused.at(&format!("/{member}"))
    }
}

/// What the page shows besides the stored settings: a form as posted and its refusal.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    tenant: Option<TenantForm>,
    tenant_refused: Refused,
    field_form: FieldForm,
    field_refused: Refused,
}

/// What the page shows of the stored state, read before any change is tried (a refused
/// write may leave the transaction unusable).
struct Stored {
    tenant: Option<services::tenants::TenantOut>,
    fields: Option<Vec<FieldDefinition>>,
}

/// Reads what `page`'s user may see: the tenant with `tenant.settings`, the custom fields with
/// `clients.view`.
async fn stored(page: &mut Page) -> Result<Stored, PageError> {
    let tenant = if page.can("tenant.settings") {
        Some(services::tenants::settings(&mut page.ctx).await?)
    } else {
        None
    };
    let fields = if page.can("clients.view") {
        Some(services::custom_fields::list(&mut page.ctx).await?)
    } else {
        None
    };
    Ok(Stored { tenant, fields })
}

/// The page: the stored state with the forms as `shown`.
fn settings_page(page: &Page, stored: Stored, shown: Shown) -> SettingsPage {
    let locale = page.locale;
    let tenant = stored.tenant.map(|stored| {
        let posted = shown.tenant.unwrap_or_default();
        let pick = |posted: Option<String>, stored: String| posted.unwrap_or(stored);
        let time_zone = pick(posted.time_zone, stored.time_zone);
        let language = pick(posted.locale, stored.locale);
        let currency = pick(posted.currency, stored.currency);
        TenantValues {
            slug: stored.slug,
            name: pick(posted.name, stored.name),
            time_zones: choices(TIME_ZONES.iter().map(|z| (*z, z.to_string())), &time_zone),
            locales: choices(
                LANGUAGES.map(|(tag, name)| (tag, name.to_owned())),
                &language,
            ),
            currencies: choices(CURRENCIES.iter().map(|c| (*c, c.to_string())), &currency),
        }
    });
    let fields = stored
        .fields
        .map(|defs| defs.into_iter().map(|d| field_row(locale, d)).collect());
    let field_types = choices(
        FIELD_TYPES.map(|t| {
            (
                t.as_str(),
                locale.t(&format!("settings-type-{}", t.as_str())),
            )
        }),
        &shown.field_form.field_type,
    );
    SettingsPage {
        c: Chrome::new(page, "settings", "settings-title"),
        notice: shown.notice,
        tenant,
        tenant_refused: shown.tenant_refused,
        fields,
        can_manage_fields: page.can("custom_fields.manage"),
        field_form: shown.field_form,
        field_types,
        field_refused: shown.field_refused,
    }
}

impl FieldRow {
    /// Where the field's delete form goes.
    pub fn delete_action(&self) -> String {
        format!(
            "/admin/settings/fields/{}/delete",
            encode_component(&self.key)
        )
    }
}

fn field_row(locale: Locale, d: FieldDefinition) -> FieldRow {
    let detail = match (d.field_type, d.max_length) {
        (FieldType::Select, _) => d.options.join(", "),
        (FieldType::Text, Some(n)) => locale.t_with(
            "settings-field-max",
            &[("count", crate::i18n::Arg::Number(i64::from(n)))],
        ),
        _ => String::new(),
    };
    FieldRow {
        type_label: locale.t(&format!("settings-type-{}", d.field_type.as_str())),
        key: d.key,
        label: d.label,
        required: d.required,
        detail,
    }
}

/// Renders the page with `status`, ending the transaction without committing.
fn answer(page: Page, stored: Stored, status: StatusCode, shown: Shown) -> PageResult {
    let body = settings_page(&page, stored, shown);
    page.ctx.done();
    Ok(html_with(status, &body))
}

/// Fails with 403 unless the user may change something here: the tenant's settings or its
/// custom fields.
async fn require_any(page: &Page) -> Result<(), PageError> {
    if page.can("tenant.settings") {
        page.require("tenant.settings").await
    } else {
        page.require("custom_fields.manage").await
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// `GET /admin/settings` (`?saved=` shows what was just done).
pub async fn show(mut page: Page, Query(q): Query<SavedQuery>) -> PageResult {
    require_any(&page).await?;
    let notice = match q.saved.as_deref() {
        Some(what @ ("tenant" | "field-created" | "field-deleted")) => {
            Some(page.locale.t(&format!("settings-saved-{what}")))
        }
        _ => None,
    };
    let shown = Shown {
        notice,
        ..Default::default()
    };
    let stored = stored(&mut page).await?;
    answer(page, stored, StatusCode::OK, shown)
}

/// The form's refusal: its fields (422) or the conflict `code`'s message (409); any other
/// error is the console's error page.
fn refusal(locale: Locale, error: Error) -> Result<(StatusCode, Refused), PageError> {
    if let Error::Conflict {
        code: "field-exists",
        ..
    } = &error
    {
        let fields = vec![InvalidField::at("/key", locale.t("settings-field-exists"))];
        let refused = Refused {
            message: Some(locale.t("form-has-errors")),
            fields,
        };
        return Ok((StatusCode::CONFLICT, refused));
    }
    let refusal = crate::form::Refusal::of(locale, error)?;
    let status = refusal.status();
    let refused = Refused {
        message: Some(refusal.message),
        fields: refusal.fields,
    };
    Ok((status, refused))
}

fn see_settings(saved: &str, anchor: &str) -> Response {
    Redirect::to(&format!("/admin/settings?saved={saved}{anchor}")).into_response()
}

/// `POST /admin/settings`: the tenant's settings.
pub async fn save(mut page: Page, Form(form): Form<TenantForm>) -> PageResult {
    page.require("tenant.settings").await?;
    let stored = stored(&mut page).await?;
    let input = TenantSettingsInput {
        name: form.name.clone(),
        time_zone: form.time_zone.clone(),
        locale: form.locale.clone(),
        currency: form.currency.clone(),
    };
    match services::tenants::update_settings(&mut page.ctx, input).await {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(see_settings("tenant", ""))
        }
        Err(e) => {
            let (status, refused) = refusal(page.locale, e)?;
            let shown = Shown {
                tenant: Some(form),
                tenant_refused: refused,
                ..Default::default()
            };
            answer(page, stored, status, shown)
        }
    }
}

/// `POST /admin/settings/fields`: defines a custom field.
pub async fn create_field(mut page: Page, Form(form): Form<FieldForm>) -> PageResult {
    page.require("custom_fields.manage").await?;
    let stored = stored(&mut page).await?;
    let created = match form.definition(page.locale) {
        Ok(def) => services::custom_fields::create(&mut page.ctx, def).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(see_settings("field-created", "#custom-fields"))
        }
        Err(e) => {
            let (status, refused) = refusal(page.locale, e)?;
            let shown = Shown {
                field_form: form,
                field_refused: refused,
                ..Default::default()
            };
            answer(page, stored, status, shown)
        }
    }
}

/// `POST /admin/settings/fields/{key}/delete`: deletes a definition (values stay).
pub async fn delete_field(mut page: Page, Path(key): Path<String>) -> PageResult {
    page.require("custom_fields.manage").await?;
    services::custom_fields::delete(&mut page.ctx, &key).await?;
    page.ctx.commit().await?;
    Ok(see_settings("field-deleted", "#custom-fields"))
}

#[derive(Debug, Default, Deserialize)]
pub struct LanguageForm {
    /// `es`, `en`, or empty for the tenant's.
    #[serde(default)]
    locale: String,
}

/// `POST /settings/language`: the user's own language, then back to the page they were on.
pub async fn set_language(
    mut page: Page,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> PageResult {
    let locale = Some(form.locale.as_str()).filter(|l| !l.is_empty());
    services::users::set_locale(&mut page.ctx, locale).await?;
    page.ctx.commit().await?;
    Ok(Redirect::to(&back(&headers)).into_response())
}

/// The path of the page the form was sent from (this site's, by `Referer`), or `/`.
fn back(headers: &HeaderMap) -> String {
    let path = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|url| url.split_once("://"))
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .filter(|p| !p.starts_with("//") && !p.contains('\\'));
    path.map(|p| p.split('#').next().unwrap_or(p))
        .unwrap_or("/")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn referer(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::REFERER, value.parse().expect("header"));
        h
    }

    #[test]
    fn the_way_back_stays_on_this_site() {
        assert_eq!(
            back(&referer("http://127.0.0.1:8080/clients?q=a#x")),
            "/clients?q=a"
        );
        assert_eq!(back(&referer("https://crm.example")), "/");
        assert_eq!(back(&referer("http://crm.example//evil.example/")), "/");
        assert_eq!(back(&HeaderMap::new()), "/");
    }

    #[test]
    fn a_field_form_becomes_a_definition() {
        let form = FieldForm {
            key: " tier ".into(),
            label: "Tier".into(),
            field_type: "select".into(),
            required: Some("on".into()),
            options: "Gold\r\n Silver \n\nBronze".into(),
            max_length: String::new(),
        };
        let def = form.definition(Locale::En).expect("definition");
        assert_eq!(def.key, "tier");
        assert!(def.required);
        assert_eq!(def.options, ["Gold", "Silver", "Bronze"]);
        let bad = FieldForm {
            field_type: "colour".into(),
            max_length: "many".into(),
            ..FieldForm::default()
        };
        let Err(Error::Invalid(problems)) = bad.definition(Locale::En) else {
            panic!("accepted");
        };
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, ["/field_type", "/max_length"]);
    }

    #[test]
    fn the_current_value_is_always_offered() {
        let list = choices([("UTC", "UTC".to_owned())], "Europe/Oslo");
        assert_eq!(list[0].value, "Europe/Oslo");
        assert!(list[0].selected && !list[1].selected);
        let list = choices([("UTC", "UTC".to_owned())], "UTC");
        assert_eq!(list.len(), 1);
    }
}
