//! A client as every reader sees it (the tax id decrypted), and as the audit trail keeps it
//! (the tax id left out).

use chrono::{DateTime, Utc};
use db::clients::ClientRow;
use db::crypto::{CryptoError, TenantCipher};
use domain::ClientStatus;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{Error, Result};

/// A client or lead.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientOut {
    pub id: Uuid,
    pub company_name: String,
    pub tax_id: Option<String>,
    pub tax_id_country: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub sector: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<super::Address>))]
    pub address: Option<Value>,
    pub website: Option<String>,
    /// `lead`, `client`, `inactive` or `lost` (compare through [`ClientOut::client_status`]).
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::status_out))]
    pub status: String,
    pub owner_id: Option<Uuid>,
    pub source: Option<String>,
    pub tags: Vec<String>,
    /// Values of the tenant's custom fields, by key (empty ones are left out).
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::custom_values_out))]
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

impl ClientOut {
    /// Where the company stands (a stored status is always one of the domain's).
    pub fn client_status(&self) -> Result<ClientStatus> {
        ClientStatus::parse(&self.status)
            .map_err(|e| Error::Corrupt(format!("client status {:?}: {}", self.status, e.0)))
    }
}

/// A stored client as readers see it: its tax id decrypted with the tenant's key.
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
