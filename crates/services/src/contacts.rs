//! Contacts: the people at a client. Their phone numbers are personal data, encrypted at rest
//! with keyed hashes for exact lookup; e-mails and phones follow the clients' rules.

use chrono::{DateTime, Utc};
use db::contacts::{ContactData, ContactRow};
use db::crypto::TenantCipher;
use domain::{CountryCode, EventType};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::clients::{parse_emails, parse_phones};
use crate::{Change, Error, Expected, Page, PageRequest, Result, Scope, Versioned, text};

/// Most characters of a contact's name.
pub const NAME_CHARS: usize = 200;

/// A contact as every reader sees it, phones decrypted.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactOut {
    pub id: Uuid,
    pub client_id: Uuid,
    pub name: String,
    pub role: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub erased_at: Option<DateTime<Utc>>,
}

/// The fields of a contact in a request; on update an absent field keeps its value.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// 1-200 characters (required on create).
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S", max_length = 200))]
    pub name: Option<String>,
    /// The person's job; blank clears it.
    pub role: Option<String>,
    /// At most 50.
    #[cfg_attr(
        feature = "openapi",
        schema(max_items = 50, inline, value_type = Option<Vec<schema::EmailText>>)
    )]
    pub emails: Option<Vec<String>>,
    /// Normalised to E.164 (Spanish numbers by default); at most 50.
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub phones: Option<Vec<String>>,
}

#[cfg(feature = "openapi")]
mod schema {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};

    /// An e-mail address, in documentation.
    pub struct EmailText;

    impl utoipa::PartialSchema for EmailText {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
                .into()
        }
    }

    impl utoipa::ToSchema for EmailText {}
}

/// A stored contact as readers see it.
pub fn contact_out(row: ContactRow, cipher: &TenantCipher) -> Result<ContactOut> {
    let phones = match row.phones_cipher.as_deref() {
        Some(sealed) => serde_json::from_str(&cipher.decrypt(sealed)?)
            .map_err(|e| Error::Corrupt(e.to_string()))?,
        None => Vec::new(),
    };
    Ok(ContactOut {
        id: row.id,
        client_id: row.client_id,
        name: row.name,
        role: row.role,
        emails: row.emails,
        phones,
        created_at: row.created_at,
        updated_at: row.updated_at,
        erased_at: row.erased_at,
    })
}

fn versioned(row: ContactRow, cipher: &TenantCipher) -> Result<Versioned<ContactOut>> {
    let version = row.version;
    Ok(Versioned {
        value: contact_out(row, cipher)?,
        version,
    })
}

/// Applies an input onto the current values (or none), validating everything, and encrypts
/// the phone numbers.
fn prepare(
    input: ContactInput,
    current: Option<&ContactOut>,
    cipher: &TenantCipher,
) -> Result<ContactData> {
    let mut problems = Vec::new();
    let current_name = current.map(|c| c.name.as_str());
    let name =
        text::required_or_current("/name", input.name, current_name, NAME_CHARS, &mut problems);
    let role = match input.role {
        Some(r) => Some(r.trim().to_owned()).filter(|r| !r.is_empty()),
        None => current.and_then(|c| c.role.clone()),
    };
    let emails = match input.emails {
        Some(list) => parse_emails(&list, &mut problems),
        None => current.map(|c| c.emails.clone()).unwrap_or_default(),
    };
    let phones: Vec<String> = match input.phones {
        Some(list) => parse_phones(&list, CountryCode::parse("ES").ok(), &mut problems),
        None => current.map(|c| c.phones.clone()).unwrap_or_default(),
    };
    Error::check(problems)?;
    Ok(ContactData {
        name,
        role,
        emails,
        phones_cipher: (!phones.is_empty())
            .then(|| cipher.encrypt(&serde_json::to_string(&phones).unwrap_or_default())),
        phone_hashes: phones.iter().map(|p| cipher.blind_index(p)).collect(),
    })
}

/// Fails with [`Error::NotFound`] unless the client exists (and is not deleted).
async fn client_exists(scope: &mut Scope, client_id: Uuid) -> Result<()> {
    db::clients::get(&mut scope.tx, client_id, false)
        .await?
        .map(|_| ())
        .ok_or(Error::NotFound)
}

/// The stored contact `id` of `client_id`.
async fn load(scope: &mut Scope, client_id: Uuid, id: Uuid) -> Result<ContactRow> {
    db::contacts::get(&mut scope.tx, client_id, id)
        .await?
        .ok_or(Error::NotFound)
}

/// One page of a client's contacts, oldest first.
pub async fn list(
    scope: &mut Scope,
    cipher: &TenantCipher,
    client_id: Uuid,
    page: &PageRequest<Uuid>,
) -> Result<Page<ContactOut>> {
    client_exists(scope, client_id).await?;
    let rows =
        db::contacts::list_for_client(&mut scope.tx, client_id, page.after, page.fetch_limit())
            .await?;
    Page::from_rows(rows, page.limit, |r| r.id, |r| contact_out(r, cipher))
}

/// One contact of a client.
pub async fn get(
    scope: &mut Scope,
    cipher: &TenantCipher,
    client_id: Uuid,
    id: Uuid,
) -> Result<Versioned<ContactOut>> {
    let row = load(scope, client_id, id).await?;
    versioned(row, cipher)
}

/// Adds a contact to a client.
pub async fn create(
    scope: &mut Scope,
    cipher: &TenantCipher,
    client_id: Uuid,
    input: ContactInput,
) -> Result<Versioned<ContactOut>> {
    client_exists(scope, client_id).await?;
    let data = prepare(input, None, cipher)?;
    let id = Uuid::now_v7();
    let row = db::contacts::insert(&mut scope.tx, id, client_id, &data).await?;
    let out = versioned(row, cipher)?;
    let name = &out.value.name;
    scope
        .record(
            Change::of(EventType::ContactAdded, "contact", id)
                .after(json!({ "client_id": client_id }))
                .on_timeline_of(
                    client_id,
                    format!("{name} was added as a contact"),
                    json!({ "contact_id": id, "name": name }),
                ),
        )
        .await?;
    Ok(out)
}

/// Changes a contact of a client if its version is `expected`; an erased contact stays
/// erased (its personal data must not come back).
pub async fn update(
    scope: &mut Scope,
    cipher: &TenantCipher,
    client_id: Uuid,
    id: Uuid,
    expected: &Expected,
    input: ContactInput,
) -> Result<Versioned<ContactOut>> {
    let before = load(scope, client_id, id).await?;
    expected.check(before.version)?;
    if before.erased_at.is_some() {
        return Err(Error::conflict(
            "contact-erased",
            "This contact was erased; its personal data cannot be written again.",
        ));
    }
    let before = contact_out(before, cipher)?;
    let data = prepare(input, Some(&before), cipher)?;
    let row = db::contacts::update(&mut scope.tx, id, &data).await?;
    let out = versioned(row, cipher)?;
    scope
        .record(
            Change::of(EventType::ContactUpdated, "contact", id)
                .after(json!({ "client_id": client_id }))
                .on_timeline_of(
                    client_id,
                    format!("Contact {} was updated", out.value.name),
                    json!({ "contact_id": id }),
                ),
        )
        .await?;
    Ok(out)
}

/// Removes a contact from a client.
pub async fn delete(scope: &mut Scope, client_id: Uuid, id: Uuid) -> Result<()> {
    let before = load(scope, client_id, id).await?;
    db::contacts::delete(&mut scope.tx, id).await?;
    scope
        .record(
            Change::of(EventType::ContactRemoved, "contact", id)
                .before(json!({ "client_id": client_id }))
                .on_timeline_of(
                    client_id,
                    format!("{} was removed from the contacts", before.name),
                    json!({ "contact_id": id }),
                ),
        )
        .await?;
    Ok(())
}

/// Erases a person's personal data everywhere (GDPR art. 17): the contact keeps only its id
/// and the fact that it was erased, and timeline events about it are scrubbed. Erasing an
/// erased contact changes nothing.
pub async fn erase(scope: &mut Scope, id: Uuid) -> Result<()> {
    let contact = db::contacts::get_by_id(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    if contact.erased_at.is_some() {
        return Ok(());
    }
    db::contacts::erase(&mut scope.tx, id).await?;
    scope
        .record(
            Change::of(EventType::ContactErased, "contact", id)
                .after(json!({ "client_id": contact.client_id, "erased": true }))
                .on_timeline_of(
                    contact.client_id,
                    "A contact's personal data was erased at their request",
                    json!({ "contact_id": id, "erased": true }),
                ),
        )
        .await?;
    Ok(())
}
