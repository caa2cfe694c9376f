//! A tenant's own settings (name, time zone, locale, currency), read and changed by its
//! administrators. Checked by the same rules as a new tenant's ([`super::create`]); the tenants
//! table has no version, so the last change wins.

use chrono::{DateTime, Utc};
use domain::{EventType, Invalid, tenant};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{Change, Error, InvalidField, Result, Scope};

/// The tenant as its administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantOut {
    pub id: Uuid,
    /// What users type to sign in; it cannot change.
    pub slug: String,
    pub name: String,
    /// `active` or `suspended`.
    pub status: String,
    /// The IANA time zone dates are shown in.
    pub time_zone: String,
    /// ISO 4217.
    pub currency: String,
    /// `es` or `en`: the language of users who chose none.
    pub locale: String,
    pub created_at: DateTime<Utc>,
}

impl From<db::tenants::Tenant> for TenantOut {
    fn from(t: db::tenants::Tenant) -> Self {
        Self {
            id: t.id,
            slug: t.slug,
            name: t.name,
            status: t.status,
            time_zone: t.time_zone,
            currency: t.currency,
            locale: t.locale,
            created_at: t.created_at,
        }
    }
}

/// The settings to change; an absent member keeps its value.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenantSettingsInput {
    /// 1-200 characters (spaces around it are dropped).
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 200))]
    pub name: Option<String>,
    /// An IANA time zone such as `Europe/Madrid`, or `UTC`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "Europe/Madrid",
            pattern = r"^(UTC|[A-Za-z0-9_+\-]*/[A-Za-z0-9_+\-/]*)$"
        )
    )]
    pub time_zone: Option<String>,
    /// `es` or `en`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(es|en)$"))]
    pub locale: Option<String>,
    /// An ISO 4217 code in capitals, such as `EUR`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$"))]
    pub currency: Option<String>,
}

/// The settings as recorded in the audit trail.
fn snapshot(t: &TenantOut) -> Value {
    json!({
        "name": t.name,
        "time_zone": t.time_zone,
        "currency": t.currency,
        "locale": t.locale,
    })
}

/// The value a setting takes: the one given, if `parse` accepts it (else a problem at
/// `pointer`), or the current one.
fn setting(
    pointer: &str,
    given: Option<&str>,
    current: &str,
    parse: impl FnOnce(&str) -> std::result::Result<String, Invalid>,
    problems: &mut Vec<InvalidField>,
) -> String {
    match given.map(parse) {
        None => current.to_owned(),
        Some(Ok(value)) => value,
        Some(Err(why)) => {
            problems.push(InvalidField::at(pointer, why.0));
            current.to_owned()
        }
    }
}

/// The scope's tenant.
pub async fn settings(scope: &mut Scope) -> Result<TenantOut> {
    let id = scope.tenant();
    let tenant = db::tenants::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(tenant.into())
}

/// Changes the scope's tenant's settings; every refused member is reported and nothing
/// changes. A change is recorded as `tenant.updated`; asking for the current values records
/// nothing.
pub async fn update_settings(scope: &mut Scope, input: TenantSettingsInput) -> Result<TenantOut> {
    let before = settings(scope).await?;
    let mut problems = Vec::new();
    let name = setting(
        "/name",
        input.name.as_deref(),
        &before.name,
        |s| tenant::parse_name(s).map(str::to_owned),
        &mut problems,
    );
    let time_zone = setting(
        "/time_zone",
        input.time_zone.as_deref(),
        &before.time_zone,
        tenant::parse_time_zone,
        &mut problems,
    );
    let locale = setting(
        "/locale",
        input.locale.as_deref(),
        &before.locale,
        |s| tenant::parse_locale(s).map(str::to_owned),
        &mut problems,
    );
    let currency = setting(
        "/currency",
        input.currency.as_deref(),
        &before.currency,
        tenant::parse_currency,
        &mut problems,
    );
    Error::check(problems)?;
    let unchanged = name == before.name
        && time_zone == before.time_zone
        && locale == before.locale
        && currency == before.currency;
    if unchanged {
        return Ok(before);
    }
    let changed = db::tenants::TenantSettings {
        name: &name,
        time_zone: &time_zone,
        currency: &currency,
        locale: &locale,
    };
    let after: TenantOut = db::tenants::update_settings(&mut scope.tx, &changed)
        .await?
        .into();
    scope
        .record(
            Change::of(EventType::TenantUpdated, "tenant", after.id)
                .before(snapshot(&before))
                .after(snapshot(&after)),
        )
        .await?;
    Ok(after)
}
