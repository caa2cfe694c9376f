//! The flows of one client: read it, create it (from a request or an import row), change it,
//! convert a lead, delete and restore. Each loads what it needs, checks the rules, writes
//! through the repository and records the change (audit row, timeline event, live notice) in
//! one call, in the caller's transaction.

use db::clients::{ClientData, ClientRow};
use db::crypto::TenantCipher;
use domain::{ClientStatus, EventType};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{ClientInput, ClientOut, client_out, prepare, redacted};
use crate::{Change, Error, Expected, Result, Scope, Versioned};

/// Where a new client comes from. Every new client is recorded as `client.created` the same
/// way; the origin only tells it in its own words and adds what it knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A person, an API key or an integration asked for it.
    Request,
    /// A row of a CSV import: the import and the row's line in its file.
    Import { import_id: Uuid, line: u64 },
}

impl Origin {
    /// How the timeline tells it: "Acme was created as lead", "... was imported as lead".
    fn verb(self) -> &'static str {
        match self {
            Self::Request => "created",
            Self::Import { .. } => "imported",
        }
    }

    /// Adds what the origin knows to the audit snapshot or the timeline payload.
    fn annotate(self, mut value: Value) -> Value {
        if let (Self::Import { import_id, line }, Some(fields)) = (self, value.as_object_mut()) {
            fields.insert("import_id".into(), json!(import_id));
            fields.insert("line".into(), json!(line));
        }
        value
    }
}

fn versioned(row: ClientRow, cipher: &TenantCipher) -> Result<Versioned<ClientOut>> {
    let version = row.version;
    Ok(Versioned {
        value: client_out(row, cipher)?,
        version,
    })
}

async fn load(
    scope: &mut Scope,
    cipher: &TenantCipher,
    id: Uuid,
    include_deleted: bool,
) -> Result<Versioned<ClientOut>> {
    let row = db::clients::get(&mut scope.tx, id, include_deleted)
        .await?
        .ok_or(Error::NotFound)?;
    versioned(row, cipher)
}

/// A client that is not deleted, with its version; [`Error::NotFound`] when there is none.
pub async fn get(
    scope: &mut Scope,
    cipher: &TenantCipher,
    id: Uuid,
) -> Result<Versioned<ClientOut>> {
    load(scope, cipher, id, false).await
}

/// A client, deleted or not (a deleted one is restored, or shown in its merge's history).
pub async fn get_including_deleted(
    scope: &mut Scope,
    cipher: &TenantCipher,
    id: Uuid,
) -> Result<Versioned<ClientOut>> {
    load(scope, cipher, id, true).await
}

/// Creates a client as asked (a lead unless the input says otherwise).
pub async fn create(
    scope: &mut Scope,
    cipher: &TenantCipher,
    input: ClientInput,
) -> Result<Versioned<ClientOut>> {
    let data = prepare(&mut scope.tx, cipher, input, None).await?;
    create_prepared(scope, cipher, &data, Origin::Request).await
}

/// Creates a client from what [`prepare`] made of its input, and records `client.created`
/// as `origin` tells it. The one way a client comes into being, for requests and imports.
pub async fn create_prepared(
    scope: &mut Scope,
    cipher: &TenantCipher,
    data: &ClientData,
    origin: Origin,
) -> Result<Versioned<ClientOut>> {
    let id = Uuid::now_v7();
    let created = versioned(db::clients::insert(&mut scope.tx, id, data).await?, cipher)?;
    let client = &created.value;
    let description = format!(
        "{} was {} as {}",
        client.company_name,
        origin.verb(),
        client.status
    );
    scope
        .record(
            Change::of_client(EventType::ClientCreated, id)
                .after(origin.annotate(redacted(client)))
                .on_timeline(
                    description,
                    origin.annotate(json!({ "status": client.status })),
                ),
        )
        .await?;
    Ok(created)
}

/// The names of the members of a client's snapshot that a change changed.
fn changed_members(before: &Value, after: &Value) -> Vec<String> {
    let Some(after) = after.as_object() else {
        return Vec::new();
    };
    after
        .iter()
        .filter(|(k, v)| k.as_str() != "updated_at" && before.get(k.as_str()) != Some(v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Changes a client: an absent field keeps its value and `null` clears an optional one. The
/// change applies only to a version `expected` allows ([`Error::Stale`] otherwise), and a lead
/// becomes a client only through [`convert`].
pub async fn update(
    scope: &mut Scope,
    cipher: &TenantCipher,
    id: Uuid,
    input: ClientInput,
    expected: &Expected,
) -> Result<Versioned<ClientOut>> {
    let current = get(scope, cipher, id).await?;
    expected.check(current.version)?;
    let before = current.value;
    if input.wanted_status() == Some(ClientStatus::Client)
        && before.client_status()? == ClientStatus::Lead
    {
        return Err(Error::field(
            "/status",
            "convert a lead with POST /api/v1/clients/{id}/convert",
        ));
    }
    let data = prepare(&mut scope.tx, cipher, input, Some(&before)).await?;
    let after = versioned(db::clients::update(&mut scope.tx, id, &data).await?, cipher)?;
    let (before_v, after_v) = (redacted(&before), redacted(&after.value));
    let changed = changed_members(&before_v, &after_v);
    let description = format!(
        "{} was updated: {}",
        after.value.company_name,
        changed.join(", ")
    );
    scope
        .record(
            Change::of_client(EventType::ClientUpdated, id)
                .before(before_v)
                .after(after_v)
                .on_timeline(description, json!({ "changed": changed })),
        )
        .await?;
    Ok(after)
}

/// Deletes a client softly (`deleted`) or brings a deleted one back, at a version `expected`
/// allows; doing what is done already changes nothing. A client merged into another comes
/// back only by undoing the merge (the `merged` conflict).
pub async fn set_deleted(
    scope: &mut Scope,
    cipher: &TenantCipher,
    id: Uuid,
    deleted: bool,
    expected: &Expected,
) -> Result<()> {
    let current = get_including_deleted(scope, cipher, id).await?;
    expected.check(current.version)?;
    let client = current.value;
    if !deleted && client.merged_into.is_some() {
        return Err(Error::conflict(
            "merged",
            "This client was merged into another; undo the merge to bring it back.",
        ));
    }
    if client.deleted_at.is_some() == deleted
        || !db::clients::set_deleted(&mut scope.tx, id, deleted).await?
    {
        return Ok(());
    }
    let (kind, verb) = if deleted {
        (EventType::ClientDeleted, "deleted")
    } else {
        (EventType::ClientRestored, "restored")
    };
    let description = format!("{} was {verb}", client.company_name);
    scope
        .record(Change::of_client(kind, id).on_timeline(description, json!({})))
        .await
}

/// Converts a lead into a client, recording when and by whom; anything but a lead is the
/// `not-a-lead` conflict.
pub async fn convert(
    scope: &mut Scope,
    cipher: &TenantCipher,
    id: Uuid,
) -> Result<Versioned<ClientOut>> {
    let before = get(scope, cipher, id).await?.value;
    if before.client_status()? != ClientStatus::Lead {
        return Err(Error::conflict(
            "not-a-lead",
            format!("Only leads convert; this one is {}.", before.status),
        ));
    }
    record_conversion(scope, id, &before.company_name).await?;
    get(scope, cipher, id).await
}

/// Converts the client `id` if it is a lead (a won opportunity, an accepted proposal);
/// returns whether it was one. Nothing of the client needs decrypting.
pub async fn convert_if_lead(scope: &mut Scope, id: Uuid) -> Result<bool> {
    let row = db::clients::get(&mut scope.tx, id, false)
        .await?
        .ok_or(Error::NotFound)?;
    if row.status != ClientStatus::Lead.as_str() {
        return Ok(false);
    }
    record_conversion(scope, id, &row.company_name).await?;
    Ok(true)
}

/// Marks a lead converted now by the scope's user, with its audit row and timeline event.
async fn record_conversion(scope: &mut Scope, id: Uuid, company_name: &str) -> Result<()> {
    let by = scope.user_id();
    db::clients::convert(&mut scope.tx, id, by).await?;
    let converted_at = chrono::Utc::now();
    scope
        .record(
            Change::of_client(EventType::ClientConverted, id)
                .before(json!({ "status": ClientStatus::Lead.as_str() }))
                .after(json!({
                    "status": ClientStatus::Client.as_str(),
                    "converted_at": converted_at,
                    "converted_by": by,
                }))
                .on_timeline(
                    format!("{company_name} became a client"),
                    json!({ "converted_by": by }),
                ),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_tells_its_origin_and_a_request_adds_nothing() {
        let id = Uuid::now_v7();
        let import = Origin::Import {
            import_id: id,
            line: 7,
        };
        let annotated = import.annotate(json!({ "status": "lead" }));
        assert_eq!(
            annotated,
            json!({ "status": "lead", "import_id": id, "line": 7 })
        );
        assert_eq!(
            Origin::Request.annotate(json!({ "status": "lead" })),
            json!({ "status": "lead" })
        );
        assert_eq!(
            (Origin::Request.verb(), import.verb()),
            ("created", "imported")
        );
    }

    #[test]
    fn updated_at_is_not_a_change() {
        let before = json!({ "company_name": "A", "updated_at": 1, "tags": [] });
        let after = json!({ "company_name": "B", "updated_at": 2, "tags": [] });
        assert_eq!(changed_members(&before, &after), ["company_name"]);
    }
}
