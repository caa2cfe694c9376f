//! What a person or a file gives for a client, and [`prepare`]: that input applied onto the
//! current values (or the defaults), validated, and encrypted into what is stored.

use db::TenantTx;
use db::clients::ClientData;
use db::crypto::TenantCipher;
use domain::{ClientSource, ClientStatus, CountryCode, Email, FieldDefinition, Phone, TaxId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::ClientOut;
use crate::{Error, InvalidField, Result, text};

/// Most e-mails a client (or a contact) may have.
pub const MAX_EMAILS: usize = 50;
/// Most phone numbers a client (or a contact) may have.
pub const MAX_PHONES: usize = 50;
/// Most tags a client may have.
pub const MAX_TAGS: usize = 50;
/// Most characters of one tag.
pub const TAG_CHARS: usize = 50;

/// A postal address.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub street: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
}

use crate::patch::present;

/// The fields of a client in a request; on create, absent fields take their defaults. On
/// update an absent field keeps its value, and `null` clears an optional one.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    /// 1-300 characters, not all white space (required on create).
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 300))]
    pub company_name: Option<String>,
    /// Checked against `tax_id_country`: a Spanish NIF, NIE or CIF with its check character,
    /// an EU VAT number, or free form elsewhere.
    #[serde(default, deserialize_with = "present")]
    pub tax_id: Option<Option<String>>,
    /// ISO 3166-1 alpha-2 of the tax id (default ES).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z]{2}$"))]
    pub tax_id_country: Option<String>,
    /// At most 50.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::emails))]
    pub emails: Option<Vec<String>>,
    /// Normalised to E.164 (national numbers of `tax_id_country`, Spain by default); at most 50.
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub phones: Option<Vec<String>>,
    /// At most 100 characters; blank clears it.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub sector: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub address: Option<Option<Address>>,
    /// At most 300 characters; blank clears it.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(max_length = 300))]
    pub website: Option<Option<String>>,
    /// `lead` (the default on create), `client`, `inactive` or `lost`; a client never goes back
    /// to lead, and a lead becomes a client with `POST /clients/{id}/convert`.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::status))]
    pub status: Option<String>,
    /// A user of the tenant.
    #[serde(default, deserialize_with = "present")]
    pub owner_id: Option<Option<Uuid>>,
    /// How the client came.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::source))]
    pub source: Option<Option<String>>,
    /// At most 50, of at most 50 characters each (stored in lower case).
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::tags))]
    pub tags: Option<Vec<String>>,
    /// Values of the tenant's custom fields (`GET /api/v1/custom-fields`), by key: text, a
    /// number, a date `YYYY-MM-DD`, one of a select field's options, or a boolean; `null` or
    /// blank leaves an optional field empty.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::custom_values))]
    pub custom_fields: Option<Map<String, Value>>,
}

impl ClientInput {
    /// The status asked for, when it is one.
    pub(super) fn wanted_status(&self) -> Option<ClientStatus> {
        ClientStatus::parse(self.status.as_deref()?).ok()
    }
}

/// Whether a list in the input has at most `max` items; if not, a problem names the list.
fn bounded(
    pointer: &str,
    list: &[String],
    max: usize,
    what: &str,
    problems: &mut Vec<InvalidField>,
) -> bool {
    let ok = list.len() <= max;
    if !ok {
        problems.push(InvalidField::at(pointer, format!("at most {max} {what}")));
    }
    ok
}

/// Normalised e-mails of an `emails` list; each bad one is a problem at `/emails/{i}`.
pub fn parse_emails(list: &[String], problems: &mut Vec<InvalidField>) -> Vec<String> {
    if !bounded("/emails", list, MAX_EMAILS, "e-mails", problems) {
        return Vec::new();
    }
    list.iter()
        .enumerate()
        .filter_map(|(i, e)| {
            Email::parse(e)
                .map(|e| e.as_str().to_owned())
                .map_err(|err| problems.push(InvalidField::at(&format!("/emails/{i}"), err.0)))
                .ok()
        })
        .collect()
}

/// E.164 numbers of a `phones` list (national numbers of `country`); each bad one is a
/// problem at `/phones/{i}`.
pub fn parse_phones(
    list: &[String],
    country: Option<CountryCode>,
    problems: &mut Vec<InvalidField>,
) -> Vec<String> {
    if !bounded("/phones", list, MAX_PHONES, "phone numbers", problems) {
        return Vec::new();
    }
    list.iter()
        .enumerate()
        .filter_map(|(i, p)| {
            Phone::parse(p, country)
                .map(|p| p.as_str().to_owned())
                .map_err(|err| problems.push(InvalidField::at(&format!("/phones/{i}"), err.0)))
                .ok()
        })
        .collect()
}

/// The tenant's custom field definitions, which custom values are checked against.
async fn definitions(tx: &mut TenantTx) -> Result<Vec<FieldDefinition>> {
    db::custom_fields::list(tx)
        .await?
        .into_iter()
        .map(|row| {
            serde_json::from_value(row.definition).map_err(|e| Error::Corrupt(e.to_string()))
        })
        .collect()
}

/// The status given (a client never goes back to lead), or the current one; `lead` on create.
fn status(
    given: Option<&str>,
    current: Option<&ClientOut>,
    problems: &mut Vec<InvalidField>,
) -> String {
    let Some(given) = given else {
        return current.map_or_else(
            || ClientStatus::Lead.as_str().to_owned(),
            |c| c.status.clone(),
        );
    };
    match ClientStatus::parse(given) {
        Ok(to) => {
            if let Some(from) = current.and_then(|c| c.client_status().ok())
                && let Err(e) = ClientStatus::can_change(from, to)
            {
                problems.push(InvalidField::at("/status", e.0));
            }
            to.as_str().to_owned()
        }
        Err(e) => {
            problems.push(InvalidField::at("/status", e.0));
            String::new()
        }
    }
}

/// The tags given, trimmed, in lower case, sorted and without repeats; or the current ones.
fn tags(
    given: Option<Vec<String>>,
    current: Option<&ClientOut>,
    problems: &mut Vec<InvalidField>,
) -> Vec<String> {
    let mut tags: Vec<String> = match given {
        Some(t) if !bounded("/tags", &t, MAX_TAGS, "tags", problems) => Vec::new(),
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
        problems.push(InvalidField::at(
            "/tags",
            format!("a tag has at most {TAG_CHARS} characters"),
        ));
    }
    tags
}

/// The custom values given, checked against the tenant's definitions. On create, required
/// fields must be there even when `custom_fields` is absent; on update, an absent map keeps
/// the stored values.
async fn custom_fields(
    tx: &mut TenantTx,
    given: Option<Map<String, Value>>,
    current: Option<&ClientOut>,
    problems: &mut Vec<InvalidField>,
) -> Result<Value> {
    let given = match (given, current) {
        (Some(values), _) => values,
        (None, None) => Map::new(),
        (None, Some(c)) => return Ok(c.custom_fields.clone()),
    };
    let defs = definitions(tx).await?;
    Ok(match domain::validate_values(&defs, &given) {
        Ok(v) => Value::Object(v),
        Err(wrong) => {
            for (key, reason) in wrong {
                problems.push(InvalidField::at(&format!("/custom_fields/{key}"), reason));
            }
            Value::Object(Map::new())
        }
    })
}

/// Applies an input onto the current values (or the defaults, on create), validating
/// everything; every invalid field is one problem of the [`Error::Invalid`] it fails with.
pub async fn prepare(
    tx: &mut TenantTx,
    cipher: &TenantCipher,
    input: ClientInput,
    current: Option<&ClientOut>,
) -> Result<ClientData> {
    let mut problems = Vec::new();
    let company_name = text::required_or_current(
        "/company_name",
        input.company_name,
        current.map(|c| c.company_name.as_str()),
        300,
        &mut problems,
    );
    let country_raw = input
        .tax_id_country
        .clone()
        .or_else(|| current.and_then(|c| c.tax_id_country.clone()))
        .unwrap_or_else(|| "ES".to_owned());
    let country = CountryCode::parse(&country_raw)
        .map_err(|e| problems.push(InvalidField::at("/tax_id_country", e.0)))
        .ok();
    let tax_raw = match input.tax_id {
        Some(v) => v,
        None => current.and_then(|c| c.tax_id.clone()),
    };
    let tax = tax_raw.filter(|t| !t.trim().is_empty()).and_then(|t| {
        TaxId::parse(country?, &t)
            .map_err(|e| problems.push(InvalidField::at("/tax_id", e.0)))
            .ok()
    });
    let emails: Vec<String> = match input.emails {
        Some(list) => parse_emails(&list, &mut problems),
        None => current.map(|c| c.emails.clone()).unwrap_or_default(),
    };
    let phones: Vec<String> = match input.phones {
        Some(list) => parse_phones(&list, country, &mut problems),
        None => current.map(|c| c.phones.clone()).unwrap_or_default(),
    };
    let sector = match input.sector {
        Some(v) => text::optional("/sector", v, 100, &mut problems),
        None => current.and_then(|c| c.sector.clone()),
    };
    let website = match input.website {
        Some(v) => text::optional("/website", v, 300, &mut problems),
        None => current.and_then(|c| c.website.clone()),
    };
    let source = match input.source {
        Some(v) => v.and_then(|s| {
            ClientSource::parse(&s)
                .map(|s| s.as_str().to_owned())
                .map_err(|e| problems.push(InvalidField::at("/source", e.0)))
                .ok()
        }),
        None => current.and_then(|c| c.source.clone()),
    };
    let address = match input.address {
        Some(a) => a.and_then(|a| serde_json::to_value(a).ok()),
        None => current.and_then(|c| c.address.clone()),
    };
    let status = status(input.status.as_deref(), current, &mut problems);
    let owner_id = match input.owner_id {
        Some(o) => o,
        None => current.and_then(|c| c.owner_id),
    };
    crate::users::check_is_user(tx, owner_id, "/owner_id", &mut problems).await?;
    let tags = tags(input.tags, current, &mut problems);
    let custom_fields = custom_fields(tx, input.custom_fields, current, &mut problems).await?;
    Error::check(problems)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The OpenAPI document states the same bounds the code enforces.
    #[cfg(feature = "openapi")]
    #[test]
    fn documented_bounds_are_the_enforced_ones() {
        use utoipa::PartialSchema;

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

    #[test]
    fn tags_are_trimmed_lowered_sorted_and_once() {
        let mut problems = Vec::new();
        let given = vec![
            " VIP ".to_owned(),
            "north".to_owned(),
            "vip".to_owned(),
            " ".to_owned(),
        ];
        assert_eq!(tags(Some(given), None, &mut problems), ["north", "vip"]);
        assert!(problems.is_empty());
    }
}
