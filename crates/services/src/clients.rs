//! Clients: the input a person or a file gives, validated and encrypted into what is stored,
//! and the output every reader sees. Shared by the API and the import job.

use chrono::{DateTime, Utc};
use db::TenantTx;
use db::clients::{ClientData, ClientRow};
use db::crypto::{CryptoError, TenantCipher};
use domain::{ClientStatus, CountryCode, Email, FieldDefinition, Phone, TaxId};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Error, Problem};

/// Most e-mails a client (or a contact) may have.
pub const MAX_EMAILS: usize = 50;
/// Most phone numbers a client (or a contact) may have.
pub const MAX_PHONES: usize = 50;
/// Most tags a client may have.
pub const MAX_TAGS: usize = 50;
/// Most characters of one tag.
pub const TAG_CHARS: usize = 50;

/// Whether a list in the input has at most `max` items; if not, a problem names the list.
fn bounded(
    pointer: &str,
    list: &[String],
    max: usize,
    what: &str,
    problems: &mut Vec<Problem>,
) -> bool {
    let ok = list.len() <= max;
    if !ok {
        problems.push(Problem::at(pointer, format!("at most {max} {what}")));
    }
    ok
}

/// Normalised e-mails of an `emails` list; each bad one is a problem at `/emails/{i}`.
pub fn parse_emails(list: &[String], problems: &mut Vec<Problem>) -> Vec<String> {
    if !bounded("/emails", list, MAX_EMAILS, "e-mails", problems) {
        return Vec::new();
    }
    list.iter()
        .enumerate()
        .filter_map(|(i, e)| {
            Email::parse(e)
                .map(|e| e.as_str().to_owned())
                .map_err(|err| problems.push(Problem::at(&format!("/emails/{i}"), err.0)))
                .ok()
        })
        .collect()
}

/// E.164 numbers of a `phones` list (national numbers of `country`); each bad one is a
/// problem at `/phones/{i}`.
pub fn parse_phones(
    list: &[String],
    country: Option<CountryCode>,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    if !bounded("/phones", list, MAX_PHONES, "phone numbers", problems) {
        return Vec::new();
    }
    list.iter()
        .enumerate()
        .filter_map(|(i, p)| {
            Phone::parse(p, country)
                .map(|p| p.as_str().to_owned())
                .map_err(|err| problems.push(Problem::at(&format!("/phones/{i}"), err.0)))
                .ok()
        })
        .collect()
}

/// The tenant's custom field definitions.
pub async fn definitions(tx: &mut TenantTx) -> Result<Vec<FieldDefinition>, Error> {
    db::custom_fields::list(tx)
        .await?
        .into_iter()
        .map(|row| {
            serde_json::from_value(row.definition).map_err(|e| Error::Corrupt(e.to_string()))
        })
        .collect()
}

/// A postal address.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub street: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientOut {
    pub id: Uuid,
    pub company_name: String,
    pub tax_id: Option<String>,
    pub tax_id_country: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub sector: Option<String>,
    #[schema(value_type = Option<Address>)]
    pub address: Option<Value>,
    pub website: Option<String>,
    /// `lead`, `client`, `inactive` or `lost`.
    #[schema(schema_with = schema::status_out)]
    pub status: String,
    pub owner_id: Option<Uuid>,
    pub source: Option<String>,
    pub tags: Vec<String>,
    /// Values of the tenant's custom fields, by key (empty ones are left out).
    #[schema(schema_with = schema::custom_values_out)]
    pub custom_fields: Value,
    pub converted_at: Option<DateTime<Utc>>,
    pub converted_by: Option<Uuid>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// The client this one was merged into.
    pub merged_into: Option<Uuid>,
}

pub fn client_out(row: ClientRow, cipher: &TenantCipher) -> Result<ClientOut, CryptoError> {
    let tax_id = row
        .tax_id_cipher
        .as_deref()
        .map(|c| cipher.decrypt(c))
        .transpose()?;
    Ok(ClientOut {
        id: row.id,
        company_name: row.company_name,
        tax_id,
        tax_id_country: row.tax_id_country,
        emails: row.emails,
        phones: row.phones,
        sector: row.sector,
        address: row.address,
        website: row.website,
        status: row.status,
        owner_id: row.owner_id,
        source: row.source,
        tags: row.tags,
        custom_fields: row.custom_fields,
        converted_at: row.converted_at,
        converted_by: row.converted_by,
        last_contact_at: row.last_contact_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
        deleted_at: row.deleted_at,
        merged_into: row.merged_into,
    })
}

/// `null` and absent differ on PATCH: absent keeps the value, `null` clears it.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The fields of a client in a request; on create, absent fields take their defaults. On
/// update an absent field keeps its value, and `null` clears an optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    /// 1-300 characters, not all white space (required on create).
    #[schema(pattern = r"\S", max_length = 300)]
    pub company_name: Option<String>,
    /// Checked against `tax_id_country`: a Spanish NIF, NIE or CIF with its check character,
    /// an EU VAT number, or free form elsewhere.
    #[serde(default, deserialize_with = "present")]
    pub tax_id: Option<Option<String>>,
    /// ISO 3166-1 alpha-2 of the tax id (default ES).
    #[schema(pattern = "^[A-Za-z]{2}$")]
    pub tax_id_country: Option<String>,
    /// At most 50.
    #[schema(schema_with = schema::emails)]
    pub emails: Option<Vec<String>>,
    /// Normalised to E.164 (national numbers of `tax_id_country`, Spain by default); at most 50.
    #[schema(max_items = 50)]
    pub phones: Option<Vec<String>>,
    /// At most 100 characters; blank clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(max_length = 100)]
    pub sector: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub address: Option<Option<Address>>,
    /// At most 300 characters; blank clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(max_length = 300)]
    pub website: Option<Option<String>>,
    /// `lead` (the default on create), `client`, `inactive` or `lost`; a client never goes back
    /// to lead, and a lead becomes a client with `POST /clients/{id}/convert`.
    #[schema(schema_with = schema::status)]
    pub status: Option<String>,
    /// A user of the tenant.
    #[serde(default, deserialize_with = "present")]
    pub owner_id: Option<Option<Uuid>>,
    /// How the client came.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schema::source)]
    pub source: Option<Option<String>>,
    /// At most 50, of at most 50 characters each (stored in lower case).
    #[schema(schema_with = schema::tags)]
    pub tags: Option<Vec<String>>,
    /// Values of the tenant's custom fields (`GET /api/v1/custom-fields`), by key: text, a
    /// number, a date `YYYY-MM-DD`, one of a select field's options, or a boolean; `null` or
    /// blank leaves an optional field empty.
    #[schema(schema_with = schema::custom_values)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// Schemas of `ClientInput` members that the server reads as text or free JSON.
mod schema {
    use domain::{ClientSource, ClientStatus};
    use utoipa::openapi::schema::{
        ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
    };

    use super::{MAX_EMAILS, MAX_TAGS, TAG_CHARS};

    fn nullable(t: Type) -> SchemaType {
        SchemaType::from_iter([t, Type::Null])
    }

    fn one_of_or_null(values: impl IntoIterator<Item = &'static str>) -> Schema {
        let mut all: Vec<serde_json::Value> = values.into_iter().map(Into::into).collect();
        all.push(serde_json::Value::Null);
        ObjectBuilder::new()
            .schema_type(nullable(Type::String))
            .enum_values(Some(all))
            .into()
    }

    pub fn status_out() -> Schema {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(ClientStatus::ALL.map(|s| s.as_str())))
            .into()
    }

    pub fn custom_values_out() -> Schema {
        let value = ObjectBuilder::new().schema_type(SchemaType::from_iter([
            Type::String,
            Type::Number,
            Type::Boolean,
        ]));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .additional_properties(Some(value))
            .into()
    }

    pub fn status() -> Schema {
        one_of_or_null(ClientStatus::ALL.map(|s| s.as_str()))
    }

    pub fn source() -> Schema {
        one_of_or_null(ClientSource::ALL.map(|s| s.as_str()))
    }

    pub fn emails() -> Schema {
        let email = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)));
        ArrayBuilder::new()
            .schema_type(nullable(Type::Array))
            .items(email)
            .max_items(Some(MAX_EMAILS))
            .description(Some("At most 50."))
            .into()
    }

    pub fn tags() -> Schema {
        let tag = ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(TAG_CHARS));
        ArrayBuilder::new()
            .schema_type(nullable(Type::Array))
            .items(tag)
            .max_items(Some(MAX_TAGS))
            .description(Some("At most 50 (stored in lower case)."))
            .into()
    }

    pub fn custom_values() -> Schema {
        let value = ObjectBuilder::new().schema_type(SchemaType::from_iter([
            Type::String,
            Type::Number,
            Type::Boolean,
            Type::Null,
        ]));
        let key = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[a-z][a-z0-9_]{0,39}$"));
        ObjectBuilder::new()
            .schema_type(nullable(Type::Object))
            .property_names(Some(key))
            .additional_properties(Some(value))
            .description(Some(
                "Values of the tenant's custom fields (`GET /api/v1/custom-fields`), by key: \
                 text, a number, a date `YYYY-MM-DD`, one of a select field's options or a \
                 boolean; `null` or blank leaves an optional field empty.",
            ))
            .into()
    }
}

fn optional_text(
    pointer: &str,
    v: Option<String>,
    max: usize,
    errors: &mut Vec<Problem>,
) -> Option<String> {
    let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())?;
    if v.chars().count() > max {
        errors.push(Problem::at(
            pointer,
            format!("must be at most {max} characters"),
        ));
    }
    Some(v)
}

/// Applies an input onto the current values (or defaults), validating everything.
pub async fn prepare(
    tx: &mut TenantTx,
    cipher: &TenantCipher,
    input: ClientInput,
    current: Option<&ClientOut>,
) -> Result<ClientData, Error> {
    let mut errors = Vec::new();
    let company_name = match input.company_name.map(|n| n.trim().to_owned()) {
        Some(n) if n.is_empty() || n.chars().count() > 300 => {
            errors.push(Problem::at("/company_name", "must be 1-300 characters"));
            n
        }
        Some(n) => n,
        None => match current {
            Some(c) => c.company_name.clone(),
            None => {
                errors.push(Problem::at("/company_name", "is required"));
                String::new()
            }
        },
    };
    let country_raw = input
        .tax_id_country
        .clone()
        .or_else(|| current.and_then(|c| c.tax_id_country.clone()))
        .unwrap_or_else(|| "ES".to_owned());
    let country = CountryCode::parse(&country_raw)
        .map_err(|e| errors.push(Problem::at("/tax_id_country", e.0)))
        .ok();
    let tax_raw = match input.tax_id {
        Some(v) => v,
        None => current.and_then(|c| c.tax_id.clone()),
    };
    let tax = tax_raw.filter(|t| !t.trim().is_empty()).and_then(|t| {
        TaxId::parse(country?, &t)
            .map_err(|e| errors.push(Problem::at("/tax_id", e.0)))
            .ok()
    });
    let emails: Vec<String> = match input.emails {
        Some(list) => parse_emails(&list, &mut errors),
        None => current.map(|c| c.emails.clone()).unwrap_or_default(),
    };
    let phones: Vec<String> = match input.phones {
        Some(list) => parse_phones(&list, country, &mut errors),
        None => current.map(|c| c.phones.clone()).unwrap_or_default(),
    };
    let sector = match input.sector {
        Some(v) => optional_text("/sector", v, 100, &mut errors),
        None => current.and_then(|c| c.sector.clone()),
    };
    let website = match input.website {
        Some(v) => optional_text("/website", v, 300, &mut errors),
        None => current.and_then(|c| c.website.clone()),
    };
    let source = match input.source {
        Some(v) => v.and_then(|s| {
            domain::ClientSource::parse(&s)
                .map(|s| s.as_str().to_owned())
                .map_err(|e| errors.push(Problem::at("/source", e.0)))
                .ok()
        }),
        None => current.and_then(|c| c.source.clone()),
    };
    let address = match input.address {
        Some(a) => a.and_then(|a| serde_json::to_value(a).ok()),
        None => current.and_then(|c| c.address.clone()),
    };
    let status = match input.status.as_deref() {
        Some(s) => match ClientStatus::parse(s) {
            Ok(to) => {
                if let Some(from) = current.and_then(|c| ClientStatus::parse(&c.status).ok())
                    && let Err(e) = ClientStatus::can_change(from, to)
                {
                    errors.push(Problem::at("/status", e.0));
                }
                to.as_str().to_owned()
            }
            Err(e) => {
                errors.push(Problem::at("/status", e.0));
                String::new()
            }
        },
        None => current
            .map(|c| c.status.clone())
            .unwrap_or_else(|| "lead".to_owned()),
    };
    let owner_id = match input.owner_id {
        Some(o) => o,
        None => current.and_then(|c| c.owner_id),
    };
    if let Some(owner) = owner_id
        && db::users::get(tx, owner).await?.is_none()
    {
        errors.push(Problem::at("/owner_id", "is not a user of this tenant"));
    }
    let mut tags: Vec<String> = match input.tags {
        Some(t) if !bounded("/tags", &t, MAX_TAGS, "tags", &mut errors) => Vec::new(),
        Some(t) => t
            .into_iter()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect(),
        None => current.map(|c| c.tags.clone()).unwrap_or_default(),
    };
    tags.sort();
    tags.dedup();
    if tags.iter().any(|t| t.chars().count() > TAG_CHARS) {
        errors.push(Problem::at(
            "/tags",
            format!("a tag has at most {TAG_CHARS} characters"),
        ));
    }
    let defs = definitions(tx).await?;
    // On create, required fields must be there even when `custom_fields` is absent; on update,
    // an absent map keeps the stored values.
    let given = match (input.custom_fields, current) {
        (Some(values), _) => Some(values),
        (None, None) => Some(Map::new()),
        (None, Some(_)) => None,
    };
    let custom_fields = match given {
        Some(values) => match domain::validate_values(&defs, &values) {
            Ok(v) => Value::Object(v),
            Err(problems) => {
                for (key, reason) in problems {
                    errors.push(Problem::at(&format!("/custom_fields/{key}"), reason));
                }
                Value::Object(Map::new())
            }
        },
        None => current
            .map(|c| c.custom_fields.clone())
            .unwrap_or_else(|| Value::Object(Map::new())),
    };
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let search_text = domain::normalize_for_search(&format!(
        "{} {} {}",
        company_name,
        emails.join(" "),
        phones.join(" ")
    ));
    Ok(ClientData {
        tax_id_cipher: tax.as_ref().map(|t| cipher.encrypt(t.as_str())),
        tax_id_hash: tax.as_ref().map(|t| cipher.blind_index(t.as_str())),
        tax_id_country: tax.as_ref().map(|t| t.country().as_str().to_owned()),
        company_name,
        emails,
        phones,
        sector,
        address,
        website,
        status,
        owner_id,
        source,
        tags,
        custom_fields,
        search_text,
    })
}

/// The audit snapshot of a client: the tax id is sensitive, so only whether there is one.
pub fn redacted(c: &ClientOut) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "tax_id".into(),
            json!(c.tax_id.as_ref().map(|_| "[encrypted]")),
        );
    }
    v
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    use super::*;

    /// The OpenAPI document states the same bounds the code enforces.
    #[test]
    fn documented_bounds_are_the_enforced_ones() {
        let schema = serde_json::to_value(ClientInput::schema()).expect("schema");
        for (field, max) in [
            ("emails", MAX_EMAILS),
            ("phones", MAX_PHONES),
            ("tags", MAX_TAGS),
        ] {
            let documented = &schema["properties"][field];
            let found = documented["maxItems"].as_u64().or_else(|| {
                documented["oneOf"]
                    .as_array()?
                    .iter()
                    .find_map(|s| s["maxItems"].as_u64())
            });
            assert_eq!(found, Some(max as u64), "{field}: {documented}");
        }
    }

    #[test]
    fn lists_over_their_bound_are_one_problem() {
        let mut problems = Vec::new();
        let many: Vec<String> = (0..=MAX_EMAILS)
            .map(|i| format!("a{i}@x.example"))
            .collect();
        assert!(parse_emails(&many, &mut problems).is_empty());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].pointer, "/emails");
        problems.clear();
        assert_eq!(
            parse_emails(&many[..MAX_EMAILS], &mut problems).len(),
            MAX_EMAILS
        );
        assert!(problems.is_empty());
    }
}
